"""``@kernel``: numba ``njit(cache=True)`` whose cache cannot go stale.

numba's ``cache=True`` keys a function's cache on the source of its *own* file (numba issue #1833): a
compiled function in engine_fast.py that calls the cost model in model.py, or indexes by a layout in
layouts.py, keeps running the old machine code after either file changes, until someone deletes
``__pycache__``. ``@kernel`` keeps every kernel's cache in a folder named by a hash of the source of every
module a kernel can reach: the modules that define kernels (:data:`KERNEL_MODULES`) and every accelsim
module they import, transitively (:func:`source_closure`). Any edit to such a module selects a fresh folder,
so the next run compiles anew; nothing has to be cleared by hand. ``tests/test_kernel_cache.py`` proves it
by editing a copy of the package between two runs in subprocesses.

The folder is ``accelsim/__pycache__/kernels-<hash>/`` (under ``$NUMBA_CACHE_DIR`` if that is set, or in a
user cache folder if the package folder is read-only; without any writable folder kernels compile on every
run). Folders of older sources are removed once they are a day old.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba
from numba import prange

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # accelsim/, this file being accelsim/base/jit.py
PACKAGE = PACKAGE_DIR.name
#: Modules (of this package) that define kernels; tests/test_kernel_cache.py checks the list is complete.
KERNEL_MODULES = ("cost.dram_cost", "cost.rows", "cost.policy", "cost.systolic", "engines.fast.tiles",
                  "engines.fast.liveness", "engines.fast.residency", "engines.fast.engine", "dram.closed_form",
                  "dram.request_model")
#: Folders of other sources older than this are removed.
STALE_AFTER_S = 24 * 3600.0

__all__ = ["kernel", "prange", "source_closure", "source_hash"]

_lock = threading.Lock()


def _module_file(name: str) -> Path | None:
    """File of package module ``name`` (``"model"`` or ``"sub.mod"``), None if it is not one."""
    base = PACKAGE_DIR.joinpath(*name.split("."))
    for cand in (base.with_suffix(".py"), base / "__init__.py"):
        if cand.is_file():
            return cand
    return None


def _runtime_nodes(tree: ast.AST):
    """Every node of ``tree`` except those under ``if TYPE_CHECKING:`` (imports for annotations only)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            test = getattr(child, "test", None)
            if isinstance(child, ast.If) and getattr(test, "id", getattr(test, "attr", "")) == "TYPE_CHECKING":
                todo.extend(child.orelse)
                continue
            todo.append(child)


def _imported_modules(path: Path) -> set[str]:
    """Package modules that the file at ``path`` imports (``from accelsim import x``, ``from accelsim.x
    import y``, ``import accelsim.x``), as names relative to the package."""
    out: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            mods = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            mods = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        for m in mods:
            head, _, rest = m.partition(".")
            if head == PACKAGE and rest and _module_file(rest) is not None:
                out.add(rest)
    return out


def source_closure(roots: tuple[str, ...] = KERNEL_MODULES) -> list[Path]:
    """Files of ``roots`` and of every package module they import, transitively, sorted."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = _module_file(name)
        if path is None:
            raise ModuleNotFoundError(f"{PACKAGE}.{name} (listed in KERNEL_MODULES or imported by a kernel module)")
        todo.extend(_imported_modules(path) - seen)
    return sorted(p for p in (_module_file(n) for n in seen) if p is not None)


@functools.lru_cache(maxsize=1)
def source_hash() -> str:
    """Hash of the sources in :func:`source_closure` (names and contents): the kernels' cache key."""
    h = hashlib.sha256()
    for path in source_closure():
        h.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()[:20]


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
        return True
    except OSError:
        return False


def _prune(parent: Path, keep: Path) -> None:
    """Remove kernel folders of other sources that nobody has used for :data:`STALE_AFTER_S`."""
    now = time.time()
    for d in parent.glob("kernels-*"):
        try:
            if d != keep and now - d.stat().st_mtime > STALE_AFTER_S:
                shutil.rmtree(d, ignore_errors=True)
        except OSError:
            continue


@functools.lru_cache(maxsize=1)
def cache_dir() -> Path | None:
    """The writable folder for this source hash's kernels, or None if there is none."""
    user = os.environ.get("NUMBA_CACHE_DIR")
    xdg = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    parents = [Path(user) / PACKAGE] if user else [PACKAGE_DIR / "__pycache__", xdg / PACKAGE]
    for parent in parents:
        folder = parent / f"kernels-{source_hash()}"
        if _writable(folder):
            os.utime(folder)  # in use: keep it from being pruned
            _prune(parent, folder)
            return folder
    return None


def kernel(fn: Callable[..., Any] | None = None, *, parallel: bool = False, inline: bool = False) -> Any:
    """Compile ``fn`` with numba (nopython), cached under :func:`cache_dir`. Use as ``@kernel``,
    ``@kernel(parallel=True)`` or ``@kernel(inline=True)`` (a small helper of an inner loop, inlined into its
    callers by numba, so a call costs no reference counts of its array arguments)."""
    if fn is None:
        return functools.partial(kernel, parallel=parallel, inline=inline)
    options = {"parallel": parallel, "inline": "always" if inline else "never"}
    folder = cache_dir()
    if folder is None:
        return numba.njit(cache=False, **options)(fn)
    # numba reads its cache folder from config when a function is decorated; point it at ours for this one.
    with _lock:
        saved = numba.config.CACHE_DIR
        numba.config.CACHE_DIR = str(folder)
        try:
            return numba.njit(cache=True, **options)(fn)
        finally:
            numba.config.CACHE_DIR = saved
