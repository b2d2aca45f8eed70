"""Where a memory system comes from (a preset or a DRAMSim3 config) and which model evaluates a pattern."""

from __future__ import annotations

from pathlib import Path

from accelsim.dram.closed_form import evaluate_closed
from accelsim.dram.dramsim3_ini import read_dramsim3_ini
from accelsim.dram.part import MemorySystem
from accelsim.dram.patterns import Pattern
from accelsim.dram.presets import from_dram_config
from accelsim.dram.request_model import DRAMStats, simulate
from accelsim.errors import InputError

MODELS = ("request", "closed")


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
    from accelsim.hardware import load_hardware

    cfg = load_hardware(hw, overrides)
    return from_dram_config(cfg.dram, hw or "--hw")


def evaluate(mem: MemorySystem, pattern: Pattern, model: str = "request") -> DRAMStats:
    """Figures of ``pattern`` on ``mem`` from the request-level model or the closed forms."""
    if model not in MODELS:
        raise InputError("--model", model, f"expected one of {', '.join(MODELS)}")
    pattern.validate()
    return simulate(mem, pattern) if model == "request" else evaluate_closed(mem, pattern)
