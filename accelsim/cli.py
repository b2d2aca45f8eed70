"""``accelsim`` command line: run, validate, presets, scalesim, pack, synth.

Every input problem prints one line ``accelsim: error: FILE: FIELD: expected ...`` and exits 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from accelsim.errors import InputError

DEFAULT_TRACE_NAME = "synthetic_gst_halfcheetah.parquet"


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def default_trace() -> Path:
    """The shipped sample trace (``traces/`` beside the package)."""
    root = Path(__file__).resolve().parent.parent / "traces"
    cands = sorted(p for p in root.glob("*.parquet") if not p.name.startswith("synthetic"))
    return cands[0] if cands else root / DEFAULT_TRACE_NAME


def _cmd_run(args: argparse.Namespace) -> int:
    from accelsim.hardware import load_hardware, parse_set_args
    from accelsim.report import atomic_write_text, csv_report, json_report, text_report
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
    from accelsim.hardware import DEFAULT_PRESET, load_preset, preset_names

    if args.show:
        cfg = load_preset(args.show)
        print(json.dumps(cfg.to_dict(), indent=2))
        print(f"# effective dram peak: {cfg.dram.peak_gbps:.3f} GB/s")
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


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="accelsim", description="Replay weight-transaction traces of DRL training on a simulated "
                                             "edge accelerator: compressed versus dense.")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=_Parser)

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
