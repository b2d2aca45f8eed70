#!/usr/bin/env python
"""Run a study plan in the background: N runs at a time, resume what was killed, archive what finished.

    nohup .venv/bin/python scripts/study.py results/<study>/plan.json > runs/<study>.log 2>&1 &

A plan is JSON: {"study": NAME, "runs_dir": "runs/<study>", "jobs": 2, "common": [flags...],
"runs": [{"name": "<env>_<label>_s<seed>", "args": [flags...]}, ...]} (gst_train/plan.py checks it). Each
run is `gst-train <common> <args> --out runs_dir/<name>` with one torch thread; a run folder with config.json
but no DONE is resumed with `gst-train --resume`. When a run finishes, its small artefacts (config.json,
metrics.csv, DONE and the trace packed into one Parquet file) are copied to results/<study>/runs/<name>/, so
they survive the run folder (commit them). results/<study>/status.md says what is finished, running and left;
it is rewritten whenever a run starts or ends. Rerunning the script is safe: finished runs are skipped (and
archived if they were not), runs still held by a live process of an earlier driver (``runs_dir/<name>.pid``)
are left to it and count toward ``jobs``. The plan is read anew before each start, so it can be reordered or
extended meanwhile; an edit that breaks it is reported in one line and the driver goes on with the last good
plan.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from accelsim.base.argparser import OneLineParser
from accelsim.base.atomic import atomic_write_text
from accelsim.base.errors import InputError
from gst_train.plan import Plan, PlannedRun, load_plan

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def archive(run: Path, dest: Path) -> None:
    """Copy a finished run's small artefacts to ``dest`` (trace packed into trace.parquet)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "metrics.csv", "DONE"):
        shutil.copy(run / name, dest / name)
    if (run / "trace").is_dir():
        subprocess.run([str(BIN / "accelsim"), "pack", str(run / "trace"), str(dest / "trace.parquet")], check=True,
                       stdout=subprocess.DEVNULL)


