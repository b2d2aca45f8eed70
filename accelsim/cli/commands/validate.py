"""``accelsim validate``: check a trace and print a summary."""

from __future__ import annotations

import argparse

from accelsim.base.resources import default_trace

HELP = "check a trace and print a summary"

INPUTS = (("trace", "trace"),)
OUTPUTS = ()
READS_DEFAULT_TRACE = True


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("trace", nargs="?")


def main(args: argparse.Namespace) -> int:
    from accelsim.trace.validate import summarize

    print(summarize(args.trace or default_trace()))
    return 0
