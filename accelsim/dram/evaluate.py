"""Which model evaluates a pattern on a memory system: the request-level model or the closed forms."""

from __future__ import annotations

from accelsim.base.errors import InputError
from accelsim.dram.closed_form import evaluate_closed
from accelsim.dram.part import MemorySystem
from accelsim.dram.patterns import Pattern
from accelsim.dram.request_model import DRAMStats, simulate

MODELS = ("request", "closed")


def evaluate(mem: MemorySystem, pattern: Pattern, model: str = "request") -> DRAMStats:
    """Figures of ``pattern`` on ``mem`` from the request-level model or the closed forms."""
    if model not in MODELS:
        raise InputError("--model", model, f"expected one of {', '.join(MODELS)}")
    pattern.validate()
    return simulate(mem, pattern) if model == "request" else evaluate_closed(mem, pattern)
