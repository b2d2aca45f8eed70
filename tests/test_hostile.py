"""Hostile input and damaged files: every expected failure is one line and exit 2; no garbage with exit 0.

A corpus of bad command lines, files and traces, each run through ``accelsim``'s real entry point in this
process (the error boundary is the same as from a shell). For each case: the exit code, one line on stderr
naming the flag or file, no traceback, and no output written where it must not be. The gst-train side
(flags, damaged run folders) is in test_gst_train.py.
"""

from __future__ import annotations

import dataclasses
import math
import shutil

import numpy as np
import pytest
from conftest import REAL, SAMPLE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accelsim.cli import app as cli
from accelsim.trace.formats import Format
from accelsim.trace.reader import read_trace
from accelsim.trace.schema import MaskSnapshot
from accelsim.trace.td3_step import td3_networks, td3_step_rows
from accelsim.trace.writer import TraceWriter, write_trace


def run_cli(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line(code, err, *needles):
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err
    for n in needles:
        assert n in lines[0], (n, lines[0])


# ---------------------------------------------------------------------------- command lines and paths

@pytest.fixture
def files(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    regular = tmp_path / "regular.txt"
    regular.write_text("x")
    bad_utf8 = tmp_path / "bad.toml"
    bad_utf8.write_bytes(b"name = \"\xff\xfe\"\n[clock]\nmhz = 100\n")
    cfg = tmp_path / "bad.cfg"
    cfg.write_bytes(b"[architecture_presets]\nArrayHeight = \xff\n")
    topo = tmp_path / "bad.csv"
    topo.write_bytes(b"Layer, M, N, K,\nfc\xff, 1, 2, 3,\n")
    good_cfg = tmp_path / "good.cfg"
    good_cfg.write_text("[general]\nrun_name = t\n[architecture_presets]\nArrayHeight = 8\nArrayWidth = 8\n"
                        "Dataflow = ws\n")
    return {"dir": folder, "file": regular, "toml": bad_utf8, "cfg": cfg, "topo": topo, "good_cfg": good_cfg,
            "tmp": tmp_path}


CASES = [
    # (argv with placeholders, needle)
    (["run", "{trace}", "--json", "{dir}"], "--json"),
    (["run", "{trace}", "--csv", "{dir}"], "--csv"),
    (["run", "{trace}", "--json", ""], "--json"),
    (["run", "{trace}", "--json", "{file}/under.json"], "--json"),
    (["run", "{trace}", "--json", "{trace}"], "would overwrite the input"),
    (["run", "{trace}", "--hw", "{toml}"], "not UTF-8"),
    (["run", "{trace}", "--set", "sram.weight_kib=1e308"], "sram.weight_kib"),
    (["run", "{trace}", "--set", "clock.mhz=1e308"], "clock.mhz"),
    (["run", "{trace}", "--set", "pe.rows=1e300"], "pe.rows"),
    (["run", "{trace}", "--set", "dram.gbps=1e-300"], "dram.gbps"),
    (["run", "{trace}", "--set", "dram.gbps=0"], "dram.gbps"),
    (["run", "{trace}", "--set", "decode.values_per_cycle=1e18"], "decode.values_per_cycle"),
    (["run", "{trace}", "--set", "sram.act_kib=nan"], "sram.act_kib"),
    (["run", "{trace}", "--set", "clock.mhz=inf"], "clock.mhz"),
    (["run", "{trace}", "--set", "pe.dataflow=xs"], "pe.dataflow"),
    (["run", "{trace}", "--set", "nosuch.key=1"], "nosuch.key"),
    (["run", "{trace}", "--set", "dram.gbps"], "KEY=VALUE"),
    (["run", "{trace}", "--engine", "warp"], "--engine"),
    (["run", "{file}"], "regular.txt"),
    (["run", "{dir}"], "folder"),
    (["run", "{tmp}/missing.parquet"], "missing.parquet"),
    (["validate", "{file}"], "regular.txt"),
    (["pack", "{trace}", "{trace}"], "would overwrite the input"),
    (["pack", "{trace}", "{dir}"], "dst"),
    (["pack", "{trace}", ""], "dst"),
    (["timeline", "{trace}", "-o", "{dir}"], "-o"),
    (["timeline", "{trace}", "-o", "{trace}"], "would overwrite the input"),
    (["synth", "--out", "{tmp}/a_synthetic.parquet", "--batch", "0"], "--batch"),
    (["synth", "--out", "{tmp}/a_synthetic.parquet", "--steps", "-3"], "--steps"),
    (["synth", "--out", "{tmp}/a_synthetic.parquet", "--change-every", "0"], "--change-every"),
    (["synth", "--out", "{dir}"], "--out"),
    (["compare", "{trace}", "--format", "group", "--group", "0", "4"], "--group"),
    (["compare", "{trace}", "--json", "{trace}"], "would overwrite the input"),
    (["compare", "{trace}", "--csv", "{dir}"], "--csv"),
    (["compare", "{trace}", "{trace}", "--label", "a"], "one label per trace"),
    (["compare", "{trace}", "--label", " "], "non-empty labels"),
    (["compare", "{trace}", "--label", "a|b"], "without commas, '|' or line breaks"),
    (["compare", "{trace}", "{trace}", "--label", "a", "--label", "a"], "distinct labels"),
    (["sweep", "{trace}", "--out", "{file}", "--set", "dram.gbps=1"], "--out"),
    (["sweep", "{trace}", "--out", "{tmp}/s", "--chunk", "0", "--set", "dram.gbps=1"], "--chunk"),
    (["sweep", "{trace}", "--out", "{tmp}/s", "--chunk", "-5", "--set", "dram.gbps=1"], "--chunk"),
    (["sweep", "{trace}", "--out", "{tmp}/s", "--set", "dram.gbps=,"], "at least one value"),
    (["sweep", "{trace}", "--out", "{tmp}/s", "--set", "dram.gbps=1", "--set", "dram.gbps=2"], "swept twice"),
    (["sweep", "{trace}", "--out", "{tmp}/s", "--set", "workload.batch=x"], "workload.batch"),
    (["sweep", "{trace}", "--out", "{tmp}/s", "--zip", "--set", "dram.gbps=1,2", "--set", "pe.rows=4"], "--zip"),
    (["sweep", "{trace}", "--out", "{tmp}/s", "--scheduler", "tcp://127.0.0.1:1"], "--scheduler"),
    (["scalesim", "-c", "{cfg}", "-t", "{topo}", "-o", "{tmp}/o"], "bad.cfg"),
    (["scalesim", "-c", "{good_cfg}", "-t", "{topo}", "-o", "{tmp}/o"], "bad.csv"),
    (["scalesim", "-c", "{good_cfg}", "-t", "{topo}", "-o", "{file}"], "-o"),
    (["report", "{file}", "--html"], "regular.txt"),
    (["report", "{tmp}/nothing", "--html"], "nothing"),
    (["presets", "--show", "no-such-chip"], "no-such-chip"),
]


# The unreachable scheduler waits out Dask's 10 s connect timeout: in the whole suite only.
@pytest.mark.parametrize("argv,needle", [
    pytest.param(a, n, id=" ".join(a[:3]) + f"#{i}", marks=[pytest.mark.slow] if n == "--scheduler" else [])
    for i, (a, n) in enumerate(CASES)])
def test_bad_command_lines_are_one_line_exit_2(capsys, files, argv, needle):
    trace = files["tmp"] / "t.parquet"
    shutil.copy(SAMPLE, trace)
    before = trace.read_bytes()
    subs = {**{k: str(v) for k, v in files.items()}, "trace": str(trace)}
    code, _, err = run_cli(capsys, *(a.format(**subs) for a in argv))
    assert_one_line(code, err, needle)
    assert trace.read_bytes() == before  # the input is untouched
    assert not list(files["tmp"].rglob(".*.tmp"))  # no temporary file left behind


def test_a_failed_run_does_not_clobber_an_earlier_output(capsys, tmp_path):
    out = tmp_path / "r.json"
    assert run_cli(capsys, "run", SAMPLE, "--json", out, "-q")[0] == 0
    first = out.read_bytes()
    code, _, err = run_cli(capsys, "run", SAMPLE, "--json", out, "--set", "pe.rows=0")
    assert_one_line(code, err, "pe.rows")
    assert out.read_bytes() == first


def test_repeated_sweep_values_are_one_point_with_a_note(capsys, tmp_path):
    import pyarrow.parquet as pq

    code, _, err = run_cli(capsys, "sweep", SAMPLE, "--out", tmp_path / "s", "-q", "--set", "dram.gbps=3.2,3.2,6.4")
    assert code == 0 and "repeated values dropped" in err
    assert pq.read_table(tmp_path / "s" / "sweep.parquet").num_rows == 2


# ---------------------------------------------------------------------------- traces that lie

def _rows(shapes, fmt=None, actor_update=True):
    return td3_step_rows(shapes, fmt or {}, 8, 5, 2, actor_update=actor_update)


def _shapes():
    return td3_networks(5, 2, (16, 16))


def test_parts_of_two_runs_in_one_folder_are_refused(capsys, tmp_path):
    shapes = _shapes()
    for name, seed in (("a", 0), ("b", 1)):
        with TraceWriter(tmp_path / name, {"seed": seed, "batch": 8}, flush_every_s=None) as w:
            for s in range(4):
                w.add_step(s, _rows(shapes, actor_update=s % 2 == 0))
    stray = sorted((tmp_path / "b").glob("part-*.parquet"))[0]
    n = len(list((tmp_path / "a").glob("part-*.parquet")))
    shutil.copy(stray, tmp_path / "a" / f"part-{n:06d}.parquet")  # in sequence, but of another run
    code, _, err = run_cli(capsys, "validate", tmp_path / "a")
    assert_one_line(code, err, f"part-{n:06d}", "another run")


@pytest.mark.parametrize("name,needle", [("part-000099.parquet", "expected part-000002.parquet before it"),
                                         ("part-copy.parquet", "not a part the trace writer writes"),
                                         ("part-1.parquet", "not a part the trace writer writes")])
def test_the_reader_trusts_only_the_part_names_it_writes_in_sequence(capsys, tmp_path, name, needle):
    shapes = _shapes()
    with TraceWriter(tmp_path / "a", {"seed": 0, "batch": 8}, flush_every_s=None) as w:
        for s in range(4):
            w.add_step(s, _rows(shapes, actor_update=s % 2 == 0))
    parts = sorted((tmp_path / "a").glob("part-*.parquet"))
    assert [p.name for p in parts] == ["part-000000.parquet", "part-000001.parquet"]
    shutil.copy(parts[0], tmp_path / "a" / name)
    code, _, err = run_cli(capsys, "validate", tmp_path / "a")
    assert_one_line(code, err, name, needle)


def test_a_trace_that_does_not_start_at_step_0_is_refused(capsys, tmp_path):
    shapes = _shapes()
    path = write_trace(tmp_path / "late.parquet", {"batch": 8}, [(5, 2, [_rows(shapes, actor_update=True)])])
    code, _, err = run_cli(capsys, "validate", path)
    assert_one_line(code, err, "seg_first_step", "starts at step 5, expected 0")


@pytest.mark.parametrize("bad", ["network", "layer", "shape"])
def test_mask_snapshots_must_match_the_traces_layers(capsys, tmp_path, bad):
    shapes = _shapes()
    fmt = {("actor", 0): Format("bitmap", nnz_units=40)}
    r, c = shapes["actor"][0]
    mask = MaskSnapshot(0, "actor", 0, r, c, "bitmap", np.packbits(np.ones(r * c, bool)).tobytes())
    if bad == "network":
        mask = dataclasses.replace(mask, network="critic9")
    elif bad == "layer":
        mask = dataclasses.replace(mask, layer=7)
    else:
        mask = dataclasses.replace(mask, rows=r + 1, bits=np.packbits(np.ones((r + 1) * c, bool)).tobytes())
    path = write_trace(tmp_path / "m.parquet", {"batch": 8}, [(0, 3, [_rows(shapes, fmt)])], masks=[mask])
    for cmd in (["validate", path], ["run", path, "-q"], ["compare", path, "--format", "csr"]):
        code, _, err = run_cli(capsys, *cmd)
        assert_one_line(code, err, "mask")


def test_dimensions_and_repeats_that_would_overflow_are_refused(capsys, tmp_path):
    shapes = _shapes()
    rows = _rows(shapes)
    huge = [dataclasses.replace(rows[0], gemm_m=2**62) if i == 0 else r for i, r in enumerate(rows)]
    p1 = write_trace(tmp_path / "dim.parquet", {"batch": 8}, [(0, 1, [huge])])
    code, _, err = run_cli(capsys, "run", p1)
    assert_one_line(code, err, "gemm_m")
    p2 = write_trace(tmp_path / "reps.parquet", {"batch": 8}, [(0, 2**61, [rows])])
    code, _, err = run_cli(capsys, "run", p2)
    assert_one_line(code, err, "seg_repeats")
    # Inside every column's range, but the whole run would pass the 64-bit counters on a slow part (50 MB/s: the
    # slowest a banked LPDDR4 part still refreshes at, test_a_part_too_slow_to_refresh_names_dram_gbps).
    p3 = write_trace(tmp_path / "long.parquet", {"batch": 8}, [(0, 2**39, [rows])])
    code, _, err = run_cli(capsys, "run", p3, "--set", "dram.gbps=0.05", "--set", "clock.mhz=100000")
    assert_one_line(code, err, "64-bit")


def test_a_sweep_records_a_point_that_cannot_fit_and_goes_on(capsys, tmp_path):
    import pyarrow.parquet as pq

    rows = _rows(_shapes())
    p = write_trace(tmp_path / "long.parquet", {"batch": 8}, [(0, 2**39, [rows])])
    code, _, _ = run_cli(capsys, "sweep", p, "--out", tmp_path / "s", "-q", "--set", "dram.gbps=0.05,100000",
                         "--set", "clock.mhz=1000")
    assert code == 0
    t = pq.read_table(tmp_path / "s" / "sweep.parquet").to_pylist()
    errors = sorted(bool(r["error"]) for r in t)
    assert errors == [False, True] and any("64-bit" in r["error"] for r in t)


def test_a_sweep_folder_can_move_with_its_traces(capsys, tmp_path):
    src = tmp_path / "work"
    (src / "traces").mkdir(parents=True)
    shutil.copy(SAMPLE, src / "traces" / "t.parquet")
    assert run_cli(capsys, "sweep", src / "traces" / "t.parquet", "--out", src / "sweep", "-q",
                   "--set", "dram.gbps=3.2,6.4")[0] == 0
    moved = tmp_path / "elsewhere"
    shutil.copytree(src, moved)
    shutil.rmtree(src)
    code, out, _ = run_cli(capsys, "report", moved / "sweep", "--html")
    assert code == 0 and (moved / "sweep" / "report.html").exists()
    assert "training_" in "".join(p.name for p in (moved / "sweep" / "figures").iterdir())
    (moved / "traces" / "t.parquet").unlink()  # the trace is gone: the report degrades with a word
    code, out, _ = run_cli(capsys, "plot", moved / "sweep")
    assert code == 0 and "trace not found" in out


# ---------------------------------------------------------------------------- property: any config

FIELDS = {
    "clock.mhz": st.floats(min_value=-1e3, max_value=1e7),
    "pe.rows": st.integers(min_value=-5, max_value=2**20),
    "pe.cols": st.integers(min_value=-5, max_value=2**20),
    "sram.weight_kib": st.floats(min_value=-1, max_value=1e12),
    "sram.act_kib": st.floats(min_value=-1, max_value=1e12),
    "dram.gbps": st.floats(min_value=-1, max_value=1e8),
    "decode.values_per_cycle": st.integers(min_value=-1, max_value=2**30),
    "pe.mac_pj": st.floats(min_value=-1, max_value=1e13),
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(over=st.dictionaries(st.sampled_from(sorted(FIELDS)), st.just(0), min_size=1, max_size=4).flatmap(
    lambda d: st.fixed_dictionaries({k: FIELDS[k] for k in d})))
def test_any_config_gives_sane_figures_or_one_line(capsys, tmp_path_factory, over):
    out = tmp_path_factory.mktemp("p") / "r.json"
    argv = ["run", SAMPLE, "-q", "--json", out]
    for k, v in over.items():
        argv += ["--set", f"{k}={v!r}"]
    code, _, err = run_cli(capsys, *argv)
    if code == 2:
        assert_one_line(code, err)
        assert not out.exists()
        return
    assert code == 0, err
    import json

    d = json.loads(out.read_text())
    for view in ("dense", "compressed"):
        v = d[view]
        assert v["cycles"] > 0 and v["dram_bytes"] >= 0 and v["macs"] >= 0
        assert math.isfinite(v["energy_j"]) and v["energy_j"] > 0
    assert math.isfinite(d["speedup"]) and d["speedup"] > 0


def test_shipped_traces_read(capsys):
    assert read_trace(REAL).n_steps > 0


def test_a_part_too_slow_to_refresh_names_dram_gbps(capsys):
    """dram.gbps runs the same banked part at the data rate that gives it; at 1 MB/s its clock (8 µs) passes
    its refresh interval (3.9 µs): refused in one line under the key the user set."""
    code, _, err = run_cli(capsys, "run", SAMPLE, "--set", "dram.gbps=0.001")
    assert_one_line(code, err, "dram.gbps", "tCK", "tREFI")


@pytest.mark.parametrize("argv,needles", [
    (["dram", "--pattern", "random", "--bytes", "64", "--seed", "-5"], ("--seed", "[0, 2^64 - 1]")),
    (["dram", "--pattern", "sequential", "--bytes", str(1 << 50)], ("--bytes", "use --model closed")),
    (["dram", "--pattern", "strided", "--bytes", "4096", "--stride", str(2**63)], ("--stride", "at most 2^50")),
    (["synth", "--out", "{tmp}/synthetic.parquet", "--seed", "-1"], ("--seed", "[0, 2^64 - 1]")),
])
def test_seeds_and_stream_sizes_are_ranged_before_any_allocation(capsys, tmp_path, argv, needles):
    code, _, err = run_cli(capsys, *(a.format(tmp=tmp_path) for a in argv))
    assert_one_line(code, err, *needles)