def _held(pid_file: Path) -> bool:
    """Whether a live process (of an earlier driver) holds this run."""
    try:
        pid = int(pid_file.read_text())
    except (OSError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        pid_file.unlink(missing_ok=True)
        return False
    return True


def _count_held(plan: Plan, runs_dir: Path, mine: dict) -> int:
    return sum(1 for r in plan.runs if r.name not in mine and _held(runs_dir / f"{r.name}.pid"))


def _any_held(plan: Plan, runs_dir: Path) -> bool:
    return any(_held(runs_dir / f"{r.name}.pid") for r in plan.runs)


def failures(runs_dir: Path, name: str) -> int:
    """How many times this run has failed (exited non-zero or without DONE), counted across drivers."""
    try:
        return int((runs_dir / f"{name}.failures").read_text())
    except (OSError, ValueError):
        return 0


def write_status(path: Path, plan: Plan, runs_dir: Path, running: set[str], max_failures: int = 3) -> None:
    lines = [f"# Study {plan.study}: status", "",
             f"Updated {time.strftime('%Y-%m-%d %H:%M:%S %Z')} by scripts/study.py.", "",
             "| run | state | env steps reached |", "|---|---|---|"]
    for r in plan.runs:
        d = runs_dir / r.name
        reached = "–"
        if (d / "metrics.csv").is_file():
            rows = (d / "metrics.csv").read_text().splitlines()
            if len(rows) > 1:
                reached = f"{int(rows[-1].split(',')[0]):,}"
        held = r.name in running or _held(runs_dir / f"{r.name}.pid")
        failed = failures(runs_dir, r.name)
        state = ("finished" if (path.parent / "runs" / r.name / "DONE").is_file() or (d / "DONE").is_file()
                 else "running" if held
                 else f"given up after {failed} failures (see {runs_dir.name}/{r.name}.log)" if failed >= max_failures
                 else "started, not running" if (d / "config.json").is_file()
                 else "left")
        lines.append(f"| {r.name} | {state} | {reached} |")
    atomic_write_text(path, "\n".join(lines) + "\n")


def main() -> int:
    ap = OneLineParser(prog="study", description=__doc__.splitlines()[0])
    ap.add_argument("plan", type=Path)
    ap.add_argument("--jobs", type=int, help="runs at a time (default: the plan's)")
    ap.add_argument("--max-failures", type=int, default=3,
                    help="failures after which a run is given up (status.md says so; the driver then exits 1)")
    ap.add_argument("--poll-s", type=float, default=15.0, help="seconds between looks at the running runs")
    a = ap.parse_args()
    if a.max_failures < 1 or not a.poll_s > 0:
        ap.error("--max-failures and --poll-s: expected positive values")
    if a.jobs is not None and a.jobs < 1:
        ap.error(f"--jobs: expected a positive integer, got {a.jobs}")
    try:
        plan = load_plan(a.plan)
    except InputError as e:
        print(f"study: {e.one_line()}", file=sys.stderr)
        return 2
    results = a.plan.parent
    runs_dir = ROOT / plan.runs_dir
    runs_dir.mkdir(parents=True, exist_ok=True)
    jobs = a.jobs or plan.jobs
    procs: dict[str, subprocess.Popen] = {}
    plan_error = ""  # the last error rereading the plan, logged once
    status = results / "status.md"

    def todo() -> list[PlannedRun]:
        """Runs to start, in the plan's order; the plan is read anew each time, so it may be edited (reordered,
        extended) while the driver runs. Runs another process holds (a live ``<name>.pid``) are skipped."""
        nonlocal plan, plan_error
        try:
            plan, plan_error = load_plan(a.plan), ""
        except InputError as e:  # a bad edit must not stop the runs under way: keep the last good plan
            if e.one_line() != plan_error:  # once per new error, not every poll
                print(time.strftime("%H:%M:%S"), f"plan not reread: {e.one_line()}", flush=True)
            plan_error = e.one_line()
        out = []
        for r in plan.runs:
            d = runs_dir / r.name
            if r.name in procs or _held(runs_dir / f"{r.name}.pid"):
                continue
            if (d / "DONE").is_file():
                if not (results / "runs" / r.name / "DONE").is_file():
                    archive(d, results / "runs" / r.name)
                continue
            if (results / "runs" / r.name / "DONE").is_file():
                continue  # archived earlier; the run folder is gone
            if failures(runs_dir, r.name) >= a.max_failures:
                continue  # given up (status.md says so); delete runs_dir/<name>.failures to try it again
            out.append(r)
        return out

    while (waiting := todo()) or procs or _any_held(plan, runs_dir):
        while waiting and len(procs) + _count_held(plan, runs_dir, procs) < jobs:
            r = waiting.pop(0)
            d = runs_dir / r.name
            if (d / "config.json").is_file():
                cmd = [str(BIN / "gst-train"), "--resume", str(d)]
            else:
                cmd = [str(BIN / "gst-train"), *plan.common, *r.args, "--threads", "1",
                       "--progress", "false", "--out", str(d)]
            print(time.strftime("%H:%M:%S"), "start", r.name, " ".join(cmd), flush=True)
            log = open(runs_dir / f"{r.name}.log", "a")  # noqa: SIM115 - closed when the process ends
            procs[r.name] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
            (runs_dir / f"{r.name}.pid").write_text(str(procs[r.name].pid))
            write_status(status, plan, runs_dir, set(procs), a.max_failures)
        time.sleep(a.poll_s)
        for name, p in list(procs.items()):
            if p.poll() is None:
                continue
            del procs[name]
            (runs_dir / f"{name}.pid").unlink(missing_ok=True)
            d = runs_dir / name
            if p.returncode == 0 and (d / "DONE").is_file():
                archive(d, results / "runs" / name)
                print(time.strftime("%H:%M:%S"), "finished", name, flush=True)
            else:
                n = failures(runs_dir, name) + 1
                (runs_dir / f"{name}.failures").write_text(str(n))
                print(time.strftime("%H:%M:%S"), "FAILED", name, "exit", p.returncode, f"(failure {n} of at most "
                      f"{a.max_failures})", flush=True)
            write_status(status, plan, runs_dir, set(procs), a.max_failures)
    write_status(status, plan, runs_dir, set(), a.max_failures)
    given_up = [r.name for r in plan.runs if failures(runs_dir, r.name) >= a.max_failures
                and not (results / "runs" / r.name / "DONE").is_file()]
    if given_up:
        print(f"study: gave up on {', '.join(given_up)} after {a.max_failures} failures each (status.md)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
