"""``accelsim`` command line: the parser and the one error boundary; each subcommand is a module of
:mod:`accelsim.cli.commands` (run, validate, presets, scalesim, dram, pack, synth, sweep, compare, plot, report,
timeline, sensitivity).

Every input problem prints one line ``accelsim: error: FILE: FIELD: expected ...`` and exits 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from accelsim.base.argparser import OneLineParser
from accelsim.base.errors import InputError, expected_error
from accelsim.base.paths import check_output
from accelsim.base.resources import default_trace
from accelsim.cli.commands import COMMANDS


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="accelsim", description="Replay weight-transaction traces of DRL training on a simulated "
                                             "edge accelerator: compressed versus dense.")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=OneLineParser)
    for name in COMMANDS:
        command = importlib.import_module(f"accelsim.cli.commands.{name}")
        command.add_arguments(sub.add_parser(name, help=command.HELP))
    return p


def _is_path(attr: str, value: str) -> bool:
    """``--hw`` names a preset or a file; every other input argument names a file or folder."""
    return attr != "hw" or value.endswith(".toml") or "/" in value or Path(value).exists()


def guard_paths(command, args: argparse.Namespace) -> None:
    """The one output guard, before any work: no empty path, and no output that is an input of the command, lies
    inside an input folder, or (a folder) holds an input. Inputs and outputs come from the command module's
    ``INPUTS``, ``OUTPUTS``, ``READS_DEFAULT_TRACE`` and ``derived_inputs(args)``."""
    inputs: list[str | Path] = []
    given_trace = False
    for attr, flag in command.INPUTS:
        value = getattr(args, attr, None)
        for v in value if isinstance(value, list) else [value]:
            if v is None:
                continue
            if not str(v).strip():
                raise InputError(flag, repr(str(v)), "expected a path, got an empty one")
            given_trace |= attr in ("trace", "traces")
            if _is_path(attr, str(v)):
                inputs.append(v)
    if getattr(command, "READS_DEFAULT_TRACE", False) and not given_trace:
        inputs.append(default_trace())
    if hasattr(command, "derived_inputs"):
        inputs += command.derived_inputs(args)
    for attr, flag, folder in command.OUTPUTS:
        check_output(getattr(args, attr, None), flag, inputs, folder=folder)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = importlib.import_module(f"accelsim.cli.commands.{args.cmd}")
    try:
        guard_paths(command, args)
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
