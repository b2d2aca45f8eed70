"""Study plans (gst_train/plan.py) and the background driver that runs them (scripts/study.py)."""

import json
import subprocess
import sys

import pytest
from conftest import ROOT

from accelsim.base.errors import InputError
from gst_train.plan import load_plan, parse_plan

GOOD = {"study": "t", "runs_dir": "runs/t", "jobs": 1, "common": ["--env", "HalfCheetah-v5"],
        "runs": [{"name": "halfcheetah_gst-noramp_s100", "args": ["--seed", "100"]}]}


@pytest.mark.parametrize("path", sorted((ROOT / "results").glob("*/plan.json")), ids=lambda p: p.parent.name)
def test_every_committed_plan_loads(path):
    plan = load_plan(path)
    assert plan.runs and len({r.name for r in plan.runs}) == len(plan.runs)
    data = json.loads(path.read_text())
    assert [r.name for r in plan.runs] == [r["name"] for r in data["runs"]]


def test_run_names_give_label_and_seed():
    plan = parse_plan(GOOD, "p.json")
    (run,) = plan.runs
    assert (run.label, run.seed, run.args) == ("gst-noramp", 100, ("--seed", "100"))
    assert plan.jobs == 1 and plan.common == ("--env", "HalfCheetah-v5")
    assert parse_plan({**GOOD, "runs": [{"name": "humanoid_ip_cubic_s3"}]}, "p").runs[0].label == "ip_cubic"


@pytest.mark.parametrize("change, field", [
    ({"study": ""}, "study"),
    ({"runs_dir": 3}, "runs_dir"),
    ({"jobs": 0}, "jobs"),
    ({"jobs": True}, "jobs"),
    ({"common": "--seed 1"}, "common"),
    ({"runs": []}, "runs"),
    ({"runs": ["halfcheetah_gst_s0"]}, "runs[0]"),
    ({"runs": [{"name": "gst_s0", "args": []}]}, "runs[0].name"),
    ({"runs": [{"name": "halfcheetah_gst_seed0", "args": []}]}, "runs[0].name"),
    ({"runs": [{"name": "halfcheetah_gst_s0", "args": [1]}]}, "runs[0].args"),
    ({"runs": [{"name": "halfcheetah_gst_s0"}, {"name": "halfcheetah_gst_s0"}]}, "runs[1].name"),
])
def test_bad_plans_name_the_field(change, field):
    with pytest.raises(InputError) as e:
        parse_plan({**GOOD, **change}, "results/x/plan.json")
    assert e.value.source == "results/x/plan.json" and e.value.field == field


def test_unreadable_and_broken_plans_are_one_line_errors(tmp_path):
    with pytest.raises(InputError, match="cannot read the plan"):
        load_plan(tmp_path / "missing.json")
    (tmp_path / "plan.json").write_text('{"study": "t",\n "runs": [}')
    with pytest.raises(InputError, match="line 2: expected JSON"):
        load_plan(tmp_path / "plan.json")


def _driver(*args):
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "study.py"), *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)


