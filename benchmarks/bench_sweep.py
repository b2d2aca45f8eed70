"""Sweep throughput, measured side by side in one run (issue: design-space studies, Performance).

Prints hardware points per second of a sweep over a 1M-step run-length-compressed trace: in-process on the
local cores (numba-parallel), through a loopback Dask cluster with 1 and with 2 single-threaded workers (the
scaling from 1 to 2 workers), and the time of 10,000 points (target: under a minute on this machine), as
wall time and as this process's CPU time (all threads; the steadier figure on a shared machine: with two
cores busy only with the sweep, wall time is about half of it).

    python benchmarks/bench_sweep.py [--points 10000] [--only-big]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_sim import trace_for

from accelsim.studies.sweep import Axis, evaluate_points, run_sweep
from accelsim.trace.synth import SynthSpec


def axes_for(n: int) -> list[Axis]:
    """About n points: bandwidth × SRAM × clock."""
    bw = tuple(round(0.8 * 1.05**i, 4) for i in range(max(1, n // 100)))
    kib = tuple(float(16 * 2**i) for i in range(10))
    mhz = tuple(float(200 + 100 * i) for i in range(10))
    return [Axis("dram.gbps", bw), Axis("sram.weight_kib", kib), Axis("clock.mhz", mhz)]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=10_000)
    ap.add_argument("--steps", type=int, default=1_000_000)
    ap.add_argument("--only-big", action="store_true", help="only the big local sweep (no Dask)")
    args = ap.parse_args()
    tr = trace_for(SynthSpec(steps=args.steps, change_every=2000, masks=False),
                   f"synthetic_rle_{args.steps}_c2000.parquet")
    path = str(Path(tr.source))
    print(f"== sweep benchmark: {tr.n_steps:,}-step trace, {tr.n_segments} segments ==")
    evaluate_points(path, None, [{"dram.gbps": 1.0}])  # compile / load the cache
    small = axes_for(2000)
    n_small = 1
    for a in small:
        n_small *= len(a.values)
    tmp = Path(tempfile.mkdtemp())
    try:
        if args.only_big:
            _big(path, tr, args.points, tmp)
            return 0
        t0 = time.perf_counter()
        run_sweep([path], None, small, tmp / "local", progress=False)
        t_local = time.perf_counter() - t0
        print(f"local (numba-parallel, 2 cores): {n_small} points in {t_local:.2f} s "
              f"-> {n_small / t_local:,.0f} points/s")
        from distributed import LocalCluster

        rates = {}
        for workers in (1, 2):
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                              dashboard_address=None) as cl:
                run_sweep([path], None, [Axis("dram.gbps", (1.0,))], tmp / f"warm{workers}",
                          scheduler=cl.scheduler_address, progress=False)  # workers compile / load the cache
                t0 = time.perf_counter()
                run_sweep([path], None, small, tmp / f"dask{workers}", scheduler=cl.scheduler_address, chunk=100,
                          progress=False)
                rates[workers] = n_small / (time.perf_counter() - t0)
            print(f"loopback Dask, {workers} worker(s): {rates[workers]:,.0f} points/s")
        print(f"scaling 1 -> 2 workers: {rates[2] / rates[1]:.2f}x")
        _big(path, tr, args.points, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _big(path: str, tr, points: int, tmp: Path) -> None:
    """The big local sweep: about ``points`` points of the trace at ``path``."""
    big = axes_for(points)
    n_big = 1
    for a in big:
        n_big *= len(a.values)
    t0, c0 = time.perf_counter(), time.process_time()
    run_sweep([path], None, big, tmp / "big", progress=False)
    t_big, c_big = time.perf_counter() - t0, time.process_time() - c0
    print(f"{n_big:,} points of the {tr.n_steps:,}-step trace, local: {t_big:.1f} s wall, {c_big:.1f} s CPU "
          f"({n_big / t_big:,.0f} points/s; target: 10,000 points < 60 s)")


if __name__ == "__main__":
    raise SystemExit(main())
