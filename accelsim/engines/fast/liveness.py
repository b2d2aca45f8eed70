"""The activation buffer's placement plan for one period (compiled): which activation tensors stay on chip,
which are spilled and refilled, and what that costs per op.

The reference engine has its own plain-Python plan (:func:`accelsim.engines.reference.placement.activation_plan`); both
follow the policy of ``docs/model.md`` §3, here in short. Ops run in order; an op's events
(:func:`accelsim.workload.build.activation_events`) are its reads, then its writes, of activation tensors.

* A tensor lives from its write until its last read (then its bytes are freed). The buffer holds the live
  set, up to ``capacity`` bytes. A tensor no later op reads is consumed as it is made and kept nowhere.
* A read of a tensor not in the buffer is a **refill**: a DRAM read of the whole tensor, placed in the
  buffer if it is read again later and room can be made, else streamed past it for this read only.
* A write places the tensor in the buffer if room can be made, else it is written to DRAM (a **spill**).
* Making room evicts tensors the current op does not touch, the one read again furthest in the future
  first (Belady's choice; ties: the tensor made first). Evicting a tensor that has no copy in DRAM and
  will be read again spills it. The replay batch has a copy in DRAM from the start, and its creation (the
  gather) leaves it so: its rows stay in the replay buffer, so evicting it, or finding no room for it, writes
  nothing, and a refill gathers it again; a spilled tensor keeps its copy, so a second eviction is free.
* A tensor larger than the whole buffer never enters it: written to DRAM when made, refilled at every read.

Spills and refills are charged to the op where they happen, as whole-tensor DRAM transfers
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


@kernel
def _charge(nbytes: int, is_write: bool, x: int, h: np.ndarray, table: DRAMTable, cost: np.ndarray,
            energy: np.ndarray, tmp_c: np.ndarray, tmp_e: np.ndarray) -> None:
    """Add one whole-tensor DRAM transfer (the workload's transfer ``x``) to an op's plan costs ``cost``/``energy``."""
    transfer_costs(nbytes, is_write, x, h, table, tmp_c, tmp_e)
    for q in range(N_ROW_COST):
        cost[q] += tmp_c[q]
    for q in range(N_ENERGY):
        energy[q] += tmp_e[q]


@kernel
def _make_room(need: int, capacity: int, used: int, op: int, where: np.ndarray, pinned: np.ndarray,
               next_use: np.ndarray, in_dram: np.ndarray, tensors: np.ndarray, h: np.ndarray, table: DRAMTable,
               cost: np.ndarray, energy: np.ndarray, spilled: np.ndarray, tmp_c: np.ndarray,
               tmp_e: np.ndarray) -> int:
    """Evict tensors not touched by ``op``, furthest next read first, until ``need`` bytes are free; returns the
    bytes in use after, or -1 (and evicts nothing) if that cannot be done. Spills add to ``spilled[0]``."""
    free = capacity - used
    if free >= need:
        return used
    for t in range(where.shape[0]):
        if where[t] == 1 and pinned[t] != op:
            free += tensors[t, ACT_TENSOR.bytes]
    if free < need:
        return -1
    while capacity - used < need:
        victim = -1
        far = -1
        for t in range(where.shape[0]):
            if where[t] == 1 and pinned[t] != op and next_use[t] > far:
                far = next_use[t]
                victim = t
        nbytes = tensors[victim, ACT_TENSOR.bytes]
        if in_dram[victim] == 0:
            _charge(nbytes, True, tensors[victim, ACT_TENSOR.spill_xfer], h, table, cost, energy, tmp_c, tmp_e)
            spilled[0] += nbytes
            in_dram[victim] = 1
        where[victim] = 0
        used -= nbytes
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
    where = np.zeros(nt, dtype=np.int64)  # 1: in the buffer
    in_dram = np.zeros(nt, dtype=np.int64)
    for t in range(nt):
        in_dram[t] = tensors[t, ACT_TENSOR.clean]
    next_use = np.full(nt, NEVER, dtype=np.int64)
    pinned = np.full(nt, -1, dtype=np.int64)  # the op touching it (it may not be evicted then)
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
        for k in range(e0, e1):
            t = events[k, ACT_EVENT.tensor]
            nbytes = tensors[t, ACT_TENSOR.bytes]
            nu = events[k, ACT_EVENT.next_use]
            next_use[t] = nu
            is_read = events[k, ACT_EVENT.create] == 0
            if is_read:
                if where[t] == 1:
                    continue
                _charge(nbytes, False, tensors[t, ACT_TENSOR.refill_xfer], h, table, c, e, tmp_c, tmp_e)
                bytes_read[o] += nbytes
            else:
                in_dram[t] = tensors[t, ACT_TENSOR.clean]  # made: only the replay batch has a copy in DRAM
            if nu == NEVER:
                continue  # read by no later op: consumed here, kept nowhere
            after = -1
            if nbytes <= capacity:
                after = _make_room(nbytes, capacity, used, o, where, pinned, next_use, in_dram, tensors, h, table, c,
                                   e, spilled, tmp_c, tmp_e)
            if after >= 0:
                where[t] = 1
                used = after + nbytes
            elif not is_read and in_dram[t] == 0:  # no room and no copy in DRAM: written there as made
                _charge(nbytes, True, tensors[t, ACT_TENSOR.spill_xfer], h, table, c, e, tmp_c, tmp_e)
                spilled[0] += nbytes
                in_dram[t] = 1
        for k in range(e0, e1):
            t = events[k, ACT_EVENT.tensor]
            if next_use[t] == NEVER and where[t] == 1:
                where[t] = 0
                used -= tensors[t, ACT_TENSOR.bytes]
        bytes_written[o] = spilled[0]
