"""The on-chip schedule: ops streamed in tiles, loads overlapping decode and compute, one bus shared first
come first served, on-chip work taking no stream slot. Both schedulers (the fast engine's compiled
:func:`accelsim.engines.fast.tiles.schedule_ops` and the reference's SimPy
:func:`accelsim.engines.reference.period.schedule_period`) are
checked against schedules worked out by hand, against each other on random ops, and against bounds."""

import numpy as np
import pytest
from conftest import REAL
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.base.layouts import N_OP_COST, OP_COST, pack
from accelsim.cost import dram_cost, hardware_vector, policy
from accelsim.cost.systolic import DATAFLOW_CODE, gemm_cycles
from accelsim.engines.fast import tiles
from accelsim.engines.reference.period import OpTiles, schedule_period
from accelsim.hardware.load import load_hardware
from accelsim.simulation.simulate import simulate
from accelsim.trace.formats import Format
from accelsim.trace.reader import read_trace
from accelsim.trace.schema import TxnRow
from accelsim.trace.writer import write_trace


def op(load=0, store=0, decode=0, compute=0, tiles=1) -> OpTiles:
    return OpTiles(load, store, decode, compute, tiles)


def both(ops: list[OpTiles], slots: int) -> tuple[int, list[int], list[int], int]:
    """(period cycles, idle per op, decode stall per op, tail) from both schedulers, which must agree."""
    opc = np.stack([pack(OP_COST, {"load_cycles": o.load_cycles, "store_cycles": o.store_cycles,
                                   "decode_cycles": o.decode_cycles, "compute_cycles": o.compute_cycles,
                                   "tiles": o.tiles}, np.int64) for o in ops]).reshape(len(ops), N_OP_COST)
    idle, dec = np.zeros(len(ops), np.int64), np.zeros(len(ops), np.int64)
    cycles, tail = tiles.schedule_ops(opc, slots, idle, dec)
    ref = schedule_period(ops, slots)
    assert (cycles, tail, tuple(idle.tolist()), tuple(dec.tolist())) == (ref.cycles, ref.tail, ref.idle,
                                                                        ref.decode_stall)
    return int(cycles), idle.tolist(), dec.tolist(), int(tail)


def test_loads_of_the_next_tiles_overlap_compute_only_with_two_slots():
    # Four tiles of 100 load and 50 compute cycles. Two slots: load k+2 waits for compute k, so the bus never
    # idles: 4 loads back to back, then the last compute. One slot: load, compute, load, compute, ...
    assert both([op(load=400, compute=200, tiles=4)], 2) == (450, [250], [0], 0)
    assert both([op(load=400, compute=200, tiles=4)], 1) == (600, [400], [0], 0)


def test_decode_pipelines_with_compute_and_is_a_decode_stall():
    # An on-chip op: decode 100 and compute 100 per tile overlap, bar the first decode (a decode stall).
    assert both([op(decode=400, compute=400, tiles=4)], 2) == (500, [100], [100], 0)


def test_on_chip_work_takes_no_stream_slot():
    # One slot. B reads nothing from DRAM, so C's load goes as soon as A's slot frees (cycle 200), during B's
    # long compute: 100 + 100 + 1000 + 100. Were B to hold the slot, C would load after it: 1400.
    ops = [op(load=100, compute=100), op(compute=1000), op(load=100, compute=100)]
    assert both(ops, 1)[0] == 1300


def test_stores_and_loads_share_the_bus_first_come_first_served():
    # One slot. A's store and B's load become ready together (A's compute ends at 110, freeing the slot):
    # the load wins the tie (110-210), the store waits. C's load is ready only at 220 (B's compute ends), so
    # A's store, ready since 110, goes first (210-310); C loads 310-410 and computes until 1410.
    ops = [op(load=100, store=100, compute=10), op(load=100, compute=10), op(load=100, compute=1000)]
    cycles, idle, _, tail = both(ops, 1)
    assert cycles == 1410 and tail == 0
    assert idle == [100, 100, 190]


def test_the_write_queue_drains_at_the_period_end():
    # A gradient written as it is computed: 3 tiles of 100 compute, 150 store each; the bus drains after.
    cycles, idle, _, tail = both([op(store=450, compute=300, tiles=3)], 2)
    assert (cycles, idle, tail) == (100 + 3 * 150, [0], 3 * 150 - 200)


def test_long_ops_of_identical_tiles():
    """Hundreds of tiles per op (the fast scheduler jumps ahead once its state repeats; the reference simulates
    every tile): a load-bound op, a compute-bound one, an on-chip one and a store-heavy one, on 1 and 2 slots."""
    ops = [op(load=30_000, store=9_000, compute=12_000, tiles=300), op(load=2_000, compute=50_000, tiles=200),
           op(decode=7_001, compute=9_999, tiles=257), op(load=5_000, store=40_000, compute=1_000, tiles=100),
           op(store=3_000, compute=2_000, tiles=50)]
    for slots in (1, 2):
        cycles, idle, _, tail = both(ops, slots)
        assert cycles == sum(o.compute_cycles for o in ops) + sum(idle) + tail


