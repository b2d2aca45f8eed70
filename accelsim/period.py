"""The schedule of one period as SimPy processes: what the reference engine and ``accelsim timeline`` share.

Processes (parameters passed in, as in SimPy's carwash example):

* ``buffer_alloc``: the SRAM row buffers, a ``simpy.Resource`` with 2 slots under double buffering (else 1);
  a row holds a slot from its grant until its compute ends.
* ``dma``: one DMA engine with an in-order queue: load(0), load(1), store(0), load(2), store(1), …
* ``decoder`` and ``pe``: in-order servers.

Residency is recomputed here in plain Python (:func:`resident_keys`), independently of the compiled
:func:`accelsim.model.select_resident`, and every row's costs come from the shared cost model
(:func:`accelsim.model.row_costs`), so the reference engine checks the fast engine's residency, scheduling
and accounting, not the cost formulas (those are tested on their own and against SCALE-Sim).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import simpy

from accelsim import model
from accelsim.layouts import HW, N_ENERGY, N_ROW_COST, ROW, ROW_COST

if TYPE_CHECKING:
    from accelsim.workload import Workload


@dataclass(frozen=True)
class Span:
    """One activity of a period: ``track`` ("dram", "decoder", "pe" or "sram<k>", the row buffer held) busy
    with period row ``row`` over cycles [start, end)."""

    track: str
    row: int
    start: int
    end: int


@dataclass(frozen=True)
class PeriodSchedule:
    """The schedule of one period of n rows.

    Attributes:
        idle: (n,) PE idle cycles before each row's compute (its stall).
        decode_stall: (n,) the part of ``idle`` spent waiting for the decoder, min(idle, decode cycles).
        tail: cycles the last store drains after the last compute ends.
        spans: every activity, in the order they ended (empty unless asked for).
    """

    idle: tuple[int, ...]
    decode_stall: tuple[int, ...]
    tail: int
    spans: tuple[Span, ...] = ()


def resident_keys(order: np.ndarray, key_bytes: np.ndarray, capacity: int) -> frozenset[int]:
    """Residency keys that stay on chip: all if they fit in ``capacity`` bytes, else first-fit in priority
    ``order`` into half of it (the other half streams)."""
    if int(key_bytes.sum()) <= capacity:
        return frozenset(range(len(key_bytes)))
    budget, used, out = capacity // 2, 0, set()
    for j in order.tolist():
        if used + int(key_bytes[j]) <= budget:
            out.add(j)
            used += int(key_bytes[j])
    return frozenset(out)


def period_costs(wl: Workload, s: int, h: np.ndarray, cold: bool) -> tuple[np.ndarray, np.ndarray]:
    """Costs of the period rows of segment ``s`` on packed hardware ``h``, cold (first) or warm period.

    Returns (cost (n, N_ROW_COST) int64 by :data:`accelsim.layouts.ROW_COST`, energy (n, N_ENERGY) float64
    pJ by :data:`accelsim.layouts.ENERGY`, static part 0).
    """
    k0, k1 = int(wl.seg_key_start[s]), int(wl.seg_key_start[s + 1])
    resident = resident_keys(wl.key_order[k0:k1], wl.key_bytes[k0:k1], int(h[HW.weight_bytes]))
    a, b = int(wl.seg_row_start[s]), int(wl.seg_row_start[s + 1])
    cost = np.zeros((b - a, N_ROW_COST), dtype=np.int64)
    energy = np.zeros((b - a, N_ENERGY), dtype=np.float64)
    for j, i in enumerate(range(a, b)):
        key = int(wl.rows[i, ROW.key])
        model.row_costs(wl.rows[i], key >= 0 and key in resident, cold, h, cost[j], energy[j])
    return cost, energy


def schedule_period(cost: np.ndarray, slots: int, record_spans: bool = False) -> PeriodSchedule:
    """Run one period of rows with costs ``cost`` (n, N_ROW_COST) through the SimPy processes.

    ``slots``: row buffers (2 with double buffering, else 1). With ``record_spans`` every activity is kept
    as a :class:`Span` (for timelines).
    """
    n = cost.shape[0]
    rd = [int(x) for x in cost[:, ROW_COST.read_cycles]]
    wr = [int(x) for x in cost[:, ROW_COST.write_cycles]]
    dec = [int(x) for x in cost[:, ROW_COST.decode_cycles]]
    comp = [int(x) for x in cost[:, ROW_COST.compute_cycles]]
    spans: list[Span] = []
    granted_at = [0] * n
    idle = [0] * n
    dec_stall = [0] * n

    def span(track: str, j: int, start: int, end: int) -> None:
        if record_spans:
            spans.append(Span(track, j, start, end))

    env = simpy.Environment()
    buffers = simpy.Resource(env, capacity=slots)
    granted = [env.event() for _ in range(n)]
    loaded = [env.event() for _ in range(n)]
    decoded = [env.event() for _ in range(n)]
    computed = [env.event() for _ in range(n)]
    requests: list = [None] * n

    def buffer_alloc():
        for i in range(n):
            req = buffers.request()
            requests[i] = req
            yield req
            granted_at[i] = env.now
            granted[i].succeed()
            if rd[i] == 0:
                loaded[i].succeed()  # nothing to fetch: the row is ready once it has a buffer

    def store(i: int):
        if wr[i] > 0:
            yield computed[i]
            t0 = env.now
            yield env.timeout(wr[i])
            span("dram", i, t0, env.now)

    def dma():
        for i in range(n):
            if rd[i] > 0:
                yield granted[i]
                t0 = env.now
                yield env.timeout(rd[i])
                span("dram", i, t0, env.now)
                loaded[i].succeed()
            if i > 0:
                yield from store(i - 1)  # the store of the previous row follows this row's load
        if n:
            yield from store(n - 1)

    def decoder():
        for i in range(n):
            yield loaded[i]
            if dec[i] > 0:
                t0 = env.now
                yield env.timeout(dec[i])
                span("decoder", i, t0, env.now)
            decoded[i].succeed()

    def pe():
        for i in range(n):
            t0 = env.now
            yield decoded[i]
            idle[i] = env.now - t0
            dec_stall[i] = min(idle[i], dec[i])
            if comp[i] > 0:
                t0 = env.now
                yield env.timeout(comp[i])
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
    if not (dma_proc.triggered and pe_proc.triggered):
        raise RuntimeError("period schedule deadlocked")  # a bug in the processes, never an input problem
    return PeriodSchedule(tuple(idle), tuple(dec_stall), env.now - pe_proc.value, tuple(spans))
