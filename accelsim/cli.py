"""``accelsim`` command line: run, validate, presets, scalesim, pack, synth, sweep, compare, plot, report, timeline,
sensitivity.

Every input problem prints one line ``accelsim: error: FILE: FIELD: expected ...`` and exits 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from accelsim.argparser import OneLineParser
from accelsim.errors import InputError

DEFAULT_TRACE_NAME = "halfcheetah_gst_s0.parquet"


def default_trace() -> Path:
    """The shipped sample: a real GST training trace in ``traces/`` beside the package."""
    return Path(__file__).resolve().parent.parent / "traces" / DEFAULT_TRACE_NAME


def _cmd_run(args: argparse.Namespace) -> int:
    from accelsim.atomic import atomic_write_text
    from accelsim.hardware import load_hardware, parse_set_args
    from accelsim.report import csv_report, json_report, text_report
    from accelsim.simulate import ENGINES, simulate
    from accelsim.trace import read_trace

    if args.engine not in ENGINES:
        raise InputError("--engine", args.engine, f"unknown engine; expected one of {', '.join(ENGINES)}")
    hw = load_hardware(args.hw, parse_set_args(args.set))
    tr = read_trace(args.trace or default_trace())
    res = simulate(tr, hw, engine=args.engine)
    if args.json:
        atomic_write_text(args.json, json_report(res))
    if args.csv:
        atomic_write_text(args.csv, csv_report(res))
    if not args.quiet:
        sys.stdout.write(text_report(res))
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from accelsim.validate import summarize

    print(summarize(args.trace or default_trace()))
    return 0


def _cmd_presets(args: argparse.Namespace) -> int:
    from accelsim.hardware import DEFAULT_PRESET, effective, load_preset, preset_names

    if args.show:
        cfg = load_preset(args.show)
        print(json.dumps(cfg.to_dict(), indent=2))
        print(f"# effective dram peak: {cfg.dram.peak_gbps:.3f} GB/s")
        e = {k: effective(cfg, k) for k in ("pe.mac_pj", "pe.vector_flop_pj", "sram.read_pj_per_byte",
                                             "sram.write_pj_per_byte", "tech.vdd_v")}
        print(f"# effective energies at {cfg.tech.node_nm:g} nm, {e.pop('tech.vdd_v'):.3g} V (null above: derived): "
              + ", ".join(f"{k} {v:.4g}" for k, v in e.items()))
        return 0
    for name in preset_names():
        cfg = load_preset(name)
        mark = " (default)" if name == DEFAULT_PRESET else ""
        print(f"{name}{mark}\n    {cfg.description}")
    return 0


def _cmd_scalesim(args: argparse.Namespace) -> int:
    from accelsim import scalesim_compat

    out = args.o or args.p
    if not out:
        raise InputError("-o", "", "an output folder is required (-o or -p)")
    path = scalesim_compat.run(args.c, args.t, out)
    print(f"wrote {path}")
    return 0


def _cmd_pack(args: argparse.Namespace) -> int:
    from accelsim.trace import pack

    print(f"wrote {pack(args.src, args.dst)}")
    return 0


def _cmd_synth(args: argparse.Namespace) -> int:
    from accelsim.synth import SynthSpec, generate

    if args.steps <= 0:
        raise InputError("--steps", str(args.steps), "expected a positive number of steps")
    if "synthetic" not in Path(args.out).name:
        raise InputError("--out", args.out, "synthetic traces must have 'synthetic' in their file name")
    spec = SynthSpec(steps=args.steps, change_every=args.change_every, every_step=args.every_step,
                     batch=args.batch, seed=args.seed)
    print(f"wrote {generate(spec, args.out)}")
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from accelsim.sweep import parse_axes, run_sweep

    traces = args.traces or [str(default_trace())]
    path = run_sweep(traces, args.hw, parse_axes(args.set), args.out, zipped=args.zip, scheduler=args.scheduler,
                     chunk=args.chunk, progress=not args.quiet)
    print(f"wrote {path} and {path.with_suffix('.csv')}")
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from accelsim.analysis import average_compression, reencode
    from accelsim.atomic import atomic_write_text
    from accelsim.hardware import load_hardware, parse_set_args
    from accelsim.report import table
    from accelsim.simulate import simulate
    from accelsim.trace import read_trace

    hw = load_hardware(args.hw, parse_set_args(args.set))
    rows = []
    for path in args.traces or [str(default_trace())]:
        tr = read_trace(path)
        if args.format:
            tr = reencode(tr, args.format, *args.group)
        res = simulate(tr, hw)
        rb, rp = average_compression(tr)
        c, d = res.compressed.totals, res.dense.totals
        rows.append({"trace": str(path), "method": tr.meta.get("method", ""), "format": args.format or "as recorded",
                     "steps": tr.n_steps, "avg_ratio_bytes": rb, "avg_ratio_params": rp,
                     "latency_ms_per_step": c.seconds / tr.n_steps * 1e3,
                     "dense_latency_ms_per_step": d.seconds / tr.n_steps * 1e3, "energy_j": c.energy_j,
                     "dense_energy_j": d.energy_j, "dram_bytes": c.dram_bytes, "dense_dram_bytes": d.dram_bytes,
                     "speedup": res.speedup, "energy_ratio": res.energy_ratio})
    hdr = ["method", "format", "steps", "ratio B", "ratio P", "ms/step", "dense ms/step", "energy J", "DRAM B",
           "speedup", "E ratio"]
    lines = [[r["method"] or r["trace"], r["format"], f"{r['steps']:,}", f"{r['avg_ratio_bytes']:.3f}",
              f"{r['avg_ratio_params']:.3f}", f"{r['latency_ms_per_step']:.4g}",
              f"{r['dense_latency_ms_per_step']:.4g}",
              f"{r['energy_j']:.4g}", f"{r['dram_bytes']:.4g}", f"{r['speedup']:.3f}", f"{r['energy_ratio']:.3f}"]
             for r in rows]
    print(f"hardware {hw.name}")
    print(table(hdr, lines))
    if args.json:
        atomic_write_text(args.json, json.dumps(rows, indent=2) + "\n")
    if args.csv:
        import csv
        import io

        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
        atomic_write_text(args.csv, buf.getvalue())
    return 0


def _cmd_plot(args: argparse.Namespace) -> int:
    from accelsim.plots import plot_sweep, plot_training

    if args.trace_only:
        files = plot_training(args.dir, args.o or ".", hw=args.hw)
        notes: list[str] = []
    else:
        files, notes = plot_sweep(args.dir, args.o)
    for n in notes:
        print(f"note: {n}")
    print(f"wrote {len(files)} files" + (f" into {files[0].parent}" if files else ""))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from accelsim.html_report import write_html

    if not args.html:
        raise InputError("--html", "", "only the HTML report exists; pass --html")
    print(f"wrote {write_html(args.dir, args.o)}")
    return 0


def _cmd_timeline(args: argparse.Namespace) -> int:
    from accelsim.hardware import load_hardware, parse_set_args
    from accelsim.timeline import write_timeline
    from accelsim.trace import read_trace

    hw = load_hardware(args.hw, parse_set_args(args.set))
    tr = read_trace(args.trace or default_trace())
    step = tr.first_step if args.step is None else args.step
    print(f"wrote {write_timeline(tr, hw, step, args.o, args.view)} (open in https://ui.perfetto.dev)")
    return 0


def _cmd_sensitivity(args: argparse.Namespace) -> int:
    from accelsim.atomic import atomic_write_text
    from accelsim.hardware import parse_set_args
    from accelsim.sensitivity import run_sensitivity, text_report
    from accelsim.trace import read_trace

    trace = str(args.trace or default_trace())
    read_trace(trace)  # a bad trace is one clear line here, not a failed point per parameter
    sens = run_sensitivity(trace, args.hw, args.vary, parse_set_args(args.set))
    if args.json:
        atomic_write_text(args.json, json.dumps(sens.to_dict(), indent=2) + "\n")
    if args.plot:
        from accelsim.plots import plot_tornado

        files = plot_tornado(sens, args.plot)
        print(f"wrote {' and '.join(str(f) for f in files)}")
    if not args.quiet:
        sys.stdout.write(text_report(sens))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="accelsim", description="Replay weight-transaction traces of DRL training on a simulated "
                                             "edge accelerator: compressed versus dense.")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=OneLineParser)

    r = sub.add_parser("run", help="simulate a trace, compressed vs dense")
    r.add_argument("trace", nargs="?", help="trace folder or .parquet (default: the shipped sample)")
    r.add_argument("--hw", default=None, help="preset name or TOML file (default: edge-lpddr4)")
    r.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a hardware field, e.g. dram.gbps=12.8")
    r.add_argument("--engine", default="fast", help="fast (numba) or reference (simpy)")
    r.add_argument("--json", metavar="OUT", help="write the full result as JSON")
    r.add_argument("--csv", metavar="OUT", help="write totals and breakdowns as CSV")
    r.add_argument("-q", "--quiet", action="store_true", help="no table on stdout")
    r.set_defaults(fn=_cmd_run)

    v = sub.add_parser("validate", help="check a trace and print a summary")
    v.add_argument("trace", nargs="?")
    v.set_defaults(fn=_cmd_validate)

    pr = sub.add_parser("presets", help="list hardware presets")
    pr.add_argument("--show", metavar="NAME", help="print one preset's full configuration")
    pr.set_defaults(fn=_cmd_presets)

    s = sub.add_parser("scalesim", help="SCALE-Sim-compatible compute report for a GEMM topology")
    s.add_argument("-c", required=True, metavar="CONFIG.cfg")
    s.add_argument("-t", required=True, metavar="TOPOLOGY.csv", help="GEMM rows: name, M, N, K,")
    s.add_argument("-o", metavar="OUTDIR")
    s.add_argument("-p", metavar="OUTDIR", help="SCALE-Sim's name for -o")
    s.add_argument("-l", metavar="LAYOUT.csv", help="accepted for compatibility; not used")
    s.add_argument("-i", default="gemm", choices=["gemm"], help="input type (only gemm)")
    s.set_defaults(fn=_cmd_scalesim)

    pk = sub.add_parser("pack", help="pack a trace folder into one Parquet file")
    pk.add_argument("src")
    pk.add_argument("dst")
    pk.set_defaults(fn=_cmd_pack)

    sy = sub.add_parser("synth", help="write a SYNTHETIC GST-like trace (for tests and benchmarks)")
    sy.add_argument("--out", required=True)
    sy.add_argument("--steps", type=int, default=20_000)
    sy.add_argument("--change-every", type=int, default=2000)
    sy.add_argument("--every-step", action="store_true", help="change a mask every step (no run-length compression)")
    sy.add_argument("--batch", type=int, default=256)
    sy.add_argument("--seed", type=int, default=0)
    sy.set_defaults(fn=_cmd_synth)
    sw = sub.add_parser("sweep", help="evaluate traces over many hardware points (fast engine)")
    sw.add_argument("traces", nargs="*", help="traces (default: the shipped sample)")
    sw.add_argument("--hw", default=None, help="base preset or TOML (default: edge-lpddr4)")
    sw.add_argument("--set", action="append", metavar="KEY=V1,V2,...", help="a swept key and its values")
    sw.add_argument("--zip", action="store_true", help="pair the value lists instead of their product")
    sw.add_argument("--out", required=True, metavar="DIR")
    sw.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run the chunks on a Dask cluster")
    sw.add_argument("--chunk", type=int, default=512, help="points per task")
    sw.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    sw.set_defaults(fn=_cmd_sweep)

    cp = sub.add_parser("compare", help="compare traces (schemes) on latency, energy, DRAM bytes, compression")
    cp.add_argument("traces", nargs="*")
    cp.add_argument("--hw", default=None)
    cp.add_argument("--set", action="append", metavar="KEY=VALUE")
    cp.add_argument("--format", choices=["dense", "bitmap", "csr", "group"],
                    help="re-encode masked layers from the mask snapshots")
    cp.add_argument("--group", type=int, nargs=2, default=(1, 4), metavar=("ROWS", "COLS"),
                    help="group shape for --format group")
    cp.add_argument("--json", metavar="OUT")
    cp.add_argument("--csv", metavar="OUT")
    cp.set_defaults(fn=_cmd_compare)

    pl = sub.add_parser("plot", help="figures of a sweep folder (PNG and SVG)")
    pl.add_argument("dir", help="sweep folder (or a trace, with --trace-only)")
    pl.add_argument("-o", metavar="OUTDIR", help="default: DIR/figures")
    pl.add_argument("--trace-only", action="store_true", help="DIR is a trace: plot it over training")
    pl.add_argument("--hw", default=None, help="hardware of --trace-only's speedup curve")
    pl.set_defaults(fn=_cmd_plot)

    rp = sub.add_parser("report", help="one self-contained HTML page of a sweep folder")
    rp.add_argument("dir")
    rp.add_argument("--html", action="store_true")
    rp.add_argument("-o", metavar="OUT.html", help="default: DIR/report.html")
    rp.set_defaults(fn=_cmd_report)

    tl = sub.add_parser("timeline", help="one simulated step as a Chrome/Perfetto trace")
    tl.add_argument("trace", nargs="?")
    tl.add_argument("--step", type=int, default=None, help="gradient step (default: the first)")
    tl.add_argument("--hw", default=None)
    tl.add_argument("--set", action="append", metavar="KEY=VALUE")
    tl.add_argument("--view", choices=["compressed", "dense"], default="compressed")
    tl.add_argument("-o", required=True, metavar="OUT.json")
    tl.set_defaults(fn=_cmd_timeline)
    se = sub.add_parser("sensitivity", help="how the headline moves when each model parameter moves alone")
    se.add_argument("trace", nargs="?", help="trace (default: the shipped sample)")
    se.add_argument("--hw", default=None, help="preset or TOML (default: edge-lpddr4)")
    se.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a field of the base point")
    se.add_argument("--vary", type=float, default=0.2, help="fraction each parameter moves down and up (0-1)")
    se.add_argument("--json", metavar="OUT", help="write every parameter's moves and headlines as JSON")
    se.add_argument("--plot", metavar="OUT.png", help="tornado plot, PNG and SVG (same stem)")
    se.add_argument("-q", "--quiet", action="store_true", help="no table on stdout")
    se.set_defaults(fn=_cmd_sensitivity)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.fn(args)
    except InputError as exc:
        sys.stderr.write(f"accelsim: error: {exc.one_line()}\n")
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
