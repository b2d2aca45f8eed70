"""Run DRAMSim3 on access patterns and keep its figures as the tests' reference numbers.

``make dramsim3-reference`` builds DRAMSim3 (commit 2981759, MIT; source in ``DRAMSIM3_SRC``, build in the
ignored ``build/``) and our trace front end ``scripts/dramsim3_driver.cc`` against its library, then runs
this script, which for every part × pattern below

1. expands the pattern into bursts with ``accelsim.dram.patterns`` (the same streams ``accelsim dram``
   models) and writes them as a DRAMSim3 trace (``0xADDR READ|WRITE 0``: issue as soon as accepted);
2. runs DRAMSim3 on the part's shipped config, unchanged, through the driver (DRAMSim3's own
   ``dramsim3main`` adds at most one request per cycle to the whole system, which caps HBM2's 8 channels at
   a quarter of their bandwidth; the driver adds every request the controllers accept, in order);
3. reads DRAMSim3's ``dramsim3.json`` and writes to ``tests/data/dramsim3/``: ``reference.json`` (every
   figure and the exact command of every run), ``reference.csv`` (the headline figures), ``commands.txt``
   and a copy of the three configs (``configs/``, with DRAMSim3's MIT licence) for the tests.

Two sets: ``reference.json`` — LPDDR4, DDR4 x16 and HBM2 × the first ten patterns, as first made
(tests/test_dram.py; rerunning reproduces it byte for byte) — and ``protocols.json`` (``protocols.csv``,
``protocols_commands.txt``) — every protocol in DRAMSim3's configs/ but HMC and STT-MRAM, two speed grades
where it has them, DDR4 at x4/x8/x16 (:data:`PROTOCOL_PARTS`) × all of :data:`PATTERNS`, 272 cases, with
``useful_gbps`` (the pattern's bytes over time: accelsim's ``effective_gbps``) beside the bus figure
(tests/test_dram_protocols.py). Both together take about 2 minutes on one core; ``--only`` runs one set.

How the figures are read from DRAMSim3's stats (summed over channels):

* effective bandwidth = bytes moved by READ/WRITE commands · ... / time: (num_read_cmds + num_write_cmds) ·
  request size / (num_cycles · tCK). The run stops when the last read has returned and the last write was
  accepted; the few writes still in the write buffer then (at most the buffer, 32 × 64–128 B) are not
  counted, which is < 0.5 % of every pattern here. DRAMSim3's own ``average_bandwidth`` counts writes when
  accepted, not when written.
* row-hit rate = (num_read_row_hits + num_write_row_hits) / (num_read_cmds + num_write_cmds): a column
  command to an already-open row (the first after an ACTIVATE is a miss).
* energy per bit = total_energy · tCK / (8 · bytes). DRAMSim3 multiplies V · mA by *cycles* and labels
  it pJ (``configuration.cc`` InitPowerParams): that is pJ only when tCK = 1 ns, so we multiply by tCK.
  It is the IDD model of activations, reads, writes, refresh and background power (Micron TN-41-01);
  DRAMSim3 counts **no I/O (interface) energy**.

Usage (normally through make): python scripts/make_dramsim3_reference.py --driver build/dramsim3/dramsim3_driver
    --configs ../shared/reference/dramsim3/configs [--main build/dramsim3/dramsim3main]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's accelsim, never an installed copy

from accelsim.dram.dramsim3_ini import read_dramsim3_ini  # noqa: E402
from accelsim.dram.patterns import Pattern, burst_stream, dramsim3_trace_lines  # noqa: E402

OUT = ROOT / "tests" / "data" / "dramsim3"
WORK = ROOT / "build" / "dramsim3" / "runs"
DRAMSIM3_COMMIT = "2981759"

#: part name → (DRAMSim3 config shipped in configs/, total bytes per pattern): the three parts of
#: ``reference.json`` (tests/test_dram.py), kept as they were first run.
PARTS = {
    "LPDDR4": ("LPDDR4_8Gb_x16_2400.ini", 1 << 20),
    "DDR4": ("DDR4_8Gb_x16_3200.ini", 1 << 20),
    "HBM2": ("HBM2_8Gb_x128.ini", 4 << 20),
}

#: Every protocol in DRAMSim3's configs/ but HMC and the STT-MRAM parts (``ST-*``), at two speed grades where
#: the folder has them, and DDR4 at each device width: config → total bytes per pattern. Multi-channel HBM and
#: the fast GDDR parts move 4 MiB (a stream of several refresh intervals); the others 1 MiB. What
#: ``protocols.json`` holds (tests/test_dram_protocols.py).
PROTOCOL_PARTS = {
    "DDR3_8Gb_x8_1600.ini": 1 << 20,
    "DDR3_8Gb_x8_1866.ini": 1 << 20,
    "DDR4_8Gb_x4_2400.ini": 1 << 20,
    "DDR4_8Gb_x4_3200.ini": 1 << 20,
    "DDR4_8Gb_x8_2400.ini": 1 << 20,
    "DDR4_8Gb_x8_3200.ini": 1 << 20,
    "DDR4_8Gb_x16_2400.ini": 1 << 20,
    "DDR4_8Gb_x16_3200.ini": 1 << 20,
    "LPDDR3_8Gb_x32_1333.ini": 1 << 20,
    "LPDDR3_8Gb_x32_1866.ini": 1 << 20,
    "LPDDR4_8Gb_x16_2400.ini": 1 << 20,
    "GDDR5_8Gb_x32.ini": 4 << 20,
    "GDDR5_1Gb_x32.ini": 4 << 20,
    "GDDR5X_8Gb_x32.ini": 4 << 20,
    "GDDR6_8Gb_x16.ini": 4 << 20,
    "HBM_4Gb_x128.ini": 4 << 20,
    "HBM2_8Gb_x128.ini": 4 << 20,
}

#: name → (kind, request bytes (0: one burst, -1: one row of the part), stride bytes (-1: one row), write
#: fraction, total bytes (0: the part's)). The first ten are ``reference.json``'s; the rest are the other
#: transfers a training run makes: requests smaller than a burst (24 B, a fp32 six-vector: a sequential
#: stream of them and a strided walk down a column), a strided store of tiles, and the replay batch — 256
#: rows gathered at random (168 B: HalfCheetah's transition; 2860 B: Humanoid's), and a sub-burst scatter mix.
PATTERNS = {
    "seq_read": ("sequential", 4096, 0, 0.0, 0),
    "seq_write": ("sequential", 4096, 0, 1.0, 0),
    "seq_mix_w33": ("sequential", 4096, 0, 1 / 3, 0),
    "seq_mix_w50_small": ("sequential", 0, 0, 0.5, 0),
    "strided_row": ("strided", 0, -1, 0.0, 0),
    "strided_256_1k": ("strided", 256, 1024, 0.0, 0),
    "random_small_read": ("random", 0, 0, 0.0, 0),
    "random_small_mix": ("random", 0, 0, 1 / 3, 0),
    "random_1k_read": ("random", 1024, 0, 0.0, 0),
    "random_row_read": ("random", -1, 0, 0.0, 0),
    "seq_read_24B": ("sequential", 24, 0, 0.0, 0),
    "strided_24B_512": ("strided", 24, 512, 0.0, 0),
    "strided_256_1k_write": ("strided", 256, 1024, 1.0, 0),
    "gather_168": ("random", 168, 0, 0.0, 256 * 168),
    "gather_2860": ("random", 2860, 0, 0.0, 256 * 2860),
    "scatter_24B_mix": ("random", 24, 0, 1 / 3, 1 << 18),
}
#: ``reference.json``'s patterns (the first ten).
CORE_PATTERNS = tuple(PATTERNS)[:10]
#: The replay batch's patterns, run again at each of these address seeds for ``gathers.json``: one draw of 256
#: rows is noisy (a draw's busiest channel and bank decide a short gather), so the closed form of short
#: gathers is held to the mean over draws (tests/test_dram_protocols.py).
GATHER_PATTERNS = ("gather_168", "gather_2860")
GATHER_SEEDS = tuple(range(8))


def pattern_for(name: str, mem, total_bytes: int, seed: int = 0) -> Pattern:
    """The :class:`Pattern` of one case (row-sized requests and strides resolved on the part)."""
    kind, req, stride, wf, total = PATTERNS[name]
    row = mem.part.org.row_bytes
    return Pattern(kind=kind, total_bytes=total or total_bytes, request_bytes=row if req == -1 else req,
                   stride_bytes=row if stride == -1 else stride, write_fraction=wf, seed=seed)


def _rel(path: str) -> str:
    """A path relative to the project root where it lies under it or beside it (commands read the same anywhere)."""
    return os.path.relpath(path, ROOT) if os.path.isabs(path) else path


def _sum(stats: dict, key: str) -> float:
    return sum(float(ch[key]) for ch in stats.values())


def run_case(driver: Path, ini: Path, part: str, name: str, work: Path, total_bytes: int, seed: int = 0) -> dict:
    mem = read_dramsim3_ini(ini)
    pat = pattern_for(name, mem, total_bytes, seed)
    stream = burst_stream(pat, mem)
    case_dir = work / (f"{part}_{name}" if seed == 0 else f"{part}_{name}_s{seed}")
    case_dir.mkdir(parents=True, exist_ok=True)
    trace = case_dir / "trace.txt"
    trace.write_text("\n".join(dramsim3_trace_lines(stream)) + "\n")
    cmd = [str(driver), str(ini), str(trace), str(case_dir)]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - t0
    drv = json.loads(out.strip().splitlines()[-1])
    stats = json.loads((case_dir / "dramsim3.json").read_text())
    tck = mem.part.timing.tck_ns
    burst = mem.part.org.burst_bytes
    cycles = int(max(float(ch["num_cycles"]) for ch in stats.values()))
    rd, wr = _sum(stats, "num_read_cmds"), _sum(stats, "num_write_cmds")
    hits = _sum(stats, "num_read_row_hits") + _sum(stats, "num_write_row_hits")
    bus_bytes = (rd + wr) * burst
    seconds = cycles * tck * 1e-9
    raw = {k: _sum(stats, k) for k in ("act_energy", "read_energy", "write_energy", "ref_energy", "refb_energy")}
    raw["background_energy"] = sum(sum(float(v) for v in ch[k].values()) for ch in stats.values()
                                   for k in ("act_stb_energy", "pre_stb_energy", "sref_energy"))
    total_raw = _sum(stats, "total_energy")
    return {
        "part": part, "config": ini.name, "protocol": mem.part.protocol, "pattern": name, "kind": pat.kind,
        "total_bytes": pat.total_bytes,
        "request_bytes": pat.request_bytes, "stride_bytes": pat.stride_bytes, "write_fraction": pat.write_fraction,
        "seed": pat.seed, "bursts": int(stream.addr.size), "burst_bytes": burst, "tck_ns": tck,
        "cycles": cycles, "read_cmds": int(rd), "write_cmds": int(wr), "act_cmds": int(_sum(stats, "num_act_cmds")),
        "ref_cmds": int(_sum(stats, "num_ref_cmds")),
        "effective_gbps": bus_bytes / seconds / 1e9,
        # useful bytes (what the pattern asked for) over time: below the bus figure where requests are smaller
        # than a burst; what accelsim's effective_gbps is
        "useful_gbps": pat.total_bytes / seconds / 1e9,
        "row_hit_rate": hits / (rd + wr),
        "energy_pj_per_bit": total_raw * tck / (8 * bus_bytes),
        "energy_pj": {k: v * tck for k, v in raw.items()},
        "dramsim3_total_energy_as_reported": total_raw,
        "dramsim3_average_bandwidth_as_reported": _sum(stats, "average_bandwidth"),
        "driver": drv, "wall_s": round(wall, 3),
        "command": " ".join(shlex.quote(_rel(c)) for c in cmd),
    }


def driver_check(driver: Path, main: Path, ini: Path, work: Path) -> dict:
    """The driver limited to one request per cycle must time a trace as DRAMSim3's dramsim3main does."""
    mem = read_dramsim3_ini(ini)
    stream = burst_stream(pattern_for("seq_read", mem, PARTS["LPDDR4"][1]), mem)
    d = work / "driver_check"
    d.mkdir(parents=True, exist_ok=True)
    trace = d / "trace.txt"
    trace.write_text("\n".join(dramsim3_trace_lines(stream)) + "\n")
    drv = json.loads(subprocess.run([str(driver), str(ini), str(trace), str(d), "--per-cycle", "1"], check=True,
                                    capture_output=True, text=True).stdout.strip().splitlines()[-1])
    a = json.loads((d / "dramsim3.json").read_text())["0"]
    cyc = drv["cycles"] + 200
    subprocess.run([str(main), str(ini), "-c", str(cyc), "-t", str(trace), "-o", str(d)], check=True,
                   capture_output=True)
    b = json.loads((d / "dramsim3.json").read_text())["0"]
    keys = ("num_read_cmds", "num_act_cmds", "num_read_row_hits")
    return {"config": ini.name, "trace": "seq_read", "driver_per_cycle_1": {k: a[k] for k in keys},
            "dramsim3main": {k: b[k] for k in keys}, "driver_cycles": drv["cycles"],
            "dramsim3main_cycles_run": cyc}


