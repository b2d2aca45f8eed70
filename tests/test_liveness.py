"""Activation liveness: which activation tensors each op reads and writes (by hand on a small TD3 step), the
buffer's furthest-next-read eviction (by hand, both engines' planners), and the whole model bounded between
a buffer that holds nothing and one that holds everything."""

import math
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import REAL, make_random_trace

from accelsim.base.layouts import ACT_EVENT, ACT_TENSOR, ENERGY, N_ENERGY, N_ROW_COST, ROW, ROW_COST, XFER_KEY, pack
from accelsim.cost import dram_cost, hardware_vector
from accelsim.cost import rows as row_cost
from accelsim.engines.fast import liveness
from accelsim.engines.reference import placement
from accelsim.hardware.load import load_hardware
from accelsim.simulation.simulate import simulate
from accelsim.trace.reader import read_trace
from accelsim.trace.schema import NETWORKS, PHASES
from accelsim.trace.td3_step import td3_networks, td3_step_rows
from accelsim.trace.writer import write_trace
from accelsim.workload.build import activation_events, build_workload, group_ops, transfer_keys


def _names(wl, s=0):
    """Tensor index -> ("Y" | "G" | "R", network, layer): what each of segment s's activation tensors is."""
    a, b = int(wl.seg_row_start[s]), int(wl.seg_row_start[s + 1])
    rows = wl.rows[a:b]
    ops = group_ops(rows)
    tensors, events = activation_events(rows, ops)
    names, made = {}, 0
    for op, ev in zip(ops, events, strict=True):
        writes = [i for i in op if rows[i, ROW.kind] != 0 and not (rows[i, ROW.is_read] == 1
                                                                    and rows[i, ROW.kind] == 1)]
        for t, create in ev[:, [ACT_EVENT.tensor, ACT_EVENT.create]].tolist():
            if create:
                r = rows[writes.pop(0)]
                kind = "R" if r[ROW.layer] < 0 else ("G" if PHASES[r[ROW.phase]] == "backward_data" else "Y")
                names[t] = (kind, NETWORKS[r[ROW.net]], int(r[ROW.layer]))
                made += 1
    assert made == len(tensors)
    return rows, ops, events, names


def test_each_op_reads_its_inputs_and_output_gradient_and_writes_its_result(tmp_path):
    shapes = td3_networks(3, 1, (4, 4))
    step = td3_step_rows(shapes, {}, 2, 3, 1, actor_update=False)
    tr = read_trace(write_trace(tmp_path / "t.parquet", {"batch": 2}, [(0, 1, [step])]))
    rows, ops, events, names = _names(build_workload(tr, "dense"))
    seen = []
    for op, ev in zip(ops, events, strict=True):
        i = next((i for i in op if rows[i, ROW.m] > 0), None)
        if i is None or NETWORKS[rows[i, ROW.net]] != "critic1":
            continue
        what = (PHASES[rows[i, ROW.phase]], int(rows[i, ROW.layer]))
        reads = sorted(names[t] for t, c in ev[:, [ACT_EVENT.tensor, ACT_EVENT.create]].tolist() if not c)
        writes = sorted(names[t] for t, c in ev[:, [ACT_EVENT.tensor, ACT_EVENT.create]].tolist() if c)
        seen.append((what, reads, writes))
    R, Y0, Y1, Y2 = ("R", "replay", -1), ("Y", "critic1", 0), ("Y", "critic1", 1), ("Y", "critic1", 2)
    G1, G2 = ("G", "critic1", 1), ("G", "critic1", 2)
    assert seen == [
        (("forward", 0), [R], [Y0]),
        (("forward", 1), [Y0], [Y1]),
        (("forward", 2), [Y1], [Y2]),
        (("backward_data", 2), [Y1], [G2]),          # dY of the top layer is the loss gradient: no tensor
        (("backward_weight", 2), [Y1], []),
        (("backward_data", 1), sorted([G2, Y0]), [G1]),
        (("backward_weight", 1), sorted([G2, Y0]), []),
        (("backward_weight", 0), sorted([G1, R]), []),  # the first layer needs no input gradient
    ]
    # Y2 (the Q head) is read by no later op: its next use is none.
    t_y2 = next(t for t, n in names.items() if n == Y2)
    assert all(e[ACT_EVENT.next_use] == -1 for ev in events for e in ev if e[ACT_EVENT.tensor] == t_y2)


