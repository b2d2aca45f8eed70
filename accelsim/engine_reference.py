"""The reference engine: the same model as discrete-event SimPy processes, one period at a time.

Processes (parameters passed in, as in SimPy's carwash example):

* ``buffers``: the SRAM row buffers, a ``simpy.Resource`` with 2 slots under double buffering (else 1);
  a row holds a slot from its load until its compute ends.
* ``dma``: one DMA engine with an in-order queue: load(0), load(1), store(0), load(2), store(1), …
* ``decoder`` and ``pe``: in-order servers.

It recomputes residency in plain Python and calls the shared per-row cost model (:func:`accelsim.model.row_costs`),
so it checks the fast engine's scheduling and accounting, not the cost formulas (those are tested on their own
and against SCALE-Sim). It simulates two periods per segment (cold, warm), never every step.
"""

from __future__ import annotations

import numpy as np
import simpy

from accelsim import model
from accelsim.engine_fast import (
    E_DEC,
    E_DRAM,
    E_MAC,
    E_SRAM,
    E_STATIC,
    M_ACTS,
    M_COMPUTE,
    M_CYCLES,
    M_DRAM_RD,
    M_DRAM_WR,
    M_MACS,
    M_SRAM_RD,
    M_SRAM_WR,
    M_STALL_DEC,
    M_STALL_MEM,
    N_MF,
    N_MI,
)


def _resident(order: np.ndarray, key_bytes: np.ndarray, capacity: int) -> set[int]:
    """All keys if they fit; else first-fit in priority order into half the buffer."""
    if int(key_bytes.sum()) <= capacity:
        return set(range(len(key_bytes)))
    budget, used, out = capacity // 2, 0, set()
    for j in order.tolist():
        if used + int(key_bytes[j]) <= budget:
            out.add(j)
            used += int(key_bytes[j])
    return out


def _simulate_period(costs: list[tuple[np.ndarray, np.ndarray]], slots: int, spans: list | None = None):
    """Run one period as SimPy processes. Returns per-row (idle, dec_stall) and the drain tail.

    If ``spans`` is a list, (track, row, start, end) of every activity is appended to it (for timelines):
    tracks "dram", "decoder", "pe" and "sram<k>" (the row buffer a row holds, from its grant to its compute end).
    """
    granted_at = [0] * len(costs)

    def span(track: str, j: int, start: int, end: int) -> None:
        if spans is not None:
            spans.append((track, j, start, end))
    env = simpy.Environment()
    buffers = simpy.Resource(env, capacity=slots)
    n = len(costs)
    granted = [env.event() for _ in range(n)]
    loaded = [env.event() for _ in range(n)]
    decoded = [env.event() for _ in range(n)]
    computed = [env.event() for _ in range(n)]
    requests: list = [None] * n
    idle = [0] * n
    dec_stall = [0] * n

    def buffer_alloc():
        for i in range(n):
            req = buffers.request()
            requests[i] = req
            yield req
            granted_at[i] = env.now
            granted[i].succeed()
            if costs[i][0][model.I_RD_CYC] == 0:
                loaded[i].succeed()  # nothing to fetch: the row is ready once it has a buffer

    def dma():
        for i in range(n):
            rd = int(costs[i][0][model.I_RD_CYC])
            if rd > 0:
                yield granted[i]
                t0 = env.now
                yield env.timeout(rd)
                span("dram", i, t0, env.now)
                loaded[i].succeed()
            if i > 0:
                wr = int(costs[i - 1][0][model.I_WR_CYC])
                if wr > 0:
                    yield computed[i - 1]
                    t0 = env.now
                    yield env.timeout(wr)
                    span("dram", i - 1, t0, env.now)
        wr = int(costs[n - 1][0][model.I_WR_CYC])
        if wr > 0:
            yield computed[n - 1]
            t0 = env.now
            yield env.timeout(wr)
            span("dram", n - 1, t0, env.now)

    def decoder():
        for i in range(n):
            yield loaded[i]
            dec = int(costs[i][0][model.I_DEC_CYC])
            if dec > 0:
                t0 = env.now
                yield env.timeout(dec)
                span("decoder", i, t0, env.now)
            decoded[i].succeed()

    def pe():
        for i in range(n):
            t0 = env.now
            yield decoded[i]
            idle[i] = env.now - t0
            dec_stall[i] = min(idle[i], int(costs[i][0][model.I_DEC_CYC]))
            comp = int(costs[i][0][model.I_COMP_CYC])
            if comp > 0:
                t0 = env.now
                yield env.timeout(comp)
                span("pe", i, t0, env.now)
            span(f"sram{i % slots}", i, granted_at[i], env.now)
            buffers.release(requests[i])
            computed[i].succeed()
        return env.now

    env.process(buffer_alloc())
    dma_proc = env.process(dma())
    env.process(decoder())
    pe_proc = env.process(pe())
    env.run()
    assert dma_proc.triggered and pe_proc.triggered
    end_pe = pe_proc.value
    tail = env.now - end_pe
    return idle, dec_stall, tail