def _copy_config(args, cfg: str, nbytes: int) -> dict:
    data = (args.configs / cfg).read_bytes()
    (args.out / "configs" / cfg).write_bytes(data)
    return {"file": cfg, "sha256": hashlib.sha256(data).hexdigest(), "total_bytes": nbytes}


def _write_csv(path: Path, cases: list[dict], cols: list[str]) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for c in cases:
            w.writerow([f"{c[k]:.6g}" if isinstance(c[k], float) else c[k] for k in cols])


def _run_set(args, parts: dict[str, tuple[str, int]], patterns: tuple[str, ...], keep_extra: bool,
             seeds: tuple[int, ...] = (0,)) -> list[dict]:
    cases = []
    for part, (cfg, nbytes) in parts.items():
        ini = args.configs / cfg
        for name, seed in ((n, s) for n in patterns for s in seeds):
            c = run_case(args.driver, ini, part, name, args.work, nbytes, seed)
            wall = c.pop("wall_s")  # printed, not kept: the committed figures are reproducible byte for byte
            if not keep_extra:  # reference.json keeps the fields it was first made with
                c.pop("protocol")
                c.pop("useful_gbps")
            cases.append(c)
            print(f"{part:22s} {name:20s} s{seed} {c['effective_gbps']:8.2f} GB/s  row hits {c['row_hit_rate']:.3f}  "
                  f"{c['energy_pj_per_bit']:6.2f} pJ/b  ({wall:.1f} s)", flush=True)
    return cases


