"""accelsim's layers, enforced: every import points down, no module cycle, the trainer sees the trace layer only.

The layers, lowest first (docs/architecture.md): a module of ``accelsim.<layer>`` may import modules of its own
layer and of the layers below, never above. Every import counts: at module level, inside a function (a lazy
import is still a dependency) and under ``if TYPE_CHECKING:`` (an annotation is one too). Also refused: a cycle
between modules; the reference engine reaching the fast engine (so that their agreeing checks both); a runtime
import in ``accelsim/__init__.py`` (it is lazy, PEP 562); and gst_train importing anything of accelsim beyond
the base and trace layers. The checks read the source (AST); the last test also imports ``gst_train.train`` in a
fresh interpreter and lists what was loaded.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

LAYERS = ("base", "trace", "capture", "dram", "hardware", "workload", "cost", "engines", "simulation", "studies",
          "present", "cli")
TRAINER_MAY_USE = ("base", "trace")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(root: Path, package: str) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted((root / package).rglob("*.py")) if "__pycache__" not in p.parts}


def imports_of(path: Path, name: str, known: dict[str, Path]) -> set[str]:
    """Project modules that the file imports, by any statement anywhere in it (``from a import b``: ``a.b`` if
    that is a module, else ``a``)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, *([node.module] if node.module else [])])
            for a in node.names:
                out.add(f"{base}.{a.name}" if f"{base}.{a.name}" in known else base)
    return {m for m in out if m.split(".")[0] in ("accelsim", "gst_train") and m != name}


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "accelsim" else None


def graph(root: Path) -> dict[str, set[str]]:
    known = modules(root, "accelsim") | modules(root, "gst_train")
    return {m: imports_of(p, m, known) for m, p in known.items()}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
            if w not in g:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def reaches(g: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        v = todo.pop()
        for w in g.get(v, ()):
            if w not in seen:
                seen.add(w)
                todo.append(w)
    return seen


def violations(root: Path) -> list[str]:
    g = graph(root)
    out = []
    for m, deps in sorted(g.items()):
        mine = layer(m)
        if m == "accelsim":
            tree = ast.parse((root / "accelsim" / "__init__.py").read_text())
            eager = [n for n in tree.body  # top-level statements: a TYPE_CHECKING block is an ast.If, not these
                     if (isinstance(n, ast.Import) and any(a.name.startswith("accelsim") for a in n.names))
                     or (isinstance(n, ast.ImportFrom) and (n.module or "").startswith("accelsim"))]
            out += [f"accelsim/__init__.py imports at run time (line {n.lineno}); keep it lazy" for n in eager]
            continue
        for d in sorted(deps):
            theirs = layer(d)
            if m.startswith("gst_train"):
                if d.startswith("accelsim") and theirs not in TRAINER_MAY_USE:
                    out.append(f"{m} imports {d}: the trainer may use only accelsim's {' and '.join(TRAINER_MAY_USE)}")
            elif mine in LAYERS and d.startswith("gst_train"):
                out.append(f"{m} imports the trainer ({d})")
            elif mine in LAYERS and theirs in LAYERS and LAYERS.index(theirs) > LAYERS.index(mine):
                out.append(f"{m} (layer {mine}) imports {d} (layer {theirs}, above it)")
            elif mine is not None and mine not in LAYERS:
                out.append(f"{m}: layer {mine} is not in the list of layers")
    out += [f"import cycle: {' <-> '.join(c)}" for c in cycles(g)]
    for m in g:
        if m.startswith("accelsim.engines.reference"):
            fast = sorted(d for d in reaches(g, m) if d.startswith("accelsim.engines.fast"))
            if fast:
                out.append(f"{m} reaches the fast engine ({', '.join(fast)})")
    return out


def test_every_import_points_down_and_nothing_cycles():
    assert violations(ROOT) == []


def test_every_module_of_accelsim_is_in_a_layer():
    strays = [m for m in modules(ROOT, "accelsim") if m != "accelsim" and layer(m) not in LAYERS]
    assert strays == []


def _plant(tmp_path: Path, files: dict[str, str]) -> list[str]:
    for rel, text in {"accelsim/__init__.py": "", "gst_train/__init__.py": "", **files}.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return violations(tmp_path)


def test_the_check_finds_each_kind_of_violation(tmp_path):
    found = _plant(tmp_path, {
        "accelsim/base/__init__.py": "",
        "accelsim/base/a.py": "def f():\n    from accelsim.cost import m\n",  # upward, lazy
        "accelsim/cost/__init__.py": "",
        "accelsim/cost/m.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from accelsim.cost import n\n",
        "accelsim/cost/n.py": "from accelsim.cost import m\n",  # m <-> n through an annotation-only import
        "accelsim/engines/__init__.py": "",
        "accelsim/engines/fast/__init__.py": "",
        "accelsim/engines/fast/k.py": "",
        "accelsim/engines/reference/__init__.py": "",
        "accelsim/engines/reference/r.py": "from accelsim.engines.output import o\n",
        "accelsim/engines/output.py": "from accelsim.engines.fast import k\n",  # reference reaches fast, indirectly
        "gst_train/t.py": "from accelsim.dram import part\n",
    })
    text = "\n".join(found)
    assert "accelsim.base.a (layer base) imports accelsim.cost.m (layer cost, above it)" in text
    assert "import cycle: accelsim.cost.m <-> accelsim.cost.n" in text
    assert "accelsim.engines.reference.r reaches the fast engine (accelsim.engines.fast.k)" in text
    assert "gst_train.t imports accelsim.dram: the trainer may use only" in text
    assert len(found) == 4, found


def test_the_check_refuses_an_eager_package_init(tmp_path):
    found = _plant(tmp_path, {"accelsim/__init__.py": "from accelsim.base.errors import InputError\n",
                              "accelsim/base/__init__.py": "", "accelsim/base/errors.py": ""})
    assert found == ["accelsim/__init__.py imports at run time (line 1); keep it lazy"]


LOADED = """
import json, sys
import {module}
print(json.dumps(sorted(m for m in sys.modules if m.startswith("accelsim") or m in ("numba", "simpy", "torch"))))
"""


def _loaded(module: str) -> list[str]:
    r = subprocess.run([sys.executable, "-c", LOADED.format(module=module)], capture_output=True, text=True,
                       cwd=ROOT, check=True)
    return json.loads(r.stdout)


def test_the_trainer_loads_only_the_trace_layer_of_accelsim():
    loaded = _loaded("gst_train.train")
    assert [m for m in loaded if m.startswith("accelsim.") and layer(m) not in TRAINER_MAY_USE] == []
    assert "accelsim.trace.writer" in loaded  # it does write traces


def test_import_accelsim_loads_no_layer_and_the_trace_layer_no_simulator():
    assert _loaded("accelsim") == ["accelsim"]
    trace = _loaded("accelsim.trace.reader")
    assert [m for m in trace if m.startswith("accelsim.") and layer(m) not in ("base", "trace")] == []
    assert "numba" not in trace and "simpy" not in trace and "torch" not in trace


def test_the_command_line_loads_a_layer_only_when_its_command_runs():
    code = ("import json, sys\nfrom accelsim.cli.app import build_parser\nbuild_parser().parse_args(['presets'])\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('accelsim'))))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    loaded = json.loads(r.stdout)
    assert [m for m in loaded if layer(m) not in ("base", "cli")] == ["accelsim"]
    assert "accelsim.cli.commands.sweep" in loaded  # every command's flags are known, none of its layers