def run(workload, H: np.ndarray, n_phase: int, n_net: int, detail: bool = True):
    """Same signature and outputs as :func:`accelsim.engine_fast.run`."""
    H = np.atleast_2d(np.asarray(H, dtype=np.float64))
    P, S = H.shape[0], workload.n_segments
    seg_i = np.zeros((P, S, N_MI), dtype=np.int64)
    seg_f = np.zeros((P, S, N_MF), dtype=np.float64)
    ph_i = np.zeros((P, n_phase, N_MI), dtype=np.int64)
    ph_f = np.zeros((P, n_phase, N_MF), dtype=np.float64)
    net_i = np.zeros((P, n_net, N_MI), dtype=np.int64)
    net_f = np.zeros((P, n_net, N_MF), dtype=np.float64)
    rows = workload.rows
    for p in range(P):
        h = H[p]
        slots = model.buffer_slots(h)
        for s in range(S):
            k0, k1 = int(workload.seg_key_start[s]), int(workload.seg_key_start[s + 1])
            resident = _resident(workload.key_order[k0:k1], workload.key_bytes[k0:k1], int(h[model.H_W_BYTES]))
            a, b = int(workload.seg_row_start[s]), int(workload.seg_row_start[s + 1])
            reps = int(workload.seg_repeats[s])
            for cold, mult in ((True, 1), (False, reps - 1)):
                if mult == 0:
                    continue
                costs = []
                for i in range(a, b):
                    iout = np.zeros(model.N_IRES, dtype=np.int64)
                    fout = np.zeros(model.N_FRES, dtype=np.float64)
                    key = int(rows[i, model.R_KEY])
                    model.row_costs(rows[i], key >= 0 and key in resident, cold, h, iout, fout)
                    costs.append((iout, fout))
                idle, dec_stall, tail = _simulate_period(costs, slots)
                for j, i in enumerate(range(a, b)):
                    iout, fout = costs[j]
                    comp = int(iout[model.I_COMP_CYC])
                    extra = tail if j == b - a - 1 else 0
                    cyc = comp + idle[j] + extra
                    iv = np.zeros(N_MI, dtype=np.int64)
                    iv[M_CYCLES] = cyc
                    iv[M_COMPUTE] = comp
                    iv[M_STALL_MEM] = idle[j] - dec_stall[j] + extra
                    iv[M_STALL_DEC] = dec_stall[j]
                    iv[M_DRAM_RD] = iout[model.I_RD_BUS]
                    iv[M_DRAM_WR] = iout[model.I_WR_BUS]
                    iv[M_ACTS] = iout[model.I_ACTS]
                    iv[M_MACS] = iout[model.I_MACS]
                    iv[M_SRAM_RD] = iout[model.I_SRAM_RD]
                    iv[M_SRAM_WR] = iout[model.I_SRAM_WR]
                    fv = np.zeros(N_MF, dtype=np.float64)
                    fv[E_DRAM] = fout[model.F_DRAM_PJ]
                    fv[E_SRAM] = fout[model.F_SRAM_PJ]
                    fv[E_MAC] = fout[model.F_MAC_PJ]
                    fv[E_DEC] = fout[model.F_DEC_PJ]
                    fv[E_STATIC] = model.static_pj(cyc, h)
                    ph, nt = int(rows[i, model.R_PHASE]), int(rows[i, model.R_NET])
                    seg_i[p, s] += iv * mult
                    seg_f[p, s] += fv * mult
                    ph_i[p, ph] += iv * mult
                    ph_f[p, ph] += fv * mult
                    net_i[p, nt] += iv * mult
                    net_f[p, nt] += fv * mult
    return seg_i, seg_f, ph_i, ph_f, net_i, net_f
