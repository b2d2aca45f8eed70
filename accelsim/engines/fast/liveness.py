"""The activation buffer's placement plan for one period (compiled): which rows of which activation tensors stay
on chip, which are spilled and refilled, and what that costs per op.

The reference engine has its own plain-Python plan (:func:`accelsim.engines.reference.placement.activation_plan`); both
follow the policy of ``docs/model.md`` §3, here in short. Ops run in order; an op's events
(:func:`accelsim.workload.build.activation_events`) are its reads, then its writes, of activation tensors. A tensor of
R batch rows (``ACT_TENSOR.batch_rows``, dividing its bytes) is held, moved and evicted in whole rows of
bytes / R: ops run in batch tiles, so a tensor needs not be on chip whole.

* A tensor lives from its write until its last read (then its rows are freed). The buffer holds the live
  set, up to ``capacity`` bytes. A tensor no later op reads is consumed as it is made and kept nowhere.
* A read refills the rows not in the buffer (a DRAM read of them) and keeps as many of them as room can be
  made for if the tensor is read again later (the rest stream past the buffer for this read only).
* Before an op's writes, the tensors it reads for the last time are freed: it runs in batch tiles, and each
  row of its outputs needs only the same row of its inputs (forward and backward-data GEMMs), so a tile's
  output rows take the room its input rows leave.
* A write keeps as many rows as room can be made for; the rest are written to DRAM (**spilled**), but the
  replay batch's, whose rows stay in the replay buffer in DRAM (it is *clean*).
* Making room evicts rows of tensors the current op does not touch, of the tensor read again furthest in the
  future first (Belady's choice; ties: the tensor made first), as few as free the room — for no more rows
  than could fit beside the other tensors the op touches. An evicted row with no copy in DRAM is spilled;
  rows with a copy (the replay batch's, or spilled before) go first and free.

Spills and refills are charged to the op where they happen, as DRAM transfers of the rows moved
(:func:`accelsim.cost.rows.transfer_costs`), and stream through its tiles like its other DRAM traffic.
"""

from __future__ import annotations

import numpy as np

from accelsim.base.jit import kernel
from accelsim.base.layouts import ACT_EVENT, ACT_TENSOR, N_ENERGY, N_ROW_COST
from accelsim.cost.dram_cost import DRAMTable
from accelsim.cost.rows import transfer_costs

#: No later read.
NEVER = -1


@kernel(inline=True)
def row_bytes(tensors: np.ndarray, t: int) -> int:
    """Bytes of one batch row of tensor ``t`` (its rows divide its bytes)."""
    return tensors[t, ACT_TENSOR.bytes] // tensors[t, ACT_TENSOR.batch_rows]


@kernel(inline=True)
def rows_bytes(tensors: np.ndarray, t: int, k: int) -> int:
    """Bytes of ``k`` batch rows of tensor ``t``."""
    return k * row_bytes(tensors, t)


@kernel
def _charge(tensors: np.ndarray, t: int, k: int, is_write: bool, h: np.ndarray, table: DRAMTable, cost: np.ndarray,
            energy: np.ndarray, tmp_c: np.ndarray, tmp_e: np.ndarray) -> int:
    """Add the DRAM transfer of ``k`` rows of tensor ``t`` (a refill or a spill) to an op's plan costs
    ``cost``/``energy``; returns its bytes."""
    nbytes = rows_bytes(tensors, t, k)
    x = tensors[t, ACT_TENSOR.spill_xfer] if is_write else tensors[t, ACT_TENSOR.refill_xfer]
    transfer_costs(nbytes, tensors[t, ACT_TENSOR.bytes], is_write, tensors[t, ACT_TENSOR.gather_rows] > 0, x, h,
                   table, tmp_c, tmp_e)
    for q in range(N_ROW_COST):
        cost[q] += tmp_c[q]
    for q in range(N_ENERGY):
        energy[q] += tmp_e[q]
    return nbytes


