"""Layer 2, the banked DRAM model: a part, its controller, and two levels of model of a stream on it.

Public API::

    accelsim.hardware.memory.load_memory_system(hw=None, dramsim3_ini=None, overrides=None) -> MemorySystem
    accelsim.dram.Pattern(kind, total_bytes, request_bytes=0, stride_bytes=0, write_fraction=0.0, ...)
    accelsim.dram.evaluate(mem, pattern, model="request") -> DRAMStats   # "request" or "closed"
    accelsim.dram.closed_form.stream_cost(v, kind, nbytes, ...)         # numba, what the engines call

``request``: every burst through a cycle-stepped open-page controller (``request_model``), checked against
DRAMSim3; ``closed``: closed forms (``closed_form``), checked against the request-level model. Equations
and sources: docs/model.md §10. The engines cost every DRAM transfer by the closed forms
(``accelsim.cost.dram_cost.dram_stream``, docs/model.md §4).
It takes a typed part description (:class:`~accelsim.dram.part.MemorySystem`), never the hardware config.
"""

from accelsim.dram.closed_form import evaluate_closed
from accelsim.dram.evaluate import MODELS, evaluate
from accelsim.dram.part import DRAMController, DRAMOrganisation, DRAMPart, DRAMPower, DRAMTiming, MemorySystem
from accelsim.dram.patterns import KINDS, BurstStream, Pattern, burst_stream
from accelsim.dram.request_model import DRAMStats, simulate, simulate_expected

__all__ = [
    "KINDS",
    "MODELS",
    "BurstStream",
    "DRAMController",
    "DRAMOrganisation",
    "DRAMPart",
    "DRAMPower",
    "DRAMStats",
    "DRAMTiming",
    "MemorySystem",
    "Pattern",
    "burst_stream",
    "evaluate",
    "evaluate_closed",
    "simulate",
    "simulate_expected",
]
