"""``accelsim pack``: pack a trace folder into one Parquet file."""

from __future__ import annotations

import argparse

HELP = "pack a trace folder into one Parquet file"

INPUTS = (("src", "src"),)
OUTPUTS = (("dst", "dst", False),)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("src")
    p.add_argument("dst")


def main(args: argparse.Namespace) -> int:
    from accelsim.trace.pack import pack

    print(f"wrote {pack(args.src, args.dst)}")
    return 0
