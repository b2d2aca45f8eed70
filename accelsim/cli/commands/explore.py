"""``accelsim explore SWEEP_DIR``: a sweep on one self-contained, interactive page."""

from __future__ import annotations

import argparse
from pathlib import Path

from accelsim.base.errors import InputError

HELP = "a sweep on one self-contained, interactive HTML page (filters, Pareto front, breakdowns)"

INPUTS = ()
OUTPUTS = (("out", "--out", False),)


def derived_inputs(args: argparse.Namespace) -> list[Path]:
    """The sweep folder's table."""
    return [Path(args.dir) / "sweep.parquet"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", metavar="SWEEP_DIR", help="a sweep folder (accelsim sweep --out DIR)")
    p.add_argument("--out", metavar="PAGE.html", help="default: SWEEP_DIR/explore.html")
    p.add_argument("--breakdowns", type=int, default=None, metavar="N",
                   help="re-simulate phase and network breakdowns for at most N points (default 2000: every point "
                        "of a smaller sweep, the Pareto-front points of a larger one; 0: none)")


def main(args: argparse.Namespace) -> int:
    from accelsim.present.explorer import DEFAULT_BREAKDOWN_POINTS, write_explorer

    n = DEFAULT_BREAKDOWN_POINTS if args.breakdowns is None else args.breakdowns
    if n < 0:
        raise InputError("--breakdowns", str(n), "expected a number of points >= 0")
    path, shown = write_explorer(args.dir, args.out, n)
    print(f"wrote {path} ({shown:,} points)")
    return 0
