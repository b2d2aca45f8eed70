"""The study report's statistics: IQM as rliable defines it, bootstrap intervals that cover and shrink."""

import importlib.util
import json
import subprocess
import sys

import numpy as np
from conftest import ROOT

spec = importlib.util.spec_from_file_location("report_study", ROOT / "scripts" / "report_study.py")
rs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rs)


def test_iqm_is_the_mean_of_the_middle_half():
    assert rs.iqm(np.array([400.0, 1, 3, 2, 100, 4, 300, 200])) == np.mean([3, 4, 100, 200])
    assert rs.iqm(np.array([1.0, 2.0, 30.0])) == 11.0  # fewer than 4 runs: nothing is cut (trim_mean 25 %)


def test_bootstrap_interval_covers_the_estimate_and_shrinks_with_more_runs():
    rng = np.random.default_rng(0)
    few, many = rng.normal(5, 1, 5), rng.normal(5, 1, 80)
    lo, hi = rs.bootstrap(few)
    assert lo <= rs.iqm(few) <= hi
    lo2, hi2 = rs.bootstrap(many)
    assert hi2 - lo2 < hi - lo
    dlo, dhi = rs.bootstrap_diff(many + 3, many)
    assert dlo < 3 < dhi


def test_relative_interval_covers_the_ratio_and_is_absent_for_one_run():
    rng = np.random.default_rng(1)
    dense = rng.normal(6000, 500, 6)
    lo, hi = rs.bootstrap_rel(dense * 0.8, dense)
    assert lo <= -0.2 <= hi and hi - lo < 0.4
    assert np.isnan(rs.bootstrap_rel(dense[:1], dense)).all()
    assert "no interval" in rs.interval(*rs.bootstrap_rel(dense[:1], dense), "+.1%")


def test_iqm_fraction_of_dense_with_a_stratified_interval():
    rng = np.random.default_rng(2)
    dense = rng.normal(7000, 700, 10)
    gst = rng.normal(6800, 700, 10)
    frac, lo, hi = rs.bootstrap_iqm_fraction(gst, dense)
    assert frac == rs.iqm(gst) / rs.iqm(dense) and lo < frac < hi
    # A method that is dense scaled by 0.9 on every run: the point is exactly 0.9, and the interval holds it.
    f9, lo9, hi9 = rs.bootstrap_iqm_fraction(dense * 0.9, dense)
    assert abs(f9 - 0.9) < 1e-12 and lo9 < 0.9 < hi9
    # More runs narrow it.
    _, lo_m, hi_m = rs.bootstrap_iqm_fraction(rng.normal(6800, 700, 80), rng.normal(7000, 700, 80))
    assert hi_m - lo_m < hi - lo
    assert np.isnan(rs.bootstrap_iqm_fraction(gst[:1], dense)[1])


def test_paired_relative_return_takes_each_seeds_own_dense():
    pairs = [(8000.0, 8000.0 / 1.1), (5500.0, 5000.0), (6600.0, 6000.0)]  # +10 % on every seed
    m, lo, hi = rs.paired_rel(pairs)
    assert abs(m - 0.1) < 1e-12 and abs(lo - 0.1) < 1e-12 and abs(hi - 0.1) < 1e-12
    m1, lo1, _ = rs.paired_rel(pairs[:1])
    assert abs(m1 - 0.1) < 1e-12 and np.isnan(lo1)


def test_report_on_committed_runs_writes_tables_and_figures(tmp_path):
    """The whole report on a copy of finished study runs (real metrics and configs): every output written,
    the paired comparison present, an unfinished method shown without an interval."""
    import json
    import shutil
    import subprocess
    import sys

    src = ROOT / "results" / "study_300k" / "runs"
    names = ["halfcheetah_dense_s0", "halfcheetah_dense_s1", "halfcheetah_gst_s0", "halfcheetah_gst_s1",
             "halfcheetah_ip-cubic_s0"]
    study = tmp_path / "study"
    for n in names:
        shutil.copytree(src / n, study / "runs" / n)
    # A GST variant is labelled by its run name (here a copy of seed 1 under another label).
    shutil.copytree(src / "halfcheetah_gst_s1", study / "runs" / "halfcheetah_gst-variant_s1")
    names.append("halfcheetah_gst-variant_s1")
    # An unfinished run (no DONE): shown in the tables, never in a comparison.
    shutil.copytree(src / "halfcheetah_ip-cubic_s0", study / "runs" / "halfcheetah_ip-ramp_s0")
    (study / "runs" / "halfcheetah_ip-ramp_s0" / "DONE").unlink()
    names.append("halfcheetah_ip-ramp_s0")
    (study / "plan.json").write_text(json.dumps({"study": "t", "runs_dir": str(tmp_path / "live"), "jobs": 1,
                                                 "common": [], "runs": [{"name": n, "args": []} for n in names]}))
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "report_study.py"), str(study),
                        "--baseline", "ip-cubic", "--baseline", "ip-ramp", "--baseline", "gst-variant"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for f in ("table.md", "summary.json", "return_curves.png", "ratio_curves.svg", "gst_layers.png"):
        assert (study / f).is_file(), f
    table = (study / "table.md").read_text()
    assert "gst final return vs dense, paired by seed (2 seeds)" in table
    # GST against the baseline on the seeds both have (one here): a value without an interval.
    assert "gst final return vs ip-cubic, paired by seed (1 seed)" in table
    assert "gst-variant − ip-cubic average ratio (bytes)" in table
    assert "| halfcheetah_ip-ramp_s0 | no |" in table
    assert "GST's controller" in table and "| halfcheetah_gst_s0 | " in table.split("GST's controller")[1]
    assert "ip-ramp average ratio" not in table and "ip-ramp final return" not in table
    # A GST variant as the baseline (the ablations' reference): the others against it, never itself.
    assert "GST − gst-variant average ratio (bytes)" in table
    assert "gst-variant − gst-variant" not in table and "gst-variant final return vs gst-variant" not in table
    assert "gst-variant final return vs ip-cubic, paired by seed (1 seed)" not in table  # ip-cubic has seed 0 only
    assert "GST − ip-cubic average ratio (bytes)" in table and "no interval" in table
    summary = json.loads((study / "summary.json").read_text())
    assert sorted(x["name"] for x in summary["runs"]) == sorted(names)