def test_the_actor_backward_reads_the_critics_input_gradient(tmp_path):
    """dQ/da: critic1's backward through its first layer makes G(critic1, 0); the actor's top layer reads it."""
    shapes = td3_networks(3, 1, (4, 4))
    step = td3_step_rows(shapes, {}, 2, 3, 1, actor_update=True)
    tr = read_trace(write_trace(tmp_path / "t.parquet", {"batch": 2}, [(0, 1, [step])]))
    rows, ops, events, names = _names(build_workload(tr, "dense"))
    for op, ev in zip(ops, events, strict=True):
        i = next((i for i in op if rows[i, ROW.m] > 0), None)
        if i is not None and NETWORKS[rows[i, ROW.net]] == "actor" and PHASES[rows[i, ROW.phase]] == "backward_data":
            reads = {names[t] for t, c in ev[:, [ACT_EVENT.tensor, ACT_EVENT.create]].tolist() if not c}
            assert ("G", "critic1", 0) in reads
            return
    pytest.fail("no actor backward-data op")


def _plans(capacity: int, sizes: list[int], ops: list[list[tuple[int, int, int]]], clean: list[int] | None = None,
           rows: list[int] | None = None):
    """Both planners on hand-made events: ops[o] = [(tensor, create, next_use), ...]; ``clean[t]``: tensor t
    has a copy in DRAM (the replay batch); ``rows[t]``: its batch rows (default 1: held whole or not at all).
    Returns, per op, (refilled bytes, spilled bytes) from the fast kernel, after checking the reference's are
    the same."""
    clean = clean or [0] * len(sizes)
    rows = rows or [1] * len(sizes)
    tensors = np.array([pack(ACT_TENSOR, {"bytes": b, "clean": c, "gather_rows": 0, "batch_rows": r,
                                          "refill_xfer": -1, "spill_xfer": -1}, np.int64)
                        for b, c, r in zip(sizes, clean, rows, strict=True)])
    keys = transfer_keys(np.zeros((0, len(ROW)), np.int64), tensors)  # fills the tensors' transfer indices
    events = np.array([pack(ACT_EVENT, {"tensor": t, "create": c, "next_use": n}, np.int64)
                       for op in ops for t, c, n in op]).reshape(-1, len(ACT_EVENT))
    start = np.cumsum([0] + [len(op) for op in ops]).astype(np.int64)
    h = hardware_vector.pack_hardware(load_hardware(None, {"sram.act_kib": str(capacity / 1024)}))
    n = len(ops)
    cost, energy = np.zeros((n, N_ROW_COST), np.int64), np.zeros((n, N_ENERGY))
    rd, wr = np.zeros(n, np.int64), np.zeros(n, np.int64)
    table = dram_cost.transfer_table(keys, h)
    liveness.activation_plan(tensors, events, start, 0, n, capacity, h, table, cost, energy, rd, wr)
    wl = SimpleNamespace(seg_tensor_start=np.array([[0, len(sizes)]] * 2), act_tensors=tensors,
                         seg_op_start=np.array([[0, n]] * 2), op_event_start=start, act_events=events, xfer_keys=keys)
    ref = placement.activation_plan(wl, 0, h)
    assert [(sum(t.refills), sum(t.spills)) for t in ref] == list(zip(rd.tolist(), wr.tolist(), strict=True))
    for k, t in enumerate(ref):
        assert (t.cost == cost[k]).all()
    return list(zip(rd.tolist(), wr.tolist(), strict=True))


def test_the_tensor_read_again_furthest_is_evicted():
    # 100 bytes. A, B, C of 40 are made by ops 0-2; C needs room: B (next read at op 5) goes, not A (op 3),
    # though A is older: B is spilled at op 2 and refilled at op 5; A and C stay.
    ops = [[(0, 1, 3)], [(1, 1, 5)], [(2, 1, 4)], [(0, 0, -1)], [(2, 0, -1)], [(1, 0, -1)]]
    assert _plans(100, [40, 40, 40], ops) == [(0, 0), (0, 0), (0, 40), (0, 0), (0, 0), (40, 0)]


def test_a_tensor_too_big_streams_and_a_second_eviction_is_free():
    # 100 bytes; A 60, B 50, C 60, T 150. T never fits: written to DRAM as made, refilled when read.
    # op 1: B needs room, A goes (spilled). op 2: A is refilled and needs room, B goes (spilled).
    # op 3: C needs room, A goes again: free, DRAM has its copy. op 4: B refilled (its last read: streamed).
    # op 5: A and T refilled.
    ops = [[(0, 1, 2), (3, 1, 5)], [(1, 1, 4)], [(0, 0, 5)], [(2, 1, 4)], [(1, 0, -1), (2, 0, -1)],
           [(0, 0, -1), (3, 0, -1)]]
    assert _plans(100, [60, 50, 60, 150], ops) == [(0, 150), (0, 60), (60, 50), (0, 0), (50, 0), (210, 0)]


