"""The fast engine: one compiled pass over segments × hardware points (numba, ``cache=True``).

Each segment costs a **prologue** (the resident tensors it reads fetched from DRAM once, back to back) plus
``repetitions`` warm periods. A period's rows are grouped into ops, and the ops stream in tiles through the
DMA engine, the decoder and the PE array (:mod:`accelsim.engines.fast.tiles`; ``docs/model.md`` §6 has the policy). The
reference engine (:mod:`accelsim.engines.reference.engine`) schedules the same tiles as SimPy processes.

Every cycle of a period is attributed to one row: each row's own compute; an op's stalls (the PE's idle time
before its tiles, split into decode and memory stalls) to the op's attribution row; the final write-queue
drain to the last op's. A prologue fetch is memory stall of the row that first reads the tensor. So the
breakdowns by phase, network, layer and segment add up to the totals exactly.

Every compiled function here is a :func:`~accelsim.base.jit.kernel` (its cache follows every source it can
reach); vectors are indexed by the names of :mod:`accelsim.base.layouts`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from accelsim.base.jit import kernel, prange
from accelsim.base.layouts import (
    COUNT,
    ENERGY,
    HW,
    N_COUNT,
    N_ENERGY,
    N_HW,
    N_OP_COST,
    N_ROW_COST,
    OP_COST,
    ROW,
    ROW_COST,
)
from accelsim.cost.dram_cost import (
    DRAM_COST_SLOTS,
    N_XFER_COST,
    DRAMTable,
    new_memo,
    transfer_table_of,
)
from accelsim.cost.policy import op_variant, stream_slots, tile_bytes
from accelsim.cost.rows import fill_costs, row_costs, static_pj
from accelsim.engines.fast.liveness import activation_plan
from accelsim.engines.fast.residency import select_resident
from accelsim.engines.fast.tiles import schedule_ops, tile_count
from accelsim.engines.output import EngineOutput, Tally

if TYPE_CHECKING:  # not imported at run time, so the kernels' sources stay out of the trace reader's
    from accelsim.workload.build import Workload


class Arrays(NamedTuple):
    """The arrays of a :class:`~accelsim.workload.build.Workload` the kernels read (same names, same shapes; numba
    takes a named tuple of arrays, not a dataclass)."""

    seg_row_start: np.ndarray
    seg_repeats: np.ndarray
    rows: np.ndarray
    seg_key_start: np.ndarray
    key_bytes: np.ndarray
    key_traffic: np.ndarray
    seg_rep: np.ndarray
    key_grad: np.ndarray
    seg_op_start: np.ndarray
    op_start: np.ndarray
    op_rows: np.ndarray
    op_attr: np.ndarray
    seg_tensor_start: np.ndarray
    act_tensors: np.ndarray
    op_event_start: np.ndarray
    act_events: np.ndarray
    seg_act_rep: np.ndarray
    row_uid: np.ndarray
    n_uid: int
    row_layer: np.ndarray


def arrays(wl: Workload) -> Arrays:
    """The kernels' view of ``wl``."""
    return Arrays(*(getattr(wl, name) for name in Arrays._fields))


class Plan(NamedTuple):
    """Per hardware point: each op's activation spills and refills
    (:func:`accelsim.engines.fast.liveness.activation_plan`),
    filled for the ops of each segment that represents its activation pattern (``seg_act_rep``).

    ``cost`` (N_ops, 1, N_ROW_COST), ``energy`` (N_ops, 1, N_ENERGY): the transfers' costs (the middle axis
    makes them index like a :class:`Cache`); ``read``, ``written`` (N_ops,): their bytes.
    """

    cost: np.ndarray
    energy: np.ndarray
    read: np.ndarray
    written: np.ndarray


