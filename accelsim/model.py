"""The per-transaction cost model shared by both engines: DRAM transfers, decode, compute, energy.

Everything here is a pure function of numbers. A :class:`~accelsim.hardware.HardwareConfig` is packed
into a flat float64 vector (:func:`pack_hardware`, slots :data:`accelsim.layouts.HW`) so the compiled engine
can evaluate many hardware points in one call; the reference engine calls the same compiled functions from
Python, so the two engines share the *model* and differ in how they schedule and account it.

Units: bytes, accelerator cycles (integers), picojoules (floats). See ``docs/model.md`` for the equations.
"""

from __future__ import annotations

import math

import numpy as np

from accelsim.hardware import HardwareConfig, derived_values
from accelsim.jit import kernel
from accelsim.layouts import ENERGY, HW, KIND, ROW, ROW_COST, pack
from accelsim.systolic import DATAFLOW_CODE, gemm_cycles


def pack_hardware(hw: HardwareConfig) -> np.ndarray:
    """Flatten a config into the float64 vector the engines read (shape (N_HW,), slots :data:`HW`)."""
    e = derived_values(hw)  # what the auto energies stand for (the cited tables at the chip's node)
    return pack(HW, {
        "mhz": hw.clock.mhz,
        "pe_rows": hw.pe.rows,
        "pe_cols": hw.pe.cols,
        "dataflow": DATAFLOW_CODE[hw.pe.dataflow],
        "skip_zeros": 1.0 if hw.pe.skip_zeros else 0.0,
        "mac_pj": _given(hw.pe.mac_pj, e["pe.mac_pj"]),
        "vector_flops_per_cycle": hw.pe.vector_flops_per_cycle,
        "vector_flop_pj": _given(hw.pe.vector_flop_pj, e["pe.vector_flop_pj"]),
        "fuse_update": 1.0 if hw.pe.fuse_update else 0.0,
        "weight_bytes": math.floor(hw.sram.weight_kib * 1024),
        "act_bytes": math.floor(hw.sram.act_kib * 1024),
        "double_buffer": 1.0 if hw.sram.double_buffer else 0.0,
        "stream_bytes": math.floor(hw.sram.stream_kib * 1024),
        "sram_read_pj_per_byte": _given(hw.sram.read_pj_per_byte, e["sram.read_pj_per_byte"]),
        "sram_write_pj_per_byte": _given(hw.sram.write_pj_per_byte, e["sram.write_pj_per_byte"]),
        "dram_gbps": hw.dram.peak_gbps,
        "burst_bytes": hw.dram.burst_bytes,
        "channels": hw.dram.channels,
        "row_bytes": hw.dram.row_bytes,
        "trcd_ns": hw.dram.trcd_ns,
        "trp_ns": hw.dram.trp_ns,
        "tcl_ns": hw.dram.tcl_ns,
        "trefi_ns": hw.dram.trefi_ns,
        "trfc_ns": hw.dram.trfc_ns,
        "turnaround_ns": hw.dram.turnaround_ns,
        "io_pj_per_bit": hw.dram.io_pj_per_bit,
        "act_pj": hw.dram.act_pj,
        "decode_values_per_cycle": hw.decode.values_per_cycle,
        "transpose_values_per_cycle": hw.decode.transpose_values_per_cycle,
        "decode_pj_per_value": hw.decode.pj_per_value,
        "static_mw": hw.power.static_mw + hw.sram.leakage_mw + hw.dram.static_mw,
    })


def _given(value: float | None, derived: float) -> float:
    """A config value, or its derived value where the config says ``auto``."""
    return derived if value is None else value


@kernel
def cdiv(a: int, b: int) -> int:
    return (a + b - 1) // b


#: Bits per byte, for the DRAM energy per bit.
BITS_PER_BYTE = 8.0