def test_a_tile_gets_an_exact_share_of_each_total():
    # 7 cycles over 3 tiles: 3, 2, 2 (the remainder to the first tiles); the period adds up exactly.
    assert both([op(compute=7, tiles=3)], 2)[0] == 7
    assert both([op(load=5, compute=7, tiles=3)], 1)[0] == (2 + 3) + (2 + 2) + (1 + 2)


OPS = st.lists(st.builds(op, load=st.integers(0, 3000), store=st.integers(0, 3000), decode=st.integers(0, 3000),
                         compute=st.integers(0, 3000), tiles=st.integers(1, 40)), min_size=1, max_size=8)


@settings(max_examples=150, deadline=None)
@given(ops=OPS, slots=st.sampled_from([1, 2]))
def test_both_schedulers_agree_and_stay_within_bounds(ops, slots):
    cycles, idle, dec, tail = both(ops, slots)
    bus = sum(o.load_cycles + o.store_cycles for o in ops)
    pe = sum(o.compute_cycles for o in ops)
    assert max(bus, pe, sum(o.decode_cycles for o in ops)) <= cycles
    assert cycles <= sum(o.load_cycles + o.store_cycles + o.decode_cycles + o.compute_cycles for o in ops)
    assert cycles == pe + sum(idle) + tail
    assert all(0 <= d <= i for d, i in zip(dec, idle, strict=True))


def test_a_one_op_trace_by_hand(tmp_path):
    """A 16x8 weight read with its GEMM, 576 bytes (values and bias), on a 512-B weight buffer: the stream
    region is half of it, two tiles of 128 B, and the 256 B left keep two of the weight's tiles resident
    (docs/model.md §3). The prologue fetches those 256 B; the op streams the other 320 B, in 5 tiles (every
    weight-side byte counts), its load and compute split 5 ways."""
    rows = [TxnRow(network="actor", layer=1, tensor="weight", phase="forward", direction="read", gemm_m=4,
                   gemm_k=8, gemm_n=16, rows=16, cols=8, format=Format(nnz_units=128), stored_values=128,
                   bias_values=16)]
    tr = read_trace(write_trace(tmp_path / "one.parquet", {"batch": 4}, [(0, 1, [rows])]))
    hw = load_hardware("edge-lpddr4", {"sram.weight_kib": "0.5", "sram.stream_kib": "1"})
    h = hardware_vector.pack_hardware(hw)
    assert policy.tile_bytes(h) == 128
    prologue = dram_cost.dram_stream(256, False, 0, h)[0]
    load = dram_cost.dram_stream(320, False, 0, h)[0]
    comp = gemm_cycles(4, 8, 16, 32, 32, DATAFLOW_CODE["ws"])
    lt = [load // 5 + (k < load % 5) for k in range(5)]
    ct = [comp // 5 + (k < comp % 5) for k in range(5)]
    # Two slots: load k waits for the compute of tile k - 2; compute k for its load and compute k - 1.
    fl, fc = [0] * 5, [0] * 5
    for k in range(5):
        fl[k] = max(fl[k - 1] if k else 0, fc[k - 2] if k >= 2 else 0) + lt[k]
        fc[k] = max(fl[k], fc[k - 1] if k else 0) + ct[k]
    for engine in ("fast", "reference"):
        t = simulate(tr, hw, engine).dense.totals
        assert t.cycles == prologue + fc[-1] and t.compute_cycles == comp and t.dram_read_bytes == 576, engine


def test_double_buffering_off_is_at_least_ten_percent_slower_in_the_dense_view():
    """The issue's acceptance check, on the shipped GST trace at the default preset and bandwidth: with one
    tile in flight, loads no longer hide behind compute."""
    tr = read_trace(REAL)
    on = simulate(tr, load_hardware(None)).dense.totals.cycles
    off = simulate(tr, load_hardware(None, {"sram.double_buffer": "false"})).dense.totals.cycles
    assert off >= 1.10 * on


@pytest.mark.parametrize("preset", ["edge-lpddr4", "omnidrl-like"])
def test_the_stream_region_size_moves_dense_cycles_by_at_most_five_percent(preset):
    """Larger tiles or not, a stream region of a few tiles hides loads as well as a huge one would, to a few
    percent: the schedule is not an artefact of the tile size."""
    tr = read_trace(REAL)
    small = simulate(tr, load_hardware(preset, {"sram.stream_kib": "16"})).dense.totals.cycles
    big = simulate(tr, load_hardware(preset, {"sram.stream_kib": "128"})).dense.totals.cycles
    assert abs(small - big) <= 0.05 * big
