"""Residency by value: a knapsack in tiles of weight-side tensors (value: bytes of traffic saved per period)
over the weight buffer less what streaming needs. Both engines' implementations, by hand and against brute
force."""

import itertools
import math

import numpy as np
import pytest
from conftest import make_random_trace
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.base import layouts
from accelsim.base.layouts import KIND, ROW
from accelsim.cost import hardware_vector
from accelsim.engines.fast.residency import residency_budget, select_resident
from accelsim.engines.reference.placement import resident_keys
from accelsim.hardware.load import load_hardware
from accelsim.simulation.simulate import simulate
from accelsim.trace.reader import read_trace
from accelsim.workload.build import build_workload

#: A 1 KiB weight buffer whose stream region is 256 B (two 128-B tiles): 768 B for residency.
HW = {"sram.weight_kib": "1", "sram.stream_kib": "0.25"}
TILE = 128


def _both(sizes: list[int], counts: list[int], grads: list[int] | None = None, over=None) -> dict[int, int]:
    """Keys of ``sizes`` bytes, each moved ``counts`` times a period: key -> resident bytes (keys with none left
    out), by both implementations."""
    h = hardware_vector.pack_hardware(load_hardware(None, {**HW, **(over or {})}))
    grads = grads or [0] * len(sizes)
    traffic = [c * b for c, b in zip(counts, sizes, strict=True)]
    out = np.zeros(len(sizes), np.int64)
    select_resident(np.array(sizes, np.int64), np.array(traffic, np.int64), np.array(grads, np.int64), h, out)
    fused = load_hardware(None, {**HW, **(over or {})}).pe.fuse_update
    stored = {k: b for k, b in enumerate(sizes) if not (fused and grads[k])}
    value = {k: traffic[k] for k in stored}
    ref = resident_keys(stored, value, residency_budget(h), TILE)
    assert {k: int(b) for k, b in enumerate(out) if b > 0} == ref
    return ref


def test_the_budget_is_the_buffer_less_the_stream_tiles():
    h = hardware_vector.pack_hardware(load_hardware(None, HW))
    assert residency_budget(h) == 1024 - 2 * 128
    h = hardware_vector.pack_hardware(load_hardware(None, {**HW, "sram.double_buffer": "false"}))
    assert residency_budget(h) == 1024 - 256  # one tile of the whole region
    h = hardware_vector.pack_hardware(load_hardware(None))  # the default preset: 256 KiB less two 16 KiB tiles
    assert residency_budget(h) == (256 - 32) * 1024


def test_all_stay_when_all_fit_in_the_budget():
    assert _both([256, 256, 256], [1, 1, 1]) == {0: 256, 1: 256, 2: 256}  # 768 B: fits exactly
    # 800 B does not: 0 and 2 whole by value per byte, then one 128-B tile of 1 in the 224 B left
    assert _both([256, 256, 288], [9, 1, 2]) == {0: 256, 2: 288, 1: 128}
    assert _both([256, 256, 288], [9, 1, 1]) == {0: 256, 1: 256, 2: 256}  # ties of value per byte: the first key


def test_greedy_by_traffic_saved_per_byte():
    # Densities (bytes moved per period per stored byte): 5, 1, 3, 2. The budget takes 0 and 2, then 3 fits
    # whole (576 B); the 192 B left hold one whole tile of 1.
    assert _both([320, 320, 192, 64], [5, 1, 3, 2]) == {0: 320, 2: 192, 3: 64, 1: 128}


def test_a_tensor_larger_than_the_budget_keeps_whole_tiles_of_it():
    # The dense little key first, then five of the big key's 128-B tiles in the 736 B left (not a cliff: the
    # old whole-tensor knapsack kept either the big key or nothing of it).
    assert _both([32, 1000], [2, 1]) == {0: 32, 1: 5 * 128}
    assert _both([2000], [1]) == {0: 6 * 128}


def test_fused_gradients_are_never_resident_and_take_no_room():
    assert _both([256, 512, 512], [1, 3, 1], grads=[0, 1, 0], over={"pe.fuse_update": "false"}) == {1: 512, 0: 256}
    assert _both([256, 512, 512], [1, 3, 1], grads=[0, 1, 0], over={"pe.fuse_update": "true"}) == {0: 256, 2: 512}


