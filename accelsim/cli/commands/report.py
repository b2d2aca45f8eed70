"""``accelsim report``: one self-contained HTML page of a sweep folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from accelsim.base.errors import InputError
from accelsim.base.paths import given_path

HELP = "one self-contained HTML page of a sweep folder"

INPUTS = ()
OUTPUTS = (("o", "-o", False),)


def derived_inputs(args: argparse.Namespace) -> list[Path]:
    """The sweep folder's tables."""
    d = given_path(args.dir, "dir")
    return [d / "sweep.parquet", d / "sweep.csv"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir")
    p.add_argument("--html", action="store_true")
    p.add_argument("-o", metavar="OUT.html", help="default: DIR/report.html")


def main(args: argparse.Namespace) -> int:
    from accelsim.present.html_report import write_html

    if not args.html:
        raise InputError("--html", "", "only the HTML report exists; pass --html")
    if not Path(args.dir).is_dir():
        raise InputError(args.dir, "", "not a sweep folder")
    print(f"wrote {write_html(args.dir, args.o)}")
    return 0
