"""User-facing input errors.

Every problem with a user's input (a trace, a preset, a flag, a SCALE-Sim file) is raised as
:class:`InputError`, which carries the file, the field and what was expected. The CLI turns it into one
line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad user input: names the file (or flag), the field and what was expected."""

    def __init__(self, source: str, field: str, expected: str) -> None:
        self.source = str(source)
        self.field = str(field)
        self.expected = str(expected)
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = f"{self.source}: " if self.source else ""
        fld = f"{self.field}: " if self.field else ""
        return f"{where}{fld}{self.expected}"


def one_line(text: str) -> str:
    """``text`` on one line: line breaks and other unprintable characters as Python escapes. A value or a file
    name may hold them (``accelsim validate $'t\\r'`` printed two lines: tests/test_fuzz_contracts.py)."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def expected_error(exc: BaseException) -> str:
    """One line for an expected failure: an InputError as it says, a file-system error with its path."""
    if isinstance(exc, InputError):
        return one_line(exc.one_line())
    if isinstance(exc, UnicodeDecodeError):
        return f"an input is not UTF-8 text (byte {exc.start}: {exc.reason})"
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return one_line(f"{where}{exc.strerror or type(exc).__name__}")
    return one_line(f"{type(exc).__name__}: {exc}")
