"""Closed forms of the banked DRAM model: the time, commands and energy of one stream, without simulating it.

These are what the engines call per transfer (``accelsim.cost.dram_cost.dram_stream``: loads, stores and the replay
gather): ``stream_cost`` is numba-compiled and a pure function of numbers (the packed memory system ``v`` from
:func:`pack_system` and the stream's description). They approximate the request-level model
(``accelsim.dram.request_model``) — same controller, same timings — and ``tests/test_dram.py`` and
``tests/test_dram_engine_streams.py`` hold them to within 5 % of it on the sequential streams the engines produce
and to 10 % on their replay gathers (docs/model.md §10.6); the gathers are also held to DRAMSim3's mean over
address draws (``tests/test_dram_protocols.py``). The equations, with their reasoning, are in ``docs/model.md``
§10; in short, per channel:

* **Runs.** A sequential or strided stream is a sequence of *runs*: bursts that stay in one row of one bank.
  Within a run the column commands go every c₁ = max(burst, tCCD_L) cycles. The next run's bursts enter
  the controller once the current run has ``window`` bursts left; after the move, an ACTIVATE and tRCD they
  can go, and where the next run lies in another bank group the two runs' columns interleave every
  c₂ = max(burst, tCCD_S, c₁/2) (another rank: burst + tRTRS): the row activation hides behind the other
  bank's data. A next run in the *same* bank must wait for the precharge: tRTP (writes: WL + burst + tWR)
  + tRP + tRCD is exposed.
  Where every run of a channel fits its bank queue, the controller holds many runs at once and their columns
  interleave across all the bank groups they reach: max(tCCD_S, tCCD_L / groups) a column. A request smaller
  than a burst moves a whole burst: streams are walked in bus bytes, effective bandwidth is useful bytes.
* **Requests at random addresses** cost, per channel, the largest of: the data bus (s bursts each), the
  column cadence per bank group, the activate rate (tRRD, four per tFAW and, on GDDR, 32 per t32AW per rank;
  ranks in parallel, each switch of rank a tRTRS on the data bus), each
  bank's cycle (tRP + tRCD + the columns + tRTP) over the banks the window keeps busy, the command bus, and
  the window's latency (Little's law). Over several channels an in-order front end stalls at the first
  request whose channel is full; the channels kept busy follow from the expected number of requests admitted
  before such a stall (the birthday problem).
* **Direction switches.** Writes wait in the write buffer and drain in batches; each batch costs a
  read→write (CL + burst − CWL + tRTRS) and a write→read (CWL + burst + tWTR) turnaround, and a sequential
  direction's runs overlap at a row boundary only within its own batch.
* **Refresh.** A refresh of the rank a stream is in stops it for tRFC plus the precharge before and the
  activate after; a transfer is hit at rate 1/tREFI (random streams over several ranks: every refresh, less
  what the other ranks' queued work covers), and one that starts during a refresh waits out the rest:
  on average tRFC²/(2·tREFI). The figures are expectations over where the transfer falls in the refresh
  schedule.

Units: DRAM clock cycles and bytes inside; the wrapper converts to seconds and picojoules.
"""

from __future__ import annotations

import math

import numpy as np

from accelsim.base.jit import kernel
from accelsim.base.layouts import DRAM_PART, pack
from accelsim.dram.address import layout
from accelsim.dram.part import MemorySystem
from accelsim.dram.patterns import KINDS, Pattern
from accelsim.dram.request_model import DRAMStats, make_stats

# The packed memory system (float64) is laid out by accelsim.base.layouts.DRAMPartSlots (named once there; the
# engines carry it inside a hardware point). Short aliases, as the equations name the timings:
_P = DRAM_PART
(V_CH, V_RANKS, V_BG, V_BPG, V_ROWS, V_BURST_BYTES, V_BURST, V_RL, V_WL, V_RCD, V_RCDWR, V_RP, V_RAS, V_CCDS,
 V_CCDL, V_RRDS, V_RRDL, V_FAW, V_WTRS, V_WTRL, V_RTP, V_WR, V_RTRS, V_REFI, V_RFC, V_Q, V_BQ, V_WQ, V_DUAL,
 V_SIMUL, V_CAPACITY) = (_P.channels, _P.ranks, _P.bankgroups, _P.banks_per_group, _P.rows, _P.burst_bytes,
                         _P.burst_ck, _P.cl_ck, _P.cwl_ck, _P.rcd_ck, _P.rcdwr_ck, _P.rp_ck, _P.ras_ck,
                         _P.ccd_s_ck, _P.ccd_l_ck, _P.rrd_s_ck, _P.rrd_l_ck, _P.faw_ck, _P.wtr_s_ck, _P.wtr_l_ck,
                         _P.rtp_ck, _P.wr_ck, _P.rtrs_ck, _P.refi_ck, _P.rfc_ck, _P.queue_depth,
                         _P.bank_queue_depth, _P.write_queue_depth, _P.dual_command, _P.refresh_simultaneous,
                         _P.capacity_bytes)
# Address map: for each field (ch, ra, bg, ba, ro, co), the byte stride of one step and the field's size.
V_MAP = _P.map_ch_stride
MAP_ORDER = ("ch", "ra", "bg", "ba", "ro", "co")
N_V = len(_P)
assert V_MAP + 2 * len(MAP_ORDER) == N_V and _P.map_co_size == N_V - 1
F_CH, F_RA, F_BG, F_BA, F_RO, F_CO = range(6)

# Terms of the random-stream model (for inspection and tests), by index.
(R_M, R_A, R_KW, R_TCAD, R_TACT, R_TBANK, R_TCMD, R_TLAT, R_TP, R_UTIL, R_STEADY, R_CH, R_BK, R_TBC, R_NP) = range(15)
N_R = 15
# Result (float64), by index.
(O_CK, O_BUS_BYTES, O_ACT, O_RD, O_WR, O_HITS, O_REF, O_ACTIVE_RANK_CK, O_IDLE_RANK_CK) = range(9)
N_O = 9
#: Cycles from a request's arrival to its ACTIVATE: one to reach its bank queue, one to be scheduled.
PIPE_CK = 2
#: Stream pieces (runs, or bursts where fields lie below the column) the geometry walk looks at before it
#: extrapolates: a constant bound on the work per call.
WALK_CAP = 4096


