"""The reference engine's placement decisions, in plain Python: how much of each weight-side tensor stays resident and
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


def resident_keys(nbytes: dict[int, int], value: dict[int, int], budget: int, tile: int) -> dict[int, int]:
    """How many bytes of each key (of ``nbytes``: key -> stored bytes) stay resident within ``budget`` bytes,
    ``value`` being the bytes each key moves per period when it streams (keys moving nothing are left out).

    All of every key if they fit. Else the keys by value per byte, highest first (ties: the lower key): each
    one whole while it fits, else as many whole ``tile``-byte tiles of it as the room left holds."""
    moving = {k: b for k, b in nbytes.items() if value[k] > 0}
    if sum(nbytes.values()) <= budget:
        return moving
    kept, room = {}, budget
    for k in sorted(moving, key=lambda k: (-(value[k] / max(moving[k], 1)), k)):
        part = moving[k] if moving[k] <= room else room // tile * tile
        if part > 0:
            kept[k] = part
            room -= part
    return kept


def segment_resident(wl: Workload, s: int, h: np.ndarray) -> dict[int, int]:
    """Segment ``s``'s residency on packed hardware ``h``: residency key -> its resident bytes (keys with none
    left out), the knapsack in tiles of :func:`resident_keys` over the weight buffer less the stream region's
    tiles (gradients are not stored when the update is fused)."""
    k0, k1 = int(wl.seg_key_start[s]), int(wl.seg_key_start[s + 1])
    nbytes = {k: int(wl.key_bytes[k0 + k]) for k in range(k1 - k0) if not (fused(h) and wl.key_grad[k0 + k])}
    value = {k: int(wl.key_traffic[k0 + k]) for k in nbytes}
    budget = max(0, int(h[HW.weight_bytes]) - stream_slots(h) * tile_bytes(h))
    return resident_keys(nbytes, value, budget, tile_bytes(h))


@dataclass
class OpTraffic:
    """One op's activation spills and refills: the transfers' bytes, and their costs summed (slots
    :data:`accelsim.base.layouts.ROW_COST`, :data:`accelsim.base.layouts.ENERGY`)."""

    refills: list[int] = field(default_factory=list)
    spills: list[int] = field(default_factory=list)
    cost: np.ndarray = field(default_factory=lambda: np.zeros(N_ROW_COST, np.int64))
    energy: np.ndarray = field(default_factory=lambda: np.zeros(N_ENERGY))

    def move(self, nbytes: int, whole: int, is_write: bool, gather: bool, x: int, h: np.ndarray,
             table: dram_cost.DRAMTable) -> None:
        (self.spills if is_write else self.refills).append(nbytes)
        c, e = np.zeros(N_ROW_COST, np.int64), np.zeros(N_ENERGY)
        row_cost.transfer_costs(nbytes, whole, is_write, gather, x, h, table, c, e)
        self.cost += c
        self.energy += e


@dataclass
class Tensor:
    """One activation tensor of a period: its size in bytes and batch rows, its transfers, and its state —
    rows held in the buffer and rows with a copy in DRAM (every row not held has one)."""

    size: int
    rows: int
    clean: bool  # a copy in DRAM from the start (the replay batch), which making it leaves valid
    gather: bool
    refill_xfer: int
    spill_xfer: int
    held: int = 0
    copied: int = 0
    next_read: int | None = None

    def row_size(self) -> int:
        return self.size // self.rows  # the rows divide the bytes

    def bytes_of(self, k: int) -> int:
        """Bytes of ``k`` of its rows."""
        return k * self.row_size()


class ActivationBuffer:
    """The activation buffer's state over one period: the rows of each tensor it holds, which have a copy in
    DRAM, and when each tensor is read next."""

    def __init__(self, capacity: int, tensors: list[Tensor]) -> None:
        self.capacity = capacity
        self.tensors = tensors

    def free(self) -> int:
        return self.capacity - sum(t.bytes_of(t.held) for t in self.tensors)

    def move(self, t: int, k: int, is_write: bool, traffic: OpTraffic, h: np.ndarray,
             table: dram_cost.DRAMTable) -> int:
        """Move ``k`` rows of tensor ``t`` to (``is_write``) or from DRAM; their bytes."""
        ten = self.tensors[t]
        nbytes = ten.bytes_of(k)
        traffic.move(nbytes, ten.size, is_write, ten.gather, ten.spill_xfer if is_write else ten.refill_xfer, h,
                     table)
        return nbytes

    def make_room(self, nbytes: int, keep: set[int], traffic: OpTraffic, h: np.ndarray,
                  table: dram_cost.DRAMTable) -> None:
        """Evict rows of tensors outside ``keep``, of the one read again furthest in the future first (ties: made
        first), as few as free ``nbytes`` — or all of them if that does not; rows with a copy in DRAM go first,
        the others are spilled."""
        while self.free() < nbytes:
            held = [i for i, t in enumerate(self.tensors) if t.held > 0 and i not in keep]
            if not held:
                return
            victim = max(held, key=lambda i: (self.tensors[i].next_read, -i))
            ten = self.tensors[victim]
            k = min(ten.held, -(-(nbytes - self.free()) // ten.row_size()))
            spill = k - (ten.copied - (ten.rows - ten.held))
            if spill > 0:
                self.move(victim, spill, True, traffic, h, table)
                ten.copied += spill
            ten.held -= k

    def wanted(self, t: int, keep: set[int]) -> int:
        """Bytes to free for tensor ``t``: for its rows not held, up to the most whole rows that fit beside the
        rows of the other tensors in ``keep`` (the op's)."""
        ten = self.tensors[t]
        others = sum(u.bytes_of(u.held) for i, u in enumerate(self.tensors) if i in keep and i != t)
        most = min(ten.rows, (self.capacity - others) // ten.row_size())
        return max(0, ten.bytes_of(most) - ten.bytes_of(ten.held))

    def keepable(self, t: int) -> int:
        """How many rows of tensor ``t`` fit in its held bytes and the free room."""
        ten = self.tensors[t]
        return min(ten.rows, (ten.bytes_of(ten.held) + self.free()) // ten.row_size())


def activation_plan(wl: Workload, s: int, h: np.ndarray, table: dram_cost.DRAMTable | None = None) -> list[OpTraffic]:
    """The activation buffer over segment ``s``'s period on packed hardware ``h``: each op's spills and
    refills, by the policy of :mod:`accelsim.engines.fast.liveness` (rows of the tensor read again furthest in
    the future evicted first). ``table``: what the workload's DRAM transfers cost on ``h``
    (:func:`accelsim.cost.dram_cost.transfer_table`; made here if None)."""
    table = dram_cost.transfer_table(wl.xfer_keys, h) if table is None else table
    v = variant(h)
    t0, t1 = int(wl.seg_tensor_start[v, s]), int(wl.seg_tensor_start[v, s + 1])
    T = ACT_TENSOR
    buf = ActivationBuffer(int(h[HW.act_bytes]), [
        Tensor(int(a[T.bytes]), int(a[T.batch_rows]), bool(a[T.clean]), int(a[T.gather_rows]) > 0,
               int(a[T.refill_xfer]), int(a[T.spill_xfer])) for a in wl.act_tensors[t0:t1]])
    out = []
    for go in range(int(wl.seg_op_start[v, s]), int(wl.seg_op_start[v, s + 1])):
        traffic = OpTraffic()
        events = [(int(ev[ACT_EVENT.tensor]), bool(ev[ACT_EVENT.create]), int(ev[ACT_EVENT.next_use]))
                  for ev in wl.act_events[int(wl.op_event_start[go]):int(wl.op_event_start[go + 1])]]
        touched = {t for t, _, _ in events}
        last_reads = {t for t, made, nxt in events if not made and nxt < 0}
        for t, made, nxt in events:
            ten = buf.tensors[t]
            ten.next_read = None if nxt < 0 else nxt
            if not made:
                if ten.held == ten.rows:
                    continue
                buf.move(t, ten.rows - ten.held, False, traffic, h, table)  # a refill (the replay batch: gathered)
                if ten.next_read is not None:
                    buf.make_room(buf.wanted(t, touched), touched, traffic, h, table)
                    ten.held = buf.keepable(t)
                continue
            for u in last_reads:  # the op runs in batch tiles: inputs read for the last time free their rows
                buf.tensors[u].held = 0
            ten.held = 0
            ten.copied = ten.rows if ten.clean else 0  # made: only the replay batch has a copy in DRAM (its rows)
            if ten.next_read is None:
                continue  # read by no later op: consumed here, kept nowhere
            buf.make_room(buf.wanted(t, touched), touched, traffic, h, table)
            ten.held = buf.keepable(t)
            if ten.copied < ten.rows - ten.held:  # spilled as made
                buf.move(t, ten.rows - ten.held - ten.copied, True, traffic, h, table)
                ten.copied = ten.rows - ten.held
        for t in touched:
            if buf.tensors[t].next_read is None:
                buf.tensors[t].held = 0
        out.append(traffic)
    return out
