"""The one argument-parser base of every command (accelsim, gst-train, gst-train-many, scripts).

A bad flag or value prints one line, ``PROG: error: MESSAGE (see --help)``, and exits with code 2, never a
traceback or a usage block.
"""

from __future__ import annotations

import argparse
from typing import NoReturn

from accelsim.base.errors import one_line


class OneLineParser(argparse.ArgumentParser):
    """argparse with one-line errors and exit code 2 (sub-parsers inherit it via ``parser_class``)."""

    def error(self, message: str) -> NoReturn:
        # One line even where the message quotes an argument with a line break in it ("unrecognized arguments:
        # a<newline>b" was two: tests/test_fuzz_contracts.py).
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see --help)\n")