def pack_system(mem: MemorySystem) -> np.ndarray:
    """Flatten a memory system into the float64 vector :func:`stream_cost` reads (shape (N_V,), slots
    :data:`accelsim.base.layouts.DRAM_PART`)."""
    p, t, o, c = mem.part, mem.part.timing, mem.part.org, mem.controller
    lay = layout(o, c.address_map)
    values = {
        "channels": o.channels, "ranks": o.ranks, "bankgroups": o.bankgroups, "banks_per_group": o.banks_per_group,
        "rows": o.rows, "burst_bytes": o.burst_bytes, "burst_ck": p.burst_ck, "cl_ck": t.cl_ck, "cwl_ck": t.cwl_ck,
        "rcd_ck": t.trcd_ck, "rcdwr_ck": t.trcdwr_ck, "rp_ck": t.trp_ck, "ras_ck": t.tras_ck,
        "ccd_s_ck": t.tccd_s_ck, "ccd_l_ck": t.tccd_l_ck, "rrd_s_ck": t.trrd_s_ck, "rrd_l_ck": t.trrd_l_ck,
        "faw_ck": t.tfaw_ck, "wtr_s_ck": t.twtr_s_ck, "wtr_l_ck": t.twtr_l_ck, "rtp_ck": t.trtp_ck,
        "wr_ck": t.twr_ck, "rtrs_ck": t.trtrs_ck, "refi_ck": t.trefi_ck, "rfc_ck": t.trfc_ck,
        "queue_depth": c.queue_depth, "bank_queue_depth": c.bank_queue_depth,
        "write_queue_depth": c.write_queue_depth, "dual_command": float(c.dual_command),
        "refresh_simultaneous": float(c.refresh == "rank_simultaneous"), "capacity_bytes": o.capacity_bytes,
        "ppd_ck": t.tppd_ck, "row_hit_limit": c.row_hit_limit, "faw32_ck": t.t32aw_ck,
    }
    for f in MAP_ORDER:
        values[f"map_{f}_stride"] = lay.stride_bytes(f)
        values[f"map_{f}_size"] = 1 << lay.width[f]
    return pack(DRAM_PART, values)