@kernel
def dram_transfer(nbytes: int, is_write: bool, h: np.ndarray) -> tuple[int, int, int]:
    """One contiguous DRAM transfer of ``nbytes``: (cycles, bus bytes, row activations).

    The transfer rounds up to whole bursts, streams at the peak rate, opens one row per ``row_bytes`` of
    each channel (channels work in parallel, so ceil(activations/channels) row cycles tRP+tRCD are exposed),
    pays the CAS latency once, a bus turnaround if it is a write, and is stretched by refresh
    (tREFI/(tREFI − tRFC)). Time converts to accelerator cycles rounded up.
    """
    if nbytes <= 0:
        return 0, 0, 0
    burst = int(h[HW.burst_bytes])
    bus = cdiv(nbytes, burst) * burst
    acts = cdiv(bus, int(h[HW.row_bytes]))
    acts_exposed = cdiv(acts, int(h[HW.channels]))
    ns = bus / h[HW.dram_gbps] + h[HW.tcl_ns] + acts_exposed * (h[HW.trcd_ns] + h[HW.trp_ns])
    if is_write:
        ns += h[HW.turnaround_ns]
    ns *= h[HW.trefi_ns] / (h[HW.trefi_ns] - h[HW.trfc_ns])
    cycles = math.ceil(ns * h[HW.mhz] / 1000.0)
    return cycles, bus, acts


@kernel
def row_costs(r: np.ndarray, resident: bool, h: np.ndarray, cost: np.ndarray, energy: np.ndarray) -> None:
    """Costs of one transaction on hardware ``h`` in a (warm) period: writes ``cost`` (slots :data:`ROW_COST`,
    int64) and ``energy`` (slots :data:`ENERGY`, pJ; the static part is the scheduler's and is left 0).

    An activation row reads or writes the activation buffer; whether the tensor is spilled or refilled is the
    activation plan's (:mod:`accelsim.liveness`), charged to the op, not here. The replay batch always comes
    from DRAM. With ``pe.fuse_update`` a gradient goes from the backward-weight GEMM straight to the
    optimizer in the same tile: its rows touch no DRAM.

    Args:
        r: the row's integer inputs (slots :data:`ROW`).
        resident: the row's weight-side tensor stays in the weight SRAM across steps (it was fetched once, by
            the segment's prologue: :func:`transfer_costs`), so it moves no DRAM bytes here.
    """
    nbytes = r[ROW.bytes]
    is_read = r[ROW.is_read] == 1
    kind = r[ROW.kind]
    # Off-chip or on-chip?
    offchip = True
    if kind == KIND.weight_side:
        offchip = not resident and not (r[ROW.grad] == 1 and h[HW.fuse_update] > 0.5)
    elif kind == KIND.activation:
        offchip = False
    rd_bytes = nbytes if (offchip and is_read) else 0
    wr_bytes = nbytes if (offchip and not is_read) else 0
    rd_cyc, rd_bus, rd_acts = dram_transfer(rd_bytes, False, h)
    wr_cyc, wr_bus, wr_acts = dram_transfer(wr_bytes, True, h)
    # Decoder: format conversion between storage and the PE array, plus the W^T transposer.
    dec_cyc = 0
    if r[ROW.dec_values] > 0:
        dec_cyc += cdiv(r[ROW.dec_values], int(h[HW.decode_values_per_cycle]))
    if r[ROW.trans_values] > 0:
        dec_cyc += cdiv(r[ROW.trans_values], int(h[HW.transpose_values_per_cycle]))
    # Compute: the GEMM on the array, or vector work.
    comp = 0
    macs = 0
    m, k, n = r[ROW.m], r[ROW.k], r[ROW.n]
    if m > 0:
        comp = gemm_cycles(m, k, n, int(h[HW.pe_rows]), int(h[HW.pe_cols]), int(h[HW.dataflow]))
        macs = m * k * n
        if h[HW.skip_zeros] > 0.5 and r[ROW.structured] == 1 and r[ROW.dens_den] > 0:
            # Structured sparsity skipped by the array: cycles and MACs scale with the kept fraction.
            comp = cdiv(comp * r[ROW.dens_num], r[ROW.dens_den])
            macs = cdiv(macs * r[ROW.dens_num], r[ROW.dens_den])
    if r[ROW.vflops] > 0:
        comp += cdiv(r[ROW.vflops], int(h[HW.vector_flops_per_cycle]))
    # SRAM: reads feed the decoder/PE, writes take results and DRAM fills.
    sram_rd = nbytes if is_read else 0
    sram_wr = (0 if is_read else nbytes) + rd_bytes
    cost[ROW_COST.read_cycles] = rd_cyc
    cost[ROW_COST.write_cycles] = wr_cyc
    cost[ROW_COST.decode_cycles] = dec_cyc
    cost[ROW_COST.compute_cycles] = comp
    cost[ROW_COST.dram_read_bytes] = rd_bus
    cost[ROW_COST.dram_write_bytes] = wr_bus
    cost[ROW_COST.dram_row_activations] = rd_acts + wr_acts
    cost[ROW_COST.macs] = macs
    cost[ROW_COST.sram_read_bytes] = sram_rd
    cost[ROW_COST.sram_write_bytes] = sram_wr
    energy[ENERGY.dram] = ((rd_bus + wr_bus) * BITS_PER_BYTE * h[HW.io_pj_per_bit]
                           + (rd_acts + wr_acts) * h[HW.act_pj])
    energy[ENERGY.sram] = sram_rd * h[HW.sram_read_pj_per_byte] + sram_wr * h[HW.sram_write_pj_per_byte]
    energy[ENERGY.mac] = macs * h[HW.mac_pj] + r[ROW.vflops] * h[HW.vector_flop_pj]
    energy[ENERGY.decode] = (r[ROW.dec_values] + r[ROW.trans_values]) * h[HW.decode_pj_per_value]
    energy[ENERGY.static] = 0.0


