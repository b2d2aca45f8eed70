"""``accelsim plot``: figures of a sweep folder (PNG and SVG)."""

from __future__ import annotations

import argparse
from pathlib import Path

from accelsim.base.paths import given_path

HELP = "figures of a sweep folder (PNG and SVG)"

INPUTS = (("hw", "--hw"),)
OUTPUTS = (("o", "-o", True),)


def derived_inputs(args: argparse.Namespace) -> list[Path]:
    """A sweep folder's tables (its figures folder may lie inside it), or the trace with --trace-only."""
    d = given_path(args.dir, "dir")
    if args.trace_only:
        return [d]
    return [d / "sweep.parquet", d / "sweep.csv"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", help="sweep folder (or a trace, with --trace-only)")
    p.add_argument("-o", metavar="OUTDIR", help="default: DIR/figures")
    p.add_argument("--trace-only", action="store_true", help="DIR is a trace: plot it over training")
    p.add_argument("--hw", default=None, help="hardware of --trace-only's speedup curve")


def main(args: argparse.Namespace) -> int:
    from accelsim.present.plots import plot_sweep, plot_training

    if args.trace_only:
        files = plot_training(args.dir, args.o or ".", hw=args.hw)
        notes: list[str] = []
    else:
        files, notes = plot_sweep(args.dir, args.o)
    for n in notes:
        print(f"note: {n}")
    print(f"wrote {len(files)} files" + (f" into {files[0].parent}" if files else ""))
    return 0
