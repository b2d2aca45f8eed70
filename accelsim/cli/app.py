"""``accelsim`` command line: the parser and the one error boundary; each subcommand is a module of
:mod:`accelsim.cli.commands` (run, validate, presets, scalesim, dram, pack, synth, sweep, compare, plot, report,
timeline, sensitivity).

Every input problem prints one line ``accelsim: error: FILE: FIELD: expected ...`` and exits 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from accelsim.base.argparser import OneLineParser
from accelsim.base.errors import InputError, expected_error
from accelsim.cli.commands import COMMANDS


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="accelsim", description="Replay weight-transaction traces of DRL training on a simulated "
                                             "edge accelerator: compressed versus dense.")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=OneLineParser)
    for name in COMMANDS:
        command = importlib.import_module(f"accelsim.cli.commands.{name}")
        command.add_arguments(sub.add_parser(name, help=command.HELP))
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = importlib.import_module(f"accelsim.cli.commands.{args.cmd}")
    try:
        return command.main(args)
    except BrokenPipeError:
        return 0
    except (InputError, OSError, UnicodeDecodeError) as exc:
        # The one error boundary: every expected failure (bad value, bad or unreadable file, unwritable path,
        # unreachable scheduler) is one line and exit 2. Anything else is a bug and keeps its traceback.
        sys.stderr.write(f"accelsim: error: {expected_error(exc)}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
