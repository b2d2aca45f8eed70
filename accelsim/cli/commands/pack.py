"""``accelsim pack``: pack a trace folder into one Parquet file."""

from __future__ import annotations

import argparse

from accelsim.base.paths import check_output

HELP = "pack a trace folder into one Parquet file"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("src")
    p.add_argument("dst")


def main(args: argparse.Namespace) -> int:
    from accelsim.trace.pack import pack

    check_output(args.dst, "dst", [args.src])
    print(f"wrote {pack(args.src, args.dst)}")
    return 0
