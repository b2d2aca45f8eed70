"""The reference engine's placement decisions, in plain Python: which weight-side tensors stay resident and
where activation tensors live. The fast engine makes the same decisions compiled
(:func:`accelsim.model.select_resident`, :func:`accelsim.liveness.activation_plan`); this module shares no
code with them, so the two engines agreeing checks both (policies: ``docs/model.md`` §3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from accelsim import model
from accelsim.layouts import ACT_EVENT, ACT_TENSOR, HW, N_ENERGY, N_ROW_COST

if TYPE_CHECKING:
    from accelsim.workload import Workload


def fused(h: np.ndarray) -> bool:
    """Whether ``h`` fuses the optimizer update into backward-weight (``pe.fuse_update``)."""
    return bool(h[HW.fuse_update] > 0.5)


def variant(h: np.ndarray) -> int:
    """The workload op variant ``h`` runs (:attr:`accelsim.workload.Workload.seg_op_start`)."""
    return 1 if fused(h) else 0


def resident_keys(order: np.ndarray, key_bytes: np.ndarray, stored: set[int], capacity: int) -> frozenset[int]:
    """Residency keys that stay on chip, among the ``stored`` ones: all if they fit in ``capacity`` bytes, else
    first-fit in priority ``order`` into half of it (the other half is kept for streaming)."""
    if sum(int(key_bytes[j]) for j in stored) <= capacity:
        return frozenset(stored)
    budget, used, out = capacity // 2, 0, set()
    for j in order.tolist():
        if j in stored and used + int(key_bytes[j]) <= budget:
            out.add(j)
            used += int(key_bytes[j])
    return frozenset(out)


def segment_resident(wl: Workload, s: int, h: np.ndarray) -> frozenset[int]:
    """Segment ``s``'s resident residency keys on packed hardware ``h`` (gradients are not stored at all when
    the update is fused)."""
    k0, k1 = int(wl.seg_key_start[s]), int(wl.seg_key_start[s + 1])
    stored = {j for j in range(k1 - k0) if not (fused(h) and wl.key_grad[k0 + j])}
    return resident_keys(wl.key_order[k0:k1], wl.key_bytes[k0:k1], stored, int(h[HW.weight_bytes]))


@dataclass
class OpTraffic:
    """One op's activation spills and refills: the transfers' bytes, and their costs summed (slots
    :data:`accelsim.layouts.ROW_COST`, :data:`accelsim.layouts.ENERGY`)."""

    refills: list[int] = field(default_factory=list)
    spills: list[int] = field(default_factory=list)
    cost: np.ndarray = field(default_factory=lambda: np.zeros(N_ROW_COST, np.int64))
    energy: np.ndarray = field(default_factory=lambda: np.zeros(N_ENERGY))

    def move(self, nbytes: int, is_write: bool, h: np.ndarray) -> None:
        (self.spills if is_write else self.refills).append(nbytes)
        c, e = np.zeros(N_ROW_COST, np.int64), np.zeros(N_ENERGY)
        model.transfer_costs(nbytes, is_write, h, c, e)
        self.cost += c
        self.energy += e


class ActivationBuffer:
    """The activation buffer's state over one period: which tensors it holds, which have a copy in DRAM,
    and when each is read next."""

    def __init__(self, capacity: int, size: list[int], clean: list[bool]) -> None:
        self.capacity = capacity
        self.size = size
        self.in_dram = list(clean)
        self.next_read: dict[int, int | None] = {}
        self.held: set[int] = set()

    def free(self) -> int:
        return self.capacity - sum(self.size[t] for t in self.held)

    def make_room(self, nbytes: int, keep: set[int], traffic: OpTraffic, h: np.ndarray) -> bool:
        """Evict tensors outside ``keep``, read again furthest in the future first (ties: made first), until
        ``nbytes`` are free; False (nothing evicted) if even evicting them all would not do."""
        if self.free() >= nbytes:
            return True
        if self.capacity - sum(self.size[t] for t in self.held & keep) < nbytes:
            return False
        while self.free() < nbytes:
            victim = max(self.held - keep, key=lambda t: (self.next_read[t], -t))
            if not self.in_dram[victim]:
                traffic.move(self.size[victim], True, h)
                self.in_dram[victim] = True
            self.held.discard(victim)
        return True


def activation_plan(wl: Workload, s: int, h: np.ndarray) -> list[OpTraffic]:
    """The activation buffer over segment ``s``'s period on packed hardware ``h``: each op's spills and
    refills, by the policy of :mod:`accelsim.liveness` (furthest next read evicted first)."""
    v = variant(h)
    t0, t1 = int(wl.seg_tensor_start[v, s]), int(wl.seg_tensor_start[v, s + 1])
    buf = ActivationBuffer(int(h[HW.act_bytes]), [int(b) for b in wl.act_tensors[t0:t1, ACT_TENSOR.bytes]],
                           [bool(c) for c in wl.act_tensors[t0:t1, ACT_TENSOR.clean]])
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
                traffic.move(buf.size[t], False, h)  # a refill
            else:
                buf.in_dram[t] = False
            if buf.next_read[t] is None:
                continue  # read by no later op: consumed here, kept nowhere
            if buf.size[t] <= buf.capacity and buf.make_room(buf.size[t], touched, traffic, h):
                buf.held.add(t)
            elif made:
                traffic.move(buf.size[t], True, h)  # a spill as it is made
                buf.in_dram[t] = True
        buf.held -= {t for t in touched if buf.next_read[t] is None}
        out.append(traffic)
    return out
