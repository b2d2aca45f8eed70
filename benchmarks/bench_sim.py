"""Simulator speed, measured side by side in one run (issue: accelsim simulator, Performance).

Prints:
  * one hardware point of the shipped GST trace (275k steps since issue 13; 175k before), both views with
    breakdowns (what ``accelsim run`` computes after reading the trace; target: <= 10 ms);
  * fast-engine simulated training steps per second on a 1M-step run-length-compressed trace and on a
    10k-step trace whose state changes every step (one hardware point, after compilation);
  * hardware points per second when one 1M-step trace is evaluated over many configs in one call;
  * fast / reference engine speed ratio on the same trace;
  * SCALE-Sim 3.0.0's wall time versus ours on the same GEMM topology (live if .venv-scalesim exists,
    else SCALE-Sim's recorded wall time from tests/data/scalesim/reference.json, said so).
Targets: 1M-step trace < 0.1 s; >= 100x the reference; >= 10,000x SCALE-Sim.

Times are the best of several runs, as wall time and as this process's CPU time (``time.process_time``, all
its threads): on a machine shared with other work the CPU time is the steadier figure.

    python benchmarks/bench_sim.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from accelsim.cost import hardware_vector
from accelsim.dram import closed_form as cf
from accelsim.hardware.load import load_hardware
from accelsim.hardware.memory import load_memory_system
from accelsim.present import scalesim_compat
from accelsim.simulation.simulate import run_engine
from accelsim.trace.reader import read_trace
from accelsim.trace.synth import SynthSpec, generate
from accelsim.workload.build import build_workload

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / ".cache"
SS = ROOT / "tests" / "data" / "scalesim"


def best_of(fn, n: int = 5) -> float:
    """Best wall time of ``n`` runs, seconds."""
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def best_cpu(fn, n: int = 5) -> float:
    """Best CPU time (this process, all threads) of ``n`` runs, seconds."""
    times = []
    for _ in range(n):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times)


def trace_for(spec: SynthSpec, name: str):
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / name
    if not path.exists():
        t0 = time.perf_counter()
        generate(spec, path)
        print(f"  (generated {name} in {time.perf_counter() - t0:.1f} s)")
    return read_trace(path)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller traces (CI smoke run)")
    ap.add_argument("--scalesim-recorded", action="store_true",
                    help="use SCALE-Sim's recorded wall time instead of running it now")
    args = ap.parse_args()
    big_steps = 100_000 if args.quick else 1_000_000
    var_steps = 2_000 if args.quick else 10_000
    hw = load_hardware(None)
    H1 = hardware_vector.pack_hardware(hw)[None, :]
    print("== accelsim simulator benchmark ==")

    shipped = read_trace(ROOT / "traces" / "halfcheetah_gst_s0.parquet")
    views = [build_workload(shipped, v) for v in ("compressed", "dense")]

    def one_point():
        for wl_ in views:
            run_engine(wl_, H1)

    one_point()
    print(f"shipped GST trace ({shipped.n_steps:,} steps), one point, both views with breakdowns: "
          f"{best_of(one_point, 20) * 1e3:.2f} ms wall, {best_cpu(one_point, 20) * 1e3:.2f} ms CPU (target <= 10 ms)")

    tr = trace_for(SynthSpec(steps=big_steps, change_every=2000, masks=False),
                   f"synthetic_rle_{big_steps}_c2000.parquet")
    wl = build_workload(tr, "compressed")
    run_engine(wl, H1)  # compile / load cache
    t = best_of(lambda: run_engine(wl, H1))
    tc = best_cpu(lambda: run_engine(wl, H1))
    print(f"run-length trace: {tr.n_steps:,} steps, {tr.n_segments:,} segments, {wl.rows.shape[0]:,} period rows")
    print(f"  fast engine, one point: {t * 1e3:.2f} ms wall ({tc * 1e3:.2f} ms CPU)  -> {tr.n_steps / t:,.0f} "
          f"simulated steps/s (target: 1M steps < 100 ms)")

    trv = trace_for(SynthSpec(steps=var_steps, every_step=True, bc_fraction=0.0, masks=False),
                    f"synthetic_everystep_{var_steps}.parquet")
    wlv = build_workload(trv, "compressed")
    run_engine(wlv, H1)
    tv = best_of(lambda: run_engine(wlv, H1), 3)
    print(f"every-step trace: {trv.n_steps:,} steps, {trv.n_segments:,} segments")
    print(f"  fast engine, one point: {tv * 1e3:.1f} ms  -> {trv.n_steps / tv:,.0f} simulated steps/s")

    rng = np.random.default_rng(0)
    n_pts = 64 if args.quick else 512
    cfgs = [load_hardware(None, {"dram.gbps": str(g), "sram.weight_kib": str(k)})
            for g, k in zip(rng.choice([1.6, 3.2, 6.4, 12.8, 25.6, 51.2], n_pts),
                            rng.choice([32, 64, 128, 256, 512, 1024, 2048], n_pts), strict=True)]
    H = np.stack([hardware_vector.pack_hardware(c) for c in cfgs])
    run_engine(wl, H[:2])
    tp = best_of(lambda: run_engine(wl, H), 2)
    tpc = best_cpu(lambda: run_engine(wl, H), 2)
    print(f"sweep: {n_pts} hardware points of the {tr.n_steps:,}-step trace in {tp:.2f} s wall ({tpc:.2f} s CPU) "
          f"-> {n_pts / tp:,.1f} points/s")

    # The DRAM closed forms the engines call per distinct transfer (a 4 MiB sequential load, a replay gather).
    part = cf.pack_system(load_memory_system("edge-lpddr4"))
    cf.stream_cost(part, 0, 4.0 * (1 << 20), 4096.0, 0.0, 0.0, 0.0)  # compile or load

    def closed_pair():
        cf.stream_cost(part, 0, 4.0 * (1 << 20), 4096.0, 0.0, 0.0, 0.0)
        cf.stream_cost(part, 2, 256 * 168.0, 168.0, 0.0, 0.0, 0.0)

    print(f"DRAM closed forms, a 4 MiB stream and a 256-row gather: {best_of(closed_pair, 20) * 1e6:.0f} us a pair "
          "(target < 5 ms: the engines cost each distinct transfer once per DRAM)")

    # Fast versus reference on the same (shipped-size) trace.
    small = trace_for(SynthSpec(steps=100_000, change_every=5000, masks=False), "synthetic_rle_100000_c5000.parquet")
    wls = build_workload(small, "compressed")
    run_engine(wls, H1)
    tf = best_of(lambda: run_engine(wls, H1))
    tr_ = best_of(lambda: run_engine(wls, H1, "reference"), 1)
    print(f"fast vs reference on {small.n_steps:,} steps ({small.n_segments} segments): fast {tf * 1e3:.2f} ms, "
          f"reference {tr_:.2f} s -> {tr_ / tf:,.0f}x (target >= 100x)")

    # SCALE-Sim versus ours on the same GEMM topology and configs.
    info = json.loads((SS / "reference.json").read_text())
    names = [c["name"] for c in info["configs"]][: (3 if args.quick else None)]
    topo = SS / info["topology"]
    with tempfile.TemporaryDirectory() as tmp:
        scalesim_compat.run(SS / f"{names[0]}.cfg", topo, tmp)
        ours = sum(best_of(lambda n=n: scalesim_compat.run(SS / f"{n}.cfg", topo, tmp)) for n in names)
    ss_py = ROOT / ".venv-scalesim" / "bin" / "python"
    if ss_py.exists() and not args.scalesim_recorded:
        code = ("import sys,time,tempfile\nfrom scalesim.scale_sim import scalesim\nt=0\n"
                "for n in sys.argv[1:]:\n  d=tempfile.mkdtemp()\n  t0=time.perf_counter()\n"
                f"  s=scalesim(save_disk_space=True,verbose=False,config='{SS}/'+n+'.cfg',topology='{topo}',"
                f"layout='{SS}/td3_gemms_layout.csv',input_type_gemm=True)\n"
                "  s.run_scale(top_path=d)\n  t+=time.perf_counter()-t0\nprint(t)\n")
        out = subprocess.run([str(ss_py), "-c", code, *names], capture_output=True, text=True, check=True)
        ss_t, how = float(out.stdout.strip().splitlines()[-1]), "measured now"
    else:
        ss_t, how = sum(info["wall_s"][n] for n in names), "recorded by scripts/make_scalesim_reference.py"
    print(f"SCALE-Sim {info['scalesim_version']} vs accelsim on {info['n_gemms']} TD3 GEMMs x {len(names)} configs: "
          f"SCALE-Sim {ss_t:.1f} s ({how}), accelsim {ours * 1e3:.2f} ms -> {ss_t / ours:,.0f}x (target >= 10,000x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
