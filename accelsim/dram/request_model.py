"""The request-level DRAM model: every burst through a cycle-stepped open-page memory controller.

This is the *check* for the closed forms (``accelsim.dram.closed_form``, what the engines charge), and is itself
checked against DRAMSim3 (``tests/test_dram.py``, ``tests/test_dram_protocols.py``). It follows
the usual controller structure (DRAMSim3's, Ramulator's):

* **Front end.** The DMA engine hands bursts over in order, as fast as the controller accepts them; a
  burst the controller refuses blocks the ones behind it (in-order issue). With ``requests_in_flight`` = K
  > 0, a burst of request k also waits until request k − K is complete (reads: data returned; writes:
  accepted — posted writes).
* **Queues, per channel.** Reads wait in a transaction queue (``queue_depth``), writes in a write buffer
  (``write_queue_depth``); each cycle one transaction moves on to its bank's command queue
  (``bank_queue_depth`` per bank): reads, or writes while the write buffer drains. The buffer starts
  draining when full, or when it holds more than 8 writes and no command waits; it drains the writes it
  held when it started, then reads go on.
* **Scheduler.** One command per cycle on the command bus (HBM: a row and a column command in the same
  cycle, ``dual_command``). Bank queues are visited round-robin; in each, the first command whose timing
  allows goes (first-ready, first-come-first-served): a READ/WRITE to the open row, an ACTIVATE to a
  closed bank, a PRECHARGE for the oldest request to another row — unless younger requests still hit the
  open row and fewer than ``row_hit_limit`` hits were served since it opened.
* **Timing.** Every command pushes forward the earliest time of the next command of every kind at the
  same bank, the other banks of its bank group, the other bank groups of its rank and the other ranks —
  the JEDEC constraint table (tRCD, tRP, tRAS, tRC, tCCD_S/L, tRRD_S/L, tWTR_S/L, tRTP, tWR, tRTRS and
  the read↔write turnaround), plus at most four ACTIVATEs per rank in a tFAW window and, on GDDR5/5X/6, 32
  in a t32AW window (DRAMSim3's ``timing.cc`` and ``channel_state.cc`` enforce no others on these protocols).
* **Refresh.** Each rank is refreshed every tREFI (staggered: ranks take turns every tREFI/ranks, the
  schedule's phase ``refresh_phase_ck``): its open banks are precharged, then REF blocks it for tRFC.
* **Energy.** The IDD model (Micron TN-41-01, as DRAMSim3): per ACTIVATE VDD·(IDD0·tRC − IDD3N·tRAS −
  IDD2N·tRP), per READ/WRITE VDD·(IDD4R/W − IDD3N)·burst, per REF VDD·(IDD5AB − IDD3N)·tRFC, each times the
  devices of a rank; background VDD·IDD3N per cycle a rank has a row open, VDD·IDD2N otherwise; plus
  ``io_pj_per_bit`` for every bit on the bus (interface energy; 0 for a DRAMSim3 config).

Time ends when the last read data has returned and the last write data is on the bus.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from accelsim.base.errors import InputError
from accelsim.base.jit import kernel
from accelsim.dram.address import decode, layout
from accelsim.dram.part import MemorySystem
from accelsim.dram.patterns import BurstStream, Pattern, burst_stream

# Command kinds (index into the per-bank "earliest time" table).
ACT, RD, WR, PRE, REF = 0, 1, 2, 3, 4
# Packed parameter vector (int64), by index.
(P_CH, P_RANKS, P_BG, P_BPG, P_BURST, P_RL, P_WL, P_RCD, P_RCDWR, P_RP, P_RAS, P_CCDS, P_CCDL, P_RRDS, P_RRDL,
 P_FAW, P_WTRS, P_WTRL, P_RTP, P_WR, P_RTRS, P_REFI, P_RFC, P_PPD, P_Q, P_BQ, P_WQ, P_DUAL, P_HITCAP, P_SIMUL,
 P_INFLIGHT, P_REF_PHASE, P_32AW) = range(33)
N_P = 33
# Result vector (int64), by index.
(S_END, S_ACT, S_RD, S_WR, S_REF, S_HITS, S_ACTIVE_RANK_CK, S_IDLE_RANK_CK, S_SWITCHES) = range(9)
N_S = 9


def pack_params(mem: MemorySystem, requests_in_flight: int = 0, refresh_phase_ck: int = 0) -> np.ndarray:
    """The int64 parameter vector of :func:`simulate_bursts` (shape (N_P,)).

    ``refresh_phase_ck``: how far into its refresh schedule the part is at the start (0 ≤ phase < tREFI);
    refresh k is due at k·interval − phase. 0 is DRAMSim3's schedule (first refresh one interval in).
    """
    p, t, o, c = mem.part, mem.part.timing, mem.part.org, mem.controller
    v = np.zeros(N_P, dtype=np.int64)
    v[P_CH], v[P_RANKS], v[P_BG], v[P_BPG] = o.channels, o.ranks, o.bankgroups, o.banks_per_group
    v[P_BURST], v[P_RL], v[P_WL] = p.burst_ck, t.cl_ck, t.cwl_ck
    v[P_RCD], v[P_RCDWR], v[P_RP], v[P_RAS] = t.trcd_ck, t.trcdwr_ck, t.trp_ck, t.tras_ck
    v[P_CCDS], v[P_CCDL], v[P_RRDS], v[P_RRDL], v[P_FAW] = t.tccd_s_ck, t.tccd_l_ck, t.trrd_s_ck, t.trrd_l_ck, t.tfaw_ck
    v[P_WTRS], v[P_WTRL], v[P_RTP], v[P_WR], v[P_RTRS] = t.twtr_s_ck, t.twtr_l_ck, t.trtp_ck, t.twr_ck, t.trtrs_ck
    v[P_REFI], v[P_RFC], v[P_PPD] = t.trefi_ck, t.trfc_ck, t.tppd_ck
    v[P_Q], v[P_BQ], v[P_WQ] = c.queue_depth, c.bank_queue_depth, c.write_queue_depth
    v[P_DUAL], v[P_HITCAP] = int(c.dual_command), c.row_hit_limit
    v[P_SIMUL] = int(c.refresh == "rank_simultaneous")
    v[P_INFLIGHT] = requests_in_flight
    v[P_REF_PHASE] = refresh_phase_ck
    v[P_32AW] = t.t32aw_ck
    return v


@kernel(inline=True)
def _rank_open(open_row, c, r, nbr):
    """Whether rank ``r`` of channel ``c`` has a row open in any of its ``nbr`` banks (active standby)."""
    for k in range(nbr):  # noqa: SIM110 - numba compiles the loop; any() over a generator it does not
        if open_row[c, r * nbr + k] >= 0:
            return True
    return False


@kernel(inline=True)
def _push(nxt, c, b, kind, t):
    if nxt[c, b, kind] < t:
        nxt[c, b, kind] = t


@kernel(inline=True)
def _update_timing(nxt, p, c, bank, kind, t):
    """Earliest next commands after ``kind`` issued at cycle ``t`` to ``bank`` of channel ``c``."""
    ranks, nbg, bpg = p[P_RANKS], p[P_BG], p[P_BPG]
    nb = nbg * bpg
    burst, rl, wl, rtrs = p[P_BURST], p[P_RL], p[P_WL], p[P_RTRS]
    rank, bg = bank // nb, (bank % nb) // bpg
    ccd_l, ccd_s = max(burst, p[P_CCDL]), max(burst, p[P_CCDS])
    rd_to_wr = rl + burst - wl + rtrs
    for r in range(ranks):
        for g in range(nbg):
            for k in range(bpg):
                b = (r * nbg + g) * bpg + k
                if kind == RD:
                    if r != rank:
                        _push(nxt, c, b, RD, t + burst + rtrs)
                        _push(nxt, c, b, WR, t + rd_to_wr)
                    else:
                        _push(nxt, c, b, RD, t + (ccd_l if g == bg else ccd_s))
                        _push(nxt, c, b, WR, t + rd_to_wr)
                        if b == bank:
                            _push(nxt, c, b, PRE, t + p[P_RTP])
                elif kind == WR:
                    if r != rank:
                        _push(nxt, c, b, RD, t + max(0, wl + burst + rtrs - rl))
                        _push(nxt, c, b, WR, t + burst)
                    else:
                        _push(nxt, c, b, RD, t + wl + burst + (p[P_WTRL] if g == bg else p[P_WTRS]))
                        _push(nxt, c, b, WR, t + (ccd_l if g == bg else ccd_s))
                        if b == bank:
                            _push(nxt, c, b, PRE, t + wl + burst + p[P_WR])
                elif kind == ACT:
                    if r == rank:
                        if b == bank:
                            _push(nxt, c, b, ACT, t + p[P_RAS] + p[P_RP])
                            _push(nxt, c, b, RD, t + p[P_RCD])
                            _push(nxt, c, b, WR, t + p[P_RCDWR])
                            _push(nxt, c, b, PRE, t + p[P_RAS])
                        else:
                            _push(nxt, c, b, ACT, t + (p[P_RRDL] if g == bg else p[P_RRDS]))
                elif kind == PRE:
                    if b == bank:
                        _push(nxt, c, b, ACT, t + p[P_RP])
                        _push(nxt, c, b, REF, t + p[P_RP])
                    elif r == rank and p[P_PPD] > 0:
                        _push(nxt, c, b, PRE, t + p[P_PPD])
                elif kind == REF and r == rank:
                    _push(nxt, c, b, ACT, t + p[P_RFC])
                    _push(nxt, c, b, REF, t + p[P_RFC])


@kernel(inline=True)
def _faw_ok(faw, c, rank, t, tfaw):
    # faw[c, rank, 0..n-1]: times of the last n ACTIVATEs (-inf as a large negative number); one more may go
    # once the oldest has left the window (n = 4 for tFAW, 32 for GDDR's t32AW)
    oldest = faw[c, rank, 0]
    for i in range(1, faw.shape[2]):
        if faw[c, rank, i] < oldest:
            oldest = faw[c, rank, i]
    return t >= oldest + tfaw


@kernel(inline=True)
def _faw_add(faw, c, rank, t):
    j = 0
    for i in range(1, faw.shape[2]):
        if faw[c, rank, i] < faw[c, rank, j]:
            j = i
    faw[c, rank, j] = t


@kernel(inline=True)
def _pick(p, clk, c, row_of, is_wr, cq, cq_n, open_row, hits, nxt, faw, aw32, rr, ref_rank, want_rw):
    """The first ready command, visiting bank queues round-robin from rr[c] + 1.

    ``want_rw``: 1 = column commands only, 0 = row commands only, -1 = any. Returns (kind, bank, slot) or
    (-1, -1, -1); advances rr[c] to the queue it came from.
    """
    nb_total = cq.shape[1]
    nb = p[P_BG] * p[P_BPG]
    # the refreshing rank's banks are skipped (no divisions in the loop: it runs every cycle)
    ref_lo, ref_hi = (ref_rank * nb, ref_rank * nb + nb) if ref_rank >= 0 else (0, 0)
    b = rr[c]
    for _ in range(nb_total):
        b += 1
        if b == nb_total:
            b = 0
        if ref_lo <= b < ref_hi:
            continue
        n = cq_n[c, b]
        if n == 0:
            continue
        orow = open_row[c, b]
        if orow < 0:  # every request here needs an ACTIVATE: the oldest goes, if any may
            if want_rw == 1 or clk < nxt[c, b, ACT] or not _faw_ok(faw, c, b // nb, clk, p[P_FAW]):
                continue
            if p[P_32AW] > 0 and not _faw_ok(aw32, c, b // nb, clk, p[P_32AW]):
                continue
            rr[c] = b
            return ACT, b, 0
        # A row is open: hits need a READ/WRITE; the oldest request, if it misses, may PRECHARGE (unless
        # younger requests still hit the open row and fewer than row_hit_limit hits were served since it opened).
        if want_rw != 1 and row_of[cq[c, b, 0]] != orow and clk >= nxt[c, b, PRE]:
            pending_hit = False
            for s2 in range(n):
                if row_of[cq[c, b, s2]] == orow:
                    pending_hit = True
                    break
            if not (pending_hit and hits[c, b] < p[P_HITCAP]):
                rr[c] = b
                return PRE, b, 0
        if want_rw == 0:
            continue
        rd_ok, wr_ok = clk >= nxt[c, b, RD], clk >= nxt[c, b, WR]
        if not (rd_ok or wr_ok):
            continue
        for s in range(n):  # the first hit whose command may go (first-ready, first-come-first-served)
            i = cq[c, b, s]
            if row_of[i] == orow and (wr_ok if is_wr[i] else rd_ok):
                rr[c] = b
                return (WR if is_wr[i] else RD), b, s
    return -1, -1, -1


@kernel(inline=True)
def _front_end(p, clk, ch, is_wr, request, left, done_at, oldest, nxt_in, rq, rq_n, wq, wq_n, scan, moved):
    """The DMA front end at cycle ``clk``: hands bursts over in order, as many as the queues accept (and
    ``requests_in_flight`` allows; a channel that takes one is marked in ``scan``). Returns (oldest incomplete
    request, next burst to hand over, ``moved`` or whether anything changed)."""
    n = ch.shape[0]
    n_requests = left.shape[0]
    while oldest < n_requests and left[oldest] == 0 and done_at[oldest] <= clk:
        oldest += 1
        moved = True
    while nxt_in < n:
        i = nxt_in
        if p[P_INFLIGHT] > 0 and request[i] >= oldest + p[P_INFLIGHT]:
            break
        c = ch[i]
        if is_wr[i]:
            if wq_n[c] >= p[P_WQ]:
                break
            wq[c, wq_n[c]] = i
            wq_n[c] += 1
            left[request[i]] -= 1  # posted write: complete once accepted
            if done_at[request[i]] < clk + 1:
                done_at[request[i]] = clk + 1
        else:
            if rq_n[c] >= p[P_Q]:
                break
            rq[c, rq_n[c]] = i
            rq_n[c] += 1
        scan[c] = 1
        nxt_in += 1
        moved = True
    return oldest, nxt_in, moved


@kernel(inline=True)
def _next_event(p, clk, first_ref, interval, nxt, faw, aw32, done_at, left, oldest, n_requests):
    """The first cycle after ``clk`` at which a timing condition of :func:`simulate_bursts` can change: a
    command's earliest time, an ACTIVATE leaving the tFAW window, a refresh falling due, the oldest request
    completing (-1 if none lies ahead)."""
    t = -1
    # refresh k is due at first_ref + m·interval (cycles > 0)
    due = first_ref if clk < first_ref else first_ref + ((clk - first_ref) // interval + 1) * interval
    t = due
    for c in range(nxt.shape[0]):
        for b in range(nxt.shape[1]):
            for k in range(nxt.shape[2]):
                x = nxt[c, b, k]
                if clk < x < t:
                    t = x
        for r in range(faw.shape[1]):
            for i in range(faw.shape[2]):
                x = faw[c, r, i] + p[P_FAW]
                if clk < x < t:
                    t = x
            if p[P_32AW] > 0:
                for i in range(aw32.shape[2]):
                    x = aw32[c, r, i] + p[P_32AW]
                    if clk < x < t:
                        t = x
    if oldest < n_requests and left[oldest] == 0 and clk < done_at[oldest] < t:
        t = done_at[oldest]
    return t


@kernel
def simulate_bursts(p, ch, bank, row, is_wr, request, n_requests):
    """Run bursts (arrays of shape (n,), in issue order) through the controller; returns the stats vector.

    ``bank`` is the bank's index within its channel ((rank · bankgroups + group) · banks_per_group + bank).
    Result (int64, shape (N_S,)): end cycle, ACTIVATE/READ/WRITE/REF counts, row hits, rank-cycles with a
    row open and with none, read↔write switches of the data bus.
    """
    n = ch.shape[0]
    C = p[P_CH]
    nb = p[P_RANKS] * p[P_BG] * p[P_BPG]
    nbr = p[P_BG] * p[P_BPG]
    Q, BQ, WQ = p[P_Q], p[P_BQ], p[P_WQ]
    burst, rl, wl = p[P_BURST], p[P_RL], p[P_WL]
    rq = np.zeros((C, Q), dtype=np.int64)
    rq_n = np.zeros(C, dtype=np.int64)
    wq = np.zeros((C, WQ), dtype=np.int64)
    wq_n = np.zeros(C, dtype=np.int64)
    cq = np.zeros((C, nb, BQ), dtype=np.int64)
    cq_n = np.zeros((C, nb), dtype=np.int64)
    open_row = -np.ones((C, nb), dtype=np.int64)
    hits = np.zeros((C, nb), dtype=np.int64)
    nxt = np.zeros((C, nb, 5), dtype=np.int64)
    faw = np.full((C, p[P_RANKS], 4), -(1 << 40), dtype=np.int64)
    # GDDR's t32AW: the last 32 ACTIVATEs per rank (one unused slot where the part has no such window)
    aw32 = np.full((C, p[P_RANKS], 32 if p[P_32AW] > 0 else 1), -(1 << 40), dtype=np.int64)
    rr = np.full(C, nb - 1, dtype=np.int64)
    draining = np.zeros(C, dtype=np.int64)
    ref_need = np.zeros((C, p[P_RANKS]), dtype=np.int64)
    ref_next = np.zeros(C, dtype=np.int64)
    ref_rank = -np.ones(C, dtype=np.int64)
    last_dir = -np.ones(C, dtype=np.int64)
    # whether a channel's queue may have a transaction to move to its bank queue: cleared by a scan that moves
    # none, set again when a bank queue frees a slot, a transaction arrives or the write buffer starts draining
    scan = np.ones(C, dtype=np.int64)
    # Refresh k (k = 1, 2, ...) is due at k·interval − phase, for rank (k − 1) mod ranks; phase 0 is
    # DRAMSim3's schedule (first refresh at one interval, rank 0). A refresh due before the start may
    # still be running: its rank cannot activate until it ends.
    interval = p[P_REFI] if p[P_SIMUL] else max(1, p[P_REFI] // p[P_RANKS])
    phase = p[P_REF_PHASE]
    k0 = phase // interval + 1
    first_ref = k0 * interval - phase
    for c in range(C):
        ref_next[c] = 0 if p[P_SIMUL] else (k0 - 1) % p[P_RANKS]
        t_prev = first_ref - interval
        if t_prev < 0 and t_prev + p[P_RFC] > 0:
            r_prev = (k0 - 2) % p[P_RANKS]
            for r in range(p[P_RANKS]):
                if p[P_SIMUL] or r == r_prev:
                    for k in range(nbr):
                        nxt[c, r * nbr + k, ACT] = t_prev + p[P_RFC]
                        nxt[c, r * nbr + k, REF] = t_prev + p[P_RFC]
    # per-request completion (for requests_in_flight): bursts left and latest completion cycle
    left = np.zeros(n_requests, dtype=np.int64)
    done_at = np.zeros(n_requests, dtype=np.int64)
    for i in range(n):
        left[request[i]] += 1
    oldest = 0
    stats = np.zeros(N_S, dtype=np.int64)
    nxt_in = 0
    issued_rw = 0
    end = 0
    clk = 0
    while issued_rw < n:
        moved = False  # whether anything but the clock changed this cycle
        for c in range(C):
            # refresh due: mark the next rank (all ranks when simultaneous)
            if clk >= first_ref and (clk - first_ref) % interval == 0 and clk > 0:
                moved = True
                if p[P_SIMUL]:
                    for r in range(p[P_RANKS]):
                        ref_need[c, r] = 1
                else:
                    ref_need[c, ref_next[c]] = 1
                    ref_next[c] = (ref_next[c] + 1) % p[P_RANKS]
            kind, b, s = -1, -1, -1
            if ref_rank[c] < 0:
                for r in range(p[P_RANKS]):
                    if ref_need[c, r]:
                        ref_rank[c] = r
                        moved = True
                        break
            if ref_rank[c] >= 0:
                r = ref_rank[c]
                ready = 0
                for k in range(nbr):
                    bb = r * nbr + k
                    if open_row[c, bb] >= 0:
                        if clk >= nxt[c, bb, PRE]:
                            kind, b = PRE, bb
                            break
                    elif clk >= nxt[c, bb, REF]:
                        ready += 1
                if kind < 0 and ready == nbr:
                    kind, b = REF, r * nbr
            if kind < 0:
                kind, b, s = _pick(p, clk, c, row, is_wr, cq, cq_n, open_row, hits, nxt, faw, aw32, rr, ref_rank[c], -1)
            for rep in range(2):
                if kind < 0:
                    break
                moved = True
                rank = b // nbr
                if kind == REF:
                    for k in range(nbr):
                        open_row[c, rank * nbr + k] = -1
                    ref_need[c, rank] = 0
                    ref_rank[c] = -1
                    stats[S_REF] += 1
                elif kind == PRE:
                    open_row[c, b] = -1
                    hits[c, b] = 0
                elif kind == ACT:
                    i = cq[c, b, s]
                    open_row[c, b] = row[i]
                    hits[c, b] = 0
                    _faw_add(faw, c, rank, clk)
                    if p[P_32AW] > 0:
                        _faw_add(aw32, c, rank, clk)
                    stats[S_ACT] += 1
                else:  # column command: the burst leaves its bank queue
                    i = cq[c, b, s]
                    for s2 in range(s, cq_n[c, b] - 1):
                        cq[c, b, s2] = cq[c, b, s2 + 1]
                    cq_n[c, b] -= 1
                    scan[c] = 1
                    if hits[c, b] > 0:
                        stats[S_HITS] += 1
                    hits[c, b] += 1
                    issued_rw += 1
                    d = 1 if kind == WR else 0
                    if last_dir[c] >= 0 and last_dir[c] != d:
                        stats[S_SWITCHES] += 1
                    last_dir[c] = d
                    if kind == RD:
                        stats[S_RD] += 1
                        t_done = clk + rl + burst
                        if done_at[request[i]] < t_done:
                            done_at[request[i]] = t_done
                        left[request[i]] -= 1
                    else:
                        stats[S_WR] += 1
                        t_done = clk + wl + burst
                    if t_done > end:
                        end = t_done
                _update_timing(nxt, p, c, b, kind, clk)
                if rep == 0 and p[P_DUAL]:
                    # HBM: separate row and column command buses, one command each per cycle
                    want = 0 if (kind in (RD, WR)) else 1
                    kind, b, s = _pick(p, clk, c, row, is_wr, cq, cq_n, open_row, hits, nxt, faw, aw32, rr, ref_rank[c],
                                       want)
                else:
                    break
            # background: a rank with a row open is in active standby
            for r in range(p[P_RANKS]):
                stats[S_ACTIVE_RANK_CK if _rank_open(open_row, c, r, nbr) else S_IDLE_RANK_CK] += 1
            # one transaction per cycle from the read queue (or the draining write buffer) to a bank queue
            if draining[c] == 0:
                empty = True
                for bb in range(nb):
                    if cq_n[c, bb] > 0:
                        empty = False
                        break
                # full, or more than 8 and nothing else to do; at the end of the stream, whatever is left
                if wq_n[c] >= WQ or (wq_n[c] > 8 and empty) or (nxt_in == n and rq_n[c] == 0 and empty):
                    if wq_n[c] > 0:
                        moved = True
                        scan[c] = 1
                    draining[c] = wq_n[c]
            if draining[c] > 0:
                qa, qn = wq, wq_n
            else:
                qa, qn = rq, rq_n
            for s in range(qn[c] if scan[c] else 0):
                i = qa[c, s]
                bb = bank[i]
                if cq_n[c, bb] < BQ:
                    cq[c, bb, cq_n[c, bb]] = i
                    cq_n[c, bb] += 1
                    for s2 in range(s, qn[c] - 1):
                        qa[c, s2] = qa[c, s2 + 1]
                    qn[c] -= 1
                    if draining[c] > 0:
                        draining[c] -= 1
                    moved = True
                    break
            else:
                scan[c] = 0  # nothing could move: no need to look again until something changes
        clk += 1
        oldest, nxt_in, moved = _front_end(p, clk, ch, is_wr, request, left, done_at, oldest, nxt_in, rq, rq_n, wq,
                                           wq_n, scan, moved)
        if not moved:
            # Nothing changed this cycle: every cycle until the next timing threshold (a command allowed, an
            # activate window sliding, a refresh due, a request completing) would repeat it. Jump there,
            # counting the ranks' background for the cycles skipped (the same figures as stepping them).
            t_next = _next_event(p, clk - 1, first_ref, interval, nxt, faw, aw32, done_at, left, oldest, n_requests)
            if t_next > clk:
                for c in range(C):
                    for r in range(p[P_RANKS]):
                        stats[S_ACTIVE_RANK_CK if _rank_open(open_row, c, r, nbr) else S_IDLE_RANK_CK] += t_next - clk
                clk = t_next
                oldest, nxt_in, moved = _front_end(p, clk, ch, is_wr, request, left, done_at, oldest, nxt_in, rq,
                                                   rq_n, wq, wq_n, scan, moved)
    stats[S_END] = max(end, clk)
    return stats


@dataclass(frozen=True)
class DRAMStats:
    """Figures of one pattern on one memory system (either model).

    Attributes:
        seconds: time to move the pattern (first request to last data).
        useful_bytes: bytes the pattern asked for; bus_bytes: bytes of the bursts moved.
        effective_gbps: useful_bytes / seconds / 1e9. bus_gbps: bus_bytes / seconds / 1e9.
        peak_gbps: the part's data-bus peak.
        row_hit_rate: share of READ/WRITEs that found their row open (the first after an ACTIVATE is a miss).
        activations, refreshes: commands issued.
        energy_pj: total; energy_core_pj: IDD model (what DRAMSim3 reports); energy_io_pj: interface.
        energy_pj_per_bit, core_pj_per_bit: per bit of useful data.
        energy_parts_pj: core energy by part (activate, read, write, refresh, background).
        model: "request" or "closed".
    """

    seconds: float
    useful_bytes: int
    bus_bytes: int
    effective_gbps: float
    bus_gbps: float
    peak_gbps: float
    row_hit_rate: float
    activations: float
    refreshes: float
    energy_pj: float
    energy_core_pj: float
    energy_io_pj: float
    energy_pj_per_bit: float
    core_pj_per_bit: float
    energy_parts_pj: dict[str, float]
    model: str


def command_energies_pj(mem: MemorySystem) -> dict[str, float]:
    """Energy per command and background power per rank (pJ and pJ/cycle), IDD model, all devices of a rank."""
    p, t, w = mem.part, mem.part.timing, mem.part.power
    dev = p.org.devices_per_rank * w.vdd_v * t.tck_ns  # mA · V · ns = pJ per cycle of 1 mA
    return {
        "act": dev * (w.idd0_ma * t.trc_ck - (w.idd3n_ma * t.tras_ck + w.idd2n_ma * t.trp_ck)),
        "read": dev * (w.idd4r_ma - w.idd3n_ma) * p.burst_ck,
        "write": dev * (w.idd4w_ma - w.idd3n_ma) * p.burst_ck,
        "refresh": dev * (w.idd5ab_ma - w.idd3n_ma) * t.trfc_ck,
        "active_per_ck": dev * w.idd3n_ma,
        "idle_per_ck": dev * w.idd2n_ma,
    }


def make_stats(mem: MemorySystem, useful: int, bus: int, end_ck: float, acts: float, reads: float, writes: float,
               refs: float, hits: float, active_rank_ck: float, idle_rank_ck: float, model: str) -> DRAMStats:
    """Assemble a :class:`DRAMStats` from command counts (shared by both models)."""
    e = command_energies_pj(mem)
    parts = {"activate": acts * e["act"], "read": reads * e["read"], "write": writes * e["write"],
             "refresh": refs * e["refresh"],
             "background": active_rank_ck * e["active_per_ck"] + idle_rank_ck * e["idle_per_ck"]}
    core = sum(parts.values())
    io = bus * 8 * mem.part.power.io_pj_per_bit
    sec = end_ck * mem.part.timing.tck_ns * 1e-9
    cols = reads + writes
    return DRAMStats(seconds=sec, useful_bytes=useful, bus_bytes=bus, effective_gbps=useful / sec / 1e9,
                     bus_gbps=bus / sec / 1e9, peak_gbps=mem.part.peak_gbps,
                     row_hit_rate=hits / cols if cols else 0.0, activations=acts, refreshes=refs,
                     energy_pj=core + io, energy_core_pj=core, energy_io_pj=io,
                     energy_pj_per_bit=(core + io) / (8 * useful), core_pj_per_bit=core / (8 * useful),
                     energy_parts_pj=parts, model=model)


#: Bursts the request-level model steps through at most (its arrays take about 40 B per burst).
MAX_BURSTS = 1 << 26


def simulate(mem: MemorySystem, pattern: Pattern, stream: BurstStream | None = None,
             refresh_phase_ck: int = 0) -> DRAMStats:
    """Run a pattern through the request-level model (every burst is stepped: at most :data:`MAX_BURSTS`)."""
    bursts = -(-pattern.total_bytes // mem.part.org.burst_bytes)
    if stream is None and bursts > MAX_BURSTS:
        raise InputError("--bytes", str(pattern.total_bytes),
                         f"the request-level model steps every burst: {bursts:,} bursts is more than its "
                         f"{MAX_BURSTS:,} ({MAX_BURSTS * mem.part.org.burst_bytes / 2**30:.0f} GiB here); use "
                         "--model closed for larger streams")
    stream = stream if stream is not None else burst_stream(pattern, mem)
    d = decode(stream.addr, mem.part.org, layout(mem.part.org, mem.controller.address_map))
    p = pack_params(mem, pattern.requests_in_flight, refresh_phase_ck)
    s = simulate_bursts(p, d.channel, d.bank, d.row, stream.is_write.astype(np.bool_), stream.request,
                        stream.n_requests)
    bus = int(stream.addr.size) * mem.part.org.burst_bytes
    return make_stats(mem, stream.useful_bytes, bus, float(s[S_END]), float(s[S_ACT]), float(s[S_RD]),
                      float(s[S_WR]), float(s[S_REF]), float(s[S_HITS]), float(s[S_ACTIVE_RANK_CK]),
                      float(s[S_IDLE_RANK_CK]), "request")


def simulate_expected(mem: MemorySystem, pattern: Pattern, samples: int = 16) -> DRAMStats:
    """The request-level model averaged over ``samples`` runs: evenly spaced points of the refresh schedule
    and, for random patterns, as many address draws (seeds ``pattern.seed`` + k).

    A transfer's time depends on where refreshes fall in it and on which banks its random addresses hit;
    the closed forms give the expectation over both, which this estimates (times and counts averaged,
    figures rebuilt from them).
    """
    acc = np.zeros(N_S, dtype=np.float64)
    stream = None
    for k in range(samples):
        if stream is None or pattern.kind == "random":
            stream = burst_stream(replace(pattern, seed=pattern.seed + k), mem)
            d = decode(stream.addr, mem.part.org, layout(mem.part.org, mem.controller.address_map))
            wr = stream.is_write.astype(np.bool_)
        p = pack_params(mem, pattern.requests_in_flight, k * mem.part.timing.trefi_ck // samples)
        acc += simulate_bursts(p, d.channel, d.bank, d.row, wr, stream.request, stream.n_requests)
    acc /= samples
    bus = int(stream.addr.size) * mem.part.org.burst_bytes
    return make_stats(mem, stream.useful_bytes, bus, acc[S_END], acc[S_ACT], acc[S_RD], acc[S_WR], acc[S_REF],
                      acc[S_HITS], acc[S_ACTIVE_RANK_CK], acc[S_IDLE_RANK_CK], "request")
