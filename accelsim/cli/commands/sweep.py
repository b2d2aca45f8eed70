"""``accelsim sweep``: evaluate traces over many hardware points (fast engine)."""

from __future__ import annotations

import argparse
import sys

from accelsim.base.resources import default_trace

HELP = "evaluate traces over many hardware points (fast engine)"

INPUTS = (("traces", "traces"), ("hw", "--hw"))
OUTPUTS = (("out", "--out", True),)
READS_DEFAULT_TRACE = True


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("traces", nargs="*", help="traces (default: the shipped sample)")
    p.add_argument("--hw", default=None, help="base preset or TOML (default: edge-lpddr4)")
    p.add_argument("--set", action="append", metavar="KEY=V1,V2,...", help="a swept key and its values")
    p.add_argument("--zip", action="store_true", help="pair the value lists instead of their product")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run the chunks on a Dask cluster")
    p.add_argument("--chunk", type=int, default=512, help="points per task")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("--fresh", action="store_true",
                   help="start a new table in --out, discarding saved points (needed when they were made from "
                        "other inputs)")


def main(args: argparse.Namespace) -> int:
    from accelsim.studies.sweep import parse_axes, run_sweep

    traces = args.traces or [str(default_trace())]
    notes: list[str] = []
    axes = parse_axes(args.set, notes)
    for n in notes:
        print(f"note: {n}", file=sys.stderr)
    path = run_sweep(traces, args.hw, axes, args.out, zipped=args.zip, scheduler=args.scheduler,
                     chunk=args.chunk, progress=not args.quiet, fresh=args.fresh)
    print(f"wrote {path} and {path.with_suffix('.csv')}")
    return 0
