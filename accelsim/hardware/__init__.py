"""Layer 3, the hardware: typed configurations, presets and their loading, ranges, energy tables.

``config`` (the frozen dataclasses, and how a config is built from values and checked), ``load`` (presets and
TOML files), ``derived`` (what ``auto`` keys stand for), ``limits`` (the declared range of every value, and the
bound that keeps the engines' counters from wrapping), ``energy_tables`` (45 nm energies scaled to a node),
``memory`` (a memory system from a preset or a DRAMSim3 ``.ini``). Uses the DRAM layer's typed part
description; nothing above.
"""
