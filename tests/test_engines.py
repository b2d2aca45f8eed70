"""Two engines, one model; totals equal sums of parts; roofline bounds; the model's basic physics."""

import json
import math
import os
import random
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, SAMPLE, make_random_trace
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accelsim.base.layouts import KIND, ROW, XFER_COST
from accelsim.cost import dram_cost, hardware_vector
from accelsim.dram import Pattern, evaluate_closed
from accelsim.dram.presets import from_dram_config
from accelsim.dram.request_model import command_energies_pj
from accelsim.hardware.load import load_hardware, preset_names
from accelsim.simulation.simulate import simulate
from accelsim.trace.formats import Format
from accelsim.trace.reader import read_trace
from accelsim.trace.schema import TxnRow
from accelsim.trace.writer import write_trace
from accelsim.workload.build import build_workload

PARTS = ("dram", "sram", "mac", "decode", "static")


def _random_hw(rng: random.Random):
    name = rng.choice(preset_names())
    over = {
        "dram.gbps": rng.choice([0.5, 1.6, 6.4, 25.6]),
        "sram.weight_kib": rng.choice([0.25, 2, 16, 64, 4096]),
        "sram.act_kib": rng.choice([0.1, 1, 64]),
        "sram.double_buffer": rng.choice(["true", "false"]),
        "pe.rows": rng.choice([1, 3, 8, 16]),
        "pe.cols": rng.choice([1, 5, 8, 32]),
        "pe.dataflow": rng.choice(["ws", "os", "is"]),
        "pe.skip_zeros": rng.choice(["true", "false"]),
        "clock.mhz": rng.choice([50.0, 333.3, 1000.0]),
        "decode.values_per_cycle": rng.choice([1, 4, 64]),
        "sram.stream_kib": rng.choice([0.1, 2, 32]),
        "pe.fuse_update": rng.choice(["true", "false"]),
        "pe.dtype": rng.choice(["fp32", "bf16", "fp16", "int8"]),
        "pe.optimizer_dtype": rng.choice(["fp32", "bf16"]),
    }
    return load_hardware(name, over)


def _differences(a, b, path: str = "") -> list[str]:
    """Every place two result dicts differ: keys, list lengths, integers exactly, floats beyond 1e-9 relative."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{path}: keys {sorted(a.keys() ^ b.keys())} in one result only"]
        return [d for k in a for d in _differences(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} vs {len(b)} entries"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _differences(x, y, f"{path}[{i}]")]
    if isinstance(a, bool | int | str) and not isinstance(a, float):
        return [] if a == b else [f"{path}: {a!r} vs {b!r}"]
    if isinstance(a, float) or isinstance(b, float):
        return [] if a == pytest.approx(b, rel=1e-9, abs=1e-30) else [f"{path}: {a!r} vs {b!r}"]
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


def _assert_same(a, b):
    """The two engines agree on every figure of every breakdown: totals, by_phase, by_network, by_layer, by_segment,
    energy parts and efficiency, in both views (integers exactly, floats to 1e-9); only the engine's name
    differs."""
    da, db = a.to_dict(), b.to_dict()
    assert (da.pop("engine"), db.pop("engine")) == ("fast", "reference")
    assert _differences(da, db) == []


def test_the_comparison_sees_a_difference_anywhere():
    """_assert_same's checker finds a changed network figure, a missing phase and a float beyond tolerance."""
    a = {"dense": {"by_network": {"actor": {"cycles": 5}}, "by_phase": {"act": {"energy_j": 1.0}}}}
    assert _differences(a, a) == []
    assert _differences(a, {"dense": {"by_network": {"actor": {"cycles": 6}}, "by_phase": {"act": {"energy_j": 1.0}}}})
    assert _differences(a, {"dense": {"by_network": {"actor": {"cycles": 5}}, "by_phase": {}}})
    assert _differences(a, {"dense": {"by_network": {"actor": {"cycles": 5}},
                                      "by_phase": {"act": {"energy_j": 1.0 + 1e-6}}}})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), hw_seed=st.integers(0, 10_000))
def test_fast_equals_reference_on_random_traces_and_configs(tmp_path_factory, seed, hw_seed):
    path = make_random_trace(tmp_path_factory.mktemp("t") / "r.parquet", seed=seed, n_segments=3)
    tr = read_trace(path)
    hw = _random_hw(random.Random(hw_seed))
    _assert_same(simulate(tr, hw, "fast"), simulate(tr, hw, "reference"))


