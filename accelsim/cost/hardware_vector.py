"""A hardware config packed into the flat float64 vector the compiled kernels read (slots
:data:`accelsim.base.layouts.HW`: the chip, then its DRAM as the banked model's part), so the fast engine can
evaluate many hardware points in one call.

Units: bytes, accelerator cycles (integers), picojoules (floats).
"""

from __future__ import annotations

import math

import numpy as np

from accelsim.base.layouts import (
    DRAM_PART,
    HW,
    names,
    pack,
)
from accelsim.cost.systolic import DATAFLOW_CODE
from accelsim.dram.closed_form import (
    pack_system,
)
from accelsim.dram.presets import from_dram_config
from accelsim.dram.request_model import (
    command_energies_pj,
)
from accelsim.hardware.config import HardwareConfig
from accelsim.hardware.derived import chip_values


def pack_hardware(hw: HardwareConfig) -> np.ndarray:
    """Flatten a config into the float64 vector the engines read (shape (N_HW,), slots :data:`HW`): the chip,
    and its DRAM as the banked model's part (:func:`accelsim.dram.presets.from_dram_config`), packed once per
    hardware point."""
    e = chip_values(hw)  # what the auto energies stand for (the cited tables at the chip's node)
    mem = from_dram_config(hw.dram)
    cmd = command_energies_pj(mem)
    burst = mem.part.org.burst_bytes
    request = hw.dram.request_bytes or burst
    part = pack_system(mem)
    return pack(HW, {
        "mhz": hw.clock.mhz,
        "pe_rows": hw.pe.rows,
        "pe_cols": hw.pe.cols,
        "dataflow": DATAFLOW_CODE[hw.pe.dataflow],
        "skip_zeros": 1.0 if hw.pe.skip_zeros else 0.0,
        "mac_pj": given_or_derived(hw.pe.mac_pj, e["pe.mac_pj"]),
        "vector_flops_per_cycle": hw.pe.vector_flops_per_cycle,
        "vector_flop_pj": given_or_derived(hw.pe.vector_flop_pj, e["pe.vector_flop_pj"]),
        "fuse_update": 1.0 if hw.pe.fuse_update else 0.0,
        "weight_bytes": math.floor(hw.sram.weight_kib * 1024),
        "act_bytes": math.floor(hw.sram.act_kib * 1024),
        "double_buffer": 1.0 if hw.sram.double_buffer else 0.0,
        "stream_bytes": math.floor(hw.sram.stream_kib * 1024),
        "sram_read_pj_per_byte": given_or_derived(hw.sram.read_pj_per_byte, e["sram.read_pj_per_byte"]),
        "sram_write_pj_per_byte": given_or_derived(hw.sram.write_pj_per_byte, e["sram.write_pj_per_byte"]),
        "burst_bytes": burst,
        "dram_tck_ns": mem.part.timing.tck_ns,
        "dram_request_bytes": -(-request // burst) * burst,
        "dram_requests_in_flight": hw.dram.requests_in_flight or 0,
        "dram_act_pj": cmd["act"],
        "dram_read_pj": cmd["read"],
        "dram_write_pj": cmd["write"],
        "dram_refresh_pj": cmd["refresh"],
        "dram_active_pj_per_ck": cmd["active_per_ck"],
        "dram_idle_pj_per_ck": cmd["idle_per_ck"],
        "io_pj_per_bit": hw.dram.io_pj_per_bit,
        "decode_values_per_cycle": hw.decode.values_per_cycle,
        "transpose_values_per_cycle": hw.decode.transpose_values_per_cycle,
        "decode_pj_per_value": hw.decode.pj_per_value,
        "static_mw": hw.power.static_mw + hw.sram.leakage_mw + hw.dram.static_mw,
        **{f"dram_{name}": part[i] for i, name in enumerate(names(DRAM_PART))},
    })


def given_or_derived(value: float | None, derived: float) -> float:
    """A config value, or its derived value where the config says ``auto``."""
    return derived if value is None else value
