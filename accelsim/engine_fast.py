"""The fast engine: one compiled pass over segments × hardware points (numba, ``cache=True``).

Each segment costs one cold period (resident tensors fetched on first use) plus (repetitions − 1) warm
periods. A period is scheduled as a three-stage in-order pipeline over its transactions — DMA (loads and
stores share one queue), decoder, PE array — with ``slots`` row buffers (2 with double buffering): the load
of row i waits for a free buffer, i.e. for the compute of row i − slots to finish. In DMA order the store of
row i follows the load of row i + 1. See ``docs/model.md`` §Engine for the recurrence; the reference engine
(:mod:`accelsim.engine_reference`) implements the same schedule as SimPy processes.

Every cycle of a period is attributed to one row (its compute, plus the PE's idle time before it, split
into decode and memory stalls; the final store drain goes to the last row), so the breakdowns by phase,
network and segment add up to the totals exactly.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from accelsim import model
from accelsim.model import (
    F_DEC_PJ,
    F_DRAM_PJ,
    F_MAC_PJ,
    F_SRAM_PJ,
    H_DBUF,
    H_W_BYTES,
    I_ACTS,
    I_COMP_CYC,
    I_DEC_CYC,
    I_MACS,
    I_RD_BUS,
    I_RD_CYC,
    I_SRAM_RD,
    I_SRAM_WR,
    I_WR_BUS,
    I_WR_CYC,
    N_FRES,
    N_IRES,
    R_FIRST,
    R_IS_READ,
    R_KEY,
    R_NET,
    R_PHASE,
    row_costs,
    select_resident,
    static_pj,
)

# Accumulated integer metrics.
(M_CYCLES, M_COMPUTE, M_STALL_MEM, M_STALL_DEC, M_DRAM_RD, M_DRAM_WR, M_ACTS, M_MACS, M_SRAM_RD, M_SRAM_WR) = range(10)
N_MI = 10
INT_METRICS = ("cycles", "compute_cycles", "stall_memory_cycles", "stall_decode_cycles", "dram_read_bytes",
               "dram_write_bytes", "dram_row_activations", "macs", "sram_read_bytes", "sram_write_bytes")
# Accumulated energies (pJ).
(E_DRAM, E_SRAM, E_MAC, E_DEC, E_STATIC) = range(5)
N_MF = 5
ENERGY_PARTS = ("dram", "sram", "mac", "decode", "static")


@njit(cache=True)
def _costs(rows: np.ndarray, a: int, b: int, resident: np.ndarray, cold: bool, h: np.ndarray, ci: np.ndarray,
           cf: np.ndarray, only_cold_rows: bool) -> None:
    """Per-row costs of rows a..b into ``ci`` (nr, N_IRES) and ``cf`` (nr, N_FRES).

    With ``only_cold_rows`` only the rows whose cost differs in a cold period are recomputed (first reads of
    resident tensors), the rest are kept from the warm costs already in the arrays.
    """
    for j in range(b - a):
        r = rows[a + j]
        key = r[R_KEY]
        res = key >= 0 and resident[key] == 1
        if only_cold_rows and not (res and r[R_FIRST] == 1 and r[R_IS_READ] == 1):
            continue
        row_costs(r, res, cold, h, ci[j], cf[j])


@njit(cache=True)
def _period(rows: np.ndarray, a: int, ci: np.ndarray, cf: np.ndarray, h: np.ndarray, slots: int,
            mult: int, seg_i: np.ndarray, seg_f: np.ndarray, ph_i: np.ndarray, ph_f: np.ndarray,
            net_i: np.ndarray, net_f: np.ndarray, detail: bool) -> None:
    """Schedule one period (rows a.., costs ``ci``/``cf``) and add ``mult`` × its per-row figures.

    Without ``detail`` only the segment accumulators are filled (sweeps need no phase/network breakdown).
    """
    nr = ci.shape[0]
    fc = np.zeros(nr, dtype=np.int64)
    dma_free = 0
    prev_dec = 0
    prev_comp = 0
    prev_wr = 0
    for j in range(nr):
        iout = ci[j]
        fout = cf[j]
        rd = iout[I_RD_CYC]
        dec = iout[I_DEC_CYC]
        comp = iout[I_COMP_CYC]
        slot = fc[j - slots] if j >= slots else 0
        if rd > 0:
            fl = max(dma_free, slot) + rd
            dma_free = fl
        else:
            fl = slot
        if j > 0 and prev_wr > 0:  # store of the previous row, after this row's load in DMA order
            dma_free = max(dma_free, fc[j - 1]) + prev_wr
        fd = max(fl, prev_dec) + dec
        start = max(fd, prev_comp)
        idle = start - prev_comp
        dec_stall = min(idle, dec)
        fc[j] = start + comp
        prev_dec = fd
        prev_comp = fc[j]
        prev_wr = iout[I_WR_CYC]
        cyc = comp + idle
        tail = 0
        if j == nr - 1:
            if prev_wr > 0:
                dma_free = max(dma_free, fc[j]) + prev_wr
            tail = max(dma_free, fc[j]) - fc[j]
            cyc += tail
        ivals = (cyc, comp, idle - dec_stall + tail, dec_stall, iout[I_RD_BUS], iout[I_WR_BUS], iout[I_ACTS],
                 iout[I_MACS], iout[I_SRAM_RD], iout[I_SRAM_WR])
        fvals = (fout[F_DRAM_PJ], fout[F_SRAM_PJ], fout[F_MAC_PJ], fout[F_DEC_PJ], static_pj(cyc, h))
        if detail:
            r = rows[a + j]
            ph = r[R_PHASE]
            nt = r[R_NET]
            for q in range(N_MI):
                v = ivals[q] * mult
                seg_i[q] += v
                ph_i[ph, q] += v
                net_i[nt, q] += v
            for q in range(N_MF):
                v = fvals[q] * mult
                seg_f[q] += v
                ph_f[ph, q] += v
                net_f[nt, q] += v
        else:
            for q in range(N_MI):
                seg_i[q] += ivals[q] * mult
            for q in range(N_MF):
                seg_f[q] += fvals[q] * mult


@njit(cache=True)
def _segment(rows: np.ndarray, s: int, seg_row_start: np.ndarray, seg_key_start: np.ndarray, key_bytes: np.ndarray,
             key_order: np.ndarray, h: np.ndarray, slots: int, warm_mult: int, warm_i: np.ndarray,
             warm_f: np.ndarray, cold_i: np.ndarray, cold_f: np.ndarray, ph_i: np.ndarray, ph_f: np.ndarray,
             net_i: np.ndarray, net_f: np.ndarray, detail: bool) -> None:
    """Segment ``s``: residency, then ``warm_mult`` warm periods into warm_*, one cold period into cold_*."""
    k0, k1 = seg_key_start[s], seg_key_start[s + 1]
    resident = np.zeros(k1 - k0, dtype=np.int64)
    select_resident(key_order[k0:k1], key_bytes[k0:k1], int(h[H_W_BYTES]), resident)
    a, b = seg_row_start[s], seg_row_start[s + 1]
    ci = np.zeros((b - a, N_IRES), dtype=np.int64)
    cf = np.zeros((b - a, N_FRES), dtype=np.float64)
    # Warm costs first; the cold period differs only in the first reads of resident tensors.
    _costs(rows, a, b, resident, False, h, ci, cf, False)
    if warm_mult > 0:
        _period(rows, a, ci, cf, h, slots, warm_mult, warm_i, warm_f, ph_i, ph_f, net_i, net_f, detail)
    _costs(rows, a, b, resident, True, h, ci, cf, True)
    _period(rows, a, ci, cf, h, slots, 1, cold_i, cold_f, ph_i, ph_f, net_i, net_f, detail)


@njit(cache=True, parallel=True)
def simulate_points(seg_row_start: np.ndarray, seg_repeats: np.ndarray, rows: np.ndarray,
                    seg_key_start: np.ndarray, key_bytes: np.ndarray, key_order: np.ndarray, seg_rep: np.ndarray,
                    H: np.ndarray, n_phase: int, n_net: int, detail: bool = True):
    """Simulate a workload on every hardware point (rows of ``H``, shape (P, N_HW)).

    Returns:
        seg_i (P, S, N_MI) int64, seg_f (P, S, N_MF) float64 [pJ], phase_i (P, n_phase, N_MI),
        phase_f (P, n_phase, N_MF), net_i (P, n_net, N_MI), net_f (P, n_net, N_MF).
    """
    P = H.shape[0]
    S = seg_repeats.shape[0]
    seg_i = np.zeros((P, S, N_MI), dtype=np.int64)
    seg_f = np.zeros((P, S, N_MF), dtype=np.float64)
    ph_i = np.zeros((P, n_phase, N_MI), dtype=np.int64)
    ph_f = np.zeros((P, n_phase, N_MF), dtype=np.float64)
    net_i = np.zeros((P, n_net, N_MI), dtype=np.int64)
    net_f = np.zeros((P, n_net, N_MF), dtype=np.float64)
    for p in prange(P):
        h = H[p]
        slots = 2 if h[H_DBUF] > 0.5 else 1
        if detail:
            for s in range(S):
                _segment(rows, s, seg_row_start, seg_key_start, key_bytes, key_order, h, slots, seg_repeats[s] - 1,
                         seg_i[p, s], seg_f[p, s], seg_i[p, s], seg_f[p, s], ph_i[p], ph_f[p], net_i[p], net_f[p],
                         True)
        else:
            # Totals only: each distinct period is scheduled once (cold and warm), then scaled per segment.
            warm_i = np.zeros((S, N_MI), dtype=np.int64)
            warm_f = np.zeros((S, N_MF), dtype=np.float64)
            cold_i = np.zeros((S, N_MI), dtype=np.int64)
            cold_f = np.zeros((S, N_MF), dtype=np.float64)
            for s in range(S):
                if seg_rep[s] == s:
                    _segment(rows, s, seg_row_start, seg_key_start, key_bytes, key_order, h, slots, 1, warm_i[s],
                             warm_f[s], cold_i[s], cold_f[s], ph_i[p], ph_f[p], net_i[p], net_f[p], False)
            for s in range(S):
                r = seg_rep[s]
                m = seg_repeats[s] - 1
                for q in range(N_MI):
                    seg_i[p, s, q] = cold_i[r, q] + m * warm_i[r, q]
                for q in range(N_MF):
                    seg_f[p, s, q] = cold_f[r, q] + m * warm_f[r, q]
    return seg_i, seg_f, ph_i, ph_f, net_i, net_f


def run(workload, H: np.ndarray, n_phase: int, n_net: int, detail: bool = True):
    """Run :func:`simulate_points` on a :class:`~accelsim.workload.Workload` and (P, N_HW) points."""
    H = np.ascontiguousarray(np.atleast_2d(H), dtype=np.float64)
    assert H.shape[1] == model.N_HW
    return simulate_points(workload.seg_row_start, workload.seg_repeats, workload.rows, workload.seg_key_start,
                           workload.key_bytes, workload.key_order, workload.seg_rep, H, n_phase, n_net, detail)