def _row(step, target, **modes):
    return {"step": str(step), "target_sparsity": str(target),
            **{f"{k.replace('_', '.')}.mode": v for k, v in modes.items()}}


def test_gst_events_read_switches_reverts_and_back_offs_from_the_rows():
    rows = [_row(80_000, 0.80, a_1="bc", c_0="bc"), _row(85_000, 0.775, a_1="bc", c_0="bc"),
            _row(90_000, 0.80, a_1="group", c_0="bc"), _row(95_000, 0.80, a_1="group", c_0="group"),
            _row(100_000, 0.80, a_1="bc", c_0="group")]
    ev = rs.gst_events(rows)
    assert ev == [rs.GstEvent(85_000, "back-off", "0.800 -> 0.775"), rs.GstEvent(90_000, "switch", "a.1"),
                  rs.GstEvent(95_000, "switch", "c.0"), rs.GstEvent(100_000, "revert", "a.1")]
    assert rs.events_cell(ev, "switch") == "a.1 90k, c.0 95k"
    assert rs.events_cell(ev, "back-off") == "85k (0.800 -> 0.775)"
    assert rs.events_cell([], "revert") == "none"


def test_gst_events_of_the_screening_run_that_collapsed():
    """gst-b4 (results/gst_screening_300k): six staggered switches, and both critics' input layers reverted."""
    import csv

    path = ROOT / "results" / "gst_screening_300k" / "runs" / "halfcheetah_gst-b4_s100" / "metrics.csv"
    with open(path) as fh:
        ev = rs.gst_events(list(csv.DictReader(fh)))
    assert [(e.step, e.what) for e in ev if e.kind == "switch"] == [
        (90_000, "critic2.1"), (105_000, "critic1.1"), (120_000, "actor.1"), (135_000, "critic2.0"),
        (155_000, "critic1.0"), (175_000, "actor.0")]
    assert [(e.step, e.what) for e in ev if e.kind == "revert"] == [(155_000, "critic2.0"), (175_000, "critic1.0")]
    # The controller backed off four times once the return had fallen (0.95 -> 0.85).
    assert [e.step for e in ev if e.kind == "back-off"] == [150_000, 165_000, 180_000, 195_000]
    # At 155k the policy reverted critic2.0 before it switched critic1.0 (the order on_eval acts in).
    assert [(e.kind, e.what) for e in ev if e.step == 155_000] == [("revert", "critic2.0"), ("switch", "critic1.0")]


def test_frontier_draws_every_finished_setting_of_every_study(tmp_path):
    runs = [{"method": "dense", "finished": True, "final_return": 8000.0, "avg_ratio_bytes": 0.0},
            {"method": "gst", "finished": True, "final_return": 7600.0, "avg_ratio_bytes": 0.76},
            {"method": "gst", "finished": True, "final_return": 7200.0, "avg_ratio_bytes": 0.78},
            {"method": "ip-cubic-80", "finished": True, "final_return": 7000.0, "avg_ratio_bytes": 0.55},
            {"method": "ip-cubic-90", "finished": False, "final_return": 100.0, "avg_ratio_bytes": 0.6}]
    for i, chunk in enumerate((runs[:3], runs[3:])):
        (tmp_path / f"s{i}").mkdir()
        (tmp_path / f"s{i}" / "summary.json").write_text(json.dumps({"runs": chunk}))
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "frontier.py"), str(tmp_path / "s0"),
                        str(tmp_path / "s1"), "--out", str(tmp_path / "f.svg")], capture_output=True, text=True,
                       cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    svg = (tmp_path / "f.svg").read_text()
    assert "gst (2)" in svg and "ip-cubic-80 (1)" in svg and "ip-cubic-90" not in svg  # unfinished: not drawn
    assert (tmp_path / "f.png").stat().st_size > 1000
