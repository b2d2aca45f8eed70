"""Where a memory system comes from: a hardware preset's ``[dram]`` table or a DRAMSim3 ``.ini``."""

from __future__ import annotations

from pathlib import Path

from accelsim.base.errors import InputError
from accelsim.dram.dramsim3_ini import read_dramsim3_ini
from accelsim.dram.part import MemorySystem
from accelsim.dram.presets import from_dram_config
from accelsim.hardware.load import load_hardware


def load_memory_system(hw: str | None = None, dramsim3_ini: str | Path | None = None,
                       overrides: dict[str, str] | None = None) -> MemorySystem:
    """A preset (name or TOML; default the default preset) or a DRAMSim3 ``.ini``, then ``overrides``.

    With a preset the overrides are hardware keys (``dram.tfaw_ns``); with an ``.ini`` they are its own keys
    (``timing.tRCD``).
    """
    if hw is not None and dramsim3_ini is not None:
        raise InputError("--dramsim3-ini", str(dramsim3_ini), "expected either --hw or --dramsim3-ini, not both")
    if dramsim3_ini is not None:
        return read_dramsim3_ini(dramsim3_ini, overrides)
    cfg = load_hardware(hw, overrides)
    return from_dram_config(cfg.dram, hw or "--hw")
