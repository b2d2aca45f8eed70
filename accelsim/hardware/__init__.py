"""Layer 3, the hardware: typed configurations, presets and their loading, ranges, energy tables.

``config`` (dataclasses, TOML loading, preset discovery), ``limits`` (the declared ranges of every value and
the engines' bound), ``energy_tables`` (45 nm energies scaled to a node), ``memory`` (a memory system from a
preset or a DRAMSim3 ``.ini``). Uses the DRAM layer's typed part description; nothing above.
"""