SHIPPED = [SAMPLE, *sorted((ROOT / "traces").glob("*.parquet"))]
# The reference engine takes 15-35 s per preset on an IP trace (a mask change at every pruning step: 216
# segments) and 5-11 s on the GST trace: the fast loop (`make test-fast`) keeps the synthetic and dense traces
# on every preset and GST on the default one; `make test` adds the rest but the IP traces off the default
# preset, which `make test-exhaustive` runs.
def _marks(trace, preset: str) -> list:
    if "_ip" in trace.name:  # 216 segments: the reference engine takes 15-60 s per preset
        return [pytest.mark.slow] if preset == "edge-lpddr4" else [pytest.mark.exhaustive]
    return [] if "_gst_s0" not in trace.name or preset == "edge-lpddr4" else [pytest.mark.slow]


CASES = [pytest.param(t, p, id=f"{t.stem}-{p}", marks=_marks(t, p))
         for t in SHIPPED for p in ("edge-lpddr4", "eyeriss-like", "omnidrl-like")]


@pytest.mark.parametrize("trace,preset", CASES)
def test_fast_equals_reference_on_shipped_samples(trace, preset):
    tr = read_trace(trace)
    _assert_same(simulate(tr, preset, "fast"), simulate(tr, preset, "reference"))


def _check_sums(v):
    t = v.totals
    assert t.cycles == t.compute_cycles + t.stall_memory_cycles + t.stall_decode_cycles
    assert t.energy_j == pytest.approx(sum(getattr(t.energy_breakdown_j, p) for p in PARTS), rel=1e-12)
    assert t.dram_bytes == t.dram_read_bytes + t.dram_write_bytes
    assert v.by_layer
    for group in (v.by_phase, v.by_network, v.by_layer, {i: s.totals for i, s in enumerate(v.by_segment)}):
        assert sum(x.cycles for x in group.values()) == t.cycles
        assert sum(x.dram_bytes for x in group.values()) == t.dram_bytes
        assert sum(x.macs for x in group.values()) == t.macs
        assert sum(x.energy_j for x in group.values()) == pytest.approx(t.energy_j, rel=1e-9)
        for x in group.values():
            assert x.cycles == x.compute_cycles + x.stall_memory_cycles + x.stall_decode_cycles
    assert sum(s.steps for s in v.by_segment) > 0


def test_the_layers_of_a_network_add_up_to_it(sample_trace):
    """by_layer refines by_network: each network's layers (``critic1[0]``, ``critic1[1]``, …; the replay batch
    alone as ``replay``) sum to its figures exactly, in both engines."""
    tr = read_trace(sample_trace)
    for engine in ("fast", "reference"):
        v = simulate(tr, None, engine).compressed
        assert "replay" in v.by_layer and "critic1[1]" in v.by_layer
        for net, t in v.by_network.items():
            parts = [x for k, x in v.by_layer.items() if k == net or k.startswith(net + "[")]
            assert parts, net
            for f in ("cycles", "stall_memory_cycles", "stall_decode_cycles", "dram_bytes", "macs",
                      "sram_read_bytes"):
                assert sum(getattr(x, f) for x in parts) == getattr(t, f), (engine, net, f)
            assert sum(x.energy_j for x in parts) == pytest.approx(t.energy_j, rel=1e-9)


def test_totals_equal_sums_of_parts(sample_trace, tmp_path):
    for tr in (read_trace(sample_trace), read_trace(make_random_trace(tmp_path / "r.parquet", seed=11))):
        res = simulate(tr, load_hardware(None, {"sram.weight_kib": "8"}))
        _check_sums(res.dense)
        _check_sums(res.compressed)
        assert res.speedup == res.dense.totals.seconds / res.compressed.totals.seconds
        assert res.energy_ratio == res.compressed.totals.energy_j / res.dense.totals.energy_j


@pytest.mark.parametrize("seed", range(6))
def test_roofline_bounds(tmp_path, seed):
    tr = read_trace(make_random_trace(tmp_path / "r.parquet", seed=seed))
    hw = _random_hw(random.Random(seed))
    res = simulate(tr, hw)
    for v in (res.dense, res.compressed):
        t = v.totals
        assert t.seconds >= t.dram_bytes / (hw.dram.peak_gbps * 1e9) * (1 - 1e-12)
        assert t.seconds >= t.macs / (hw.pe.rows * hw.pe.cols * hw.clock.mhz * 1e6) * (1 - 1e-12)


