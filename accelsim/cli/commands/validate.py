"""``accelsim validate``: check a trace and print a summary."""

from __future__ import annotations

import argparse

from accelsim.base.resources import default_trace

HELP = "check a trace and print a summary"

#: Arguments that name files or folders the command reads, as (attribute, flag); the output guard checks every
#: output against them (accelsim.cli.app.guard_paths).
INPUTS = (("trace", "trace"),)
#: Arguments that name what the command writes, as (attribute, flag, is a folder).
OUTPUTS = ()
#: With no trace given, the command reads the shipped sample: an input too.
READS_DEFAULT_TRACE = True


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("trace", nargs="?")


def main(args: argparse.Namespace) -> int:
    from accelsim.trace.validate import summarize

    print(summarize(args.trace or default_trace()))
    return 0