@kernel
def _plan(w: Arrays, h: np.ndarray, table: DRAMTable) -> Plan:
    """The activation plan of every segment that represents its pattern (in the op variant ``h`` runs)."""
    v = op_variant(h)
    n_ops = w.op_start.shape[0] - 1
    plan = Plan(np.empty((n_ops, 1, N_ROW_COST), dtype=np.int64), np.empty((n_ops, 1, N_ENERGY), dtype=np.float64),
                np.empty(n_ops, dtype=np.int64), np.empty(n_ops, dtype=np.int64))
    for s in range(w.seg_act_rep.shape[1]):
        if w.seg_act_rep[v, s] == s:
            o0, o1 = w.seg_op_start[v, s], w.seg_op_start[v, s + 1]
            activation_plan(w.act_tensors[w.seg_tensor_start[v, s]:w.seg_tensor_start[v, s + 1]], w.act_events,
                            w.op_event_start, o0, o1, int(h[HW.act_bytes]), h, table, plan.cost[o0:o1, 0],
                            plan.energy[o0:o1, 0], plan.read[o0:o1], plan.written[o0:o1])
    return plan


class Cache(NamedTuple):
    """Per hardware point: the costs of each distinct row (``row_uid``), computed on first use.

    ``cost[u, k]``/``energy[u, k]`` hold row u's costs with its tensor streamed (k = 0) or resident (k = 1),
    and its prologue fetch (k = 2); ``done[u, k]`` says whether they are there yet. Rows of the (at most few)
    tensors partly resident depend on how much is, so they are costed afresh at each use into k = 3 (the row)
    and k = 4 (its prologue fetch), never marked done.
    """

    cost: np.ndarray
    energy: np.ndarray
    done: np.ndarray


@kernel
def _new_cache(n_uid: int) -> Cache:
    return Cache(np.empty((n_uid, 5, N_ROW_COST), dtype=np.int64), np.empty((n_uid, 5, N_ENERGY), dtype=np.float64),
                 np.zeros((n_uid, 5), dtype=np.uint8))


#: Cache slots: a row streamed, resident, its prologue fetch; a row of a partly resident tensor, its fetch.
STREAMED, RESIDENT, FILL, PARTIAL, PARTIAL_FILL = 0, 1, 2, 3, 4


@kernel
def _fill(rows: np.ndarray, i: int, u: int, k: int, res: int, kb: int, h: np.ndarray, table: DRAMTable,
          cost: np.ndarray, energy: np.ndarray, done: np.ndarray) -> None:
    """Compute distinct row ``u``'s costs of kind ``k`` from row ``i``, ``res`` of its tensor's ``kb`` bytes
    resident, into the :class:`Cache` fields ``cost``, ``energy``, ``done`` (marked done but for the partly
    resident kinds). The caller looks the cache up in its own loop: with the lookup in an inlined helper, or
    this function inlined, every row took some 40 ns more."""
    if k in (FILL, PARTIAL_FILL):
        fill_costs(rows[i], res, kb, h, table, cost[u, k], energy[u, k])
    else:
        row_costs(rows[i], res, kb, h, table, cost[u, k], energy[u, k])
    done[u, k] = 0 if k >= PARTIAL else 1


@kernel(inline=True)
def _add(cv: np.ndarray, ev: np.ndarray, cost: np.ndarray, energy: np.ndarray, u: int, k: int, mult: int) -> None:
    """Add ``mult`` × the byte, MAC and energy figures of cached row costs ``cost[u, k]``, ``energy[u, k]`` to
    ``cv``/``ev`` (slots COUNT, ENERGY); cycles are the scheduler's. (Indices, not row views: a view costs a
    reference count in the inner loop.)"""
    cv[COUNT.dram_read_bytes] += cost[u, k, ROW_COST.dram_read_bytes] * mult
    cv[COUNT.dram_write_bytes] += cost[u, k, ROW_COST.dram_write_bytes] * mult
    cv[COUNT.dram_row_activations] += cost[u, k, ROW_COST.dram_row_activations] * mult
    cv[COUNT.macs] += cost[u, k, ROW_COST.macs] * mult
    cv[COUNT.sram_read_bytes] += cost[u, k, ROW_COST.sram_read_bytes] * mult
    cv[COUNT.sram_write_bytes] += cost[u, k, ROW_COST.sram_write_bytes] * mult
    for q in range(N_ENERGY):
        ev[q] += energy[u, k, q] * mult


