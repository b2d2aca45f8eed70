"""``accelsim sensitivity``: how the headline moves when each model parameter moves alone."""

from __future__ import annotations

import argparse
import json
import sys

from accelsim.base.resources import default_trace

HELP = "how the headline moves when each model parameter moves alone"

INPUTS = (("trace", "trace"), ("hw", "--hw"))
OUTPUTS = (("json", "--json", False), ("plot", "--plot", False))
READS_DEFAULT_TRACE = True


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("trace", nargs="?", help="trace (default: the shipped sample)")
    p.add_argument("--hw", default=None, help="preset or TOML (default: edge-lpddr4)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a field of the base point")
    p.add_argument("--vary", type=float, default=0.2, help="fraction each parameter moves down and up (0-1)")
    p.add_argument("--json", metavar="OUT", help="write every parameter's moves and headlines as JSON")
    p.add_argument("--plot", metavar="OUT.png", help="tornado plot, PNG and SVG (same stem)")
    p.add_argument("-q", "--quiet", action="store_true", help="no table on stdout")


def main(args: argparse.Namespace) -> int:
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