@kernel
def _wanted(t: int, o: int, capacity: int, held: np.ndarray, pinned: np.ndarray, tensors: np.ndarray) -> int:
    """Bytes to free for tensor ``t`` in op ``o``: what its rows beyond those held need, up to the most whole
    rows the buffer can hold beside the other tensors ``o`` touches (evicting for rows that cannot fit would
    only spill)."""
    others = 0
    for u in range(held.shape[0]):
        if u != t and pinned[u] == o and held[u] > 0:
            others += rows_bytes(tensors, u, held[u])
    most = min(tensors[t, ACT_TENSOR.batch_rows], (capacity - others) // row_bytes(tensors, t))
    return max(0, rows_bytes(tensors, t, most) - rows_bytes(tensors, t, held[t]))


@kernel
def _make_room(want: int, capacity: int, used: int, op: int, held: np.ndarray, copy: np.ndarray,
               pinned: np.ndarray, next_use: np.ndarray, tensors: np.ndarray, h: np.ndarray, table: DRAMTable,
               cost: np.ndarray, energy: np.ndarray, spilled: np.ndarray, tmp_c: np.ndarray,
               tmp_e: np.ndarray) -> int:
    """Evict rows of tensors not touched by ``op``, of the one read again furthest in the future first, until
    ``want`` bytes are free or nothing is left to evict; returns the bytes in use after. Evicted rows with no
    copy in DRAM are spilled (their bytes added to ``spilled[0]``)."""
    while capacity - used < want:
        victim = -1
        far = -1
        for t in range(held.shape[0]):
            if held[t] > 0 and pinned[t] != op and next_use[t] > far:
                far = next_use[t]
                victim = t
        if victim < 0:
            break
        nrows = tensors[victim, ACT_TENSOR.batch_rows]
        before = rows_bytes(tensors, victim, held[victim])
        k = min(held[victim], (want - (capacity - used) + row_bytes(tensors, victim) - 1)
                // row_bytes(tensors, victim))
        # Rows with a copy in DRAM go first (free); the others are spilled.
        with_copy = copy[victim] - (nrows - held[victim])
        spill = max(0, k - with_copy)
        if spill > 0:
            spilled[0] += _charge(tensors, victim, spill, True, h, table, cost, energy, tmp_c, tmp_e)
            copy[victim] += spill
        held[victim] -= k
        used -= before - rows_bytes(tensors, victim, held[victim])
    return used


@kernel
def activation_plan(tensors: np.ndarray, events: np.ndarray, op_event_start: np.ndarray, o0: int, o1: int,
                    capacity: int, h: np.ndarray, table: DRAMTable, cost: np.ndarray, energy: np.ndarray,
                    bytes_read: np.ndarray, bytes_written: np.ndarray) -> None:
    """Plan the activation buffer over ops o0..o1 (global indices) of one period.

    Args:
        tensors: the period's tensors (N_t, N_ACT_TENSOR), slots :data:`ACT_TENSOR`.
        events: all events (slots :data:`ACT_EVENT`; tensor and next-use indices local to the period);
            op o's are ``events[op_event_start[o]:op_event_start[o + 1]]``, reads before writes.
        capacity: the activation buffer, bytes.
        table: what the workload's DRAM transfers cost on ``h`` (:func:`accelsim.cost.dram_cost.transfer_table`); a
            tensor's refill and spill are ``tensors[t, ACT_TENSOR.refill_xfer / spill_xfer]``.
        cost, energy: (n_ops, N_ROW_COST) and (n_ops, N_ENERGY), overwritten with each op's spill and refill
            transfers (slots :data:`ROW_COST`, :data:`accelsim.base.layouts.ENERGY`, static 0).
        bytes_read, bytes_written: (n_ops,), overwritten with each op's refilled and spilled bytes.
    """
    nt = tensors.shape[0]
    held = np.zeros(nt, dtype=np.int64)  # rows in the buffer
    copy = np.zeros(nt, dtype=np.int64)  # rows with a copy in DRAM (every row not held has one)
    next_use = np.full(nt, NEVER, dtype=np.int64)
    pinned = np.full(nt, -1, dtype=np.int64)  # the op touching it (its rows may not be evicted then)
    spilled = np.zeros(1, dtype=np.int64)
    tmp_c = np.zeros(N_ROW_COST, dtype=np.int64)
    tmp_e = np.zeros(N_ENERGY, dtype=np.float64)
    used = 0
    for o in range(o1 - o0):
        c = cost[o]
        e = energy[o]
        for q in range(N_ROW_COST):
            c[q] = 0
        for q in range(N_ENERGY):
            e[q] = 0.0
        bytes_read[o] = 0
        spilled[0] = 0
        e0, e1 = op_event_start[o0 + o], op_event_start[o0 + o + 1]
        for k in range(e0, e1):
            pinned[events[k, ACT_EVENT.tensor]] = o
        freed = False
        for k in range(e0, e1):
            t = events[k, ACT_EVENT.tensor]
            nrows = tensors[t, ACT_TENSOR.batch_rows]
            nu = events[k, ACT_EVENT.next_use]
            next_use[t] = nu
            if events[k, ACT_EVENT.create] == 0:  # a read: refill the rows not held
                missing = nrows - held[t]
                if missing == 0:
                    continue
                bytes_read[o] += _charge(tensors, t, missing, False, h, table, c, e, tmp_c, tmp_e)
                if nu == NEVER:
                    continue  # read by no later op: streamed past the buffer
                have = rows_bytes(tensors, t, held[t])
                used = _make_room(_wanted(t, o, capacity, held, pinned, tensors), capacity, used, o, held, copy,
                                  pinned, next_use, tensors, h, table, c, e, spilled, tmp_c, tmp_e)
                keep = min(nrows, (have + capacity - used) // row_bytes(tensors, t))
                used += rows_bytes(tensors, t, keep) - have
                held[t] = keep
                continue
            if not freed:  # the op's batch tiles: rows of inputs it reads for the last time make room
                freed = True
                for j in range(e0, e1):
                    u = events[j, ACT_EVENT.tensor]
                    if events[j, ACT_EVENT.create] == 0 and events[j, ACT_EVENT.next_use] == NEVER and held[u] > 0:
                        used -= rows_bytes(tensors, u, held[u])
                        held[u] = 0
            # A write: made afresh; only the replay batch has a copy in DRAM (its rows).
            used -= rows_bytes(tensors, t, held[t])
            held[t] = 0
            copy[t] = nrows if tensors[t, ACT_TENSOR.clean] == 1 else 0
            if nu == NEVER:
                continue  # read by no later op: consumed here, kept nowhere
            used = _make_room(_wanted(t, o, capacity, held, pinned, tensors), capacity, used, o, held, copy, pinned,
                              next_use, tensors, h, table, c, e, spilled, tmp_c, tmp_e)
            keep = min(nrows, (capacity - used) // row_bytes(tensors, t))
            held[t] = keep
            used += rows_bytes(tensors, t, keep)
            if copy[t] < nrows - keep:  # the rest, with no copy in DRAM: written there as made
                spilled[0] += _charge(tensors, t, nrows - keep - copy[t], True, h, table, c, e, tmp_c, tmp_e)
                copy[t] = nrows - keep
        for k in range(e0, e1):
            t = events[k, ACT_EVENT.tensor]
            if next_use[t] == NEVER and held[t] > 0:
                used -= rows_bytes(tensors, t, held[t])
                held[t] = 0
        bytes_written[o] = spilled[0]