@kernel(inline=True)
def _add_cycles(cv: np.ndarray, ev: np.ndarray, compute: int, memory: int, decode: int, mult: int,
                h: np.ndarray) -> None:
    """Add ``mult`` × cycles (compute plus memory and decode stalls) and their static energy."""
    cyc = compute + memory + decode
    cv[COUNT.cycles] += cyc * mult
    cv[COUNT.compute_cycles] += compute * mult
    cv[COUNT.stall_memory_cycles] += memory * mult
    cv[COUNT.stall_decode_cycles] += decode * mult
    ev[ENERGY.static] += static_pj(cyc, h) * mult


@kernel
def _segment(w: Arrays, s: int, h: np.ndarray, table: DRAMTable, cache: Cache, plan: Plan, per_c: np.ndarray,
             per_e: np.ndarray, pro_c: np.ndarray, pro_e: np.ndarray, ph_c: np.ndarray, ph_e: np.ndarray,
             net_c: np.ndarray, net_e: np.ndarray, lay_c: np.ndarray, lay_e: np.ndarray, detail: bool) -> None:
    """Segment ``s``: one warm period into per_c/per_e and its prologue into pro_c/pro_e; with ``detail`` the
    phase, network and layer tallies (this point's) get ``seg_repeats[s]`` periods plus the prologue, row by
    row."""
    k0, k1 = w.seg_key_start[s], w.seg_key_start[s + 1]
    resident = np.zeros(k1 - k0, dtype=np.int64)
    select_resident(w.key_bytes[k0:k1], w.key_traffic[k0:k1], w.key_grad[k0:k1], h, resident)
    a = w.seg_row_start[s]
    n = w.seg_row_start[s + 1] - a
    v = op_variant(h)
    o0, o1 = w.seg_op_start[v, s], w.seg_op_start[v, s + 1]
    tile = tile_bytes(h)
    rows = w.rows
    op_start = w.op_start
    op_rows = w.op_rows
    row_uid = w.row_uid
    ccost, cen, cdone = cache.cost, cache.energy, cache.done
    po = w.seg_op_start[v, w.seg_act_rep[v, s]] - o0  # op o's activation plan is at o + po
    pcost, pen = plan.cost, plan.energy
    # One pass over the ops' rows: each op's totals and tiles, the period's bytes and energy, the prologue.
    opc = np.zeros((o1 - o0, N_OP_COST), dtype=np.int64)
    uk = np.empty((n, 2), dtype=np.int64)  # each row's (distinct row, cost kind), for the detail pass
    comp_total = 0
    pro_cycles = 0
    a_rd = a_wr = a_act = a_mac = a_srd = a_swr = 0
    e_dram = e_sram = e_mac = e_dec = 0.0
    for o in range(o0, o1):
        # The op's activation spills and refills first.
        p = o + po
        _add(per_c, per_e, pcost, pen, p, 0, 1)
        ld = pcost[p, 0, ROW_COST.read_cycles]
        st = pcost[p, 0, ROW_COST.write_cycles]
        dec = 0
        comp = 0
        rd_bytes = plan.read[p]
        wr_bytes = plan.written[p]
        for q in range(op_start[o], op_start[o + 1]):
            i = op_rows[q]
            key = rows[i, ROW.key]
            rb = resident[key] if key >= 0 else 0
            kb = w.key_bytes[k0 + key] if key >= 0 else 1
            k = STREAMED if rb == 0 else (RESIDENT if rb >= kb else PARTIAL)
            u = row_uid[i]
            if cdone[u, k] == 0:  # first time this distinct row is costed so (or a partly resident one)
                _fill(rows, i, u, k, rb, kb, h, table, ccost, cen, cdone)
            if detail:
                uk[i - a, 0] = u
                uk[i - a, 1] = k
            # Bytes, MACs and energy in locals (kept in registers; into per_c/per_e after the loop).
            a_rd += ccost[u, k, ROW_COST.dram_read_bytes]
            a_wr += ccost[u, k, ROW_COST.dram_write_bytes]
            a_act += ccost[u, k, ROW_COST.dram_row_activations]
            a_mac += ccost[u, k, ROW_COST.macs]
            a_srd += ccost[u, k, ROW_COST.sram_read_bytes]
            a_swr += ccost[u, k, ROW_COST.sram_write_bytes]
            e_dram += cen[u, k, ENERGY.dram]
            e_sram += cen[u, k, ENERGY.sram]
            e_mac += cen[u, k, ENERGY.mac]
            e_dec += cen[u, k, ENERGY.decode]
            rd = ccost[u, k, ROW_COST.read_cycles]
            wr = ccost[u, k, ROW_COST.write_cycles]
            ld += rd
            st += wr
            dec += ccost[u, k, ROW_COST.decode_cycles]
            comp += ccost[u, k, ROW_COST.compute_cycles]
            weight_side = key >= 0
            is_read = rows[i, ROW.is_read] == 1
            if is_read:
                if weight_side or rd > 0:
                    rd_bytes += rows[i, ROW.bytes]
            elif weight_side or wr > 0:
                wr_bytes += rows[i, ROW.bytes]
            if rb > 0 and is_read and rows[i, ROW.first] == 1:
                # Prologue: the resident part fetched once, before the segment's first period; memory stall of
                # this row.
                kf = FILL if k == RESIDENT else PARTIAL_FILL
                if cdone[u, kf] == 0:
                    _fill(rows, i, u, kf, rb, kb, h, table, ccost, cen, cdone)
                _add(pro_c, pro_e, ccost, cen, u, kf, 1)
                f = ccost[u, kf, ROW_COST.read_cycles]
                pro_cycles += f
                if detail:
                    ph, nt, ly = rows[i, ROW.phase], rows[i, ROW.net], w.row_layer[i]
                    for cv, ev in ((ph_c[ph], ph_e[ph]), (net_c[nt], net_e[nt]), (lay_c[ly], lay_e[ly])):
                        _add(cv, ev, ccost, cen, u, kf, 1)
                        _add_cycles(cv, ev, 0, f, 0, 1, h)
        oc = opc[o - o0]
        oc[OP_COST.load_cycles] = ld
        oc[OP_COST.store_cycles] = st
        oc[OP_COST.decode_cycles] = dec
        oc[OP_COST.compute_cycles] = comp
        oc[OP_COST.tiles] = tile_count(rd_bytes, wr_bytes, tile)
        comp_total += comp
    _add_cycles(pro_c, pro_e, 0, pro_cycles, 0, 1, h)
    per_c[COUNT.dram_read_bytes] += a_rd
    per_c[COUNT.dram_write_bytes] += a_wr
    per_c[COUNT.dram_row_activations] += a_act
    per_c[COUNT.macs] += a_mac
    per_c[COUNT.sram_read_bytes] += a_srd
    per_c[COUNT.sram_write_bytes] += a_swr
    per_e[ENERGY.dram] += e_dram
    per_e[ENERGY.sram] += e_sram
    per_e[ENERGY.mac] += e_mac
    per_e[ENERGY.decode] += e_dec
    idle = np.zeros(o1 - o0, dtype=np.int64)
    dec_stall = np.zeros(o1 - o0, dtype=np.int64)
    _, tail = schedule_ops(opc, stream_slots(h), idle, dec_stall)
    idle_total = 0
    dec_total = 0
    for o in range(o1 - o0):
        idle_total += idle[o]
        dec_total += dec_stall[o]
    _add_cycles(per_c, per_e, comp_total, idle_total - dec_total + tail, dec_total, 1, h)
    if not detail:
        return
    # By phase, network and layer: each row's compute; an op's stalls to its attribution row; the drain to the last
    # op's. One period into per-segment tallies (groups: the phases, then the networks, then the layers; static
    # energy from their cycles at the end: it is linear in cycles), then `reps` of them into the point's.
    n_ph, n_nt, n_ly = ph_c.shape[0], net_c.shape[0], lay_c.shape[0]
    n_g = n_ph + n_nt + n_ly
    tc = np.zeros((n_g, N_COUNT), dtype=np.int64)
    te = np.zeros((n_g, N_ENERGY), dtype=np.float64)
    mem = np.zeros(n, dtype=np.int64)
    dcy = np.zeros(n, dtype=np.int64)
    for o in range(o1 - o0):
        j = w.op_attr[o0 + o] - a
        dcy[j] += dec_stall[o]
        mem[j] += idle[o] - dec_stall[o]
        # The op's spills and refills: bytes and energy of its attribution row (their time is in its stalls).
        p = o0 + o + po
        for g in (rows[a + j, ROW.phase], n_ph + rows[a + j, ROW.net], n_ph + n_nt + w.row_layer[a + j]):
            _add(tc[g], te[g], pcost, pen, p, 0, 1)
    if o1 > o0:
        mem[w.op_attr[o1 - 1] - a] += tail
    for j in range(n):
        u, k = uk[j, 0], uk[j, 1]
        comp = ccost[u, k, ROW_COST.compute_cycles]
        for g in (rows[a + j, ROW.phase], n_ph + rows[a + j, ROW.net], n_ph + n_nt + w.row_layer[a + j]):
            _add(tc[g], te[g], ccost, cen, u, k, 1)
            tc[g, COUNT.cycles] += comp + mem[j] + dcy[j]
            tc[g, COUNT.compute_cycles] += comp
            tc[g, COUNT.stall_memory_cycles] += mem[j]
            tc[g, COUNT.stall_decode_cycles] += dcy[j]
    reps = w.seg_repeats[s]
    for g in range(n_g):
        te[g, ENERGY.static] = static_pj(tc[g, COUNT.cycles], h)
        if g < n_ph:
            cv, ev = ph_c[g], ph_e[g]
        elif g < n_ph + n_nt:
            cv, ev = net_c[g - n_ph], net_e[g - n_ph]
        else:
            cv, ev = lay_c[g - n_ph - n_nt], lay_e[g - n_ph - n_nt]
        for q in range(N_COUNT):
            cv[q] += reps * tc[g, q]
        for q in range(N_ENERGY):
            ev[q] += reps * te[g, q]