@pytest.mark.slow
def test_driver_runs_archives_and_reports_a_real_plan(tmp_path):
    """Two short real runs (MuJoCo, gst-train processes) one at a time: both archived with a packed Parquet
    trace, status.md says finished, a rerun does nothing, and report_study reads the archive."""
    study = tmp_path / "study"
    study.mkdir()
    tiny = ["--env", "HalfCheetah-v5", "--total-steps", "400", "--start-steps", "200", "--eval-every", "200",
            "--eval-episodes", "1", "--hidden", "32,32", "--batch-size", "32", "--block-size", "4"]
    plan = {"study": "tiny", "runs_dir": str(tmp_path / "live"), "jobs": 1, "common": tiny,
            "runs": [{"name": "halfcheetah_dense_s0", "args": ["--method", "dense", "--seed", "0"]},
                     {"name": "halfcheetah_gst_s0", "args": ["--method", "gst", "--seed", "0"]}]}
    (study / "plan.json").write_text(json.dumps(plan))
    r = _driver(study / "plan.json")
    assert r.returncode == 0, r.stdout + r.stderr
    for name in ("halfcheetah_dense_s0", "halfcheetah_gst_s0"):
        arch = study / "runs" / name
        assert {p.name for p in arch.iterdir()} == {"config.json", "metrics.csv", "DONE", "trace.parquet"}
        assert json.loads((arch / "config.json").read_text())["seed"] == 0
        assert f"finished {name}" in r.stdout
    status = (study / "status.md").read_text()
    assert status.count("| finished | 400 |") == 2
    again = _driver(study / "plan.json")
    assert again.returncode == 0 and "start" not in again.stdout  # finished runs are skipped
    rep = subprocess.run([sys.executable, str(ROOT / "scripts" / "report_study.py"), str(study)],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert rep.returncode == 0, rep.stderr
    summary = json.loads((study / "summary.json").read_text())
    assert {(x["method"], x["steps_reached"], x["finished"]) for x in summary["runs"]} == {
        ("dense", 400, True), ("gst", 400, True)}


def test_driver_gives_up_on_a_run_that_always_fails_and_says_so(tmp_path):
    """A run that fails every time (an env that does not exist) is tried --max-failures times, across drivers,
    then given up: status.md says so and the driver exits 1 instead of retrying forever."""
    study = tmp_path / "study"
    study.mkdir()
    plan = {"study": "broken", "runs_dir": str(tmp_path / "live"), "jobs": 1,
            "common": ["--total-steps", "400", "--start-steps", "200"],
            "runs": [{"name": "nosuch_dense_s0", "args": ["--env", "NoSuchEnv-v0", "--method", "dense"]}]}
    (study / "plan.json").write_text(json.dumps(plan))
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "study.py"), str(study / "plan.json"),
                        "--max-failures", "2", "--poll-s", "0.2"], capture_output=True, text=True, cwd=ROOT,
                       timeout=300)
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout.count("FAILED nosuch_dense_s0") == 2 and "gave up on nosuch_dense_s0" in r.stderr
    assert "| nosuch_dense_s0 | given up after 2 failures" in (study / "status.md").read_text()
    again = subprocess.run([sys.executable, str(ROOT / "scripts" / "study.py"), str(study / "plan.json"),
                            "--max-failures", "2", "--poll-s", "0.2"], capture_output=True, text=True, cwd=ROOT,
                           timeout=300)
    assert again.returncode == 1 and "start" not in again.stdout  # the count survives the driver


def test_driver_and_report_refuse_a_bad_plan_in_one_line_and_write_nothing(tmp_path):
    (tmp_path / "plan.json").write_text(json.dumps({**GOOD, "runs_dir": str(tmp_path / "live"),
                                                    "runs": [{"name": "bad name", "args": []}]}))
    for script in ("study.py", "report_study.py"):
        target = tmp_path / "plan.json" if script == "study.py" else tmp_path
        r = subprocess.run([sys.executable, str(ROOT / "scripts" / script), str(target)], capture_output=True,
                           text=True, cwd=ROOT, timeout=120)
        assert r.returncode == 2, (script, r.stderr)
        assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
        assert "plan.json: runs[0].name: expected <env>_<label>_s<seed>" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]


def test_report_names_a_run_whose_metrics_lack_a_column(tmp_path):
    """A damaged run folder is named in one line, and the study's earlier table stays as it was."""
    src = ROOT / "results" / "study_300k" / "runs" / "halfcheetah_dense_s0"
    run = tmp_path / "runs" / "halfcheetah_dense_s0"
    run.mkdir(parents=True)
    for f in ("config.json", "DONE"):
        (run / f).write_bytes((src / f).read_bytes())
    lines = (src / "metrics.csv").read_text().splitlines()
    cols = lines[0].split(",")
    keep = [i for i, c in enumerate(cols) if c != "avg_ratio_bytes"]
    (run / "metrics.csv").write_text("\n".join(",".join(row.split(",")[i] for i in keep) for row in lines) + "\n")
    (tmp_path / "plan.json").write_text(json.dumps({**GOOD, "runs_dir": str(tmp_path / "live"),
                                                    "runs": [{"name": "halfcheetah_dense_s0", "args": []}]}))
    (tmp_path / "table.md").write_text("earlier table\n")
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "report_study.py"), str(tmp_path)],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "halfcheetah_dense_s0/metrics.csv: header: expected columns" in r.stderr and "avg_ratio_bytes" in r.stderr
    assert (tmp_path / "table.md").read_text() == "earlier table\n"


def test_study_scripts_on_an_undecodable_plan_and_a_study_not_started(tmp_path):
    (tmp_path / "plan.json").write_bytes(b"\xff\xfe\x00not json")
    for script in ("study.py", "report_study.py"):
        target = tmp_path / "plan.json" if script == "study.py" else tmp_path
        r = subprocess.run([sys.executable, str(ROOT / "scripts" / script), str(target)], capture_output=True,
                           text=True, cwd=ROOT, timeout=120)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and "expected UTF-8 JSON text" in r.stderr
    (tmp_path / "plan.json").write_text(json.dumps({**GOOD, "runs_dir": str(tmp_path / "live")}))
    (tmp_path / "runs").write_text("a file where the runs folder would be")
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "report_study.py"), str(tmp_path)],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr  # nothing evaluated yet: empty tables, no figures, no traceback
    assert (tmp_path / "table.md").is_file() and not list(tmp_path.glob("*.png"))
