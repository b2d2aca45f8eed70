"""The schedule of one period as SimPy processes: what the reference engine and ``accelsim timeline`` share.

A period's rows are grouped into ops (:attr:`accelsim.workload.build.Workload.op_start`), each op streams in
tiles (:func:`op_tiles`), and the tiles go through these processes (parameters passed in, as in SimPy's
carwash example):

* ``acquirer``: the stream region, a ``simpy.Resource`` with 2 slots under double buffering (else 1); a
  tile of an op that reads DRAM takes a slot, in tile order, and holds it until its compute ends;
* ``loader``: in tile order, asks the bus for each tile's load once the tile has its slot;
* ``bus``: one DMA engine; it serves the waiting loads and stores first come, first served by the cycle
  each became ready (a load winning a tie), one transfer at a time (:class:`Bus`);
* ``decoder``: in order; a tile once it is loaded and the tile two before it is computed;
* ``pe``: in order; a tile once it is decoded. When its compute ends it gives back its slot and hands its
  store (if any) to the bus.

Residency and the activation plan are recomputed in plain Python (:mod:`accelsim.engines.reference.placement`),
independently
of the compiled ones, and so are the ops' totals and tiles (:func:`op_tiles`, independently of
:mod:`accelsim.engines.fast.tiles`); every row's costs come from the shared cost model
(:func:`accelsim.cost.rows.row_costs`), so the reference engine checks the fast engine's residency, tiling,
scheduling and accounting, not the cost formulas (those are tested on their own and against SCALE-Sim).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import simpy

from accelsim.base.layouts import KIND, N_ENERGY, N_ROW_COST, ROW, ROW_COST
from accelsim.cost import dram_cost
from accelsim.cost import rows as row_cost
from accelsim.engines.reference.placement import OpTraffic, segment_resident, tile_bytes, variant

if TYPE_CHECKING:
    from accelsim.workload.build import Workload

#: Bus request kinds, in tie-break order: a load ready at the same cycle as a store goes first.
LOAD, STORE = 0, 1


@dataclass(frozen=True)
class Span:
    """One activity of a period: ``track`` ("dram", "decoder", "pe" or "sram<k>", the stream slot held) busy
    with tile ``tile`` of op ``op`` over cycles [start, end)."""

    track: str
    op: int
    tile: int
    start: int
    end: int


@dataclass(frozen=True)
class OpTiles:
    """An op's totals on one hardware point (cycles) and the tiles it streams in.

    Attributes:
        load_cycles, store_cycles, decode_cycles, compute_cycles: sums over its rows.
        tiles: T >= 1; tile t carries X // T + (1 if t < X % T else 0) of each total X.
    """

    load_cycles: int
    store_cycles: int
    decode_cycles: int
    compute_cycles: int
    tiles: int

    def share(self, total: int, t: int) -> int:
        """Tile ``t``'s cycles of ``total``."""
        return total // self.tiles + (1 if t < total % self.tiles else 0)


@dataclass(frozen=True)
class PeriodSchedule:
    """The schedule of one period of n ops.

    Attributes:
        idle: (n,) PE idle cycles before each op's tiles (its stalls).
        decode_stall: (n,) the part of ``idle`` spent waiting for the decoder, min(idle, decode) per tile.
        tail: cycles the write queue drains after the last compute ends.
        cycles: the period's length (the last compute's end plus ``tail``).
        spans: every activity, in the order they ended (empty unless asked for).
    """

    idle: tuple[int, ...]
    decode_stall: tuple[int, ...]
    tail: int
    cycles: int
    spans: tuple[Span, ...] = ()