def test_a_tensor_larger_than_the_buffer_keeps_the_batch_rows_that_fit():
    # 100 bytes; A is 160 bytes in 4 batch rows of 40: two rows stay, two are spilled as made and refilled
    # when read (before, A never entered the buffer: 160 written, 160 read).
    assert _plans(100, [160], [[(0, 1, 1)], [(0, 0, -1)]], rows=[4]) == [(0, 80), (80, 0)]
    # 120 bytes in 4 rows of 30: three rows (90 bytes) stay
    assert _plans(100, [120], [[(0, 1, 1)], [(0, 0, -1)]], rows=[4]) == [(0, 30), (30, 0)]


def test_eviction_takes_as_few_rows_as_free_the_room():
    # 100 bytes; A (80 bytes, 4 rows of 20) is read again at op 3, B (40, one row) at op 2: B needs 20 more
    # bytes, so one row of A is spilled, not all of it; A's row is refilled at op 3.
    ops = [[(0, 1, 3)], [(1, 1, 2)], [(1, 0, -1)], [(0, 0, -1)]]
    assert _plans(100, [80, 40], ops, rows=[4, 1]) == [(0, 0), (0, 20), (0, 0), (20, 0)]


def test_an_op_in_batch_tiles_reuses_the_room_of_inputs_it_reads_last():
    # 100 bytes; X (80) is read for the last time by op 1, which makes Y (80, read at op 2): row by row, Y's
    # rows take the room X's leave, so nothing moves (were X held to the end of the op, Y would be spilled).
    ops = [[(0, 1, 1)], [(0, 0, -1), (1, 1, 2)], [(1, 0, -1)]]
    assert _plans(100, [80, 80], ops, rows=[4, 4]) == [(0, 0), (0, 0), (0, 0)]
    # X read again later stays: Y keeps one row beside it and spills three
    ops = [[(0, 1, 1)], [(0, 0, 3), (1, 1, 2)], [(1, 0, -1)], [(0, 0, -1)]]
    assert _plans(100, [80, 80], ops, rows=[4, 4]) == [(0, 0), (0, 60), (60, 0), (0, 0)]


def test_the_replay_batch_is_never_written_back():
    """The replay batch is gathered from the replay buffer in DRAM (docs/model.md §3): its creation leaves that
    copy valid, so evicting it writes nothing, and a later read gathers it again (a refill)."""
    # 60 bytes; R (the replay batch, clean) and A of 40. op 1: A needs room, R goes: no write. op 2: R refilled.
    ops = [[(0, 1, 2)], [(1, 1, 2)], [(0, 0, -1), (1, 0, -1)]]
    assert _plans(60, [40, 40], ops, clean=[1, 0]) == [(0, 0), (0, 0), (40, 0)]
    # made the other way round, R evicts A, which has no DRAM copy: A is written back, R never is
    assert _plans(60, [40, 40], [[(1, 1, 2)], [(0, 1, 2)], [(0, 0, -1), (1, 0, -1)]], clean=[1, 0]) == \
        [(0, 0), (0, 40), (40, 0)]
    # a buffer smaller than the batch: it is kept nowhere and not written; each read gathers it
    assert _plans(30, [40], [[(0, 1, 1)], [(0, 0, 2)], [(0, 0, -1)]], clean=[1]) == [(0, 0), (40, 0), (40, 0)]


def _act_bytes(res, view):
    return getattr(res, view).totals.dram_bytes


