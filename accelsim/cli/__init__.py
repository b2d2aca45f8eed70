"""Layer 10, the command line: ``accelsim SUBCOMMAND``; subcommands load their layers only when they run."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``accelsim`` command (see :mod:`accelsim.cli.app`)."""
    from accelsim.cli.app import main as _main

    return _main(argv)
