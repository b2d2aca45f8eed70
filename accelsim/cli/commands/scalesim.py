"""``accelsim scalesim``: SCALE-Sim-compatible compute report for a GEMM topology."""

from __future__ import annotations

import argparse
from pathlib import Path

from accelsim.base.errors import InputError
from accelsim.base.paths import check_output

HELP = "SCALE-Sim-compatible compute report for a GEMM topology"

INPUTS = (("c", "-c"), ("t", "-t"), ("l", "-l"))
OUTPUTS = (("o", "-o", True), ("p", "-p", True))


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-c", required=True, metavar="CONFIG.cfg")
    p.add_argument("-t", required=True, metavar="TOPOLOGY.csv", help="GEMM rows: name, M, N, K,")
    p.add_argument("-o", metavar="OUTDIR")
    p.add_argument("-p", metavar="OUTDIR", help="SCALE-Sim's name for -o")
    p.add_argument("-l", metavar="LAYOUT.csv", help="accepted for compatibility; not used")
    p.add_argument("-i", default="gemm", choices=["gemm"], help="input type (only gemm)")


def main(args: argparse.Namespace) -> int:
    from accelsim.present import scalesim_compat

    out = args.o or args.p
    if not out:
        raise InputError("-o", "", "an output folder is required (-o or -p)")
    check_output(Path(out) / "COMPUTE_REPORT.csv", "-o", [args.c, args.t])
    path = scalesim_compat.run(args.c, args.t, out)
    print(f"wrote {path}")
    return 0
