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

Every compiled function here is a :func:`~accelsim.jit.kernel` (its cache follows every source it can
reach); vectors are indexed by the names of :mod:`accelsim.layouts`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from accelsim.engine_output import EngineOutput, Tally
from accelsim.jit import kernel, prange
from accelsim.layouts import COUNT, ENERGY, HW, N_COUNT, N_ENERGY, N_HW, N_ROW_COST, ROW, ROW_COST
from accelsim.model import buffer_slots, row_costs, select_resident, static_pj

if TYPE_CHECKING:  # not imported at run time, so the kernels' sources stay out of the trace reader's
    from accelsim.workload import Workload


@kernel
def _costs(rows: np.ndarray, a: int, b: int, resident: np.ndarray, cold: bool, h: np.ndarray, cost: np.ndarray,
           energy: np.ndarray, only_cold_rows: bool) -> None:
    """Per-row costs of rows a..b into ``cost`` (nr, N_ROW_COST) and ``energy`` (nr, N_ENERGY).

    With ``only_cold_rows`` only the rows whose cost differs in a cold period are recomputed (first reads of
    resident tensors), the rest are kept from the warm costs already in the arrays.
    """
    for j in range(b - a):
        r = rows[a + j]
        key = r[ROW.key]
        res = key >= 0 and resident[key] == 1
        if only_cold_rows and not (res and r[ROW.first] == 1 and r[ROW.is_read] == 1):
            continue
        row_costs(r, res, cold, h, cost[j], energy[j])


@kernel
def _period(rows: np.ndarray, a: int, cost: np.ndarray, energy: np.ndarray, h: np.ndarray, slots: int,
            mult: int, seg_c: np.ndarray, seg_e: np.ndarray, ph_c: np.ndarray, ph_e: np.ndarray,
            net_c: np.ndarray, net_e: np.ndarray, detail: bool) -> None:
    """Schedule one period (rows a.., costs ``cost``/``energy``) and add ``mult`` × its per-row figures.

    Without ``detail`` only the segment accumulators are filled (sweeps need no phase/network breakdown).
    """
    nr = cost.shape[0]
    fc = np.zeros(nr, dtype=np.int64)
    cv = np.zeros(N_COUNT, dtype=np.int64)  # this row's counts, slots COUNT
    ev = np.zeros(N_ENERGY, dtype=np.float64)  # this row's energy, slots ENERGY
    dma_free = 0
    prev_dec = 0
    prev_comp = 0
    prev_wr = 0
    for j in range(nr):
        c = cost[j]
        rd = c[ROW_COST.read_cycles]
        dec = c[ROW_COST.decode_cycles]
        comp = c[ROW_COST.compute_cycles]
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
        prev_wr = c[ROW_COST.write_cycles]
        cyc = comp + idle
        tail = 0
        if j == nr - 1:
            if prev_wr > 0:
                dma_free = max(dma_free, fc[j]) + prev_wr
            tail = max(dma_free, fc[j]) - fc[j]
            cyc += tail
        cv[COUNT.cycles] = cyc
        cv[COUNT.compute_cycles] = comp
        cv[COUNT.stall_memory_cycles] = idle - dec_stall + tail
        cv[COUNT.stall_decode_cycles] = dec_stall
        cv[COUNT.dram_read_bytes] = c[ROW_COST.dram_read_bytes]
        cv[COUNT.dram_write_bytes] = c[ROW_COST.dram_write_bytes]
        cv[COUNT.dram_row_activations] = c[ROW_COST.dram_row_activations]
        cv[COUNT.macs] = c[ROW_COST.macs]
        cv[COUNT.sram_read_bytes] = c[ROW_COST.sram_read_bytes]
        cv[COUNT.sram_write_bytes] = c[ROW_COST.sram_write_bytes]
        for q in range(N_ENERGY):
            ev[q] = energy[j, q]
        ev[ENERGY.static] = static_pj(cyc, h)
        if detail:
            r = rows[a + j]
            ph = r[ROW.phase]
            nt = r[ROW.net]
            for q in range(N_COUNT):
                v = cv[q] * mult
                seg_c[q] += v
                ph_c[ph, q] += v
                net_c[nt, q] += v
            for q in range(N_ENERGY):
                v = ev[q] * mult
                seg_e[q] += v
                ph_e[ph, q] += v
                net_e[nt, q] += v
        else:
            for q in range(N_COUNT):
                seg_c[q] += cv[q] * mult
            for q in range(N_ENERGY):
                seg_e[q] += ev[q] * mult


