"""Checks on the paths a command will write, made before any work: outputs never overwrite inputs.

Every command that writes calls :func:`check_output` for each output it was given, with the inputs it
reads. Refused, each with one line naming the flag: an empty path; a file output that is an existing
folder, or a folder output that is an existing file; a path under a regular file; an output that is one
of the inputs or lies inside an input folder (``accelsim run T --json T``, ``pack DIR DIR/part-0.parquet``), or a
folder output that holds an input (``sweep DIR/t.parquet --out DIR``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from accelsim.base.errors import InputError


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def given_path(value: str | os.PathLike, flag: str) -> Path:
    """An input path as given; an empty one is refused, not read as the current folder (``accelsim report ''``
    read ./sweep.parquet: tests/test_fuzz_contracts.py)."""
    if not str(value).strip():
        raise InputError(flag, repr(str(value)), "expected a path, got an empty one")
    return Path(value)


def check_output(path: str | os.PathLike | None, flag: str, inputs: Iterable[str | os.PathLike] = (),
                 folder: bool = False) -> Path | None:
    """Validate output ``path`` (None: not asked for) given by ``flag``; returns it as a Path.

    ``folder``: the output is a folder (may exist as one) rather than a file.
    """
    if path is None:
        return None
    if not str(path).strip():
        raise InputError(flag, repr(str(path)), "expected a path, got an empty one")
    p = Path(path)
    if folder and p.exists() and not p.is_dir():
        raise InputError(flag, str(p), "expected a folder; this is a file")
    if not folder and p.is_dir():
        raise InputError(flag, str(p), "expected a file path; this is a folder")
    for parent in p.resolve().parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(flag, str(p), f"cannot be written: {parent} is a file, not a folder")
            break
    target = p.resolve()
    for src in inputs:
        s = Path(src).resolve()
        if target == s or (s.is_dir() and _inside(target, s)):
            raise InputError(flag, str(p), f"would overwrite the input {src}; choose another path")
        if folder and _inside(s, target):
            raise InputError(flag, str(p), f"holds the input {src}; choose a folder that holds none of the inputs")
    return p