def test_dense_view_has_no_decode_and_moves_more_weight_bytes(sample_trace):
    res = simulate(sample_trace, load_hardware(None, {"sram.weight_kib": "16"}))
    assert res.dense.totals.stall_decode_cycles == 0
    assert res.dense.totals.energy_breakdown_j.decode == 0
    assert res.compressed.totals.energy_breakdown_j.decode > 0
    assert res.compressed.totals.dram_bytes < res.dense.totals.dram_bytes
    assert res.speedup > 1 and res.energy_ratio < 1
    # Compression never changes the MACs unless the array skips zeros.
    assert res.compressed.totals.macs == res.dense.totals.macs
    skip = simulate(sample_trace, load_hardware(None, {"sram.weight_kib": "16", "pe.skip_zeros": "true"}))
    assert skip.compressed.totals.macs < skip.dense.totals.macs


def test_resident_weights_leave_only_replay_and_activation_traffic_when_warm(tmp_path):
    tr = read_trace(make_random_trace(tmp_path / "r.parquet", seed=5, n_segments=1))
    huge = simulate(tr, load_hardware(None, {"sram.weight_kib": "65536", "sram.act_kib": "65536"}))
    small = simulate(tr, load_hardware(None, {"sram.weight_kib": "0.01", "sram.act_kib": "65536"}))
    wl = build_workload(tr, "compressed")
    # With everything resident, weights cross the bus once (cold reads), replay every step.
    rows = wl.rows
    is_w = rows[:, ROW.kind] == KIND.weight_side
    first_reads = rows[is_w & (rows[:, ROW.first] == 1) & (rows[:, ROW.is_read] == 1), ROW.bytes]
    burst = load_hardware(None).dram.burst_bytes  # 32 B: x16 channel, BL16
    # The replay batch is B row-sized reads at random places (docs/model.md §4): each row rounds up to whole
    # bursts on its own, so the batch moves B·⌈row / burst⌉ bursts, not ⌈B·row / burst⌉.
    replay = rows[rows[:, ROW.kind] == KIND.replay]
    assert (replay[:, ROW.gather_rows] > 0).all() and (replay[:, ROW.bytes] % replay[:, ROW.gather_rows] == 0).all()
    replay_bus = sum(b_rows * math.ceil(b // b_rows / burst) * burst
                     for b, b_rows in replay[:, [ROW.bytes, ROW.gather_rows]].tolist())
    exp = sum(math.ceil(b / burst) * burst for b in first_reads)
    exp += tr.n_steps // int(tr.seg_period_steps[0]) * replay_bus
    assert huge.compressed.totals.dram_bytes == exp
    assert small.compressed.totals.dram_bytes > huge.compressed.totals.dram_bytes
    assert small.compressed.totals.cycles > huge.compressed.totals.cycles


def test_more_bandwidth_is_never_slower(sample_trace):
    tr = read_trace(sample_trace)
    prev = None
    for gbps in (0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 51.2):
        c = simulate(tr, load_hardware(None, {"dram.gbps": str(gbps)})).compressed.totals.cycles
        if prev is not None:
            assert c <= prev
        prev = c


def test_dram_transfer_by_hand_on_the_banked_part():
    """One transfer by the engines' DRAM cost (accelsim.cost.dram_cost.dram_stream) worked out by hand on eyeriss-like's
    LPDDR4-2400 64-bit channel (128 B bursts of 8 cycles, tCK = 2000/2400 ns), refresh pushed out of the way."""
    hw = load_hardware("eyeriss-like", {"dram.trefi_ns": "1e9", "dram.trfc_ns": "1"})
    h = hardware_vector.pack_hardware(hw)
    tck = 2000 / 2400
    rcd, cl, burst = math.ceil(18 / tck - 1e-6), math.ceil(20 / tck - 1e-6), 8  # 22, 24 cycles
    mem = from_dram_config(hw.dram)
    e = command_energies_pj(mem)
    # One burst: the request enters (2 cycles), ACTIVATE, tRCD, READ, CL, the burst on the bus.
    ck = 2 + rcd + cl + burst
    cyc, bus, acts, pj = dram_cost.dram_stream(128, False, 0, h)
    assert (bus, acts) == (128, 1)
    assert cyc == math.ceil(ck * tck * hw.clock.mhz / 1000 * (1 + 1e-6))  # refresh adds ~1e-7 of a cycle
    assert pj == pytest.approx(e["act"] + e["read"] + ck * e["active_per_ck"] + 1024 * hw.dram.io_pj_per_bit, rel=1e-6)
    # 129 bytes: two bursts, the second one behind the first in the open row (8 more cycles).
    cyc2, bus2, acts2, _ = dram_cost.dram_stream(129, False, 0, h)
    assert (bus2, acts2) == (256, 1) and cyc2 == math.ceil((ck + burst) * tck * hw.clock.mhz / 1000 * (1 + 1e-6))
    assert dram_cost.dram_stream(0, False, 0, h) == (0, 0, 0, 0.0)
    assert dram_cost.dram_stream(129, True, 0, h)[0] >= 1


def test_engine_dram_costs_are_the_closed_forms_of_accelsim_dram():
    """Per load or store the engines charge what `accelsim dram --model closed` reports for the same stream: its
    time (to the accelerator cycle, rounded up) and its energy (IDD core + interface); the replay batch, B
    row-sized reads at random addresses, too: `accelsim dram --model closed` of Pattern("random", B·row, row)."""
    for preset in ("edge-lpddr4", "nvdla-large", "nvdla-small"):
        hw = load_hardware(preset)
        h = hardware_vector.pack_hardware(hw)
        mem = from_dram_config(hw.dram)
        for nbytes, write, rows in ((4096, False, 0), (263168, True, 0), (43008, False, 256)):
            if rows:
                s = evaluate_closed(mem, Pattern("random", nbytes, request_bytes=nbytes // rows))
            else:
                s = evaluate_closed(mem, Pattern("sequential", nbytes, request_bytes=hw.dram.request_bytes or 0,
                                                 write_fraction=float(write)))
            cyc, bus, _, pj = dram_cost.dram_stream(nbytes, write, rows, h)
            assert cyc == math.ceil(s.seconds * hw.clock.mhz * 1e6 - 1e-9), (preset, nbytes)
            assert bus == pytest.approx(s.bus_bytes, abs=mem.part.org.burst_bytes), (preset, nbytes)
            assert pj == pytest.approx(s.energy_pj, rel=1e-3), (preset, nbytes)
            # the table the engines look transfers up in holds exactly these figures
            table = dram_cost.transfer_table(np.array([[nbytes, int(write), rows]], np.int64), h)
            assert tuple(table.cost[0, [XFER_COST.cycles, XFER_COST.bus_bytes]]) == (cyc, bus)
            assert table.energy[0] == pj


@pytest.mark.slow
def test_same_trace_same_figures_in_two_processes(sample_trace, tmp_path):
    """Two separate processes (different hash seeds, one without the compiled cache) give identical JSON."""
    outs = []
    for seed, extra in (("1", {}), ("2", {"NUMBA_CACHE_DIR": str(tmp_path / "nb")})):
        out = tmp_path / f"r{seed}.json"
        env = {**os.environ, "PYTHONHASHSEED": seed, **extra}
        r = subprocess.run([sys.executable, "-m", "accelsim.cli", "run", str(sample_trace), "-q", "--json", str(out)],
                           capture_output=True, text=True, env=env)
        assert r.returncode == 0, r.stderr
        outs.append(json.loads(out.read_text()))
    assert outs[0] == outs[1]
    assert np.isfinite(outs[0]["speedup"]) and outs[0]["speedup"] > 1


def test_energy_parts_by_hand_on_a_three_row_trace(tmp_path):
    """Each energy part recomputed by hand (bytes × pJ) on a one-step trace of three transactions."""
    rows = [
        # The replay batch: 4 × 8 fp32 = 128 B, always from DRAM.
        TxnRow(network="replay", layer=-1, tensor="replay_batch", phase="replay", direction="read", rows=4, cols=8,
               format=Format(nnz_units=32), stored_values=32),
        # A 16×8 weight as 4×4 circulant blocks: 4·2 blocks of 4 values = 32 values = 128 B, + 16 bias = 64 B.
        TxnRow(network="actor", layer=1, tensor="weight", phase="forward", direction="read", gemm_m=4, gemm_k=8,
               gemm_n=16, rows=16, cols=8, format=Format("bc", block_size=4, nnz_units=8), stored_values=32,
               bias_values=16),
        # Its output activation, 4 × 16 fp32 = 256 B, into the activation buffer: no later op reads it, so it
        # never goes to DRAM, though it is larger than the 0.0625 KiB buffer.
        TxnRow(network="actor", layer=1, tensor="activation", phase="forward", direction="write", rows=4, cols=16,
               format=Format(nnz_units=64), stored_values=64),
    ]
    tr = read_trace(write_trace(tmp_path / "three.parquet", {"batch": 4}, [(0, 1, [rows])]))
    hw = load_hardware("edge-lpddr4", {"sram.act_kib": "0.0625", "dram.io_pj_per_bit": "2",
                                       "sram.read_pj_per_byte": "1", "sram.write_pj_per_byte": "3", "pe.mac_pj": "4",
                                       "decode.pj_per_value": "0.5"})
    assert hw.dram.burst_bytes == 32 and hw.dram.row_bytes == 2048  # every transfer: whole bursts, one row
    bus = 128 + 192
    # DRAM: two transfers on the banked part, each its IDD core energy (checked by hand above) plus 2 pJ per bit
    # on the bus; the replay batch is 4 rows of 32 B gathered from random places, one burst each.
    h = hardware_vector.pack_hardware(hw)
    no_io = hardware_vector.pack_hardware(hw.with_overrides({"dram.io_pj_per_bit": "0"}))
    core = [dram_cost.dram_stream(n, False, g, no_io)[3]
            for n, g in ((128, 4), (192, 0))]
    assert dram_cost.dram_stream(128, False, 4, h)[3] + dram_cost.dram_stream(192, False, 0, h)[3] == \
        pytest.approx(sum(core) + bus * 8 * 2.0, rel=1e-12)
    expect_pj = {
        "dram": sum(core) + bus * 8 * 2.0,            # IDD core energy + bits on the bus × pJ/bit
        "sram": (128 + 192) * 1.0 + (128 + 192 + 256) * 3.0,  # reads to the PE; DRAM fills and the result
        "mac": 4 * 8 * 16 * 4.0,                       # M·K·N MACs × pJ
        "decode": (16 * 8) * 0.5,                      # every circulant block expanded to 4×4 values
    }
    static_w = (hw.power.static_mw + hw.sram.leakage_mw + hw.dram.static_mw) * 1e-3
    for engine in ("fast", "reference"):
        t = simulate(tr, hw, engine).compressed.totals
        assert t.dram_bytes == bus
        for part, pj in expect_pj.items():
            assert getattr(t.energy_breakdown_j, part) == pytest.approx(pj * 1e-12, rel=1e-12), (engine, part)
        assert t.energy_breakdown_j.static == pytest.approx(static_w * t.seconds, rel=1e-12)
        assert t.energy_j == pytest.approx(sum(expect_pj.values()) * 1e-12 + static_w * t.seconds, rel=1e-12)


def test_dram_tables_in_parallel_equal_one_point_at_a_time(sample_trace):
    """Several points share DRAM tables per distinct DRAM (engine_fast.run): in parallel, serially and one by
    one the figures are the same (numba's parallel loop once dropped the tables' writes)."""
    from accelsim.engines.fast import engine as engine_fast
    from accelsim.simulation.simulate import run_engine

    wl = build_workload(read_trace(sample_trace), "compressed")
    hws = [load_hardware(None, {"dram.gbps": g, "sram.weight_kib": k}) for g, k in
           (("1.6", "32"), ("3.2", "32"), ("1.6", "512"), ("6.4", "64"))]
    H = np.stack([hardware_vector.pack_hardware(hw) for hw in hws])
    par, ser = engine_fast.dram_tables(wl.xfer_keys, H), engine_fast.dram_tables_serial(wl.xfer_keys, H)
    assert np.array_equal(par.cost, ser.cost) and np.array_equal(par.energy, ser.energy) and par.cost.any()
    many = run_engine(wl, H)
    for p in range(len(hws)):
        one = run_engine(wl, H[p:p + 1])
        assert np.array_equal(many.segments.counts[p], one.segments.counts[0])
        assert np.allclose(many.segments.energy_pj[p], one.segments.energy_pj[0], rtol=1e-12)