@kernel
def _segment(rows: np.ndarray, s: int, seg_row_start: np.ndarray, seg_key_start: np.ndarray, key_bytes: np.ndarray,
             key_order: np.ndarray, h: np.ndarray, slots: int, warm_mult: int, warm_c: np.ndarray,
             warm_e: np.ndarray, cold_c: np.ndarray, cold_e: np.ndarray, ph_c: np.ndarray, ph_e: np.ndarray,
             net_c: np.ndarray, net_e: np.ndarray, detail: bool) -> None:
    """Segment ``s``: residency, then ``warm_mult`` warm periods into warm_*, one cold period into cold_*."""
    k0, k1 = seg_key_start[s], seg_key_start[s + 1]
    resident = np.zeros(k1 - k0, dtype=np.int64)
    select_resident(key_order[k0:k1], key_bytes[k0:k1], int(h[HW.weight_bytes]), resident)
    a, b = seg_row_start[s], seg_row_start[s + 1]
    cost = np.zeros((b - a, N_ROW_COST), dtype=np.int64)
    energy = np.zeros((b - a, N_ENERGY), dtype=np.float64)
    # Warm costs first; the cold period differs only in the first reads of resident tensors.
    _costs(rows, a, b, resident, False, h, cost, energy, False)
    if warm_mult > 0:
        _period(rows, a, cost, energy, h, slots, warm_mult, warm_c, warm_e, ph_c, ph_e, net_c, net_e, detail)
    _costs(rows, a, b, resident, True, h, cost, energy, True)
    _period(rows, a, cost, energy, h, slots, 1, cold_c, cold_e, ph_c, ph_e, net_c, net_e, detail)


@kernel
def _point(p: int, seg_row_start: np.ndarray, seg_repeats: np.ndarray, rows: np.ndarray, seg_key_start: np.ndarray,
           key_bytes: np.ndarray, key_order: np.ndarray, seg_rep: np.ndarray, H: np.ndarray, detail: bool,
           seg_c: np.ndarray, seg_e: np.ndarray, ph_c: np.ndarray, ph_e: np.ndarray, net_c: np.ndarray,
           net_e: np.ndarray) -> None:
    """Hardware point ``p`` (row of ``H``) into its slices of the output arrays (see :func:`simulate_points`)."""
    S = seg_repeats.shape[0]
    h = H[p]
    slots = buffer_slots(h)
    if detail:
        for s in range(S):
            _segment(rows, s, seg_row_start, seg_key_start, key_bytes, key_order, h, slots, seg_repeats[s] - 1,
                     seg_c[p, s], seg_e[p, s], seg_c[p, s], seg_e[p, s], ph_c[p], ph_e[p], net_c[p], net_e[p], True)
        return
    # Totals only: each distinct period is scheduled once (cold and warm), then scaled per segment.
    warm_c = np.zeros((S, N_COUNT), dtype=np.int64)
    warm_e = np.zeros((S, N_ENERGY), dtype=np.float64)
    cold_c = np.zeros((S, N_COUNT), dtype=np.int64)
    cold_e = np.zeros((S, N_ENERGY), dtype=np.float64)
    for s in range(S):
        if seg_rep[s] == s:
            _segment(rows, s, seg_row_start, seg_key_start, key_bytes, key_order, h, slots, 1, warm_c[s],
                     warm_e[s], cold_c[s], cold_e[s], ph_c[p], ph_e[p], net_c[p], net_e[p], False)
    for s in range(S):
        r = seg_rep[s]
        m = seg_repeats[s] - 1
        for q in range(N_COUNT):
            seg_c[p, s, q] = cold_c[r, q] + m * warm_c[r, q]
        for q in range(N_ENERGY):
            seg_e[p, s, q] = cold_e[r, q] + m * warm_e[r, q]


