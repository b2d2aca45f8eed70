"""The one argument-parser base of every command (accelsim, gst-train, gst-train-many, scripts).

A bad flag or value prints one line, ``PROG: error: MESSAGE (see --help)``, and exits with code 2, never a
traceback or a usage block.
"""

from __future__ import annotations

import argparse
from typing import NoReturn


class OneLineParser(argparse.ArgumentParser):
    """argparse with one-line errors and exit code 2 (sub-parsers inherit it via ``parser_class``)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")
