"""The fast engine: compiled kernels over many hardware points at once (``engine``), its tile scheduler
(``tiles``), residency choice (``residency``) and activation plan (``liveness``)."""