@kernel
def transfer_costs(nbytes: int, is_write: bool, h: np.ndarray, cost: np.ndarray, energy: np.ndarray) -> None:
    """A bare DRAM transfer of ``nbytes`` with no work attached (a resident tensor's fill, a spill or refill):
    overwrites ``cost`` (slots :data:`ROW_COST`) and ``energy`` (slots :data:`ENERGY`, pJ, static left 0).

    A read fills SRAM (its bytes are written there); a write drains bytes whose SRAM write was counted when
    they were produced, as for any write transaction.
    """
    cyc, bus, acts = dram_transfer(nbytes, is_write, h)
    for q in range(cost.shape[0]):
        cost[q] = 0
    for q in range(energy.shape[0]):
        energy[q] = 0.0
    if is_write:
        cost[ROW_COST.write_cycles] = cyc
        cost[ROW_COST.dram_write_bytes] = bus
    else:
        cost[ROW_COST.read_cycles] = cyc
        cost[ROW_COST.dram_read_bytes] = bus
        cost[ROW_COST.sram_write_bytes] = nbytes
    cost[ROW_COST.dram_row_activations] = acts
    energy[ENERGY.dram] = bus * BITS_PER_BYTE * h[HW.io_pj_per_bit] + acts * h[HW.act_pj]
    energy[ENERGY.sram] = cost[ROW_COST.sram_write_bytes] * h[HW.sram_write_pj_per_byte]


@kernel
def static_pj(cycles: int, h: np.ndarray) -> float:
    """Static energy over ``cycles`` accelerator cycles (logic + SRAM leakage + DRAM background)."""
    # mW × µs = nJ = 1e3 pJ; cycles / MHz = µs.
    return h[HW.static_mw] * (cycles / h[HW.mhz]) * 1e3


@kernel
def stream_slots(h: np.ndarray) -> int:
    """Tiles the stream region holds at once: 2 with double buffering (load the next while this one is
    decoded and computed), else 1."""
    return 2 if h[HW.double_buffer] > 0.5 else 1


@kernel
def tile_bytes(h: np.ndarray) -> int:
    """Bytes of one tile: the stream region (``sram.stream_kib``, at most half the weight buffer) over
    :func:`stream_slots`, and never less than one DRAM burst (the smallest transfer there is)."""
    stream = min(int(h[HW.stream_bytes]), int(h[HW.weight_bytes]) // 2)
    return max(int(h[HW.burst_bytes]), stream // stream_slots(h))


@kernel
def op_variant(h: np.ndarray) -> int:
    """Which of a workload's op variants runs on ``h``: 1 with ``pe.fuse_update`` (updates fused into
    backward-weight), else 0 (:attr:`accelsim.workload.Workload.seg_op_start`)."""
    return 1 if h[HW.fuse_update] > 0.5 else 0
