#!/usr/bin/env python
"""Import times a user waits for: ``import accelsim``, the trace writer, the trainer.

    .venv/bin/python benchmarks/bench_import.py                       # this checkout
    .venv/bin/python benchmarks/bench_import.py --root OTHER_CHECKOUT  # another checkout, side by side

Each figure is the best of N fresh interpreters (``python -c "import X"``) less the best of N bare ones, with
how many accelsim modules the import loaded and whether numba, simpy and torch came with it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

MODULES = ("accelsim", "accelsim.trace.writer", "gst_train.train")


def best(code: str, env: dict, cwd: Path, n: int) -> float:
    out = float("inf")
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=cwd)
        out = min(out, time.perf_counter() - t0)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    ap.add_argument("--modules", nargs="*", default=list(MODULES))
    ap.add_argument("-n", type=int, default=7)
    args = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": str(args.root)}
    bare = best("pass", env, args.root, args.n)
    print(f"== import times, {args.root} (best of {args.n}, Python start {bare * 1e3:.0f} ms subtracted) ==")
    for mod in args.modules:
        t = best(f"import {mod}", env, args.root, args.n) - bare
        probe = (f"import sys, {mod}; print(len([m for m in sys.modules if m.startswith('accelsim')]), "
                 "*[n for n in ('numba', 'simpy', 'torch') if n in sys.modules])")
        loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env,
                                cwd=args.root, check=True).stdout.split()
        also = ", ".join(loaded[1:]) or "none of numba, simpy, torch"
        print(f"{mod:24s} {t:7.3f} s   {loaded[0]} accelsim modules; also {also}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
