"""The reference engine's placement decisions, in plain Python: which weight-side tensors stay resident and
where activation tensors live. The fast engine makes the same decisions compiled
(:func:`accelsim.engines.fast.residency.select_resident`, :func:`accelsim.engines.fast.liveness.activation_plan`); this
module shares no
code with them, so the two engines agreeing checks both (policies: ``docs/model.md`` §3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from accelsim.base.layouts import ACT_EVENT, ACT_TENSOR, HW, N_ENERGY, N_ROW_COST
from accelsim.cost import dram_cost
from accelsim.cost import rows as row_cost

if TYPE_CHECKING:
    from accelsim.workload.build import Workload


def fused(h: np.ndarray) -> bool:
    """Whether ``h`` fuses the optimizer update into backward-weight (``pe.fuse_update``)."""
    return bool(h[HW.fuse_update] > 0.5)


def variant(h: np.ndarray) -> int:
    """The workload op variant ``h`` runs (:attr:`accelsim.workload.build.Workload.seg_op_start`)."""
    return 1 if fused(h) else 0


def stream_slots(h: np.ndarray) -> int:
    """Tiles the stream region holds: 2 with double buffering, else 1."""
    return 2 if h[HW.double_buffer] > 0.5 else 1


def tile_bytes(h: np.ndarray) -> int:
    """Bytes of one tile: the stream region (at most half the weight buffer) over the slots, at least a burst."""
    stream = min(int(h[HW.stream_bytes]), int(h[HW.weight_bytes]) // 2)
    return max(int(h[HW.burst_bytes]), stream // stream_slots(h))


def resident_keys(nbytes: dict[int, int], value: dict[int, int], budget: int) -> frozenset[int]:
    """The keys (of ``nbytes``: key -> stored bytes) that stay resident within ``budget`` bytes, ``value``
    being the bytes each key moves per period when it streams: all if they fit, else the better of the greedy
    knapsack (by value per byte, ties by key) and the single most valuable key that fits."""
    if sum(nbytes.values()) <= budget:
        return frozenset(nbytes)
    greedy, used = set(), 0
    for k in sorted(nbytes, key=lambda k: (-(value[k] / max(nbytes[k], 1)), k)):
        if value[k] > 0 and used + nbytes[k] <= budget:
            greedy.add(k)
            used += nbytes[k]
    single = max((k for k in nbytes if nbytes[k] <= budget and value[k] > 0), key=lambda k: (value[k], -k),
                 default=None)
    if single is not None and value[single] > sum(value[k] for k in greedy):
        return frozenset({single})
    return frozenset(greedy)


def segment_resident(wl: Workload, s: int, h: np.ndarray) -> frozenset[int]:
    """Segment ``s``'s resident residency keys on packed hardware ``h``: the knapsack of :func:`resident_keys`
    over the weight buffer less the stream region's tiles (gradients are not stored when the update is
    fused)."""
    k0, k1 = int(wl.seg_key_start[s]), int(wl.seg_key_start[s + 1])
    nbytes = {k: int(wl.key_bytes[k0 + k]) for k in range(k1 - k0) if not (fused(h) and wl.key_grad[k0 + k])}
    value = {k: int(wl.key_traffic[k0 + k]) for k in nbytes}
    budget = max(0, int(h[HW.weight_bytes]) - stream_slots(h) * tile_bytes(h))
    return resident_keys(nbytes, value, budget)


@dataclass
class OpTraffic:
    """One op's activation spills and refills: the transfers' bytes, and their costs summed (slots
    :data:`accelsim.base.layouts.ROW_COST`, :data:`accelsim.base.layouts.ENERGY`)."""

    refills: list[int] = field(default_factory=list)
    spills: list[int] = field(default_factory=list)
    cost: np.ndarray = field(default_factory=lambda: np.zeros(N_ROW_COST, np.int64))
    energy: np.ndarray = field(default_factory=lambda: np.zeros(N_ENERGY))

    def move(self, nbytes: int, is_write: bool, x: int, h: np.ndarray, table: dram_cost.DRAMTable) -> None:
        (self.spills if is_write else self.refills).append(nbytes)
        c, e = np.zeros(N_ROW_COST, np.int64), np.zeros(N_ENERGY)
        row_cost.transfer_costs(nbytes, is_write, x, h, table, c, e)
        self.cost += c
        self.energy += e


class ActivationBuffer:
    """The activation buffer's state over one period: which tensors it holds, which have a copy in DRAM,
    and when each is read next."""

    def __init__(self, capacity: int, size: list[int], clean: list[bool], spill_xfer: list[int] | None = None) -> None:
        self.capacity = capacity
        self.size = size
        self.clean = list(clean)  # a copy in DRAM from the start, which making the tensor leaves valid
        self.in_dram = list(clean)
        self.spill_xfer = list(spill_xfer) if spill_xfer is not None else [-1] * len(size)  # each one's spill
        self.next_read: dict[int, int | None] = {}
        self.held: set[int] = set()

    def free(self) -> int:
        return self.capacity - sum(self.size[t] for t in self.held)

    def make_room(self, nbytes: int, keep: set[int], traffic: OpTraffic, h: np.ndarray,
                  table: dram_cost.DRAMTable) -> bool:
        """Evict tensors outside ``keep``, read again furthest in the future first (ties: made first), until
        ``nbytes`` are free; False (nothing evicted) if even evicting them all would not do."""
        if self.free() >= nbytes:
            return True
        if self.capacity - sum(self.size[t] for t in self.held & keep) < nbytes:
            return False
        while self.free() < nbytes:
            victim = max(self.held - keep, key=lambda t: (self.next_read[t], -t))
            if not self.in_dram[victim]:
                traffic.move(self.size[victim], True, self.spill_xfer[victim], h, table)
                self.in_dram[victim] = True
            self.held.discard(victim)
        return True


def activation_plan(wl: Workload, s: int, h: np.ndarray, table: dram_cost.DRAMTable | None = None) -> list[OpTraffic]:
    """The activation buffer over segment ``s``'s period on packed hardware ``h``: each op's spills and
    refills, by the policy of :mod:`accelsim.engines.fast.liveness` (furthest next read evicted first). ``table``: what
    the
    workload's DRAM transfers cost on ``h`` (:func:`accelsim.cost.dram_cost.transfer_table`; made here if None)."""
    table = dram_cost.transfer_table(wl.xfer_keys, h) if table is None else table
    v = variant(h)
    t0, t1 = int(wl.seg_tensor_start[v, s]), int(wl.seg_tensor_start[v, s + 1])
    buf = ActivationBuffer(int(h[HW.act_bytes]), [int(b) for b in wl.act_tensors[t0:t1, ACT_TENSOR.bytes]],
                           [bool(c) for c in wl.act_tensors[t0:t1, ACT_TENSOR.clean]],
                           [int(x) for x in wl.act_tensors[t0:t1, ACT_TENSOR.spill_xfer]])
    refill = [int(x) for x in wl.act_tensors[t0:t1, ACT_TENSOR.refill_xfer]]
    out = []
    for go in range(int(wl.seg_op_start[v, s]), int(wl.seg_op_start[v, s + 1])):
        traffic = OpTraffic()
        events = wl.act_events[int(wl.op_event_start[go]):int(wl.op_event_start[go + 1])]
        touched = {int(ev[ACT_EVENT.tensor]) for ev in events}
        for ev in events:
            t, made, nxt = int(ev[ACT_EVENT.tensor]), bool(ev[ACT_EVENT.create]), int(ev[ACT_EVENT.next_use])
            buf.next_read[t] = None if nxt < 0 else nxt
            if not made:
                if t in buf.held:
                    continue
                traffic.move(buf.size[t], False, refill[t], h, table)  # a refill (the replay batch: gathered)
            else:
                buf.in_dram[t] = buf.clean[t]  # made: only the replay batch has a copy in DRAM (its rows)
            if buf.next_read[t] is None:
                continue  # read by no later op: consumed here, kept nowhere
            if buf.size[t] <= buf.capacity and buf.make_room(buf.size[t], touched, traffic, h, table):
                buf.held.add(t)
            elif made and not buf.in_dram[t]:
                traffic.move(buf.size[t], True, buf.spill_xfer[t], h, table)  # a spill as it is made
                buf.in_dram[t] = True
        buf.held -= {t for t in touched if buf.next_read[t] is None}
        out.append(traffic)
    return out
