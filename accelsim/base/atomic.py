"""The one way files are written: a temporary file beside the target, fsync, rename, fsync the folder.

A reader (or a run killed half-way) sees either the old file or the whole new one, never half of it, and
a failed write never clobbers an earlier result. Every writer in accelsim and gst_train goes through
:func:`atomic_path` or its helpers. Temporary files are named ``.<name>.<pid>-<random>.tmp`` in the target's
folder (hidden, and never matching ``part-*.parquet``), so globs for real files never see them and
:func:`remove_temporaries` can sweep what a kill left behind.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

TMP_GLOB = ".*.tmp"


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (best effort: some file systems cannot open folders)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path to write ``path``'s new content to; on success it replaces ``path``.

    The parent folder is created. On an exception the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Unique per writer (process and call), so two writers of one output never share a temporary file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.filename in (None, str(tmp), tmp) or exc.filename2 in (str(path), path):
            # A full or read-only disk refused the write: name the user's path, never the hidden temporary file.
            raise OSError(exc.errno, f"{exc.strerror or exc} (writing it)", str(path)) from None
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the path."""
    return atomic_write_bytes(path, text.encode())


def remove_temporaries(folder: str | os.PathLike) -> None:
    """Delete temporary files a killed writer left in ``folder``."""
    for p in Path(folder).glob(TMP_GLOB):
        p.unlink(missing_ok=True)
