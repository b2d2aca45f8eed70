"""Layer 7, simulation: one trace on one hardware point as a :class:`~accelsim.base.records.SimResult`
(``simulate``), and the chip's peak rate (``peak``)."""
