"""Capture overhead (issue 25): the SAC example (``examples/sac_continuous_action.py``, CleanRL-style, HalfCheetah-v5)
run as ``python SCRIPT ...`` and as ``accelsim capture --out DIR -- python SCRIPT ...``, the same seed and
arguments, interleaved (plain, captured, plain, captured, ...), best of three each.

Prints both runs' best wall time and best CPU time (the child processes' user + system time, from
``resource.getrusage(RUSAGE_CHILDREN)``: on a machine shared with other work the steadier figure) and the
overhead (captured / plain − 1) beside the target, ≤ 10 %. The captured run's time includes everything the user
waits for: the recorder's hooks, building and writing the trace, and ``accelsim``'s own start-up.

    python benchmarks/bench_capture.py [--steps 3000] [--learning-starts 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "examples" / "sac_continuous_action.py"
TARGET = 0.10


def child_cpu() -> float:
    """User + system seconds of all waited-for children so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall s, CPU s) of one run of ``cmd`` (output discarded; a failure stops the benchmark)."""
    c0, t0 = child_cpu(), time.perf_counter()
    r = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall, cpu = time.perf_counter() - t0, child_cpu() - c0
    if r.returncode != 0:
        sys.exit(f"bench_capture: {' '.join(cmd[:6])} ... failed:\n{r.stderr[-2000:]}")
    return wall, cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=3000, help="env steps of each run")
    ap.add_argument("--learning-starts", type=int, default=1000, help="gradient steps start after this many")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    args = [str(SCRIPT), "--total-timesteps", str(a.steps), "--learning-starts", str(a.learning_starts),
            "--seed", str(a.seed), "--threads", "1"]
    plain_cmd = [sys.executable, *args]
    tmp = Path(tempfile.mkdtemp(prefix="bench_capture_"))
    print(f"capture overhead: {SCRIPT.name} (HalfCheetah-v5), {a.steps:,} env steps, "
          f"{a.steps - a.learning_starts - 1:,} gradient steps, seed {a.seed}, torch threads 1; "
          f"interleaved, best of {a.repeats}")
    plain, captured = [], []
    try:
        for i in range(a.repeats):
            plain.append(timed(plain_cmd))
            out = tmp / f"run{i}"
            captured.append(timed([sys.executable, "-m", "accelsim.cli", "capture", "--out", str(out), "--",
                                   "python", *args]))
            print(f"  round {i + 1}: plain {plain[-1][0]:.2f} s wall / {plain[-1][1]:.2f} s CPU, "
                  f"captured {captured[-1][0]:.2f} s wall / {captured[-1][1]:.2f} s CPU", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for k, what in ((0, "wall"), (1, "CPU ")):
        p, c = min(t[k] for t in plain), min(t[k] for t in captured)
        over = c / p - 1
        verdict = "meets" if over <= TARGET else "misses"
        print(f"{what}: plain {p:.2f} s, captured {c:.2f} s: overhead {100 * over:+.1f} % "
              f"(target <= {100 * TARGET:.0f} %: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