@settings(max_examples=200, deadline=None)
@given(items=st.lists(st.tuples(st.integers(1, 900), st.integers(1, 6)), min_size=1, max_size=7))
def test_the_knapsack_in_tiles_is_within_one_tile_of_the_best_possible(items):
    """Saved traffic (each key's value in proportion to its resident bytes) is at most the fractional optimum,
    and within one tile's worth of the densest key of it; never below the best whole-tensor choice by more."""
    sizes, counts = [b for b, _ in items], [c for _, c in items]
    chosen = _both(sizes, counts)
    budget = 768
    assert sum(chosen.values()) <= budget or chosen == dict(enumerate(sizes))
    assert all(b == sizes[k] or b % TILE == 0 for k, b in chosen.items())
    saved = sum(counts[k] * b for k, b in chosen.items())  # value per byte of key k is counts[k]
    frac, room = 0.0, budget  # the fractional knapsack's optimum
    for k in sorted(range(len(items)), key=lambda k: -counts[k]):
        take = min(sizes[k], room)
        frac += counts[k] * take
        room -= take
    assert saved <= frac + 1e-9
    assert saved >= frac - TILE * max(counts)
    whole = max(sum(counts[k] * sizes[k] for k in sub) for r in range(len(items) + 1)
                for sub in itertools.combinations(range(len(items)), r) if sum(sizes[k] for k in sub) <= budget)
    assert saved >= whole - TILE * max(counts)


def test_weights_that_fit_beside_the_stream_region_all_stay(tmp_path):
    """The old rule kept half the buffer for streaming; now only the stream region's tiles are kept, so a
    buffer holding 1.5x the keys keeps them all: only first reads (the prologue), replay and activation
    traffic remain."""
    tr = read_trace(make_random_trace(tmp_path / "r.parquet", seed=7, n_segments=1))
    wl = build_workload(tr, "compressed")
    total = int(wl.key_bytes.sum())
    kib = 1.5 * total / 1024
    over = {"sram.weight_kib": str(kib), "sram.stream_kib": str(kib / 8), "sram.act_kib": "1e6"}
    res = simulate(tr, load_hardware(None, over)).compressed.totals
    burst = load_hardware(None).dram.burst_bytes
    r = wl.rows
    first_reads = r[(r[:, ROW.kind] == KIND.weight_side) & (r[:, ROW.first] == 1) & (r[:, ROW.is_read] == 1), ROW.bytes]
    replay = r[r[:, ROW.kind] == KIND.replay][:, [ROW.bytes, ROW.gather_rows]].tolist()
    expect = sum(math.ceil(b / burst) * burst for b in first_reads)
    # the replay batch: B row-sized reads at random places, each rounded up to whole bursts (docs/model.md §4)
    expect += int(tr.seg_repeats[0]) * sum(g * math.ceil(b // g / burst) * burst for b, g in replay)
    assert res.dram_bytes == expect


@pytest.mark.parametrize("preset", ["edge-lpddr4", "omnidrl-like"])
def test_residency_by_value_moves_no_more_bytes_than_keeping_half_the_buffer(preset):
    """On the shipped GST trace, against the old rule (half the buffer, first fit by accesses), computed here:
    the knapsack over the larger budget never moves more weight bytes per period."""
    from conftest import REAL

    tr = read_trace(REAL)
    hw = load_hardware(preset)
    h = hardware_vector.pack_hardware(hw)
    for view in ("dense", "compressed"):
        wl = build_workload(tr, view)
        for s in range(wl.n_segments):
            k0, k1 = int(wl.seg_key_start[s]), int(wl.seg_key_start[s + 1])
            sizes, value = wl.key_bytes[k0:k1], wl.key_traffic[k0:k1]
            out = np.zeros(k1 - k0, np.int64)
            select_resident(sizes, value, wl.key_grad[k0:k1], h, out)
            old, used = set(), 0
            if sizes.sum() <= h[layouts.HW.weight_bytes]:
                old = set(range(k1 - k0))
            else:  # the old rule: most accesses per period first, first fit into half the buffer
                for k in sorted(range(k1 - k0), key=lambda k: (-round(value[k] / sizes[k]), k)):
                    if used + sizes[k] <= h[layouts.HW.weight_bytes] // 2:
                        old.add(k)
                        used += sizes[k]
            saved_new = int(sum(value[k] * out[k] // sizes[k] for k in range(k1 - k0)))
            saved_old = int(sum(value[k] for k in old))
            assert saved_new >= saved_old, (view, s)
