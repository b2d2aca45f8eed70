"""Compiled kernels cannot go stale: an edit to any code a kernel reaches is seen on the next run.

numba's own ``cache=True`` keys a cache on the compiled function's file only (numba issue #1833), so an
edit to model.py used to leave engine_fast.py's cached kernels running the old cost model. The proof here
is what a contributor does: edit a copy of the package between two runs in fresh processes.
"""

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, make_random_trace

from accelsim.base import jit

PKG = ROOT / "accelsim"

RUN = """
import json, sys
import accelsim
res = accelsim.simulate(sys.argv[1], "edge-lpddr4")
t = res.compressed.totals
print(json.dumps({"package": accelsim.__file__, "dram_j": t.energy_breakdown_j.dram,
                  "compute_cycles": t.compute_cycles, "cycles": t.cycles}))
"""


def _uses_kernel(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for d in node.decorator_list:
                target = d.func if isinstance(d, ast.Call) else d
                if getattr(target, "id", getattr(target, "attr", None)) in ("kernel", "njit", "jit"):
                    return True
    return False


def test_every_module_with_kernels_is_a_listed_root_and_only_jit_compiles():
    for path in sorted(PKG.rglob("*.py")):
        tree = ast.parse(path.read_text())
        name = ".".join(path.relative_to(PKG).with_suffix("").parts)
        if _uses_kernel(tree):
            assert name in jit.KERNEL_MODULES, f"{name} defines kernels but is not in KERNEL_MODULES"
        if path.name != "jit.py":
            compilers = [n for n in ast.walk(tree)
                         if (isinstance(n, ast.ImportFrom) and (n.module or "").startswith("numba")
                             and any(a.name in ("njit", "jit", "vectorize", "guvectorize") for a in n.names))
                         or (isinstance(n, ast.Attribute) and getattr(n.value, "id", "") == "numba"
                             and n.attr in ("njit", "jit", "vectorize", "guvectorize"))]
            assert not compilers, f"{path.name} compiles with numba directly; use accelsim.base.jit.kernel"


def test_source_closure_follows_imports_but_not_annotations():
    names = {".".join(p.relative_to(PKG).with_suffix("").parts) for p in jit.source_closure()}
    # What the kernels can reach: their modules and the layouts and records they index by. The config packer
    # (cost.hardware_vector) is plain Python that fills the vector the kernels read: no kernel source.
    assert {"cost.dram_cost", "cost.rows", "cost.policy", "cost.systolic", "engines.fast.engine", "base.jit",
            "base.layouts", "base.records", "dram.closed_form", "dram.request_model"} <= names
    assert "cost.hardware_vector" not in names and "hardware.config" not in names
    # The fast engine names Workload only under TYPE_CHECKING: the trace reader is no kernel source.
    assert "workload.build" not in names and "trace.reader" not in names


def _copy_package(dst: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(PKG, dst / "accelsim", ignore=ignore)
    shutil.copytree(ROOT / "models", dst / "models", ignore=ignore)
    return dst / "accelsim"


def _run(root: Path, trace: Path) -> tuple[dict, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(PYTHONPATH=str(root), PYTHONDONTWRITEBYTECODE="1", NUMBA_DEBUG_CACHE="1")
    r = subprocess.run([sys.executable, "-c", RUN, str(trace)], capture_output=True, text=True, cwd=root, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert Path(out["package"]).is_relative_to(root), "the run did not use the copied package"
    return out, r.stdout


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{path.name}: expected exactly one {old!r} to edit"
    path.write_text(text.replace(old, new))


@pytest.mark.slow
def test_an_edit_to_code_a_kernel_calls_is_seen_on_the_next_run(tmp_path):
    pkg = _copy_package(tmp_path)
    trace = make_random_trace(tmp_path / "t.parquet", seed=2, n_segments=2)
    first, _ = _run(tmp_path, trace)
    again, log = _run(tmp_path, trace)
    assert again == first
    assert "data loaded" in log and "simulate_points" in log  # the second run used the compiled cache
    # The case numba misses: a constant of the cost model (cost/dram_cost.py), used by kernels in engine_fast.py.
    _edit(pkg / "cost" / "dram_cost.py", "BITS_PER_BYTE = 8.0", "BITS_PER_BYTE = 4.0")
    halved, _ = _run(tmp_path, trace)
    assert halved["dram_j"] < first["dram_j"] and halved["cycles"] == first["cycles"]
    # Two modules away: the PE array's cycles (systolic.py) called by the cost model called by the engine.
    _edit(pkg / "cost" / "systolic.py", "return (2 * rows + cols + t - 2) * f - 1",
          "return (2 * rows + cols + t - 2) * f")
    slower, _ = _run(tmp_path, trace)
    assert slower["compute_cycles"] > halved["compute_cycles"] and slower["dram_j"] == halved["dram_j"]
