"""``gst-train-many``: fan out envs × methods × seeds as gst-train runs, locally or on a Dask cluster.

    gst-train-many --envs HalfCheetah-v5 --methods dense,ip,gst --seeds 0,1 --out runs/study \\
        [--scheduler tcp://HOST:PORT | --jobs 2] -- --total-steps 200000 --eval-episodes 10

Every run is ``gst-train`` in its own process, in ``OUT/<env>_<method>_s<seed>``: a finished run is skipped,
an interrupted one continues with ``--resume``. Flags after ``--`` go to every run. Without ``--scheduler``
a local Dask cluster of ``--jobs`` single-threaded workers runs them; with it, the cluster's workers do
(they need this package installed and OUT on a shared file system). Prints one line per run and a table.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from accelsim.base.argparser import OneLineParser
from accelsim.base.errors import InputError, one_line
from accelsim.base.paths import check_output
from gst_train.extras import DISTRIBUTED_MODULES, TRAIN_MODULES, require

#: Seconds to wait for a --scheduler to answer (as accelsim sweep's).
SCHEDULER_TIMEOUT_S = 10


def run_one(env: str, method: str, seed: int, out: str, extra: list[str], threads: int = 1) -> dict:
    """Run (or resume, or skip) one gst-train run in a subprocess with ``threads`` torch threads (unless
    ``extra`` names ``--threads``); returns its summary."""
    d = Path(out) / f"{env.split('-')[0].lower()}_{method}_s{seed}"
    if (d / "DONE").is_file():
        return {"run": str(d), "status": "done before", **json.loads((d / "DONE").read_text())}
    if (d / "config.json").is_file():
        cmd = [sys.executable, "-m", "gst_train.cli", "--resume", str(d)]
    else:
        d.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "gst_train.cli", "--env", env, "--method", method, "--seed", str(seed),
               "--out", str(d), "--progress", "false", *extra]
        if not any(x == "--threads" or x.startswith("--threads=") for x in extra):
            cmd += ["--threads", str(threads)]
    with open(f"{d}.log", "a") as log:
        rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT).returncode
    if rc != 0 or not (d / "DONE").is_file():
        return {"run": str(d), "status": f"failed (exit {rc}, see {d}.log)"}
    return {"run": str(d), "status": "finished", **json.loads((d / "DONE").read_text())}


def build_parser() -> OneLineParser:
    p = OneLineParser(prog="gst-train-many", description=__doc__.split("\n\n")[0])
    p.add_argument("--envs", default="HalfCheetah-v5", help="comma-separated Gymnasium env ids")
    p.add_argument("--methods", default="dense,ip,gst", help="comma-separated gst-train methods")
    p.add_argument("--seeds", default="0,1", help="comma-separated integer seeds")
    p.add_argument("--out", required=True, help="study folder: one run folder per env, method and seed")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run on this Dask cluster")
    p.add_argument("--jobs", type=int, default=2, help="local workers (without --scheduler)")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    a = build_parser().parse_args(argv)
    code = require("gst-train-many", {**TRAIN_MODULES, **DISTRIBUTED_MODULES})
    if code is not None:
        return code
    try:
        seeds = [int(s) for s in a.seeds.split(",") if s.strip()]
    except ValueError:
        sys.stderr.write(f"gst-train-many: error: --seeds: expected integers, got {a.seeds!r}\n")
        return 2
    if a.jobs <= 0:
        sys.stderr.write("gst-train-many: error: --jobs: expected a positive integer\n")
        return 2
    from gst_train.config import METHODS, available_cpus

    methods = [m.strip() for m in a.methods.split(",") if m.strip()]
    bad = [m for m in methods if m not in METHODS]
    if bad:
        sys.stderr.write(f"gst-train-many: error: --methods: unknown {bad[0]!r}; expected {', '.join(METHODS)}\n")
        return 2
    envs = [e.strip() for e in a.envs.split(",") if e.strip()]
    for flag, given, values in (("--envs", a.envs, envs), ("--methods", a.methods, methods),
                                ("--seeds", a.seeds, seeds)):
        if not values:  # nothing to run is a mistake, not a finished study
            sys.stderr.write(f"gst-train-many: error: {flag}: expected at least one, got {given!r}\n")
            return 2
    if any(not 0 <= s <= 2**32 - 1 for s in seeds):
        sys.stderr.write(f"gst-train-many: error: --seeds: expected integers in [0, 2^32 - 1], got {a.seeds!r}\n")
        return 2
    try:  # before any run: an empty path, a file, a path under a file (each run's traceback: test_fuzz_contracts.py)
        check_output(a.out, "--out", folder=True)
    except InputError as exc:
        sys.stderr.write(f"gst-train-many: error: {one_line(exc.one_line())}\n")
        return 2
    jobs = [(e, m, s) for e in envs for m in methods for s in seeds]
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    # Local runs divide this machine's cores among the jobs; on a cluster each run takes one core (a worker runs
    # as many tasks at once as it has threads). `-- --threads N` overrides both.
    share = 1 if a.scheduler else max(1, available_cpus() // a.jobs)
    if a.scheduler:
        try:  # a bad or unreachable address was a traceback (tests/test_fuzz_contracts.py)
            client = Client(a.scheduler, timeout=SCHEDULER_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as exc:
            sys.stderr.write(f"gst-train-many: error: --scheduler: {a.scheduler!r}: cannot reach the Dask scheduler "
                             f"within {SCHEDULER_TIMEOUT_S} s ({type(exc).__name__})\n")
            return 2
    else:
        cluster = LocalCluster(n_workers=a.jobs, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None)
        client = Client(cluster)
    results = []
    try:
        futs = [client.submit(run_one, e, m, s, a.out, extra, share, pure=False) for e, m, s in jobs]
        for fut in as_completed(futs):
            r = fut.result()
            results.append(r)
            print(f"{r['status']:<12} {r['run']}", flush=True)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    print(f"{'run':<40} {'status':<12} {'final return':>12} {'avg ratio (bytes)':>18}")
    for r in sorted(results, key=lambda r: r["run"]):
        print(f"{r['run']:<40} {r['status'][:12]:<12} {r.get('final_return', float('nan')):>12.1f} "
              f"{r.get('avg_ratio_bytes', float('nan')):>18.3f}")
    return 0 if all("failed" not in r["status"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
