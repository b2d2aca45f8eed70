"""The accelsim command line, run as a user runs it (subprocesses)."""

import csv
import json
import subprocess
import sys

import pytest
from conftest import ROOT, SAMPLE

CLI = [sys.executable, "-m", "accelsim.cli"]


def run(*args, cwd=ROOT):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_run_default_is_the_demo_with_json_and_csv(tmp_path):
    j, c = tmp_path / "r.json", tmp_path / "r.csv"
    r = run("run", "--json", j, "--csv", c)
    assert r.returncode == 0, r.stderr
    assert "speedup" in r.stdout and "by phase" in r.stdout and "speedup over training" in r.stdout
    d = json.loads(j.read_text())
    assert d["speedup"] == pytest.approx(d["dense"]["seconds"] / d["compressed"]["seconds"])
    assert d["energy_ratio"] == pytest.approx(d["compressed"]["energy_j"] / d["dense"]["energy_j"])
    for view in ("dense", "compressed"):
        v = d[view]
        for k in ("cycles", "seconds", "energy_j", "dram_bytes", "macs", "energy_breakdown_j", "by_phase",
                  "by_network", "by_segment"):
            assert k in v
        assert set(v["energy_breakdown_j"]) == {"dram", "sram", "mac", "decode", "static"}
    lines = c.read_text().splitlines()
    assert lines[0].startswith("# accelsim_version: ")  # provenance first (tests/test_provenance.py reads it)
    assert next(x for x in lines if not x.startswith("#")).startswith("view,group,name")


def test_run_by_layer_prints_the_layer_breakdown(tmp_path):
    """--by layer prints the layer table in place of the phase and network tables; the CSV carries it too, and its
    layer rows add up to the total cycles."""
    c = tmp_path / "r.csv"
    r = run("run", SAMPLE, "--by", "layer", "--csv", c)
    assert r.returncode == 0, r.stderr
    assert "by layer" in r.stdout and "critic1[1]" in r.stdout and "\nreplay " in r.stdout
    assert "by phase" not in r.stdout and "by network" not in r.stdout and "speedup over training" in r.stdout
    rows = list(csv.DictReader(x for x in c.open() if not x.startswith("#")))
    for view in ("dense", "compressed"):
        total = next(int(x["cycles"]) for x in rows if x["view"] == view and x["group"] == "total")
        layers = [x for x in rows if x["view"] == view and x["group"] == "layer"]
        assert layers and sum(int(x["cycles"]) for x in layers) == total


def test_set_changes_result(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert run("run", "-q", "--json", a, "--set", "dram.gbps=1.6").returncode == 0
    assert run("run", "-q", "--json", b, "--set", "dram.gbps=25.6", "--hw", "edge-lpddr4").returncode == 0
    assert json.loads(a.read_text())["compressed"]["cycles"] > json.loads(b.read_text())["compressed"]["cycles"]


def test_validate_and_presets():
    r = run("validate")  # the shipped sample: a real GST run, not synthetic
    assert r.returncode == 0 and "OK" in r.stdout and "SYNTHETIC" not in r.stdout
    assert "HalfCheetah-v5" in r.stdout and "gst" in r.stdout and "200,000" not in r.stdout
    r = run("validate", SAMPLE)
    assert r.returncode == 0 and "SYNTHETIC" in r.stdout
    r = run("presets")
    assert r.returncode == 0 and "edge-lpddr4 (default)" in r.stdout
    r = run("presets", "--show", "eyeriss-like")
    assert r.returncode == 0 and "19.200 GB/s" in r.stdout


@pytest.mark.parametrize("args,needle", [
    (["run", "missing.parquet"], "missing.parquet"),
    (["run", "--hw", "nope"], "unknown preset"),
    (["run", "--engine", "warp"], "unknown engine"),
    (["run", "--set", "pe.rows=0"], "pe.rows"),
    (["run", "--set", "pe.nope=1"], "pe.nope"),
    (["run", "--set", "dram.gbps"], "KEY=VALUE"),
    (["run", "--set", "dram.gbps=0"], "dram.gbps: expected a positive value or auto"),
    (["run", "--by", "layers"], "--by: layers: expected one or more of phase, network, layer"),
    (["validate", "README.md"], "README.md"),
    (["bogus"], "invalid choice"),
    (["scalesim", "-c", "x.cfg", "-t", "y.csv", "-o", "out"], "x.cfg"),
])
def test_bad_input_one_line_exit_2(args, needle):
    r = run(*args)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0], r.stderr


def test_failed_run_does_not_clobber_earlier_output(tmp_path):
    j = tmp_path / "keep.json"
    j.write_text("earlier result")
    r = run("run", "--json", j, "--set", "sram.weight_kib=-1")
    assert r.returncode == 2 and j.read_text() == "earlier result"


def test_malformed_toml_and_cfg_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[dram\ngbps = 3")
    r = run("run", "--hw", bad)
    assert r.returncode == 2 and str(bad) in r.stderr and "malformed TOML" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    cfg = tmp_path / "bad.cfg"
    cfg.write_text("no sections here")
    topo = tmp_path / "t.csv"
    topo.write_text("Layer, M, N, K,\nfc, 2, 3, 4,\n")
    r = run("scalesim", "-c", cfg, "-t", topo, "-o", tmp_path / "o")
    assert r.returncode == 2 and str(cfg) in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