@kernel
def _field(v, addr, f):
    stride = v[V_MAP + 2 * f]
    size = v[V_MAP + 2 * f + 1]
    return int((addr // stride) % size)


@kernel
def _bank(v, addr):
    """(channel, rank, bank group, bank index within the channel, row) of a byte address."""
    ch = _field(v, addr, F_CH)
    ra = _field(v, addr, F_RA)
    bg = _field(v, addr, F_BG)
    ba = _field(v, addr, F_BA)
    ro = _field(v, addr, F_RO)
    bank = (ra * int(v[V_BG]) + bg) * int(v[V_BPG]) + ba
    return ch, ra, bg, bank, ro


@kernel
def _segment_end(v, addr):
    """First byte after ``addr`` that may lie in another (channel, bank, row): the end of its contiguous
    stretch of column bits (a whole row's worth when the column field is the lowest)."""
    stride_co = v[V_MAP + 2 * F_CO]
    span = stride_co * v[V_MAP + 2 * F_CO + 1]
    # the column field's bits are contiguous; below them lie other fields (stride_co > burst) or nothing
    if stride_co > v[V_BURST_BYTES]:
        # fields below the column: every burst may change bank; a segment is one burst
        b = v[V_BURST_BYTES]
        return (addr // b + 1) * b
    return (addr // span + 1) * span


@kernel
def _act_spacing(v):
    """Cycles between ACTIVATEs of one rank at their sustained rate: tRRD_S, four per tFAW and, on GDDR,
    32 per t32AW (a window that binds where tFAW/4 < t32AW/32, e.g. GDDR6's 32/4 = 8 < 420/32 = 13.1 cycles)."""
    return max(v[V_RRDS], v[V_FAW] / 4.0, v[_P.faw32_ck] / 32.0)


@kernel
def _refresh_cost(v, t0, n_ranks_used, random, write, cover):
    """Expected cycles refresh adds to a transfer of ``t0`` cycles (see the module docstring)."""
    refi, rfc = v[V_REFI], v[V_RFC]
    if write:
        before = v[V_WL] + v[V_BURST] + v[V_WR] + v[V_RP]
        after = v[V_RCDWR]
    else:
        before = v[V_RTP] + v[V_RP]
        after = v[V_RCD]
    d = before + rfc + after
    if random and n_ranks_used > 1 and v[V_SIMUL] == 0:
        # each rank's refresh stops only its share; the other ranks' queued work covers part of it
        per = max(0.0, d - cover)
        rate = n_ranks_used / refi
        start = n_ranks_used * (rfc / refi) * max(0.0, rfc - cover) / 2.0
    else:
        per = d
        rate = 1.0 / refi
        start = rfc * rfc / (2.0 * refi)
    return t0 * rate * per / max(1e-9, 1.0 - rate * per) + start


@kernel
def _boundary(v, rel, lead, window, prev_len, cur_len, close, rcd):
    """Cycles a run boundary adds to the column stream (negative: saved by interleaving the two runs).

    ``rel``: 0 the next run continues an open row, 1 same bank (another row), 2 same bank group, 3 another
    bank group, 4 another rank. ``lead``: cycles from the next run's first burst entering the controller to
    its first column being allowed.
    """
    burst = v[V_BURST]
    c1 = max(burst, v[V_CCDL])
    cs = max(burst, v[V_CCDS])
    if rel == 0:
        return 0.0
    if rel == 1:
        return close + v[V_RP] + rcd - cs  # must wait for its own precharge
    # bursts of the current run left when the next run's first column may go, and what is left exposed
    a = max(0.0, window - lead / c1)
    expose = max(0.0, lead - (window - 1.0) * c1 - cs)
    r = min(a, prev_len / 2.0, cur_len / 2.0)
    if rel == 4:
        c2 = max(burst + v[V_RTRS], c1 / 2.0)
        return v[V_RTRS] + expose - 2.0 * r * max(0.0, c1 - c2)
    if rel == 3:
        c2 = max(cs, c1 / 2.0)
        return expose - 2.0 * r * max(0.0, c1 - c2)
    return expose


@kernel
def _boundary_exposed(v, rel, lead, window, close, rcd):
    """The part of :func:`_boundary` that no interleaving hides: a precharge in the same bank, or a lead longer
    than the window covers (what a stream of short runs still pays at its interleaved cadence)."""
    cs = max(v[V_BURST], v[V_CCDS])
    if rel == 0:
        return 0.0
    if rel == 1:
        return close + v[V_RP] + rcd - cs
    c1 = max(v[V_BURST], v[V_CCDL])
    e = max(0.0, lead - (window - 1.0) * c1 - cs)
    return e + (v[V_RTRS] if rel == 4 else 0.0)


@kernel
def _skippable(v):
    """Whether a walk may skip ahead in bulk from ``addr``: the column field sits above every field but the
    channel (so a run of bursts in one row of one bank, per channel, ends only where the column field wraps),
    and the bursts up to there — the *block* — lie in the same bank and row of each channel."""
    stride_co = v[V_MAP + 2 * F_CO]
    for f in (F_RA, F_BG, F_BA, F_RO):  # noqa: SIM110 (a loop numba compiles; all() over a generator it does not)
        if v[V_MAP + 2 * f] < stride_co and v[V_MAP + 2 * f + 1] > 1:
            return False
    return True


@kernel
def _block_bursts(v, addr):
    """Bursts from ``addr`` to the end of its block (where the column field wraps)."""
    span = v[V_MAP + 2 * F_CO] * v[V_MAP + 2 * F_CO + 1]
    return int(((addr // span + 1) * span - addr) // v[V_BURST_BYTES])


@kernel
def _runs_go_on(v, addr, s, last_bank, open_row):
    """Whether every channel that ``s`` bursts from ``addr`` (within one block) touch is in the middle of a run
    in that bank and row: then each of those bursts only lengthens its channel's run."""
    C = int(v[V_CH])
    ch0, _, _, bank, ro = _bank(v, addr)
    fine = v[V_MAP + 2 * F_CO] > v[V_BURST_BYTES]
    for j in range(min(C, s) if fine else 1):
        c = (ch0 + j) % C
        if last_bank[c] != bank or open_row[c, bank] != ro:
            return False
    return True


@kernel
def _lengthen_runs(v, addr, s, write, c1, out, ch_time, ch_cols, cur_len):
    """Add ``s`` bursts from ``addr`` that only lengthen their channels' runs (see :func:`_runs_go_on`): exactly
    what walking them one piece at a time adds (all sums of whole numbers, so equal to the last bit)."""
    C = int(v[V_CH])
    ch0 = _field(v, addr, F_CH)
    out[O_WR if write else O_RD] += s
    out[O_HITS] += s
    if v[V_MAP + 2 * F_CO] > v[V_BURST_BYTES]:  # bursts go round the channels, one each
        q, r = s // C, s % C
        for j in range(min(C, s)):
            c = (ch0 + j) % C
            cnt = q + (1 if j < r else 0)
            ch_time[c] += cnt * c1
            ch_cols[c] += cnt
            cur_len[c] += cnt
    else:
        ch_time[ch0] += s * c1
        ch_cols[ch0] += s
        cur_len[ch0] += s


#: Bank cycles a random stream's end adds where its window holds a piece or more per bank (:func:`_random_stream`):
#: fitted to the request-level model's intercept (time at 64 and 512 random requests, refresh off, 10 address
#: draws) on the presets' parts and DRAMSim3's DDR3/DDR4/LPDDR4/GDDR5 configs, where it lies between 0.9 and 2.3
#: bank cycles for 1-3 burst pieces and near 0 for long ones (docs/model.md §10.3). An assumption, fitted, not
#: derived; it weighs most on short gathers against a long bank cycle (168 B rows on HBM and GDDR5).
DRAIN_BANK_CYCLES = 1.5

#: Runs a channel's window is looked back over for the bank groups short runs interleave with.
RING = 64


@kernel
def _short_run_cadence(v, ring_g, ring_l, ring_n, ch, gid, length, queue, c1, cs):
    """Column cadence of a run of ``length`` bursts in bank group ``gid`` (rank · groups + group) when runs are
    short: each fits its bank's command queue, so the controller holds the transaction queue's worth of
    further runs (``queue`` bursts beyond the bank queues) and its scheduler interleaves the columns of every
    bank group among them: one column per max(tCCD_S, tCCD_L / groups). The stream is stationary, so the
    runs just walked stand for those queued behind this one. Records the run in the channel's ring."""
    n = ring_n[ch]
    ring_g[ch, n % RING] = gid
    ring_l[ch, n % RING] = length
    ring_n[ch] = n + 1
    G = int(v[V_BG])
    seen = np.zeros(int(v[V_RANKS] * v[V_BG]), dtype=np.int64)
    groups = 0
    used = 0.0
    banks = int(v[V_RANKS] * v[V_BG] * v[V_BPG])
    for j in range(min(n + 1, RING, banks)):
        i = (n - j) % RING
        used += max(0.0, ring_l[ch, i] - v[V_BQ])
        if used > queue:
            break
        g = ring_g[ch, i]
        if g // G == gid // G and seen[g] == 0:  # another rank's columns pay a rank switch: not counted
            seen[g] = 1
            groups += 1
    return max(cs, c1 / max(1, groups))


@kernel
def _run_stream(v, nbytes, rb, step, base, write, window, batch, out, ch_time, ch_first):
    """A sequential (``step`` = ``rb``) or strided stream of one direction, walked run by run.

    ``nbytes``: the stream's *bus* bytes (whole bursts: requests of ``rb`` bus bytes, the last possibly
    shorter), not its useful bytes. ``batch``: bursts of this direction the controller holds at once when
    the other direction takes turns with it (a read/write mix: the write buffer drains in batches), which
    bounds how far two runs overlap at a row boundary (``window`` otherwise).

    Adds per channel: column-stream time (cycles, first data excluded) to ``ch_time``; bursts, ACTs and row
    hits to ``out``. ``ch_first[c]`` becomes 1 once the channel is used. Returns the ranks touched and the
    factor by which the walked part scales to the whole stream (the walk stops after WALK_CAP pieces).
    """
    C = int(v[V_CH])
    nb = int(v[V_RANKS] * v[V_BG] * v[V_BPG])
    bpb = v[V_BURST_BYTES]
    c1 = max(v[V_BURST], v[V_CCDL])
    rcd = v[V_RCDWR] if write else v[V_RCD]
    close = (v[V_WL] + v[V_BURST] + v[V_WR]) if write else v[V_RTP]
    open_row = -np.ones((C, nb), dtype=np.int64)
    last_bank = -np.ones(C, dtype=np.int64)
    last_rank = -np.ones(C, dtype=np.int64)
    last_bg = -np.ones(C, dtype=np.int64)
    cur_len = np.zeros(C)
    prev_len = np.zeros(C)
    pend_rel = -np.ones(C, dtype=np.int64)  # the boundary into the current run, settled when it ends
    pend_lead = np.zeros(C)
    rank_used = np.zeros(int(v[V_RANKS]))
    ch_cols = np.zeros(C)
    ch_acts = np.zeros(C)
    ch_runs = np.zeros(C)
    ch_rank_switch = np.zeros(C)
    # short runs (each within its bank queue): their time at the cadence the window's bank groups allow
    ring_g = np.zeros((C, RING), dtype=np.int64)
    ring_l = np.zeros((C, RING))
    ring_n = np.zeros(C, dtype=np.int64)
    alt_time = np.zeros(C)
    alt_ok = np.ones(C, dtype=np.int64)
    cs = max(v[V_BURST], v[V_CCDS])
    queue = max(0.0, window - v[V_BQ])
    overlap = min(window, batch)
    ch_ranks = np.zeros((C, int(v[V_RANKS])))
    bank_acts = np.zeros((C, nb))
    n_req = math.ceil(nbytes / rb)
    runs = 0
    pieces = 0
    scale = 1.0
    # The in-order front end: a piece longer than the window is admitted only as its channel drains, and
    # nothing behind it moves meanwhile. fe_time adds up that serial streaming; a channel's first run can
    # start only after the excess of the pieces before it.
    fe_time = 0.0
    ch_start = np.zeros(C)
    # a snapshot half-way, to extrapolate a capped walk at its marginal (steady-state) cost per burst
    k_mid = -1
    mid_time = np.zeros(C)
    mid_cols = -np.ones(C)
    last_time = np.zeros(C)
    last_cols = np.zeros(C)
    cap = v[V_CAPACITY]
    # Bursts that only lengthen runs already open are added in bulk (the walk's figures are unchanged; it
    # then costs per run, not per burst): inside a request, and across whole requests of a sequential stream
    # as long as neither walk threshold is passed before the last of them.
    skip = _skippable(v)
    fine = v[V_MAP + 2 * F_CO] > bpb
    rpb = int(rb // bpb)  # bursts per whole request
    per_req = rpb if fine else 1  # pieces per whole request inside one block
    n_full = int(nbytes // rb)
    k = 0
    while k < n_req:
        start = (base + k * step) % cap
        if skip and step == rb and k < n_full:
            n_skip = min(n_full - k, _block_bursts(v, start) // rpb)
            if k_mid < 0 and pieces < WALK_CAP // 2:
                n_skip = min(n_skip, -(-(WALK_CAP // 2 - pieces) // per_req))
            if pieces < WALK_CAP:
                n_skip = min(n_skip, -(-(WALK_CAP - pieces) // per_req))
            if n_skip >= 1 and _runs_go_on(v, start, n_skip * rpb, last_bank, open_row):
                _lengthen_runs(v, start, n_skip * rpb, write, c1, out, ch_time, ch_cols, cur_len)
                pieces += n_skip * per_req
                k += n_skip
                if k_mid < 0 and pieces >= WALK_CAP // 2:
                    k_mid = k
                if pieces >= WALK_CAP and k < n_req:
                    scale = n_req / k
                    break
                continue
        left = min(rb, nbytes - k * rb)
        addr = start
        remaining = math.ceil(left / bpb)
        while remaining > 0:
            if skip and fine:
                s_run = min(remaining, _block_bursts(v, addr))
                if s_run > 1 and _runs_go_on(v, addr, s_run, last_bank, open_row):
                    _lengthen_runs(v, addr, s_run, write, c1, out, ch_time, ch_cols, cur_len)
                    pieces += s_run
                    addr = (addr + s_run * bpb) % cap
                    remaining -= s_run
                    continue
            n = min(remaining, math.ceil((_segment_end(v, addr) - addr) / bpb))
            ch, ra, bg, bank, ro = _bank(v, addr)
            rank_used[ra] = 1.0
            if ch_first[ch] == 0:
                ch_start[ch] = fe_time
            ch_first[ch] = 1.0
            pieces += 1
            out[O_WR if write else O_RD] += n
            ch_time[ch] += n * c1
            ch_cols[ch] += n
            if last_bank[ch] == bank and open_row[ch, bank] == ro:
                out[O_HITS] += n  # the same run goes on (a strided request in the same row)
                cur_len[ch] += n
            else:
                if open_row[ch, bank] == ro:
                    rel = 0
                    out[O_HITS] += n
                else:
                    out[O_ACT] += 1
                    out[O_HITS] += n - 1
                    ch_acts[ch] += 1
                    bank_acts[ch, bank] += 1
                    if last_bank[ch] < 0:
                        rel = -1
                    elif bank == last_bank[ch]:
                        rel = 1
                    elif ra != last_rank[ch]:
                        rel = 4
                    elif bg != last_bg[ch]:
                        rel = 3
                    else:
                        rel = 2
                # settle the boundary into the run that just ended, now that its length is known
                if pend_rel[ch] >= 0:
                    ch_time[ch] += _boundary(v, pend_rel[ch], pend_lead[ch], overlap, prev_len[ch], cur_len[ch],
                                             close, rcd)
                    alt_time[ch] += _boundary_exposed(v, pend_rel[ch], pend_lead[ch], window, close, rcd)
                    # the marginal cost per burst, measured between settled run boundaries of the second half
                    if k_mid >= 0:
                        if mid_cols[ch] < 0:
                            mid_time[ch], mid_cols[ch] = ch_time[ch] - n * c1, ch_cols[ch] - n
                        last_time[ch], last_cols[ch] = ch_time[ch] - n * c1, ch_cols[ch] - n
                # a bank left open on another row must be precharged first
                pend_lead[ch] = PIPE_CK + rcd + (v[V_RP] if open_row[ch, bank] >= 0 else 0.0)
                pend_rel[ch] = rel
                if last_bank[ch] >= 0:  # the run that just ended, at the short-run cadence
                    gid = last_rank[ch] * int(v[V_BG]) + last_bg[ch]
                    alt_time[ch] += cur_len[ch] * _short_run_cadence(v, ring_g, ring_l, ring_n, ch, gid, cur_len[ch],
                                                                     queue, c1, cs)
                    if cur_len[ch] > v[V_BQ]:
                        alt_ok[ch] = 0
                prev_len[ch] = cur_len[ch]
                cur_len[ch] = n
                open_row[ch, bank] = ro
                if last_rank[ch] >= 0 and ra != last_rank[ch]:
                    ch_rank_switch[ch] += 1
                ch_ranks[ch, ra] = 1.0
                last_bank[ch], last_rank[ch], last_bg[ch] = bank, ra, bg
                ch_runs[ch] += 1
                runs += 1
            if C > 1:
                fe_time += max(0.0, cur_len[ch] - window) * c1 if cur_len[ch] == n else 0.0
            addr = (addr + n * bpb) % cap
            remaining -= n
        k += 1
        if k_mid < 0 and pieces >= WALK_CAP // 2:
            k_mid = k
        if pieces >= WALK_CAP and k < n_req:
            scale = n_req / k  # the rest repeats the pattern walked so far
            break
    for ch in range(C):
        if pend_rel[ch] >= 0:
            # a walk cut short leaves each channel inside a run: take it as long as the one before
            last = max(cur_len[ch], prev_len[ch]) if scale > 1.0 else cur_len[ch]
            ch_time[ch] += _boundary(v, pend_rel[ch], pend_lead[ch], overlap, prev_len[ch], last, close, rcd)
            alt_time[ch] += _boundary_exposed(v, pend_rel[ch], pend_lead[ch], window, close, rcd)
        if ch_runs[ch] == 0:
            continue
        # the run still open (a channel's only run has no boundary, but its columns count all the same)
        gid = last_rank[ch] * int(v[V_BG]) + last_bg[ch]
        alt_time[ch] += cur_len[ch] * _short_run_cadence(v, ring_g, ring_l, ring_n, ch, gid, cur_len[ch], queue,
                                                         c1, cs)
        if cur_len[ch] > v[V_BQ]:
            alt_ok[ch] = 0
        if scale > 1.0:  # extrapolate the rest at the marginal cost per burst of the walk's second half
            d_cols = last_cols[ch] - mid_cols[ch]
            rate = (last_time[ch] - mid_time[ch]) / d_cols if mid_cols[ch] >= 0 and d_cols > 0 else \
                ch_time[ch] / ch_cols[ch]
            ch_time[ch] += ch_cols[ch] * (scale - 1.0) * rate
            ch_cols[ch] *= scale
            ch_acts[ch] *= scale
            ch_runs[ch] *= scale
            ch_rank_switch[ch] *= scale
            bank_acts[ch] *= scale
        # A stream of short runs keeps many runs in the controller: their columns interleave across every
        # bank group they reach, not only the next run's (the walk's boundaries see one neighbour)
        if alt_ok[ch] and alt_time[ch] * scale < ch_time[ch]:
            ch_time[ch] = alt_time[ch] * scale
        # Short runs make other limits bind: the activate rate (tRRD, four per tFAW in a rank; the ranks
        # within one window's reach work in parallel), each bank's row cycle tRC, the command bus.
        run_len = ch_cols[ch] / ch_runs[ch]
        stretch = ch_runs[ch] / (ch_rank_switch[ch] + 1.0)  # runs in one rank before the stream moves on
        r_par = min(ch_ranks[ch].sum(), max(1.0, (window / run_len) / stretch))
        # (n activations are n - 1 spacings apart; the first is in the first data's latency)
        sp = _act_spacing(v)
        t_act = (ch_acts[ch] - 1.0) * sp / r_par
        if r_par > 1.0:
            # the ranks' activations interleave only as their columns do: a rank switch (tRTRS) per run on the
            # data bus, so short runs (one burst per row) gain less than r_par from the second rank
            t_act = max(t_act, (ch_acts[ch] - 1.0) * min(sp, run_len * cs + v[V_RTRS]))
        t_bank = (bank_acts[ch].max() - 1.0) * (v[V_RAS] + v[V_RP])
        t_cmd = max(ch_cols[ch], 2.0 * ch_acts[ch]) if v[V_DUAL] > 0 else ch_cols[ch] + 2.0 * ch_acts[ch]
        ch_time[ch] = max(ch_time[ch], t_act, t_bank, t_cmd) + ch_start[ch]
    # the front end's serial streaming bounds the whole stream (returned through the busiest channel)
    busiest = np.argmax(ch_time)
    ch_time[busiest] = max(ch_time[busiest], fe_time * scale)
    return rank_used.sum(), scale


@kernel
def _ch_max(ch_time, ch_first):
    m = 0.0
    for c in range(ch_time.shape[0]):
        if ch_first[c] > 0 and ch_time[c] > m:
            m = ch_time[c]
    return m


@kernel
def _hol_utilisation(C, window, m):
    """Share of C channels an in-order front end keeps busy: pieces of ``m`` bursts to random channels, each
    channel holding ``window`` bursts and serving one burst per unit time.

    The front end stalls on a piece that does not fit its channel until enough drains; per piece it waits
    E[(V − (window − m))⁺], V a channel's queued work. V is taken as the work of a batch-arrival queue
    (batches of m, arrivals thinned from the front end: dispersion 1 − 1/C) with P(V > 0) = U and an
    exponential tail of mean m·(1 − 1/C)/(2(1 − U)). Throughput balance, C·U/m pieces per unit time =
    1 / E[wait], fixes U (solved by bisection).
    """
    if C <= 1:
        return 1.0
    y = window - m
    lo, hi = 1e-6, 1.0 - 1e-9
    for _ in range(60):
        u = 0.5 * (lo + hi)
        mu = m * (1.0 - 1.0 / C) / (2.0 * (1.0 - u))
        wait = u * mu * math.exp(-y / mu) if y > 0 else u * (mu - y)
        if C * u * wait > m:
            hi = u
        else:
            lo = u
    return 0.5 * (lo + hi)


@kernel
def expected_max_load(n, bins):
    """E[max load] of ``n`` balls thrown uniformly into ``bins`` bins (bins as independent Poisson counts)."""
    if bins <= 1:
        return n
    lam = n / bins
    # P(max >= k) is 1 to double precision for k up to 12 standard deviations below the mean: start the sum
    # there, with the Poisson pmf in log space (exp(-lam) itself underflows to 0 past lam ~ 745, which summed
    # P(max >= k) = 1 all the way to kmax: 9,290 for 65,536 balls in 8 bins, whose true mean max is 8,32x)
    k0 = max(0, int(lam - 12.0 * math.sqrt(lam + 1.0)))
    total = float(k0)
    pmf = math.exp(-lam + k0 * math.log(lam) - math.lgamma(k0 + 1.0)) if lam > 0 else 1.0  # P(X = k0)
    cdf = pmf  # P(X <= k0): the terms below k0 are negligible
    k = k0 + 1
    kmax = int(lam + 12.0 * math.sqrt(lam + 1.0) + 12.0)
    while k <= kmax:
        # P(max >= k) = 1 - P(X <= k-1)^bins
        total += 1.0 - cdf ** bins
        pmf *= lam / k
        cdf += pmf
        k += 1
    return max(total, lam)


@kernel
def _random_stream(v, n_req, rb, write, inflight, out, parts):
    """Requests of ``rb`` bus bytes at random ``rb``-aligned addresses, one direction.

    Returns (cycles after the first data, ranks used, cycles of work the other ranks cover during a
    refresh). Adds bursts, ACTs and row hits to ``out``; writes its terms to ``parts`` (R_* indices).
    """
    C = v[V_CH]
    R = v[V_RANKS]
    G = v[V_BG]
    nb = R * G * v[V_BPG]
    burst = v[V_BURST]
    bpb = v[V_BURST_BYTES]
    c1 = max(burst, v[V_CCDL])
    cs = max(burst, v[V_CCDS])
    rcd = v[V_RCDWR] if write else v[V_RCD]
    close = (v[V_WL] + burst + v[V_WR]) if write else v[V_RTP]
    s = rb / bpb  # bursts per request
    # Channels below the column field (fine interleave): a request's bursts go round the channels, each
    # channel taking a piece of about s / C bursts in one of its rows. Otherwise a request starting at a
    # multiple of rb crosses (rb - gcd(rb, seg)) / seg segment boundaries on average, each segment it
    # touches a piece in its own bank (and, with the channel field just above the column, its own channel).
    fine = C > 1 and v[V_MAP + 2 * F_CH] < v[V_MAP + 2 * F_CO]
    row_bursts = v[V_MAP + 2 * F_CO + 1]
    if fine:
        k_ch = min(s, C)
        s_c = s / k_ch
        # banks below the column besides the channels (DDR4's bank groups, say): each channel's share goes round
        # them as below, a piece of about s_c / L_o bursts in each
        k_lo = min(s_c, max(1.0, v[V_MAP + 2 * F_CO] / bpb / C))
        a = k_ch * k_lo * (1.0 + max(0.0, s_c / k_lo - 1.0) / row_bursts)
        seg = v[V_MAP + 2 * F_CO] * row_bursts  # bytes between rows of one channel's bank
    else:
        k_ch = 1.0
        seg = v[V_MAP + 2 * F_CO] * row_bursts
        a = 1.0 + (rb - math.gcd(int(rb), int(seg))) / seg
        if v[V_MAP + 2 * F_CO] > bpb:
            # fields below the column (bank groups interleaved per burst, say): a request's bursts go round
            # the L = stride_co / burst banks below the column, each taking a piece of about s / L bursts in
            # the same row of its bank (and crossing into the next row as a row's columns run out)
            seg = bpb
            k_lo = min(s, v[V_MAP + 2 * F_CO] / bpb)
            a = k_lo * (1.0 + max(0.0, s / k_lo - 1.0) / row_bursts)
    m = s / a  # bursts per piece
    n_p = n_req * a
    out[O_ACT] += n_p
    out[O_RD + (1 if write else 0)] += n_req * s
    out[O_HITS] += n_req * s - n_p
    # the window: the transaction queue, the head piece's bank queue and, for pieces shorter than the
    # queue, the next piece's bank queue
    q = v[V_WQ] if write else v[V_Q]
    window = q + v[V_BQ] + (v[V_BQ] if m < q else 0.0)
    if inflight > 0:
        window = min(window, inflight * s / C)
    # A piece longer than the window cannot be admitted at once: the in-order front end streams its excess
    # at its channel's pace while everything behind it waits. Average that excess over where a request
    # starts in its segment (offsets are multiples of gcd(rb, seg), equally likely).
    g = math.gcd(int(rb), int(seg))
    n_off = int(seg // g) if not fine else 1
    step_off = max(1, n_off // 256)
    excess, n_seen = 0.0, 0
    for j in range(0, n_off, step_off):
        o = j * g
        left = rb
        first = True
        if fine:  # pieces are one channel's share of the request
            excess += (a if a > 0 else 1.0) * max(0.0, m - window)
            left = 0
        while left > 0:
            piece = min(seg - o, left) if first else min(seg, left)
            excess += max(0.0, piece / bpb - window)
            left -= piece
            first = False
        n_seen += 1
    excess /= n_seen
    # the pieces of one request lie in consecutive segments: their relation is the address map's
    # (with banks below the column, a request's consecutive pieces are those banks': the lowest such field's)
    rel = seg
    for f in (F_RA, F_BG, F_BA):
        if v[V_MAP + 2 * f + 1] > 1 and v[V_MAP + 2 * f] < min(rel, v[V_MAP + 2 * F_CO]):
            rel = v[V_MAP + 2 * f]
    ch0, ra0, bg0, _, _ = _bank(v, 0.0)
    ch1, ra1, bg1, _, _ = _bank(v, rel)
    inner = (a - 1.0) / a  # share of piece boundaries inside a request
    k_w = max(1.0, window / m)  # pieces a channel holds
    lead = PIPE_CK + v[V_RP] + rcd
    a_w = max(0.0, window - lead / c1)
    # Interleaving: a column of another bank group of the same rank may go cs after ours, one of another
    # rank burst + tRTRS after; the scheduler takes such a slot only where it beats c1 (the next column of
    # the same bank). Partners come from the next piece (a shallow window) or any queued piece (a deep one).
    c_grp = max(cs, c1 / 2.0)
    c_rank = max(burst + v[V_RTRS], c1 / 2.0)
    p_grp1 = (G - 1.0) / G / R  # the next piece is in another group of this rank
    p_rank1 = (R - 1.0) / R  # ... in another rank
    if ch1 == ch0:  # consecutive pieces of a request share a channel: the map decides their relation
        same_rank_other_grp = 1.0 if (ra1 == ra0 and bg1 != bg0) else 0.0
        p_grp1 = (1.0 - inner) * p_grp1 + inner * same_rank_other_grp
        p_rank1 = (1.0 - inner) * p_rank1 + inner * (1.0 if ra1 != ra0 else 0.0)
    deep = max(1.0, k_w)  # queued pieces the scheduler can choose from
    gain_grp = max(0.0, c1 - c_grp)
    gain_rank = max(0.0, c1 - c_rank)
    # probability that some queued piece offers each kind of partner
    q_grp = 1.0 - (1.0 - p_grp1) ** deep
    q_rank = 1.0 - (1.0 - p_rank1) ** deep
    if gain_grp >= gain_rank:
        best = q_grp * gain_grp + (1.0 - q_grp) * q_rank * gain_rank
    else:
        best = q_rank * gain_rank + (1.0 - q_rank) * q_grp * gain_grp
    overlap = min(1.0, 2.0 * a_w / m)  # share of a long piece's bursts within reach of its neighbours
    t_cad = m * (c1 - overlap * best)
    # a rank switch costs tRTRS where the next piece lies in another rank and nothing else was interleaved
    t_cad += p_rank1 * v[V_RTRS] * (1.0 - q_grp if gain_grp > 0 else 1.0)
    if k_w < 2.0:  # a long piece after one in the same bank waits for its precharge
        t_cad += (close + v[V_RP] + rcd - cs) / nb
    t_cad = max(t_cad, m * burst)
    # pieces at random banks: one ACTIVATE in G follows one to the same bank group, which must wait tRRD_L
    sp = max(_act_spacing(v), v[V_RRDS] + (v[V_RRDL] - v[V_RRDS]) / G)
    t_act = sp / max(1.0, min(R, k_w))
    if min(R, k_w) > 1.0:
        # as for runs (_run_stream): the ranks' activations interleave only as their columns do, a rank switch
        # (tRTRS) per piece on the data bus
        t_act = max(t_act, min(sp, m * cs + v[V_RTRS]))
    t_bank_cycle = max(v[V_RAS] + v[V_RP], v[V_RP] + rcd + (m - 1.0) * c1 + close)
    t_bank = t_bank_cycle / max(1.0, min(nb, k_w + 1.0))  # the piece in service and the queued ones
    t_cmd = max(m, 2.0) if v[V_DUAL] > 0 else m + 2.0
    latency = PIPE_CK + v[V_RP] + rcd + (v[V_WL] if write else v[V_RL]) + m * burst
    t_lat = latency / (k_w + 1.0)
    t_p = max(t_cad, t_act, t_bank, t_cmd, t_lat)
    # steady state over the channels, then the short-transfer bounds: the busiest channel and bank
    # a request over all the channels loads them evenly: no channel can hold the front end up for long
    util = 1.0 if k_ch >= C else _hol_utilisation(C, window, min(m, window))
    t_steady = max(n_p * t_p / (C * util), n_req * excess * t_p / m)
    t_ch = (n_p / C if k_ch >= C else expected_max_load(n_p, C)) * t_p
    t_bk = expected_max_load(n_p, C * nb) * t_bank_cycle
    t = max(t_steady, t_ch, t_bk)
    # The drain: once the front end has handed over the last request, the window's pieces can no longer be
    # reordered around busy banks, and where they share a bank they go one bank cycle apart. A fixed cost of
    # the stream's end (nothing per request): DRAIN_BANK_CYCLES bank cycles where the window holds a piece or
    # more per bank, less in proportion where it holds fewer (a window of one piece drains at the pace).
    t += DRAIN_BANK_CYCLES * t_bank_cycle * min(1.0, max(0.0, k_w - 1.0) / nb)
    parts[R_M], parts[R_A], parts[R_KW], parts[R_TCAD], parts[R_TACT] = m, a, k_w, t_cad, t_act
    parts[R_TBANK], parts[R_TCMD], parts[R_TLAT], parts[R_TP], parts[R_UTIL] = t_bank, t_cmd, t_lat, t_p, util
    parts[R_STEADY], parts[R_CH], parts[R_BK], parts[R_TBC], parts[R_NP] = t_steady, t_ch, t_bk, t_bank_cycle, n_p
    cover = (q + (nb / R) * v[V_BQ]) * (R - 1.0) / R * (t_p / m)
    return t, min(R, n_req), cover


@kernel
def stream_cost(v, kind, nbytes, request_bytes, stride_bytes, write_fraction, inflight):
    """Cycles, bus bytes, commands and rank-cycles of one stream; shape (N_O,) float64 (O_* indices).

    Args:
        v: packed memory system (:func:`pack_system`).
        kind: 0 sequential, 1 strided, 2 random.
        nbytes: useful bytes. request_bytes: per DMA request (0: one burst). stride_bytes: strided only.
        write_fraction: share of requests that are writes. inflight: requests outstanding at most (0: no limit).
    """
    out = np.zeros(N_O)
    if nbytes <= 0:
        return out
    bpb = v[V_BURST_BYTES]
    burst = v[V_BURST]
    req = request_bytes if request_bytes > 0 else bpb
    rb = math.ceil(req / bpb) * bpb
    n_req = math.ceil(nbytes / req)
    n_w = math.floor(n_req * write_fraction + 1e-9)
    n_r = n_req - n_w
    # the last request (of ``last`` useful bytes) is a write where the write mask of accelsim.dram.patterns says so
    last = nbytes - req * (n_req - 1)
    last_write = n_w > math.floor((n_req - 1) * write_fraction + 1e-9)
    C = int(v[V_CH])
    out[O_BUS_BYTES] = 0.0
    t_dir = np.zeros(2)
    ranks_dir = np.zeros(2)
    cover = np.zeros(2)
    random = kind == 2
    for d in range(2):
        nreq_d = n_w if d == 1 else n_r
        if nreq_d == 0:
            continue
        # Bus bytes, not useful bytes: every request moves whole bursts (a 24 B request on a 64 B burst moves
        # 64 B), and the last request, which may be short, rounds up on its own in its own direction.
        bus_d = nreq_d * rb
        if last_write == (d == 1):
            bus_d -= rb - math.ceil(last / bpb) * bpb
        if random:
            t, rk, cv = _random_stream(v, nreq_d, rb, d == 1, inflight, out, np.zeros(N_R))
            t_dir[d], ranks_dir[d], cover[d] = t, rk, cv
        else:
            ch_time = np.zeros(C)
            ch_first = np.zeros(C)
            sub = np.zeros(N_O)
            q = v[V_WQ] if d == 1 else v[V_Q]
            window = q + v[V_BQ]
            if inflight > 0:
                window = min(window, inflight * rb / bpb)
            step = rb if kind == 0 else stride_bytes
            base = 0.0
            if d == 1:
                base = v[V_CAPACITY] / 2 + v[V_MAP + 2 * F_RO] / 2
            # In a read/write mix the write buffer drains in batches of its depth, the reads between drains come
            # in batches too, and each direction's row boundaries overlap only within its own batch
            batch = window
            if n_r > 0 and n_w > 0:
                batch = v[V_WQ] if d == 1 else v[V_WQ] * n_r / n_w
            rk, scale = _run_stream(v, bus_d, rb, step, base, d == 1, window, batch, sub, ch_time, ch_first)
            for i in range(N_O):
                out[i] += sub[i] * scale
            t_dir[d] = _ch_max(ch_time, ch_first)  # already extrapolated to the whole stream
            ranks_dir[d] = rk
    n_bursts = out[O_RD] + out[O_WR]
    out[O_BUS_BYTES] = n_bursts * bpb
    # first data: pipeline, activate, latency of the first burst
    first_dir = 1 if n_r == 0 else 0
    rcd = v[V_RCDWR] if first_dir == 1 else v[V_RCD]
    lat = v[V_WL] if first_dir == 1 else v[V_RL]
    # (a run model counts every burst at c1 after the first; the random model counts whole pieces)
    t0 = PIPE_CK + rcd + lat + burst - (max(burst, v[V_CCDL]) if not random else 0.0)
    if random:
        t0 = PIPE_CK + rcd + lat
    t = t0 + t_dir[0] + t_dir[1]
    # direction switches: the write buffer drains in batches of its size
    if n_r > 0 and n_w > 0:
        # each channel has its own write buffer: its batches cost in parallel with the others'
        ch_used = C if random else max(1.0, min(C, n_bursts * bpb / (v[V_MAP + 2 * F_CH] * 1.0)))
        batches = math.ceil(out[O_WR] / ch_used / v[V_WQ])
        rd_to_wr = v[V_RL] + burst - v[V_WL] + v[V_RTRS]
        wtr = v[V_WTRS] + (v[V_WTRL] - v[V_WTRS]) / v[V_BG]
        wr_to_rd = v[V_WL] + burst + wtr
        cs = max(burst, v[V_CCDS])
        t += batches * (max(0.0, rd_to_wr - cs) + max(0.0, wr_to_rd - cs))
    # refresh: expectation over where the transfer falls in the schedule
    write_only = n_r == 0
    t += _refresh_cost(v, t, max(ranks_dir[0], ranks_dir[1]), random, write_only, max(cover[0], cover[1]))
    refs = t / v[V_REFI] * v[V_RANKS] * v[V_CH]
    if not random:
        # a refresh closes the rows a stream is reading in its rank: one more activation per channel in use and
        # per bank the stream keeps open in it (the banks of fields below the column, bank groups interleaved
        # per burst, say: a channel's consecutive bursts go round them, each in its own open row)
        ch_used = max(1.0, min(C, n_bursts * bpb / max(bpb, v[V_MAP + 2 * F_CH])))
        below = v[V_MAP + 2 * F_CO] / bpb / max(1.0, min(C, v[V_MAP + 2 * F_CO] / max(bpb, v[V_MAP + 2 * F_CH])))
        open_rows = max(1.0, min(below, n_bursts / ch_used))
        reopen = min(t / v[V_REFI] * ch_used * open_rows, out[O_HITS])
        out[O_ACT] += reopen
        out[O_HITS] -= reopen
    out[O_CK] = t
    out[O_REF] = refs
    ranks_total = v[V_RANKS] * v[V_CH]
    used = max(ranks_dir[0], ranks_dir[1]) * (C if random else max(1.0, min(C, n_bursts * bpb / v[V_MAP + 2 * F_CH])))
    used = min(ranks_total, used)
    out[O_ACTIVE_RANK_CK] = used * t
    out[O_IDLE_RANK_CK] = (ranks_total - used) * t
    return out


def evaluate_closed(mem: MemorySystem, pattern: Pattern) -> DRAMStats:
    """The closed forms for a pattern, as :class:`DRAMStats` (expected over the refresh schedule)."""
    pattern.validate()
    v = pack_system(mem)
    o = stream_cost(v, KINDS.index(pattern.kind), float(pattern.total_bytes), float(pattern.request_bytes),
                    float(pattern.stride_bytes), float(pattern.write_fraction), float(pattern.requests_in_flight))
    return make_stats(mem, pattern.total_bytes, round(o[O_BUS_BYTES]), o[O_CK], o[O_ACT], o[O_RD], o[O_WR],
                      o[O_REF], o[O_HITS], o[O_ACTIVE_RANK_CK], o[O_IDLE_RANK_CK], "closed")
