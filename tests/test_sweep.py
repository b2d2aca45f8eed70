"""Sweeps (local and on a real Dask cluster), scheme comparison, figures, HTML report, timeline."""

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import REAL, SAMPLE, make_random_trace

from accelsim.base.errors import InputError
from accelsim.base.layouts import ROW
from accelsim.cost import hardware_vector, policy
from accelsim.engines.reference.period import op_tiles, period_costs, schedule_period
from accelsim.engines.reference.placement import activation_plan
from accelsim.hardware.load import load_hardware
from accelsim.simulation.simulate import simulate
from accelsim.studies.sweep import make_points, parse_axes, run_sweep
from accelsim.trace.analysis import average_compression, reencode
from accelsim.trace.reader import read_trace
from accelsim.workload.build import build_workload

AXES = ["dram.gbps=1.6,6.4,25.6", "sram.weight_kib=32,512"]


def _rows(path):
    return pq.read_table(path).to_pylist()


def test_sweep_points_columns_and_figures_match_simulate(tmp_path):
    p = run_sweep([str(SAMPLE)], None, parse_axes(AXES), tmp_path / "s", progress=False)
    rows = _rows(p)
    assert len(rows) == 6
    assert {"dram.gbps", "sram.weight_kib", "speedup", "energy_ratio", "compressed_cycles", "dense_energy_j",
            "compressed_energy_dram_j", "error", "trace", "method"} <= set(rows[0])
    assert not any("time" in k or "wall" in k for k in rows[0])  # no per-run timing columns
    assert (tmp_path / "s" / "sweep.csv").read_text().startswith('"trace","method"')
    for r in rows[::2]:
        over = {"dram.gbps": r["dram.gbps"], "sram.weight_kib": r["sram.weight_kib"]}
        res = simulate(SAMPLE, load_hardware(None, over))
        assert r["compressed_cycles"] == res.compressed.totals.cycles
        assert r["dense_cycles"] == res.dense.totals.cycles
        assert r["speedup"] == pytest.approx(res.speedup, rel=1e-12)
        assert r["compressed_energy_j"] == pytest.approx(res.compressed.totals.energy_j, rel=1e-9)


def test_zip_and_batch_axis(tmp_path):
    pts = make_points(parse_axes(["dram.gbps=1.6,3.2", "sram.weight_kib=32,64"]), zipped=True)
    assert pts == [{"dram.gbps": 1.6, "sram.weight_kib": 32.0}, {"dram.gbps": 3.2, "sram.weight_kib": 64.0}]
    with pytest.raises(InputError, match="equal length"):
        make_points(parse_axes(["dram.gbps=1.6,3.2", "sram.weight_kib=32"]), zipped=True)
    rows = _rows(run_sweep([str(SAMPLE)], None, parse_axes(["workload.batch=128,256"]), tmp_path / "b",
                           progress=False))
    tr = read_trace(SAMPLE)
    act_macs = {}
    for b in (128, 256):
        wl = build_workload(tr, "dense", b)
        act = wl.rows[:, ROW.phase] == 0
        act_macs[b] = int((wl.rows[act, ROW.m] * wl.rows[act, ROW.k] * wl.rows[act, ROW.n]).sum())
    assert act_macs[128] == act_macs[256]  # the act step keeps batch 1
    assert rows[0]["dense_macs"] < rows[1]["dense_macs"]
    assert rows[1]["dense_macs"] == simulate(SAMPLE).dense.totals.macs


def test_failed_points_are_recorded_and_sweep_resumes(tmp_path):
    out = tmp_path / "r"
    axes = parse_axes(["pe.rows=0,16", "dram.gbps=3.2,12.8"])
    rows = _rows(run_sweep([str(SAMPLE)], None, axes, out, chunk=1, progress=False))
    bad = [r for r in rows if r["error"]]
    assert len(bad) == 2 and all("pe.rows" in r["error"] for r in bad)
    assert all(np.isfinite(r["speedup"]) for r in rows if not r["error"])
    state = out / "sweep_state.jsonl"
    lines = state.read_text().splitlines()
    assert len(lines) == 4
    # Interrupted after two points (and a line cut by the kill): a rerun computes only the missing ones.
    state.write_text("\n".join(lines[:2]) + "\n" + lines[2][:17])
    rows2 = _rows(run_sweep([str(SAMPLE)], None, axes, out, chunk=1, progress=False))
    assert len(state.read_text().splitlines()) == 5  # 2 kept + the cut line + 2 recomputed
    for a, b in zip(rows, rows2, strict=True):
        assert a == b or (a["error"] and a["error"] == b["error"])


