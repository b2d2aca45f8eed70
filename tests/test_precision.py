"""The chip's types (pe.dtype, pe.optimizer_dtype) set bytes and energy, whatever the trace was recorded in."""

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import SAMPLE

from accelsim.base.layouts import ROW
from accelsim.hardware.derived import effective
from accelsim.hardware.energy_tables import tables
from accelsim.hardware.load import load_hardware
from accelsim.simulation.simulate import simulate
from accelsim.studies.sweep import evaluate_points
from accelsim.trace.formats import Precision
from accelsim.trace.reader import read_trace
from accelsim.workload.build import build_workload

BYTES = {"fp32": 4, "bf16": 2, "fp16": 2, "int8": 1}


@pytest.fixture(scope="module")
def trace():
    return read_trace(SAMPLE)


def test_an_fp32_chip_replays_an_fp32_trace_as_recorded(trace):
    assert set(trace.rows["dtype"]) == {"fp32"}
    for view in ("compressed", "dense"):
        a, b = build_workload(trace, view), build_workload(trace, view, precision=Precision("fp32", "fp32"))
        assert np.array_equal(a.rows, b.rows) and np.array_equal(a.key_bytes, b.key_bytes)


@pytest.mark.parametrize("dtype,opt", [("bf16", "fp32"), ("int8", "fp32"), ("fp16", "fp16"), ("fp32", "bf16")])
def test_dense_bytes_by_hand(trace, dtype, opt):
    """Dense view, every row's bytes from the trace's shapes and the two widths, by hand: working copies, grads,
    activations and the replay batch in dtype; moments and master weights in the optimizer's type; a master
    write also writes its working copy."""
    c = trace.rows
    wl = build_workload(trace, "dense", precision=Precision(dtype, opt))
    d, o = BYTES[dtype], BYTES[opt]
    n = c["rows"] * c["cols"]
    b = c["bias_values"]
    master = (c["tensor"] == "weight") & np.isin(c["phase"], ("update", "polyak"))
    moment = np.isin(c["tensor"], ("adam_m", "adam_v"))
    weight_side = np.isin(c["tensor"], ("weight", "grad", "adam_m", "adam_v"))
    width = np.where(master | moment, o, d)
    want = np.where(weight_side, (n + b) * width, n * d)
    if dtype != opt:
        want = want + np.where(master & (c["direction"] == "write"), (n + b) * d, 0)
    assert np.array_equal(wl.rows[:, ROW.bytes], want)


def test_compressed_block_circulant_bytes_by_hand(trace):
    """A BC layer stores its stored values (no metadata) in the chip's type: forward reads of the working copy."""
    c = trace.rows
    wl = build_workload(trace, "compressed", precision=Precision("bf16", "fp32"))
    sel = (c["scheme"] == "bc") & (c["tensor"] == "weight") & (c["phase"] == "forward")
    assert sel.any()
    assert np.array_equal(wl.rows[sel, ROW.bytes], (c["stored_values"][sel] + c["bias_values"][sel]) * 2)


def test_a_weights_footprint_holds_its_master_and_working_copies(trace):
    wl = build_workload(trace, "dense", precision=Precision("bf16", "fp32"))
    c = trace.rows
    a, b = int(wl.seg_row_start[0]), int(wl.seg_row_start[1])
    i = next(i for i in range(a, b) if c["tensor"][i] == "weight" and c["phase"][i] == "forward")
    k = int(wl.rows[i, ROW.key])
    n, bias = int(c["rows"][i] * c["cols"][i]), int(c["bias_values"][i])
    assert wl.key_bytes[k] == (n + bias) * (4 + 2)
    assert wl.rows[i, ROW.bytes] == (n + bias) * 2


def test_a_narrower_chip_moves_fewer_bytes_and_says_so(tmp_path):
    wide = simulate(SAMPLE, load_hardware(None))
    narrow = simulate(SAMPLE, load_hardware(None, {"pe.dtype": "bf16"}))
    for view in ("dense", "compressed"):
        w, n = getattr(wide, view).totals, getattr(narrow, view).totals
        assert n.dram_bytes < w.dram_bytes and n.macs == w.macs
        assert n.energy_breakdown_j.mac < w.energy_breakdown_j.mac
    assert narrow.precision.sentence() == "this fp32 run, trained on a bf16 chip (Adam moments and master weights fp32)"
    assert wide.precision.sentence() == "this fp32 run, trained on an fp32 chip"
    j = tmp_path / "r.json"
    r = subprocess.run([sys.executable, "-m", "accelsim.cli", "run", str(SAMPLE), "--set", "pe.dtype=int8",
                        "--json", str(j)], capture_output=True, text=True)
    assert r.returncode == 0 and "precision this fp32 run, trained on an int8 chip (Adam moments and master " \
                                 "weights fp32)" in r.stdout
    assert json.loads(j.read_text())["precision"] == {"trace_dtype": "fp32", "dtype": "int8",
                                                      "optimizer_dtype": "fp32"}


def test_the_optimizer_type_sets_the_vector_flop_energy():
    t = tables()
    for opt in ("fp32", "bf16"):
        hw = load_hardware("edge-lpddr4", {"pe.optimizer_dtype": opt})
        assert effective(hw, "pe.vector_flop_pj") == pytest.approx(t.ops[opt].flop_pj * t.scale(28, 0.9))


def test_sweep_points_of_different_types_match_one_point_runs():
    pts = [{"pe.dtype": "fp32"}, {"pe.dtype": "bf16"}, {"pe.dtype": "int8", "pe.optimizer_dtype": "bf16"}]
    rows = evaluate_points(str(SAMPLE), None, pts)
    for p, row in zip(pts, rows, strict=True):
        ref = simulate(SAMPLE, load_hardware(None, p))
        assert row["compressed_dram_bytes"] == ref.compressed.totals.dram_bytes
        assert row["speedup"] == pytest.approx(ref.speedup, rel=1e-12)
        assert row["energy_ratio"] == pytest.approx(ref.energy_ratio, rel=1e-9)


def test_unknown_types_are_refused():
    for key in ("pe.dtype", "pe.optimizer_dtype"):
        r = subprocess.run([sys.executable, "-m", "accelsim.cli", "run", "-q", "--set", f"{key}=fp64"],
                           capture_output=True, text=True)
        assert r.returncode == 2 and f"{key}: expected one of fp32, bf16, fp16, int8" in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
