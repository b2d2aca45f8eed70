"""The fast engine's schedule of one period: ops streamed in tiles through DMA, decoder and PE array.

Compiled (:func:`~accelsim.base.jit.kernel`). The reference engine schedules the same tiles as SimPy processes
(:mod:`accelsim.engines.reference.period`) and shares nothing of this module; ``docs/model.md`` §6 states the policy.

A period's rows are grouped into ops (:func:`accelsim.workload.build.group_ops`); the engine sums an op's per-row
costs (slots :data:`~accelsim.base.layouts.OP_COST`) and tiles it (:func:`tile_count`): T = max(1, ceil(max(bytes
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

from accelsim.base.jit import kernel
from accelsim.base.layouts import OP_COST


@kernel(inline=True)
def tile_count(bytes_read: int, bytes_written: int, tile: int) -> int:
    """Tiles of an op that reads and writes these bytes (weight-side rows wherever they live, other rows when
    they cross the bus): max(1, ceil(max(read, written) / tile))."""
    return max(1, (max(bytes_read, bytes_written) + tile - 1) // tile)


#: The most pending stores the jump-ahead compares (more: it does not try).
MAX_QUEUE = 8


@kernel(inline=True)
def _same_queue(st_ready: np.ndarray, st_cyc: np.ndarray, head: int, n: int, c: int, head0: int, n0: int,
                c0: int) -> bool:
    """Whether the pending stores [head, n) relative to cycle ``c`` equal those [head0, n0) relative to ``c0``
    (the FIFO keeps served entries, so the queue of a tile ago is still in the arrays)."""
    if n - head != n0 - head0 or n - head > MAX_QUEUE:
        return False
    for k in range(n - head):
        if st_ready[head + k] - c != st_ready[head0 + k] - c0 or st_cyc[head + k] != st_cyc[head0 + k]:
            return False
    return True


@kernel
def schedule_ops(opc: np.ndarray, slots: int, idle_out: np.ndarray, dec_stall_out: np.ndarray) -> tuple[int, int]:
    """Run one period's ops (``opc`` (n_ops, N_OP_COST), slots :data:`OP_COST`) tile by tile from an empty
    pipeline at cycle 0 (see the module docstring for the policy).

    Writes each op's PE idle cycles (its tiles' stalls) to ``idle_out`` and their decoder part to
    ``dec_stall_out`` (shape (n_ops,)). Returns (period cycles, tail), tail being the cycles the write queue
    drains after the last compute ends; period = compute + idle + tail.

    Jump-ahead (exact): within a run of identical tiles, once the pipeline's state relative to the last
    compute's end (the decoder's and the bus's free cycles, the PE's end two tiles back, the slot releases,
    the pending stores) is what it was one tile earlier, every later tile of the run repeats that tile shifted
    by the same cycles, so the rest of the run is added at once. A run whose tiles store without loading is
    simulated tile by tile (its stores pile up until the next load). The reference engine simulates every
    tile; the two agreeing checks this.
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
    # Release cycles of the last `slots` slot users: ring[k & mask] for user k (slots is 1 or 2; a mask, not
    # a modulo: an integer division three times a tile was a tenth of the scheduler's time).
    ring = np.zeros(2, dtype=np.int64)
    mask = slots - 1
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
        t = 0
        run_end = 0
        # The state after the previous tile of this run, relative to its compute end (for the jump-ahead).
        seen = False
        s_d = s_c2 = s_bus = s_r0 = s_r1 = s_c = s_head = s_n = 0
        while t < T:
            if t >= run_end:
                # A run: tiles whose shares are all the same (they change where a remainder runs out).
                run_end = T
                for b in (lr, wr, dr, cr):
                    if t < b < run_end:
                        run_end = b
                seen = False
            ld = lq + (1 if t < lr else 0)
            fl = 0
            if uses:
                ready = ring[n_users & mask] if n_users >= slots else 0
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
                ring[n_users & mask] = fc
                n_users += 1
            c_prev2 = c_prev
            c_prev = fc
            d_prev = fd
            t += 1
            if run_end - t < 2 or not (uses or st == 0) or (uses and n_users <= slots):
                seen = False
                continue
            r0, r1 = ring[n_users & mask], ring[(n_users + 1) & mask]  # oldest release first
            if (seen and fd - fc == s_d - s_c and c_prev2 - fc == s_c2 - s_c
                    and (not uses or (bus - fc == s_bus - s_c and r0 - fc == s_r0 - s_c and r1 - fc == s_r1 - s_c
                                      and _same_queue(st_ready, st_cyc, head, n_st, fc, s_head, s_n, s_c)))):
                # Periodic from here: the remaining m tiles of the run each repeat this one, `step` later.
                m = run_end - t
                step = fc - s_c
                shift = m * step
                idle_sum += m * idle
                dec_sum += m * min(idle, dec)
                d_prev += shift
                c_prev += shift
                c_prev2 += shift
                if uses:
                    bus += shift
                    for q in range(head, n_st):
                        st_ready[q] += shift
                    if slots == 2 and m % 2 == 1:  # an odd number of users on: the older release swaps place
                        ring[0], ring[1] = ring[1] + shift, ring[0] + shift
                    else:
                        ring[0] += shift
                        ring[1] += shift
                    n_users += m
                t += m
                seen = False
                continue
            seen = True
            s_d, s_c2, s_bus, s_r0, s_r1, s_c, s_head, s_n = fd, c_prev2, bus, r0, r1, fc, head, n_st
        idle_out[o] = idle_sum
        dec_stall_out[o] = dec_sum
    while head < n_st:
        bus = max(bus, st_ready[head]) + st_cyc[head]
        head += 1
    tail = max(bus, c_prev) - c_prev
    return c_prev + tail, tail
