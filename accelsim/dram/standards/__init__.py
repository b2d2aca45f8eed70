"""One module per DRAM standard, each a named, cited :class:`~accelsim.dram.protocol.ProtocolDefaults`
(``DEFAULTS``): what the banked model takes from the standard when a preset does not say. Every value carries
its source (JEDEC standard, datasheet, or the DRAMSim3 config it was read from) in a comment beside it."""