@kernel
def _point(p: int, w: Arrays, H: np.ndarray, tables: DRAMTable, table_of: np.ndarray, detail: bool,
           seg_c: np.ndarray, seg_e: np.ndarray, ph_c: np.ndarray, ph_e: np.ndarray, net_c: np.ndarray,
           net_e: np.ndarray, lay_c: np.ndarray, lay_e: np.ndarray) -> None:
    """Hardware point ``p`` (row of ``H``) into its slices of the output arrays (see :func:`simulate_points`).

    Without ``detail`` each distinct period (``seg_rep``) is costed once and scaled per segment.
    """
    S = w.seg_repeats.shape[0]
    h = H[p]
    t = table_of[p]
    mk, mc, mp = new_memo()  # this point's own memo of part transfers (points run in parallel)
    table = DRAMTable(tables.cost[t], tables.energy[t], mk, mc, mp)
    cache = _new_cache(w.n_uid)
    plan = _plan(w, h, table)
    per_c = np.zeros((S, N_COUNT), dtype=np.int64)
    per_e = np.zeros((S, N_ENERGY), dtype=np.float64)
    pro_c = np.zeros((S, N_COUNT), dtype=np.int64)
    pro_e = np.zeros((S, N_ENERGY), dtype=np.float64)
    for s in range(S):
        if detail or w.seg_rep[s] == s:
            _segment(w, s, h, table, cache, plan, per_c[s], per_e[s], pro_c[s], pro_e[s], ph_c[p], ph_e[p], net_c[p],
                     net_e[p], lay_c[p], lay_e[p], detail)
    for s in range(S):
        r = s if detail else w.seg_rep[s]
        m = w.seg_repeats[s]
        for q in range(N_COUNT):
            seg_c[p, s, q] = pro_c[r, q] + m * per_c[r, q]
        for q in range(N_ENERGY):
            seg_e[p, s, q] = pro_e[r, q] + m * per_e[r, q]


