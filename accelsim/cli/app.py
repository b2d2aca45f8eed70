"""``accelsim`` command line: run, validate, presets, scalesim, dram, pack, synth, sweep, compare, plot, report,
timeline, sensitivity.

Every input problem prints one line ``accelsim: error: FILE: FIELD: expected ...`` and exits 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from accelsim.base.argparser import OneLineParser
from accelsim.base.errors import InputError, expected_error
from accelsim.base.paths import check_output
from accelsim.base.resources import default_trace


def _cmd_run(args: argparse.Namespace) -> int:
    from accelsim.base.atomic import atomic_write_text
    from accelsim.hardware.config import parse_set_args
    from accelsim.hardware.load import load_hardware
    from accelsim.present.report import csv_report, json_report, text_report
    from accelsim.simulation.simulate import ENGINES, simulate
    from accelsim.trace.reader import read_trace

    if args.engine not in ENGINES:
        raise InputError("--engine", args.engine, f"unknown engine; expected one of {', '.join(ENGINES)}")
    trace = args.trace or default_trace()
    inputs = [trace] + ([args.hw] if args.hw and Path(args.hw).exists() else [])
    check_output(args.json, "--json", inputs)
    check_output(args.csv, "--csv", inputs)
    hw = load_hardware(args.hw, parse_set_args(args.set))
    tr = read_trace(trace)
    res = simulate(tr, hw, engine=args.engine)
    if args.json:
        atomic_write_text(args.json, json_report(res))
    if args.csv:
        atomic_write_text(args.csv, csv_report(res))
    if not args.quiet:
        sys.stdout.write(text_report(res))
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from accelsim.trace.validate import summarize

    print(summarize(args.trace or default_trace()))
    return 0


def _cmd_presets(args: argparse.Namespace) -> int:
    from accelsim.hardware.derived import effective
    from accelsim.hardware.load import DEFAULT_PRESET, load_preset, preset_names

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
    from accelsim.present import scalesim_compat

    out = args.o or args.p
    if not out:
        raise InputError("-o", "", "an output folder is required (-o or -p)")
    check_output(out, "-o", [args.c, args.t], folder=True)
    check_output(Path(out) / "COMPUTE_REPORT.csv", "-o", [args.c, args.t])
    path = scalesim_compat.run(args.c, args.t, out)
    print(f"wrote {path}")
    return 0


def _cmd_dram(args: argparse.Namespace) -> int:
    from accelsim.base.atomic import atomic_write_text
    from accelsim.dram import Pattern, evaluate
    from accelsim.dram.closed_form import evaluate_closed
    from accelsim.dram.report import text, to_json
    from accelsim.hardware.config import parse_set_args
    from accelsim.hardware.load import load_hardware
    from accelsim.hardware.memory import load_memory_system

    overrides = parse_set_args(args.set)
    mem = load_memory_system(args.hw, args.dramsim3_ini, overrides)
    request_bytes, in_flight = args.request_bytes, args.requests_in_flight
    if args.dramsim3_ini is None:  # a preset may name its DMA request size and requests in flight
        dram = load_hardware(args.hw, overrides).dram
        request_bytes = dram.request_bytes if request_bytes is None else request_bytes
        in_flight = dram.requests_in_flight if in_flight is None else in_flight
    pattern = Pattern(kind=args.pattern, total_bytes=args.bytes, request_bytes=request_bytes or 0,
                      stride_bytes=args.stride or 0, write_fraction=args.write_fraction,
                      requests_in_flight=in_flight or 0, seed=args.seed)
    if pattern.kind == "strided" and not args.stride:
        raise InputError("--stride", "", "a strided pattern needs --stride BYTES")
    stats = evaluate(mem, pattern, args.model)
    closed = evaluate_closed(mem, pattern) if args.model == "request" else None
    if args.json:
        atomic_write_text(args.json, to_json(mem, pattern, stats, closed))
    if not args.quiet:
        sys.stdout.write(text(mem, pattern, stats, closed))
    return 0


def _cmd_pack(args: argparse.Namespace) -> int:
    from accelsim.trace.pack import pack

    check_output(args.dst, "dst", [args.src])
    print(f"wrote {pack(args.src, args.dst)}")
    return 0


def _cmd_synth(args: argparse.Namespace) -> int:
    from accelsim.trace.synth import SynthSpec, generate

    for flag, v, top in (("--steps", args.steps, 10**9), ("--batch", args.batch, 2**20),
                         ("--change-every", args.change_every, 10**9)):
        if not 0 < v <= top:
            raise InputError(flag, str(v), f"expected a positive integer up to {top:,}")
    check_output(args.out, "--out")
    if "synthetic" not in Path(args.out).name:
        raise InputError("--out", args.out, "synthetic traces must have 'synthetic' in their file name")
    spec = SynthSpec(steps=args.steps, change_every=args.change_every, every_step=args.every_step,
                     batch=args.batch, seed=args.seed)
    print(f"wrote {generate(spec, args.out)}")
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from accelsim.studies.sweep import parse_axes, run_sweep

    traces = args.traces or [str(default_trace())]
    check_output(args.out, "--out", traces, folder=True)
    notes: list[str] = []
    axes = parse_axes(args.set, notes)
    for n in notes:
        print(f"note: {n}", file=sys.stderr)
    path = run_sweep(traces, args.hw, axes, args.out, zipped=args.zip, scheduler=args.scheduler,
                     chunk=args.chunk, progress=not args.quiet)
    print(f"wrote {path} and {path.with_suffix('.csv')}")
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from accelsim.base.atomic import atomic_write_text
    from accelsim.hardware.config import parse_set_args
    from accelsim.hardware.load import load_hardware
    from accelsim.present.report import run_labels, table
    from accelsim.simulation.simulate import simulate
    from accelsim.trace.analysis import average_compression, reencode
    from accelsim.trace.reader import read_trace

    traces = args.traces or [str(default_trace())]
    check_output(args.json, "--json", traces)
    check_output(args.csv, "--csv", traces)
    if min(args.group) < 1 or max(args.group) > 2**16:
        raise InputError("--group", " ".join(map(str, args.group)), "expected two positive group dimensions")
    labels = args.label or []
    if labels and len(labels) != len(traces):
        raise InputError("--label", ",".join(labels), f"expected one label per trace ({len(traces)} traces, "
                         f"{len(labels)} labels)")
    if any(not lab.strip() or any(c in lab for c in ",|\n\r") for lab in labels):
        # Commas would split the echoed list, '|' and line breaks the text table.
        raise InputError("--label", ",".join(labels), "expected non-empty labels without commas, '|' or line breaks")
    if len(set(labels)) != len(labels):
        raise InputError("--label", ",".join(labels), "expected distinct labels (one row each)")
    hw = load_hardware(args.hw, parse_set_args(args.set))
    rows = []
    for path in traces:
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
    lines = [[lab, r["format"], f"{r['steps']:,}", f"{r['avg_ratio_bytes']:.3f}",
              f"{r['avg_ratio_params']:.3f}", f"{r['latency_ms_per_step']:.4g}",
              f"{r['dense_latency_ms_per_step']:.4g}",
              f"{r['energy_j']:.4g}", f"{r['dram_bytes']:.4g}", f"{r['speedup']:.3f}", f"{r['energy_ratio']:.3f}"]
             for lab, r in zip(labels or run_labels(rows), rows, strict=True)]
    if labels:  # the CSV/JSON rows carry the user's label too, so that a table and its data agree
        rows = [{"label": lab, **r} for lab, r in zip(labels, rows, strict=True)]
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
    from accelsim.present.plots import plot_sweep, plot_training

    check_output(args.o, "-o", [args.dir], folder=True)
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
    from accelsim.present.html_report import write_html

    if not args.html:
        raise InputError("--html", "", "only the HTML report exists; pass --html")
    if not Path(args.dir).is_dir():
        raise InputError(args.dir, "", "not a sweep folder")
    check_output(args.o, "-o", [Path(args.dir) / "sweep.parquet", Path(args.dir) / "sweep.csv"])
    print(f"wrote {write_html(args.dir, args.o)}")
    return 0


def _cmd_timeline(args: argparse.Namespace) -> int:
    from accelsim.hardware.config import parse_set_args
    from accelsim.hardware.load import load_hardware
    from accelsim.present.timeline import write_timeline
    from accelsim.trace.reader import read_trace

    trace = args.trace or default_trace()
    check_output(args.o, "-o", [trace])
    hw = load_hardware(args.hw, parse_set_args(args.set))
    tr = read_trace(trace)
    step = tr.first_step if args.step is None else args.step
    print(f"wrote {write_timeline(tr, hw, step, args.o, args.view)} (open in https://ui.perfetto.dev)")
    return 0


def _int_arg(flag: str):
    """argparse type for ``flag``: an integer, optionally with a binary suffix (``4096``, ``4Ki``, ``1Mi``)."""

    def parse(text: str) -> int:
        t = text.strip()
        mult = 1
        for suffix, m in (("Ki", 1 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30)):
            if t.endswith(suffix):
                t, mult = t[: -len(suffix)], m
        try:
            return int(t, 0) * mult
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer (e.g. 4096 or 4Ki), got {text!r}") from None

    return parse


def _float_arg(flag: str):
    def parse(text: str) -> float:
        try:
            return float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None

    return parse


def _cmd_sensitivity(args: argparse.Namespace) -> int:
    from accelsim.base.atomic import atomic_write_text
    from accelsim.hardware.config import parse_set_args
    from accelsim.present.sensitivity_report import text_report
    from accelsim.studies.sensitivity import run_sensitivity
    from accelsim.trace.reader import read_trace

    trace = str(args.trace or default_trace())
    read_trace(trace)  # a bad trace is one clear line here, not a failed point per parameter
    sens = run_sensitivity(trace, args.hw, args.vary, parse_set_args(args.set))
    if args.json:
        atomic_write_text(args.json, json.dumps(sens.to_dict(), indent=2) + "\n")
    if args.plot:
        from accelsim.present.plots import plot_tornado

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

    dr = sub.add_parser("dram", help="the banked DRAM model alone: bandwidth, row hits, energy of an access pattern")
    src = dr.add_mutually_exclusive_group()
    src.add_argument("--hw", default=None, help="preset name or TOML file (default: edge-lpddr4)")
    src.add_argument("--dramsim3-ini", metavar="FILE.ini", help="a DRAMSim3 config as the part, unchanged")
    dr.add_argument("--set", action="append", metavar="KEY=VALUE",
                    help="override a field: dram.KEY with --hw, SECTION.KEY (e.g. timing.tRCD) with --dramsim3-ini")
    dr.add_argument("--pattern", required=True, choices=["sequential", "strided", "random"])
    dr.add_argument("--bytes", required=True, type=_int_arg("--bytes"), help="useful bytes to move")
    dr.add_argument("--request-bytes", type=_int_arg("--request-bytes"), default=None,
                    help="DMA request size (default: the preset's dram.request_bytes, else one burst)")
    dr.add_argument("--stride", type=_int_arg("--stride"), default=None, help="strided: bytes between requests")
    dr.add_argument("--write-fraction", type=_float_arg("--write-fraction"), default=0.0,
                    help="share of requests that are writes (0..1)")
    dr.add_argument("--requests-in-flight", type=_int_arg("--requests-in-flight"), default=None,
                    help="DMA requests outstanding (0: only the controller's queues limit them)")
    dr.add_argument("--seed", type=_int_arg("--seed"), default=0, help="random addresses")
    dr.add_argument("--model", default="request", choices=["request", "closed"],
                    help="request-level model (default) or the closed forms the engines use")
    dr.add_argument("--json", metavar="OUT", help="write the figures as JSON")
    dr.add_argument("-q", "--quiet", action="store_true", help="no table on stdout")
    dr.set_defaults(fn=_cmd_dram)

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
    cp.add_argument("--label", action="append", metavar="NAME",
                    help="a row label per trace, in the traces' order (default: the method, or the file stem "
                         "where two traces share a method)")
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
    except BrokenPipeError:
        return 0
    except (InputError, OSError, UnicodeDecodeError) as exc:
        # The one error boundary: every expected failure (bad value, bad or unreadable file, unwritable path,
        # unreachable scheduler) is one line and exit 2. Anything else is a bug and keeps its traceback.
        sys.stderr.write(f"accelsim: error: {expected_error(exc)}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