NOTES = ["request_bytes 0 = one burst, -1 = one row of the part; stride -1 = one row",
         "energy_pj_per_bit: DRAMSim3's IDD energy (no I/O), its V*mA*cycle total multiplied by tCK",
         "effective_gbps: bytes of READ/WRITE commands / (num_cycles * tCK), summed over channels"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--driver", type=Path, required=True)
    ap.add_argument("--configs", type=Path, required=True, help="DRAMSim3's configs/ folder")
    ap.add_argument("--main", type=Path, help="dramsim3main, for the driver cross-check")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--work", type=Path, default=WORK)
    ap.add_argument("--only", choices=("all", "reference", "protocols", "gathers"), default="all",
                    help="reference.json (3 parts x 10 patterns), protocols.json (every protocol), gathers.json "
                         "(every protocol's replay gathers at several address seeds), or all three")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    # The configs travel with the figures (tests read them; DRAMSim3's MIT licence beside them), so the tests
    # need no DRAMSim3 checkout; their hashes tie them to these runs.
    (args.out / "configs").mkdir(exist_ok=True)
    shutil.copy(args.configs.parent / "LICENSE", args.out / "configs" / "LICENSE")
    head = {"dramsim3_commit": DRAMSIM3_COMMIT,
            "generated_by": "scripts/make_dramsim3_reference.py (make dramsim3-reference)",
            "driver": "scripts/dramsim3_driver.cc", "python": platform.python_version()}
    t0 = time.perf_counter()
    if args.only in ("all", "reference"):
        cases = _run_set(args, PARTS, CORE_PATTERNS, keep_extra=False)
        info = dict(head)
        info["parts"] = {part: _copy_config(args, cfg, nbytes) for part, (cfg, nbytes) in PARTS.items()}
        info["patterns"] = {k: dict(zip(("kind", "request_bytes", "stride_bytes", "write_fraction"), PATTERNS[k][:4],
                                        strict=True)) for k in CORE_PATTERNS}
        info["notes"] = NOTES
        info["cases"] = cases
        if args.main:
            info["driver_check"] = driver_check(args.driver, args.main, args.configs / PARTS["LPDDR4"][0], args.work)
        (args.out / "reference.json").write_text(json.dumps(info, indent=1) + "\n")
        _write_csv(args.out / "reference.csv", cases, ["part", "pattern", "kind", "request_bytes", "stride_bytes",
                                                        "write_fraction", "total_bytes", "cycles", "effective_gbps",
                                                        "row_hit_rate", "energy_pj_per_bit"])
        cmds = ["# DRAMSim3 commit 2981759 runs behind tests/data/dramsim3/reference.json.",
                "# Traces are regenerated by scripts/make_dramsim3_reference.py into build/dramsim3/runs/<case>/.",
                "make dramsim3-reference"] + [c["command"] for c in cases]
        (args.out / "commands.txt").write_text("\n".join(cmds) + "\n")
        print(f"wrote {args.out / 'reference.json'} ({len(cases)} cases)")
    if args.only in ("all", "protocols"):
        parts = {Path(cfg).stem: (cfg, nbytes) for cfg, nbytes in PROTOCOL_PARTS.items()}
        cases = _run_set(args, parts, tuple(PATTERNS), keep_extra=True)
        info = dict(head)
        info["parts"] = {part: _copy_config(args, cfg, nbytes) for part, (cfg, nbytes) in parts.items()}
        info["patterns"] = {k: dict(zip(("kind", "request_bytes", "stride_bytes", "write_fraction", "total_bytes"),
                                        v, strict=True)) for k, v in PATTERNS.items()}
        info["notes"] = [*NOTES, "energy_pj_per_bit is per bit of the READ/WRITE commands' bytes (bus bits)",
                         "useful_gbps: the bytes the pattern asked for / (num_cycles * tCK): accelsim's "
                         "effective_gbps (below effective_gbps where requests are smaller than a burst)",
                         "total_bytes 0 = the part's total_bytes"]
        info["cases"] = cases
        (args.out / "protocols.json").write_text(json.dumps(info, indent=1) + "\n")
        _write_csv(args.out / "protocols.csv", cases, ["part", "protocol", "pattern", "kind", "request_bytes",
                                                        "stride_bytes", "write_fraction", "total_bytes", "cycles",
                                                        "useful_gbps", "effective_gbps", "row_hit_rate",
                                                        "energy_pj_per_bit"])
        cmds = ["# DRAMSim3 commit 2981759 runs behind tests/data/dramsim3/protocols.json.",
                "# Traces are regenerated by scripts/make_dramsim3_reference.py into build/dramsim3/runs/<case>/.",
                "make dramsim3-reference"] + [c["command"] for c in cases]
        (args.out / "protocols_commands.txt").write_text("\n".join(cmds) + "\n")
        print(f"wrote {args.out / 'protocols.json'} ({len(cases)} cases)")
    if args.only in ("all", "gathers"):
        parts = {Path(cfg).stem: (cfg, nbytes) for cfg, nbytes in PROTOCOL_PARTS.items()}
        cases = _run_set(args, parts, GATHER_PATTERNS, keep_extra=True, seeds=GATHER_SEEDS)
        info = dict(head)
        info["parts"] = {part: _copy_config(args, cfg, nbytes) for part, (cfg, nbytes) in parts.items()}
        info["patterns"] = {k: dict(zip(("kind", "request_bytes", "stride_bytes", "write_fraction", "total_bytes"),
                                        PATTERNS[k], strict=True)) for k in GATHER_PATTERNS}
        info["seeds"] = list(GATHER_SEEDS)
        info["notes"] = [*NOTES, "the replay gathers of protocols.json at several address seeds (seed 0 is "
                         "protocols.json's case): the mean over seeds is what a short gather's closed form is held to",
                         "useful_gbps: the bytes the pattern asked for / (num_cycles * tCK)"]
        info["cases"] = cases
        (args.out / "gathers.json").write_text(json.dumps(info, indent=1) + "\n")
        print(f"wrote {args.out / 'gathers.json'} ({len(cases)} cases)")
    print(f"{time.perf_counter() - t0:.0f} s")
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