@kernel
def _zeros(P: int, S: int, n_phase: int, n_net: int, n_layer: int):
    """The output arrays of :func:`simulate_points`, zeroed."""
    return (np.zeros((P, S, N_COUNT), dtype=np.int64), np.zeros((P, S, N_ENERGY), dtype=np.float64),
            np.zeros((P, n_phase, N_COUNT), dtype=np.int64), np.zeros((P, n_phase, N_ENERGY), dtype=np.float64),
            np.zeros((P, n_net, N_COUNT), dtype=np.int64), np.zeros((P, n_net, N_ENERGY), dtype=np.float64),
            np.zeros((P, n_layer, N_COUNT), dtype=np.int64), np.zeros((P, n_layer, N_ENERGY), dtype=np.float64))


@kernel
def _empty_tables(keys: np.ndarray, Hs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Zeroed ``cost`` (n_t, n_x, N_XFER_COST) and ``energy`` (n_t, n_x) of :func:`dram_tables`: plain arrays,
    because numba's parfors drop writes made through a named tuple's fields."""
    n_t, n_x = Hs.shape[0], keys.shape[0]
    return np.zeros((n_t, n_x, N_XFER_COST), dtype=np.int64), np.zeros((n_t, n_x), dtype=np.float64)


@kernel
def _fill_table(keys: np.ndarray, Hs: np.ndarray, t: int, cost: np.ndarray, energy: np.ndarray) -> None:
    """Point ``t``'s row of the tables: :func:`accelsim.cost.dram_cost.transfer_table_of` of ``keys`` on ``Hs[t]``."""
    one = transfer_table_of(keys, Hs[t])
    cost[t] = one.cost
    energy[t] = one.energy


@kernel(parallel=True)
def dram_tables(keys: np.ndarray, Hs: np.ndarray) -> DRAMTable:
    """:func:`accelsim.cost.dram_cost.transfer_table` of ``keys`` on every point of ``Hs`` (one per distinct DRAM, see
    :func:`run`), points in parallel: ``cost`` (n_t, n_x, N_XFER_COST), ``energy`` (n_t, n_x)."""
    cost, energy = _empty_tables(keys, Hs)
    for t in prange(Hs.shape[0]):
        _fill_table(keys, Hs, t, cost, energy)
    mk, mc, mp = new_memo()  # unused: each point makes its own
    return DRAMTable(cost, energy, mk, mc, mp)


@kernel
def dram_tables_serial(keys: np.ndarray, Hs: np.ndarray) -> DRAMTable:
    """:func:`dram_tables` on one thread (one distinct DRAM: no thread pool to wait for)."""
    cost, energy = _empty_tables(keys, Hs)
    for t in range(Hs.shape[0]):
        _fill_table(keys, Hs, t, cost, energy)
    mk, mc, mp = new_memo()  # unused: each point makes its own
    return DRAMTable(cost, energy, mk, mc, mp)


@kernel(parallel=True)
def simulate_points(w: Arrays, H: np.ndarray, tables: DRAMTable, table_of: np.ndarray, n_phase: int, n_net: int,
                    n_layer: int, detail: bool = True):
    """Simulate a workload (its :class:`Arrays`) on every hardware point (rows of ``H``, shape (P, N_HW)),
    points in parallel; point p's DRAM transfers cost ``tables[table_of[p]]`` (:func:`dram_tables`).

    Returns the arrays of an :class:`~accelsim.engines.output.EngineOutput`, in its field order:
        seg_c (P, S, N_COUNT) int64, seg_e (P, S, N_ENERGY) float64 [pJ], ph_c (P, n_phase, N_COUNT),
        ph_e (P, n_phase, N_ENERGY), net_c (P, n_net, N_COUNT), net_e (P, n_net, N_ENERGY), lay_c (P, n_layer,
        N_COUNT), lay_e (P, n_layer, N_ENERGY). ``n_layer`` is the workload's ``layers`` count, or 0 without
        ``detail`` (a sweep of many points then allocates no layer tallies).
    """
    out = _zeros(H.shape[0], w.seg_repeats.shape[0], n_phase, n_net, n_layer)
    seg_c, seg_e, ph_c, ph_e, net_c, net_e, lay_c, lay_e = out
    for p in prange(H.shape[0]):
        _point(p, w, H, tables, table_of, detail, seg_c, seg_e, ph_c, ph_e, net_c, net_e, lay_c, lay_e)
    return out


@kernel
def simulate_points_serial(w: Arrays, H: np.ndarray, tables: DRAMTable, table_of: np.ndarray, n_phase: int,
                           n_net: int, n_layer: int, detail: bool = True):
    """:func:`simulate_points` on one thread. One point takes a tenth of a millisecond: handing it to the thread
    pool costs more, and on a loaded machine tens of milliseconds (waiting for a worker thread's time slice)."""
    out = _zeros(H.shape[0], w.seg_repeats.shape[0], n_phase, n_net, n_layer)
    seg_c, seg_e, ph_c, ph_e, net_c, net_e, lay_c, lay_e = out
    for p in range(H.shape[0]):
        _point(p, w, H, tables, table_of, detail, seg_c, seg_e, ph_c, ph_e, net_c, net_e, lay_c, lay_e)
    return out


#: Bytes of DRAM tables one call may hold: a sweep with more distinct DRAM configurations runs in chunks.
TABLE_BUDGET_BYTES = 64 << 20


def run(workload: Workload, H: np.ndarray, n_phase: int, n_net: int, detail: bool = True) -> EngineOutput:
    """Run :func:`simulate_points` on a workload and (P, N_HW) packed hardware points (one point: serially).

    A DRAM transfer's cost depends on the point only through :data:`accelsim.cost.dram_cost.DRAM_COST_SLOTS`, so the
    workload's transfers (``xfer_keys``) are costed once per distinct value of those slots (a sweep over
    buffer sizes costs them once), in chunks of points whose tables fit :data:`TABLE_BUDGET_BYTES`. Without
    ``detail`` the phase and network tallies are zeros and the layer tally has no layers.
    """
    H = np.ascontiguousarray(np.atleast_2d(H), dtype=np.float64)
    if H.shape[1] != N_HW:
        raise ValueError(f"hardware points must have {N_HW} slots, got {H.shape[1]}")
    w = arrays(workload)
    keys = workload.xfer_keys
    n_layer = workload.layers.shape[0] if detail else 0
    per_table = max(1, keys.shape[0] * (N_XFER_COST + 1) * 8)
    chunk = max(1, TABLE_BUDGET_BYTES // per_table)
    parts = []
    for c0 in range(0, H.shape[0], chunk):
        Hc = H[c0:c0 + chunk]
        _, first, table_of = np.unique(Hc[:, DRAM_COST_SLOTS], axis=0, return_index=True, return_inverse=True)
        Hs = np.ascontiguousarray(Hc[first])  # one point per distinct DRAM, in the order table_of counts them
        tables = (dram_tables if Hs.shape[0] > 1 else dram_tables_serial)(keys, Hs)
        table_of = np.ascontiguousarray(table_of.reshape(-1), dtype=np.int64)
        fn = simulate_points_serial if Hc.shape[0] == 1 else simulate_points
        parts.append(fn(w, Hc, tables, table_of, n_phase, n_net, n_layer, detail))
    seg_c, seg_e, ph_c, ph_e, net_c, net_e, lay_c, lay_e = (np.concatenate(a) if len(parts) > 1 else a[0]
                                                            for a in zip(*parts, strict=True))
    return EngineOutput(segments=Tally(seg_c, seg_e), phases=Tally(ph_c, ph_e), networks=Tally(net_c, net_e),
                        layers=Tally(lay_c, lay_e))