@kernel
def _zeros(P: int, S: int, n_phase: int, n_net: int):
    """The output arrays of :func:`simulate_points`, zeroed."""
    return (np.zeros((P, S, N_COUNT), dtype=np.int64), np.zeros((P, S, N_ENERGY), dtype=np.float64),
            np.zeros((P, n_phase, N_COUNT), dtype=np.int64), np.zeros((P, n_phase, N_ENERGY), dtype=np.float64),
            np.zeros((P, n_net, N_COUNT), dtype=np.int64), np.zeros((P, n_net, N_ENERGY), dtype=np.float64))


@kernel(parallel=True)
def simulate_points(seg_row_start: np.ndarray, seg_repeats: np.ndarray, rows: np.ndarray,
                    seg_key_start: np.ndarray, key_bytes: np.ndarray, key_order: np.ndarray, seg_rep: np.ndarray,
                    H: np.ndarray, n_phase: int, n_net: int, detail: bool = True):
    """Simulate a workload on every hardware point (rows of ``H``, shape (P, N_HW)), points in parallel.

    Returns the arrays of an :class:`~accelsim.engine_output.EngineOutput`, in its field order:
        seg_c (P, S, N_COUNT) int64, seg_e (P, S, N_ENERGY) float64 [pJ], ph_c (P, n_phase, N_COUNT),
        ph_e (P, n_phase, N_ENERGY), net_c (P, n_net, N_COUNT), net_e (P, n_net, N_ENERGY).
    """
    seg_c, seg_e, ph_c, ph_e, net_c, net_e = _zeros(H.shape[0], seg_repeats.shape[0], n_phase, n_net)
    for p in prange(H.shape[0]):
        _point(p, seg_row_start, seg_repeats, rows, seg_key_start, key_bytes, key_order, seg_rep, H, detail,
               seg_c, seg_e, ph_c, ph_e, net_c, net_e)
    return seg_c, seg_e, ph_c, ph_e, net_c, net_e


@kernel
def simulate_points_serial(seg_row_start: np.ndarray, seg_repeats: np.ndarray, rows: np.ndarray,
                           seg_key_start: np.ndarray, key_bytes: np.ndarray, key_order: np.ndarray,
                           seg_rep: np.ndarray, H: np.ndarray, n_phase: int, n_net: int, detail: bool = True):
    """:func:`simulate_points` on one thread. One point takes a tenth of a millisecond: handing it to the thread
    pool costs more, and on a loaded machine tens of milliseconds (waiting for a worker thread's time slice)."""
    seg_c, seg_e, ph_c, ph_e, net_c, net_e = _zeros(H.shape[0], seg_repeats.shape[0], n_phase, n_net)
    for p in range(H.shape[0]):
        _point(p, seg_row_start, seg_repeats, rows, seg_key_start, key_bytes, key_order, seg_rep, H, detail,
               seg_c, seg_e, ph_c, ph_e, net_c, net_e)
    return seg_c, seg_e, ph_c, ph_e, net_c, net_e


def run(workload: Workload, H: np.ndarray, n_phase: int, n_net: int, detail: bool = True) -> EngineOutput:
    """Run :func:`simulate_points` on a workload and (P, N_HW) packed hardware points (one point: serially)."""
    H = np.ascontiguousarray(np.atleast_2d(H), dtype=np.float64)
    if H.shape[1] != N_HW:
        raise ValueError(f"hardware points must have {N_HW} slots, got {H.shape[1]}")
    fn = simulate_points_serial if H.shape[0] == 1 else simulate_points
    seg_c, seg_e, ph_c, ph_e, net_c, net_e = fn(
        workload.seg_row_start, workload.seg_repeats, workload.rows, workload.seg_key_start, workload.key_bytes,
        workload.key_order, workload.seg_rep, H, n_phase, n_net, detail)
    return EngineOutput(segments=Tally(seg_c, seg_e), phases=Tally(ph_c, ph_e), networks=Tally(net_c, net_e))
