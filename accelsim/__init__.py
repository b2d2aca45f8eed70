"""accelsim: replay the weight traffic of compressed deep-RL training on a simulated edge accelerator.

Public API (each name loads its layer on first use, PEP 562, so ``import accelsim`` is cheap)::

    accelsim.simulate(trace, hw=None, engine="fast") -> SimResult
    accelsim.load_hardware(preset_or_toml=None, overrides=None) -> HardwareConfig
    accelsim.read_trace(path) -> Trace;  accelsim.TraceWriter(folder, run_meta)
    accelsim.Format(scheme, ...): how a weight is stored (rows of a trace carry one)

The layers, lowest first (a module imports only from its own layer or those below; docs/architecture.md):
base, trace, dram, hardware, workload, cost, engines, simulation, studies, present, cli.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it
_API = {
    "Format": "accelsim.trace.formats",
    "HardwareConfig": "accelsim.hardware.config",
    "InputError": "accelsim.base.errors",
    "SimResult": "accelsim.base.records",
    "Trace": "accelsim.trace.schema",
    "TraceWriter": "accelsim.trace.writer",
    "TxnRow": "accelsim.trace.schema",
    "load_hardware": "accelsim.hardware.load",
    "preset_names": "accelsim.hardware.load",
    "read_trace": "accelsim.trace.reader",
    "simulate": "accelsim.simulation.simulate",
}

__all__ = [
    "Format",
    "HardwareConfig",
    "InputError",
    "SimResult",
    "Trace",
    "TraceWriter",
    "TxnRow",
    "load_hardware",
    "preset_names",
    "read_trace",
    "simulate",
]


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'accelsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))


if TYPE_CHECKING:  # for type checkers and IDEs only; never executed
    from accelsim.base.errors import InputError
    from accelsim.base.records import SimResult
    from accelsim.hardware.config import HardwareConfig
    from accelsim.hardware.load import load_hardware, preset_names
    from accelsim.simulation.simulate import simulate
    from accelsim.trace.formats import Format
    from accelsim.trace.reader import read_trace
    from accelsim.trace.schema import Trace, TxnRow
    from accelsim.trace.writer import TraceWriter