def period_costs(wl: Workload, s: int, h: np.ndarray,
                 table: dram_cost.DRAMTable | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Costs of the period rows of segment ``s`` on packed hardware ``h`` in a warm period (``table``: what
    the workload's DRAM transfers cost on ``h``, :func:`accelsim.cost.dram_cost.transfer_table`; made here if None).

    Returns (cost (n, N_ROW_COST) int64 by :data:`accelsim.base.layouts.ROW_COST`, energy (n, N_ENERGY) float64
    pJ by :data:`accelsim.base.layouts.ENERGY`, static part 0).
    """
    table = dram_cost.transfer_table(wl.xfer_keys, h) if table is None else table
    resident = segment_resident(wl, s, h)
    a, b = int(wl.seg_row_start[s]), int(wl.seg_row_start[s + 1])
    cost = np.zeros((b - a, N_ROW_COST), dtype=np.int64)
    energy = np.zeros((b - a, N_ENERGY), dtype=np.float64)
    for j, i in enumerate(range(a, b)):
        key = int(wl.rows[i, ROW.key])
        kb = int(wl.key_bytes[int(wl.seg_key_start[s]) + key]) if key >= 0 else 1
        row_cost.row_costs(wl.rows[i], resident.get(key, 0), kb, h, table, cost[j], energy[j])
    return cost, energy


def op_tiles(wl: Workload, s: int, h: np.ndarray, cost: np.ndarray, plan: list[OpTraffic]) -> list[OpTiles]:
    """The ops of segment ``s`` on packed hardware ``h`` with the row costs ``cost`` of :func:`period_costs`
    and the activation spills and refills ``plan`` (:func:`accelsim.engines.reference.placement.activation_plan`),
    tiled by
    :func:`tile_bytes`.

    T = max(1, ceil(max(bytes read, bytes written) / tile)), counting the bytes of every weight-side row
    (resident or not), of every row that crosses the DRAM bus and of every spill and refill.
    """
    a = int(wl.seg_row_start[s])
    tile = tile_bytes(h)
    out = []
    v = variant(h)
    o0 = int(wl.seg_op_start[v, s])
    for o in range(o0, int(wl.seg_op_start[v, s + 1])):
        idx = [int(i) for i in wl.op_rows[int(wl.op_start[o]):int(wl.op_start[o + 1])]]
        c = cost[[i - a for i in idx]]
        traffic = plan[o - o0]
        streamed_rd, streamed_wr = sum(traffic.refills), sum(traffic.spills)
        for i, ci in zip(idx, c, strict=True):
            on_bus_rd, on_bus_wr = ci[ROW_COST.read_cycles] > 0, ci[ROW_COST.write_cycles] > 0
            weight_side = wl.rows[i, ROW.kind] == KIND.weight_side
            if wl.rows[i, ROW.is_read] == 1 and (weight_side or on_bus_rd):
                streamed_rd += int(wl.rows[i, ROW.bytes])
            elif wl.rows[i, ROW.is_read] == 0 and (weight_side or on_bus_wr):
                streamed_wr += int(wl.rows[i, ROW.bytes])
        out.append(OpTiles(int(c[:, ROW_COST.read_cycles].sum() + traffic.cost[ROW_COST.read_cycles]),
                           int(c[:, ROW_COST.write_cycles].sum() + traffic.cost[ROW_COST.write_cycles]),
                           int(c[:, ROW_COST.decode_cycles].sum()), int(c[:, ROW_COST.compute_cycles].sum()),
                           max(1, -(-max(streamed_rd, streamed_wr) // tile))))
    return out


class Bus:
    """One DMA engine as a SimPy process: transfers wait in one queue and the bus serves the one that became
    ready first (ties: loads before stores, then in the order asked), without pre-emption.

    It decides only once every other event of the current cycle has run, so a load and a store that become
    ready in the same cycle are both seen.
    """

    def __init__(self, env: simpy.Environment, on_span) -> None:
        self.env = env
        self.waiting: list[tuple[int, int, int, int, simpy.Event, tuple]] = []
        self.seq = 0
        self.wake = env.event()
        self.on_span = on_span
        env.process(self.serve())

    def transfer(self, ready: int, kind: int, cycles: int, label: tuple) -> simpy.Event:
        """Ask for a transfer of ``cycles`` that became ready at cycle ``ready``; the event fires when it is done."""
        done = self.env.event()
        heapq.heappush(self.waiting, (ready, kind, self.seq, cycles, done, label))
        self.seq += 1
        if not self.wake.triggered:
            self.wake.succeed()
        return done

    def serve(self):
        env = self.env
        while True:
            if not self.waiting:
                self.wake = env.event()
                yield self.wake
            while env.peek() == env.now:  # let the rest of this cycle happen first
                yield env.timeout(0)
            _, _, _, cycles, done, label = heapq.heappop(self.waiting)
            t0 = env.now
            yield env.timeout(cycles)
            self.on_span("dram", label, t0, env.now)
            done.succeed()


def schedule_period(ops: list[OpTiles], slots: int, record_spans: bool = False) -> PeriodSchedule:
    """Run one period's ops (from :func:`op_tiles`) tile by tile through the SimPy processes, from an empty
    pipeline at cycle 0.

    ``slots``: tiles the stream region holds (2 with double buffering, else 1). With ``record_spans`` every
    activity is kept as a :class:`Span` (for timelines).
    """
    tiles = [(o, t) for o, op in enumerate(ops) for t in range(op.tiles)]
    n = len(tiles)

    def part(j: int, field: str) -> int:
        o, t = tiles[j]
        return ops[o].share(getattr(ops[o], field), t)

    uses = [ops[o].load_cycles > 0 for o, _ in tiles]
    spans: list[Span] = []
    idle = [0] * len(ops)
    dec_stall = [0] * len(ops)

    def span(track: str, label: tuple, start: int, end: int) -> None:
        if record_spans and end > start:
            spans.append(Span(track, label[0], label[1], start, end))

    env = simpy.Environment()
    stream = simpy.Resource(env, capacity=slots)
    bus = Bus(env, span)
    acquired = [env.event() for _ in range(n)]
    loaded = [env.event() for _ in range(n)]
    decoded = [env.event() for _ in range(n)]
    computed = [env.event() for _ in range(n)]
    holds: list = [None] * n

    def acquirer():
        users = 0
        for j in range(n):
            if uses[j]:
                req = stream.request()
                yield req
                holds[j] = (req, env.now, users % slots)
                users += 1
                acquired[j].succeed(env.now)

    def loader():
        for j in range(n):
            if uses[j] and part(j, "load_cycles") > 0:
                ready = yield acquired[j]
                yield bus.transfer(ready, LOAD, part(j, "load_cycles"), tiles[j])
                loaded[j].succeed()

    def decoder():
        for j in range(n):
            if uses[j]:
                yield acquired[j]
                if part(j, "load_cycles") > 0:
                    yield loaded[j]
            if j >= 2:
                yield computed[j - 2]
            d = part(j, "decode_cycles")
            if d > 0:
                t0 = env.now
                yield env.timeout(d)
                span("decoder", tiles[j], t0, env.now)
            decoded[j].succeed()

    def pe():
        for j in range(n):
            o, _ = tiles[j]
            t0 = env.now
            yield decoded[j]
            wait = env.now - t0
            idle[o] += wait
            dec_stall[o] += min(wait, part(j, "decode_cycles"))
            c = part(j, "compute_cycles")
            if c > 0:
                t0 = env.now
                yield env.timeout(c)
                span("pe", tiles[j], t0, env.now)
            computed[j].succeed()
            if uses[j]:
                req, since, slot = holds[j]
                stream.release(req)
                span(f"sram{slot}", tiles[j], since, env.now)
            w = part(j, "store_cycles")
            if w > 0:
                bus.transfer(env.now, STORE, w, tiles[j])
        return env.now

    env.process(acquirer())
    env.process(loader())
    env.process(decoder())
    pe_proc = env.process(pe())
    env.run()
    if not pe_proc.triggered or bus.waiting:
        raise RuntimeError("period schedule deadlocked")  # a bug in the processes, never an input problem
    end = env.now
    return PeriodSchedule(tuple(idle), tuple(dec_stall), end - pe_proc.value, end, tuple(spans))
