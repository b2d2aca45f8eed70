"""One writer per run folder: a run holds an exclusive lock on ``RUN_DIR/.lock`` while it writes the folder.

A second ``gst-train`` into the same folder (the same new ``--out`` started twice, or a ``--resume`` of a run
still going) is refused in one line instead of both writing it and one being lost. The lock is the operating
system's (``flock``): it goes with the process, so a killed run leaves no stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

LOCK_NAME = ".lock"


class FolderBusy(RuntimeError):
    """Another process holds the run folder."""


@contextlib.contextmanager
def run_lock(folder: Path) -> Iterator[None]:
    """Hold ``folder``'s lock for the block (the folder is created if need be); FolderBusy if another holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
            raise FolderBusy(f"{folder}: another gst-train (pid {holder}) is writing this run folder") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock
