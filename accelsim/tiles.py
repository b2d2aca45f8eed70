"""The fast engine's schedule of one period: ops streamed in tiles through DMA, decoder and PE array.

Compiled (:func:`~accelsim.jit.kernel`). The reference engine schedules the same tiles as SimPy processes
(:mod:`accelsim.period`) and shares nothing of this module; ``docs/model.md`` §6 states the policy.

A period's rows are grouped into ops (:func:`accelsim.workload.group_ops`); the engine sums an op's per-row
costs (slots :data:`~accelsim.layouts.OP_COST`) and tiles it (:func:`tile_count`): T = max(1, ceil(max(bytes
read, bytes written) / tile bytes)), counting every weight-side row (resident or not) and every row that
crosses the DRAM bus. Tile t of an op carries
``share(X, t) = X // T + (1 if t < X % T else 0)`` of each of the op's totals X (load, store, decode and
compute cycles), so tiles add up to the op exactly. :func:`schedule_ops` then runs the tiles in order:

* **Stream slots.** ``slots`` tiles fit the stream region (2 with double buffering, else 1). A tile of an op
  that reads DRAM takes a slot when one is free (the release of the slot user ``slots`` tiles earlier) and
  gives it back when its compute ends. Tiles of ops that read nothing from DRAM take no slot.
* **One bus, two queues.** Loads (in tile order) and stores (in tile order) share the DMA engine and are
  served first come, first served by the time they became ready, a load winning a tie: a load is ready when
  it has its slot, a store when its tile's compute ends. Transfers are not pre-empted. Stores hold no slot
  (their results wait in the write queue).
* **Decoder.** In order; tile j starts once it is loaded, tile j-1 is decoded and tile j-2 is computed (the
  decoder's output holds two tiles).
* **PE array.** In order; tile j computes once decoded and tile j-1 is done. Its idle time before it is its
  stall: the decoder's part is min(idle, its decode cycles), the rest is memory.
* **Period end.** After the last compute the write queue drains; the period ends when both are done.
"""

from __future__ import annotations

import numpy as np

from accelsim.jit import kernel
from accelsim.layouts import OP_COST


@kernel(inline=True)
def tile_count(bytes_read: int, bytes_written: int, tile: int) -> int:
    """Tiles of an op that reads and writes these bytes (weight-side rows wherever they live, other rows when
    they cross the bus): max(1, ceil(max(read, written) / tile))."""
    return max(1, (max(bytes_read, bytes_written) + tile - 1) // tile)


@kernel
def schedule_ops(opc: np.ndarray, slots: int, idle_out: np.ndarray, dec_stall_out: np.ndarray) -> tuple[int, int]:
    """Run one period's ops (``opc`` (n_ops, N_OP_COST), slots :data:`OP_COST`) tile by tile from an empty
    pipeline at cycle 0 (see the module docstring for the policy).

    Writes each op's PE idle cycles (its tiles' stalls) to ``idle_out`` and their decoder part to
    ``dec_stall_out`` (shape (n_ops,)). Returns (period cycles, tail), tail being the cycles the write queue
    drains after the last compute ends; period = compute + idle + tail.
    """
    n_ops = opc.shape[0]
    n_tiles = 0
    for o in range(n_ops):
        n_tiles += opc[o, OP_COST.tiles]
    # The write queue (FIFO): ready cycle and DMA cycles of each pending store.
    st_ready = np.empty(n_tiles, dtype=np.int64)
    st_cyc = np.empty(n_tiles, dtype=np.int64)
    head = 0
    n_st = 0
    # Release cycles of the last `slots` slot users: ring[k % slots] for user k.
    ring = np.zeros(2, dtype=np.int64)
    n_users = 0
    bus = 0        # the DMA engine is free from this cycle
    d_prev = 0     # decoder: end of the previous tile
    c_prev = 0     # PE: end of the previous tile
    c_prev2 = 0    # PE: end of the tile before that
    for o in range(n_ops):
        T = opc[o, OP_COST.tiles]
        L = opc[o, OP_COST.load_cycles]
        W = opc[o, OP_COST.store_cycles]
        D = opc[o, OP_COST.decode_cycles]
        C = opc[o, OP_COST.compute_cycles]
        lq, lr = L // T, L % T
        wq, wr = W // T, W % T
        dq, dr = D // T, D % T
        cq, cr = C // T, C % T
        uses = L > 0
        idle_sum = 0
        dec_sum = 0
        for t in range(T):
            ld = lq + (1 if t < lr else 0)
            fl = 0
            if uses:
                ready = ring[n_users % slots] if n_users >= slots else 0
                if ld > 0:
                    # First come, first served: stores that became ready before this load go first.
                    while head < n_st and st_ready[head] < ready:
                        bus = max(bus, st_ready[head]) + st_cyc[head]
                        head += 1
                    fl = max(bus, ready) + ld
                    bus = fl
                else:
                    fl = ready
            dec = dq + (1 if t < dr else 0)
            fd = max(max(fl, d_prev), c_prev2) + dec
            start = max(fd, c_prev)
            idle = start - c_prev
            idle_sum += idle
            dec_sum += min(idle, dec)
            fc = start + cq + (1 if t < cr else 0)
            st = wq + (1 if t < wr else 0)
            if st > 0:
                st_ready[n_st] = fc
                st_cyc[n_st] = st
                n_st += 1
            if uses:
                ring[n_users % slots] = fc
                n_users += 1
            c_prev2 = c_prev
            c_prev = fc
            d_prev = fd
        idle_out[o] = idle_sum
        dec_stall_out[o] = dec_sum
    while head < n_st:
        bus = max(bus, st_ready[head]) + st_cyc[head]
        head += 1
    tail = max(bus, c_prev) - c_prev
    return c_prev + tail, tail