def test_sweep_bad_input_exit_2(tmp_path):
    for args, needle in ((["--set", "dram.nope=1"], "dram.nope"), (["--set", "dram.gbps"], "KEY=V1"),
                         ([str(tmp_path / "none.parquet")], "none.parquet")):
        r = subprocess.run([sys.executable, "-m", "accelsim.cli", "sweep", *args, "--out", str(tmp_path / "o"), "-q"],
                           capture_output=True, text=True)
        assert r.returncode == 2 and needle in r.stderr and "Traceback" not in r.stderr


def test_distributed_sweep_equals_local(tmp_path):
    from distributed import LocalCluster

    axes = parse_axes([*AXES, "workload.batch=64,256"])
    local = _rows(run_sweep([str(SAMPLE)], None, axes, tmp_path / "local", progress=False))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        dist = _rows(run_sweep([str(SAMPLE)], None, axes, tmp_path / "dist", scheduler=cluster.scheduler_address,
                               chunk=3, progress=False))
    assert local == dist


def test_reencode_from_masks(tmp_path):
    tr = read_trace(SAMPLE)
    csr, bitmap, group = (reencode(tr, f) for f in ("csr", "bitmap", "group"))
    masked = tr.rows["scheme"] == "group"
    assert masked.any()
    assert set(csr.rows["scheme"][masked]) == {"csr"}
    assert np.array_equal(csr.rows["stored_values"], bitmap.rows["stored_values"])
    # The synthetic masks are whole 1x4 groups, so re-encoding as 1x4 groups gives back what was recorded.
    assert np.array_equal(group.rows["nnz_units"], tr.rows["nnz_units"])
    assert average_compression(csr)[1] == pytest.approx(average_compression(tr)[1])
    assert average_compression(csr)[0] != pytest.approx(average_compression(tr)[0])
    unmasked = read_trace(make_random_trace(tmp_path / "r.parquet", seed=1))
    assert reencode(unmasked, "csr") is unmasked  # no masks: every layer keeps its recorded format
    with pytest.raises(InputError, match="--format"):
        reencode(tr, "nm")


