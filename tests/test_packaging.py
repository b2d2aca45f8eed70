"""accelsim installs as users install it: from a wheel, without the trainer's dependencies, run from any folder.

The wheel must hold every package of the source tree, the presets (``models/``, as ``accelsim/presets``) and the
sample traces (``traces/``, as ``accelsim/sample_traces``). The slow test installs it into a fresh virtual
environment with the simulator's dependencies only (no torch, gymnasium, MuJoCo or TensorBoard) and runs the
commands a new user runs first, from a folder outside the repository.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT


def _source_packages() -> set[str]:
    return {".".join(p.parent.relative_to(ROOT).parts)
            for top in ("accelsim", "gst_train") for p in (ROOT / top).rglob("__init__.py")
            if "__pycache__" not in p.parts}


def test_pyproject_lists_every_package_and_maps_the_data_folders():
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(tool["packages"])
    assert listed - {"accelsim.presets", "accelsim.sample_traces"} == _source_packages()
    assert tool["package-dir"] == {"accelsim.presets": "models", "accelsim.sample_traces": "traces"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", str(ROOT),
                    "-w", str(out)], check=True, capture_output=True, cwd=out)
    (whl,) = out.glob("accelsim-*.whl")
    return whl


def test_the_wheel_holds_the_code_the_presets_and_the_sample_traces(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for preset in (ROOT / "models").glob("*.toml"):
        assert f"accelsim/presets/{preset.name}" in names
    for table in (ROOT / "models" / "tech").glob("*.toml"):
        assert f"accelsim/presets/tech/{table.name}" in names
    for trace in (ROOT / "traces").glob("*.parquet"):
        assert f"accelsim/sample_traces/{trace.name}" in names
    for pkg in _source_packages():
        assert f"{pkg.replace('.', '/')}/__init__.py" in names
    assert not any(n.startswith(("tests/", "results/", "scripts/")) for n in names)


@pytest.mark.slow
def test_a_fresh_install_without_torch_runs_from_another_folder(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def run(*cmd: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(venv / "bin" / cmd[0]), *cmd[1:]], capture_output=True, text=True,
                              cwd=elsewhere)

    r = subprocess.run([str(py), "-c", "import importlib.util as u; print([m for m in "
                        "('torch', 'gymnasium', 'mujoco', 'tensorboard') if u.find_spec(m)])"],
                       capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[]", "the simulator's install pulled a trainer dependency"
    r = run("accelsim", "presets")
    assert r.returncode == 0 and "edge-lpddr4 (default)" in r.stdout, r.stderr
    r = run("accelsim", "run", "--json", "out.json", "-q")
    assert r.returncode == 0, r.stderr
    assert (elsewhere / "out.json").is_file()
    r = run("accelsim", "dram", "--pattern", "sequential", "--bytes", "1048576")
    assert r.returncode == 0, r.stderr
    r = run("gst-train", "--total-steps", "1000")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and 'pip install "accelsim[train]"' in r.stderr and "torch" in r.stderr
