"""The per-transaction cost model shared by both engines: DRAM transfers, decode, compute, energy.

Everything here is a pure function of numbers. A :class:`~accelsim.hardware.HardwareConfig` is packed
into a flat float64 vector (:func:`pack_hardware`) so the compiled engine can evaluate many hardware points
in one call; the reference engine calls the same compiled functions from Python, so the two engines share
the *model* and differ in how they schedule and account it.

Units: bytes, accelerator cycles (integers), picojoules (floats). See ``docs/model.md`` for the equations.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from accelsim.hardware import HardwareConfig
from accelsim.systolic import DATAFLOW_CODE, gemm_cycles

# Index of each hardware parameter in the packed vector.
(H_MHZ, H_ROWS, H_COLS, H_DF, H_SKIP, H_MAC_PJ, H_VEC_FPC, H_VEC_PJ, H_W_BYTES, H_ACT_BYTES, H_DBUF,
 H_SRAM_RD_PJ, H_SRAM_WR_PJ, H_GBPS, H_BURST, H_CHANNELS, H_ROW_BYTES, H_TRCD, H_TRP, H_TCL, H_TREFI,
 H_TRFC, H_TURN, H_IO_PJ_BIT, H_ACT_PJ, H_DEC_VPC, H_DEC_TVPC, H_DEC_PJ, H_STATIC_MW) = range(29)
N_HW = 29


def pack_hardware(hw: HardwareConfig) -> np.ndarray:
    """Flatten a config into the float64 vector the engines read (shape (N_HW,))."""
    v = np.zeros(N_HW, dtype=np.float64)
    v[H_MHZ] = hw.clock.mhz
    v[H_ROWS] = hw.pe.rows
    v[H_COLS] = hw.pe.cols
    v[H_DF] = DATAFLOW_CODE[hw.pe.dataflow]
    v[H_SKIP] = 1.0 if hw.pe.skip_zeros else 0.0
    v[H_MAC_PJ] = hw.pe.mac_pj
    v[H_VEC_FPC] = hw.pe.vector_flops_per_cycle
    v[H_VEC_PJ] = hw.pe.vector_flop_pj
    v[H_W_BYTES] = math.floor(hw.sram.weight_kib * 1024)
    v[H_ACT_BYTES] = math.floor(hw.sram.act_kib * 1024)
    v[H_DBUF] = 1.0 if hw.sram.double_buffer else 0.0
    v[H_SRAM_RD_PJ] = hw.sram.read_pj_per_byte
    v[H_SRAM_WR_PJ] = hw.sram.write_pj_per_byte
    v[H_GBPS] = hw.dram.peak_gbps
    v[H_BURST] = hw.dram.burst_bytes
    v[H_CHANNELS] = hw.dram.channels
    v[H_ROW_BYTES] = hw.dram.row_bytes
    v[H_TRCD] = hw.dram.trcd_ns
    v[H_TRP] = hw.dram.trp_ns
    v[H_TCL] = hw.dram.tcl_ns
    v[H_TREFI] = hw.dram.trefi_ns
    v[H_TRFC] = hw.dram.trfc_ns
    v[H_TURN] = hw.dram.turnaround_ns
    v[H_IO_PJ_BIT] = hw.dram.io_pj_per_bit
    v[H_ACT_PJ] = hw.dram.act_pj
    v[H_DEC_VPC] = hw.decode.values_per_cycle
    v[H_DEC_TVPC] = hw.decode.transpose_values_per_cycle
    v[H_DEC_PJ] = hw.decode.pj_per_value
    v[H_STATIC_MW] = hw.power.static_mw + hw.sram.leakage_mw + hw.dram.static_mw
    return v


@njit(cache=True)
def cdiv(a: int, b: int) -> int:
    return (a + b - 1) // b


@njit(cache=True)
def dram_transfer(nbytes: int, is_write: bool, h: np.ndarray) -> tuple[int, int, int]:
    """One contiguous DRAM transfer of ``nbytes``: (cycles, bus bytes, row activations).

    The transfer rounds up to whole bursts, streams at the peak rate, opens one row per ``row_bytes`` of
    each channel (channels work in parallel, so ceil(activations/channels) row cycles tRP+tRCD are exposed),
    pays the CAS latency once, a bus turnaround if it is a write, and is stretched by refresh
    (tREFI/(tREFI − tRFC)). Time converts to accelerator cycles rounded up.
    """
    if nbytes <= 0:
        return 0, 0, 0
    burst = int(h[H_BURST])
    bus = cdiv(nbytes, burst) * burst
    acts = cdiv(bus, int(h[H_ROW_BYTES]))
    acts_exposed = cdiv(acts, int(h[H_CHANNELS]))
    ns = bus / h[H_GBPS] + h[H_TCL] + acts_exposed * (h[H_TRCD] + h[H_TRP])
    if is_write:
        ns += h[H_TURN]
    ns *= h[H_TREFI] / (h[H_TREFI] - h[H_TRFC])
    cycles = math.ceil(ns * h[H_MHZ] / 1000.0)
    return cycles, bus, acts


# Per-row inputs the workload provides, as columns of an int64 matrix (rows × N_ROWCOL).
(R_IS_READ, R_KIND, R_M, R_K, R_N, R_BYTES, R_DEC_VALUES, R_TRANS_VALUES, R_VFLOPS, R_KEY, R_FIRST,
 R_STRUCT, R_PHASE, R_NET, R_STEP, R_DENS_NUM, R_DENS_DEN) = range(17)
N_ROWCOL = 17
# Row kinds.
KIND_WEIGHT_SIDE, KIND_ACTIVATION, KIND_REPLAY = 0, 1, 2

# Integer and float results of one row, by index.
(I_RD_CYC, I_WR_CYC, I_DEC_CYC, I_COMP_CYC, I_RD_BUS, I_WR_BUS, I_ACTS, I_MACS, I_SRAM_RD, I_SRAM_WR) = range(10)
N_IRES = 10
(F_DRAM_PJ, F_SRAM_PJ, F_MAC_PJ, F_DEC_PJ) = range(4)
N_FRES = 4


@njit(cache=True)
def row_costs(r: np.ndarray, resident: bool, cold: bool, h: np.ndarray, iout: np.ndarray, fout: np.ndarray) -> None:
    """Costs of one transaction on hardware ``h``; writes ``iout`` (N_IRES,) and ``fout`` (N_FRES,).

    Args:
        r: the row's N_ROWCOL integer inputs (see R_* indices).
        resident: the row's weight-side tensor stays in the weight SRAM across steps.
        cold: first period of a segment (resident tensors are fetched on their first access).
    """
    nbytes = r[R_BYTES]
    is_read = r[R_IS_READ] == 1
    kind = r[R_KIND]
    # Off-chip or on-chip?
    offchip = True
    if kind == KIND_WEIGHT_SIDE:
        if resident:
            offchip = cold and is_read and r[R_FIRST] == 1
    elif kind == KIND_ACTIVATION:
        offchip = nbytes > h[H_ACT_BYTES]
    rd_bytes = nbytes if (offchip and is_read) else 0
    wr_bytes = nbytes if (offchip and not is_read) else 0
    rd_cyc, rd_bus, rd_acts = dram_transfer(rd_bytes, False, h)
    wr_cyc, wr_bus, wr_acts = dram_transfer(wr_bytes, True, h)
    # Decoder: format conversion between storage and the PE array, plus the W^T transposer.
    dec_cyc = 0
    if r[R_DEC_VALUES] > 0:
        dec_cyc += cdiv(r[R_DEC_VALUES], int(h[H_DEC_VPC]))
    if r[R_TRANS_VALUES] > 0:
        dec_cyc += cdiv(r[R_TRANS_VALUES], int(h[H_DEC_TVPC]))
    # Compute: the GEMM on the array, or vector work.
    comp = 0
    macs = 0
    m, k, n = r[R_M], r[R_K], r[R_N]
    if m > 0:
        comp = gemm_cycles(m, k, n, int(h[H_ROWS]), int(h[H_COLS]), int(h[H_DF]))
        macs = m * k * n
        if h[H_SKIP] > 0.5 and r[R_STRUCT] == 1 and r[R_DENS_DEN] > 0:
            # Structured sparsity skipped by the array: cycles and MACs scale with the kept fraction.
            comp = cdiv(comp * r[R_DENS_NUM], r[R_DENS_DEN])
            macs = cdiv(macs * r[R_DENS_NUM], r[R_DENS_DEN])
    if r[R_VFLOPS] > 0:
        comp += cdiv(r[R_VFLOPS], int(h[H_VEC_FPC]))
    # SRAM: reads feed the decoder/PE, writes take results and DRAM fills.
    sram_rd = nbytes if is_read else 0
    sram_wr = (0 if is_read else nbytes) + rd_bytes
    iout[I_RD_CYC] = rd_cyc
    iout[I_WR_CYC] = wr_cyc
    iout[I_DEC_CYC] = dec_cyc
    iout[I_COMP_CYC] = comp
    iout[I_RD_BUS] = rd_bus
    iout[I_WR_BUS] = wr_bus
    iout[I_ACTS] = rd_acts + wr_acts
    iout[I_MACS] = macs
    iout[I_SRAM_RD] = sram_rd
    iout[I_SRAM_WR] = sram_wr
    fout[F_DRAM_PJ] = (rd_bus + wr_bus) * 8.0 * h[H_IO_PJ_BIT] + (rd_acts + wr_acts) * h[H_ACT_PJ]
    fout[F_SRAM_PJ] = sram_rd * h[H_SRAM_RD_PJ] + sram_wr * h[H_SRAM_WR_PJ]
    fout[F_MAC_PJ] = macs * h[H_MAC_PJ] + r[R_VFLOPS] * h[H_VEC_PJ]
    fout[F_DEC_PJ] = (r[R_DEC_VALUES] + r[R_TRANS_VALUES]) * h[H_DEC_PJ]


@njit(cache=True)
def static_pj(cycles: int, h: np.ndarray) -> float:
    """Static energy over ``cycles`` accelerator cycles (logic + SRAM leakage + DRAM background)."""
    # mW × µs = nJ = 1e3 pJ; cycles / MHz = µs.
    return h[H_STATIC_MW] * (cycles / h[H_MHZ]) * 1e3


def buffer_slots(h: np.ndarray) -> int:
    """Row buffers in flight: 2 with double buffering, else 1."""
    return 2 if h[H_DBUF] > 0.5 else 1


@njit(cache=True)
def select_resident(order: np.ndarray, key_bytes: np.ndarray, capacity: int, out: np.ndarray) -> None:
    """Which weight-side tensors of a segment stay on chip (``out[key] = 1``).

    If all fit in ``capacity`` bytes, all stay. Otherwise half the buffer is kept for double-buffered
    streaming and the other half is filled first-fit in ``order`` (most accesses per period first).
    """
    total = 0
    for j in range(key_bytes.shape[0]):
        total += key_bytes[j]
        out[j] = 0
    if total <= capacity:
        for j in range(key_bytes.shape[0]):
            out[j] = 1
        return
    budget = capacity // 2
    used = 0
    for idx in range(order.shape[0]):
        j = order[idx]
        if used + key_bytes[j] <= budget:
            out[j] = 1
            used += key_bytes[j]
