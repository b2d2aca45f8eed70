"""Imports point one way: no module uses another module's private (underscore) names.

Checked on the source (AST) of every Python file of the project: accelsim, gst_train, scripts, benchmarks
and the tests. A private name is one that starts with a single underscore; dunders are public protocol.
Three ways to reach one are refused:

* ``from accelsim.x import _name`` (or ``from gst_train.x import _name``);
* ``x._name`` where ``x`` is a project module or class imported into this file;
* ``obj._name`` where ``_name`` is a private attribute, method or function that only *other* project
  modules define (e.g. a TraceWriter's ``_open`` read from gst_train).
"""

import ast
from pathlib import Path

from conftest import ROOT

PACKAGES = ("accelsim", "gst_train")
FOLDERS = ("accelsim", "gst_train", "scripts", "benchmarks", "tests")


def _files() -> list[Path]:
    return sorted(p for d in FOLDERS for p in (ROOT / d).rglob("*.py") if "__pycache__" not in p.parts)


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _project(module: str | None) -> bool:
    return bool(module) and module.split(".")[0] in PACKAGES


def _defined_private(tree: ast.AST) -> set[str]:
    """Private names a file defines: module-level names, methods, and attributes set on ``self``/``cls``."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and _private(node.name):
            out.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and _private(node.id):
            out.add(node.id)
        elif (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and _private(node.attr)
              and getattr(node.value, "id", "") in ("self", "cls")):
            out.add(node.attr)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and _private(node.target.id):
            out.add(node.target.id)
    return out


def violations() -> list[str]:
    trees = {p: ast.parse(p.read_text(), str(p)) for p in _files()}
    defined = {p: _defined_private(t) for p, t in trees.items()}
    out = []
    for path, tree in trees.items():
        rel = path.relative_to(ROOT)
        others: set[str] = set().union(*(d for q, d in defined.items() if q != path))
        foreign = others - defined[path]
        project_names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and _project(node.module):
                for a in node.names:
                    if _private(a.name):
                        out.append(f"{rel}:{node.lineno}: from {node.module} import {a.name}")
                    project_names.add(a.asname or a.name)
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if _project(a.name):
                        project_names.add(a.asname or a.name.split(".")[0])
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and _private(node.attr)):
                continue
            base = getattr(node.value, "id", None)
            if base in ("self", "cls"):
                continue
            if base in project_names or node.attr in foreign:
                out.append(f"{rel}:{node.lineno}: {ast.unparse(node)}")
    return out


def test_no_module_uses_another_modules_private_names():
    bad = violations()
    assert not bad, "private names used across modules:\n" + "\n".join(bad)


def test_the_check_sees_each_kind_of_violation(tmp_path, monkeypatch):
    """The checker itself: plant one violation of each kind in a scratch project and find all three."""
    (tmp_path / "accelsim").mkdir()
    (tmp_path / "accelsim" / "a.py").write_text("_hidden = 1\nclass W:\n    def f(self):\n        self._open = 2\n")
    (tmp_path / "accelsim" / "b.py").write_text(
        "from accelsim.a import _hidden\nfrom accelsim import a\nx = a._hidden\ndef g(w):\n    return w._open\n")
    for d in FOLDERS[1:]:
        (tmp_path / d).mkdir(exist_ok=True)
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    found = violations()
    assert len(found) == 3, found
