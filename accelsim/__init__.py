"""accelsim: replay the weight traffic of compressed deep-RL training on a simulated edge accelerator.

Public API::

    accelsim.simulate(trace, hw=None, engine="fast") -> SimResult
    accelsim.load_hardware(preset_or_toml=None, overrides=None) -> HardwareConfig
    accelsim.read_trace(path) -> Trace;  accelsim.TraceWriter(folder, run_meta)
    accelsim.Format(scheme, ...): how a weight is stored (rows of a trace carry one)
"""

from accelsim.errors import InputError
from accelsim.formats import Format
from accelsim.hardware import HardwareConfig, load_hardware, preset_names
from accelsim.records import SimResult
from accelsim.simulate import simulate
from accelsim.trace import Trace, TraceWriter, TxnRow, read_trace

__version__ = "0.1.0"

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