@pytest.mark.parametrize("view", ["dense", "compressed"])
def test_the_result_lies_between_a_buffer_holding_nothing_and_one_holding_everything(view):
    """On the shipped GST trace: with no room, every activation read is a refill and every activation read
    later was written to DRAM once (computed here from the events, rounded to bursts; the replay batch's
    refills row by row, as it is gathered); with room for all,
    no activation crosses the bus; the default buffer lies between, in bytes and in cycles."""
    tr = read_trace(REAL)
    tiny = simulate(tr, load_hardware(None, {"sram.act_kib": "0.001"}))
    mid = simulate(tr, load_hardware(None))
    huge = simulate(tr, load_hardware(None, {"sram.act_kib": "1e6"}))
    wl = build_workload(tr, view)
    burst = load_hardware(None).dram.burst_bytes
    expect = 0
    for s in range(wl.n_segments):
        t0 = int(wl.seg_tensor_start[0, s])
        ev = wl.act_events[int(wl.op_event_start[wl.seg_op_start[0, s]]):
                           int(wl.op_event_start[wl.seg_op_start[0, s + 1]])]
        sizes = wl.act_tensors[t0:int(wl.seg_tensor_start[0, s + 1]), ACT_TENSOR.bytes]
        gather = wl.act_tensors[t0:int(wl.seg_tensor_start[0, s + 1]), ACT_TENSOR.gather_rows]
        clean = wl.act_tensors[t0:int(wl.seg_tensor_start[0, s + 1]), ACT_TENSOR.clean]
        period = 0
        for t, create, nxt in ev[:, [ACT_EVENT.tensor, ACT_EVENT.create, ACT_EVENT.next_use]].tolist():
            if not create and gather[t] > 0:  # a refill of the replay batch gathers its B rows again, each
                b_rows = int(gather[t])       # rounded up to whole bursts on its own (docs/model.md §4)
                period += b_rows * math.ceil(int(sizes[t]) // b_rows / burst) * burst
            elif not create or (nxt >= 0 and not clean[t]):  # a read is a refill; a write read later is a
                period += math.ceil(int(sizes[t]) / burst) * burst  # spill, but the replay batch's (DRAM has it)
        expect += period * int(wl.seg_repeats[s])
    assert _act_bytes(tiny, view) - _act_bytes(huge, view) == expect
    for f in ("dram_bytes", "cycles"):
        t, m, h = (getattr(getattr(r, view).totals, f) for r in (tiny, mid, huge))
        assert t >= m >= h, f


@pytest.mark.parametrize("seed", range(4))
def test_activation_traffic_never_exceeds_the_no_room_case(tmp_path, seed):
    """Any buffer: each read refills at most once and each tensor is spilled at most once, so activation bytes
    lie between none (a huge buffer) and the no-room case."""
    tr = read_trace(make_random_trace(tmp_path / "r.parquet", seed=seed))
    lo = simulate(tr, load_hardware(None, {"sram.act_kib": "1e6"})).compressed.totals.dram_bytes
    hi = simulate(tr, load_hardware(None, {"sram.act_kib": "0.001"})).compressed.totals.dram_bytes
    for kib in (0.05, 0.2, 0.5, 1, 2, 4):
        for engine in ("fast", "reference"):
            b = simulate(tr, load_hardware(None, {"sram.act_kib": str(kib)}), engine).compressed.totals.dram_bytes
            assert lo <= b <= hi, (kib, engine)


def test_spills_and_refills_are_charged_to_the_op_as_dram_transfers(tmp_path):
    """Energy and bytes of the plan are whole-tensor transfers: the no-room case's extra DRAM energy equals
    the energy of exactly those transfers, each costed alone."""
    tr = read_trace(make_random_trace(tmp_path / "r.parquet", seed=3, n_segments=1))
    h0 = load_hardware(None, {"sram.act_kib": "1e6"})
    h1 = load_hardware(None, {"sram.act_kib": "0.001"})
    wl = build_workload(tr, "dense")
    hp = hardware_vector.pack_hardware(h1)
    extra_pj = 0.0
    events = wl.act_events[:int(wl.op_event_start[wl.seg_op_start[0, 1]])]  # segment 0, ops as traced
    for t, create, nxt in events[:, [ACT_EVENT.tensor, ACT_EVENT.create, ACT_EVENT.next_use]].tolist():
        if not create or (nxt >= 0 and not wl.act_tensors[t, ACT_TENSOR.clean]):  # the replay batch: never written
            c, e = np.zeros(N_ROW_COST, np.int64), np.zeros(N_ENERGY)
            # the tensor's spill, or its refill (the replay batch's: gathered), costed alone
            x = int(wl.act_tensors[t, ACT_TENSOR.spill_xfer if create else ACT_TENSOR.refill_xfer])
            k = wl.xfer_keys[x]
            gather = 0 if create else int(wl.act_tensors[t, ACT_TENSOR.gather_rows])
            assert (k[XFER_KEY.bytes], k[XFER_KEY.is_write], k[XFER_KEY.gather_rows]) == (
                wl.act_tensors[t, ACT_TENSOR.bytes], int(create), gather)
            table = dram_cost.transfer_table(wl.xfer_keys, hp)
            row_cost.transfer_costs(int(k[XFER_KEY.bytes]), int(k[XFER_KEY.bytes]), bool(create), gather > 0, x, hp,
                                    table, c, e)
            extra_pj += e[ENERGY.dram]
            assert c[ROW_COST.dram_read_bytes] + c[ROW_COST.dram_write_bytes] > 0
    reps = int(wl.seg_repeats[0])
    d0 = simulate(tr, h0).dense.totals.energy_breakdown_j.dram
    d1 = simulate(tr, h1).dense.totals.energy_breakdown_j.dram
    assert d1 - d0 == pytest.approx(extra_pj * reps * 1e-12, rel=1e-9)