def test_plots_and_html_report(tmp_path):
    out = tmp_path / "s"
    run_sweep([str(SAMPLE)], None, parse_axes(["sram.weight_kib=32,256"]), out, progress=False)
    r = subprocess.run([sys.executable, "-m", "accelsim.cli", "plot", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "skipped (dram.gbps was not swept)" in r.stdout
    figs = {p.name for p in (out / "figures").iterdir()}
    assert {"energy_breakdown.png", "energy_breakdown.svg", "latency_per_scheme.png"} <= figs
    assert not any(n.startswith("speedup_heatmap") for n in figs)
    run_sweep([str(SAMPLE)], None, parse_axes(AXES), tmp_path / "full", progress=False)
    r = subprocess.run([sys.executable, "-m", "accelsim.cli", "report", str(tmp_path / "full"), "--html"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    page = (tmp_path / "full" / "report.html").read_text()
    assert page.count("data:image/png;base64,") >= 5 and "speedup_heatmap" in page
    assert (tmp_path / "full" / "figures" / "speedup_vs_bandwidth.svg").is_file()


def test_timeline_schedule_matches_engines(tmp_path):
    tr = read_trace(make_random_trace(tmp_path / "r.parquet", seed=4, n_segments=1))
    hw = load_hardware(None, {"sram.weight_kib": "1", "dram.gbps": "3.2"})
    wl = build_workload(tr, "compressed")
    h = hardware_vector.pack_hardware(hw)
    cost, _ = period_costs(wl, 0, h)
    sched = schedule_period(op_tiles(wl, 0, h, cost, activation_plan(wl, 0, h)), policy.stream_slots(h),
                            record_spans=True)
    spans = sched.spans
    one, two = (simulate(dataclasses.replace(tr, seg_repeats=np.array([k])), hw).compressed.totals for k in (1, 2))
    # One more repetition adds one period: the schedule the timeline draws.
    assert max(sp.end for sp in spans) == sched.cycles == two.cycles - one.cycles
    pe = sum(sp.end - sp.start for sp in spans if sp.track == "pe")
    assert pe == two.compute_cycles - one.compute_cycles
    out = tmp_path / "step.json"
    r = subprocess.run([sys.executable, "-m", "accelsim.cli", "timeline", str(SAMPLE), "--step", "40001", "-o",
                        str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    d = json.loads(out.read_text())
    tracks = {e["args"]["name"] for e in d["traceEvents"] if e["ph"] == "M" and e["name"] == "thread_name"}
    assert tracks == {"dram", "decoder", "pe", "sram0", "sram1"}
    assert any(e.get("cat") == "decoder" for e in d["traceEvents"])
    r = subprocess.run([sys.executable, "-m", "accelsim.cli", "timeline", "--step", "10000000", "-o", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "--step" in r.stderr


def test_compare_cli(tmp_path):
    j = tmp_path / "c.json"
    r = subprocess.run([sys.executable, "-m", "accelsim.cli", "compare", str(SAMPLE), str(SAMPLE), "--format", "csr",
                        "--json", str(j)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    rows = json.loads(j.read_text())
    assert len(rows) == 2 and rows[0]["format"] == "csr" and rows[0]["speedup"] > 1
    assert "label" not in rows[0]


def test_compare_labels(tmp_path):
    """--label names each row (table, CSV) in the traces' order, over the method-or-stem default, so that a
    study can compare traces kept at their archived paths (every one named trace.parquet)."""
    c = tmp_path / "c.csv"
    r = subprocess.run([sys.executable, "-m", "accelsim.cli", "compare", str(SAMPLE), str(SAMPLE), "--label",
                        "first-run", "--label", "second-run", "--csv", str(c)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    body = r.stdout.splitlines()
    assert body[-2].startswith("first-run") and body[-1].startswith("second-run")
    lines = c.read_text().splitlines()
    assert lines[0].startswith("label,trace,") and lines[1].startswith("first-run,")
    assert lines[2].startswith("second-run,")


def test_gbps_auto_and_zero_in_a_sweep(tmp_path):
    """auto is the part's derived peak (a point like any other); 0 is refused for that point only."""
    out = tmp_path / "a"
    rows = _rows(run_sweep([str(SAMPLE)], None, parse_axes(["dram.gbps=auto,0,3.2"]), out, progress=False))
    auto, zero, fixed = rows
    assert auto["dram.gbps"] is None and not auto["error"]
    assert auto["compressed_cycles"] == simulate(SAMPLE).compressed.totals.cycles
    assert "dram.gbps: expected a positive value or auto" in zero["error"]
    assert not fixed["error"] and fixed["compressed_cycles"] > auto["compressed_cycles"]  # 3.2 < 12.8 GB/s
    r = subprocess.run([sys.executable, "-m", "accelsim.cli", "plot", str(out)], capture_output=True, text=True)
    assert r.returncode == 0 and "dram.gbps was swept with auto" in r.stdout, r.stderr


def test_runs_sharing_a_method_keep_their_own_label(tmp_path):
    """Two different traces of one method (the shipped ip-cubic and ip-ramp samples both record ``ip``) are
    labelled by file stem in compare's table and the sweep's figures, never merged under ``ip``."""
    from accelsim.present.report import run_labels

    rows = [{"trace": "t/a_ip.parquet", "method": "ip"}, {"trace": "t/b_ip.parquet", "method": "ip"},
            {"trace": "t/g.parquet", "method": "gst"}, {"trace": "t/g.parquet", "method": "gst"},
            {"trace": "t/x.parquet", "method": ""}]
    assert run_labels(rows) == ["a_ip", "b_ip", "gst", "gst", "x"]
    a, b = tmp_path / "cubic.parquet", tmp_path / "ramp.parquet"
    a.write_bytes(SAMPLE.read_bytes())
    b.write_bytes(SAMPLE.read_bytes())
    r = subprocess.run([sys.executable, "-m", "accelsim.cli", "compare", str(a), str(b)], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    assert "cubic " in r.stdout and "ramp " in r.stdout
    out = tmp_path / "sw"
    run_sweep([str(a), str(b)], None, parse_axes(["dram.gbps=1.6,6.4"]), out, progress=False)
    r = subprocess.run([sys.executable, "-m", "accelsim.cli", "plot", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert {p.name for p in (out / "figures").glob("training_*.png")} == {"training_cubic.png", "training_ramp.png"}


def test_a_sweep_whose_every_point_fails_keeps_its_table_and_exits_2(tmp_path):
    out = tmp_path / "all_bad"
    r = subprocess.run([sys.executable, "-m", "accelsim.cli", "sweep", str(SAMPLE), "--set", "pe.rows=0,-1",
                        "--out", str(out), "-q"], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "every point of the sweep failed (2" in r.stderr and "pe.rows" in r.stderr
    table = pq.read_table(out / "sweep.parquet").to_pylist()
    assert len(table) == 2 and all(row["error"] for row in table)


def test_a_programming_error_in_a_point_stops_the_sweep(monkeypatch):
    """Only a point's bad values become rows; a bug propagates with its traceback instead of a row of text."""
    from accelsim.studies import sweep

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(sweep, "run_engine", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        sweep.evaluate_points(str(SAMPLE), None, [{"dram.gbps": 6.4}])
    rows = sweep.evaluate_points(str(SAMPLE), None, [{"pe.rows": 0}])  # a bad value is still a row
    assert rows[0]["error"] and "pe.rows" in rows[0]["error"]


def test_a_resume_trusts_saved_points_only_from_the_same_inputs(tmp_path):
    trace = tmp_path / "t.parquet"
    trace.write_bytes(SAMPLE.read_bytes())
    out = tmp_path / "s"
    axes = parse_axes(["dram.gbps=3.2,6.4"])
    run_sweep([str(trace)], None, axes, out, progress=False)
    run_sweep([str(trace)], None, axes, out, progress=False)  # the same inputs: resumes, nothing recomputed
    # The trace changed in place (another run packed over it): the saved points are not its.
    trace.write_bytes(REAL.read_bytes())
    with pytest.raises(InputError, match=r"holds a sweep made with other inputs \(the content of .*t\.parquet"):
        run_sweep([str(trace)], None, axes, out, progress=False)
    # A different sweep into the same folder is refused too, instead of replacing the earlier table.
    with pytest.raises(InputError, match="the swept keys"):
        run_sweep([str(trace)], None, parse_axes(["pe.rows=8,16"]), out, progress=False)
    rows = _rows(run_sweep([str(trace)], None, axes, out, progress=False, fresh=True))
    assert [r["dram.gbps"] for r in rows] == [3.2, 6.4] and rows[0]["trace_id"] != ""
    r = subprocess.run([sys.executable, "-m", "accelsim.cli", "sweep", str(trace), "--set", "pe.rows=8",
                        "--out", str(out), "-q"], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--fresh" in r.stderr


def test_run_takes_workload_batch_as_sweep_does(tmp_path):
    rows = _rows(run_sweep([str(SAMPLE)], None, parse_axes(["workload.batch=128"]), tmp_path / "b", progress=False))
    res = simulate(SAMPLE, batch=128)
    assert res.speedup == pytest.approx(rows[0]["speedup"], rel=1e-12)
    assert res.dense.totals.macs == rows[0]["dense_macs"] < simulate(SAMPLE).dense.totals.macs
    out = tmp_path / "r.json"
    r = subprocess.run([sys.executable, "-m", "accelsim.cli", "run", str(SAMPLE), "--set", "workload.batch=128",
                        "--json", str(out), "-q"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads(out.read_text())["speedup"] == pytest.approx(res.speedup, rel=1e-12)
