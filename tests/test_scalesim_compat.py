"""accelsim's SCALE-Sim-compatible report against reports made by real SCALE-Sim 3.0.0.

The reference files in tests/data/scalesim/ were written by scripts/make_scalesim_reference.py running
scalesim==3.0.0 in its own venv (``make scalesim-reference``).
"""

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from accelsim.base.errors import InputError
from accelsim.base.layouts import KIND, N_ENERGY, N_ROW_COST, ROW, ROW_COST, XFER_KEY, names, pack
from accelsim.cost import dram_cost, hardware_vector
from accelsim.cost import rows as row_cost
from accelsim.hardware.load import load_hardware
from accelsim.present import scalesim_compat

DATA = Path(__file__).parent / "data" / "scalesim"
INFO = json.loads((DATA / "reference.json").read_text())
CONFIGS = [c["name"] for c in INFO["configs"]]


def _read(path: Path) -> list[dict[str, str]]:
    with open(path) as fh:
        rows = list(csv.reader(fh))
    header = [h.strip() for h in rows[0] if h.strip()]
    return [dict(zip(header, [c.strip() for c in r if c.strip() != ""], strict=True)) for r in rows[1:] if r]


def test_reference_came_from_scalesim_3():
    assert INFO["scalesim_version"] == "3.0.0"
    assert len(CONFIGS) >= 12 and INFO["n_gemms"] >= 18


@pytest.mark.parametrize("name", CONFIGS)
def test_compute_cycles_and_mapping_efficiency_equal_scalesim(name, tmp_path):
    out = scalesim_compat.run(DATA / f"{name}.cfg", DATA / INFO["topology"], tmp_path)
    ours, ref = _read(out), _read(DATA / f"{name}.COMPUTE_REPORT.csv")
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref, strict=True):
        assert list(a) == list(b)  # same column names
        assert int(a["Total Cycles"]) - int(a["Stall Cycles"]) == int(b["Total Cycles"]) - int(b["Stall Cycles"])
        assert float(a["Mapping Efficiency %"]) == pytest.approx(float(b["Mapping Efficiency %"]), rel=1e-12)
        assert float(a["Compute Util %"]) == pytest.approx(float(b["Compute Util %"]), rel=1e-9)
        # SCALE-Sim's overall utilisation divides by its total cycles (which include its stalls).
        if int(b["Stall Cycles"]) == 0:
            assert float(a["Overall Util %"]) == pytest.approx(float(b["Overall Util %"]), rel=1e-9)


def test_cli_accepts_p_and_layout(tmp_path):
    name = CONFIGS[0]
    r = subprocess.run([sys.executable, "-m", "accelsim.cli", "scalesim", "-c", str(DATA / f"{name}.cfg"),
                        "-t", str(DATA / INFO["topology"]), "-l", str(DATA / "td3_gemms_layout.csv"),
                        "-p", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "COMPUTE_REPORT.csv").is_file()


def test_bad_cfg_and_topology(tmp_path):
    cfg = tmp_path / "x.cfg"
    cfg.write_text("[architecture_presets]\nArrayHeight: 0\nArrayWidth: 4\nDataflow: ws\n")
    with pytest.raises(InputError, match="ArrayHeight"):
        scalesim_compat.read_config(cfg)
    cfg.write_text("this is not ini")
    with pytest.raises(InputError, match=str(cfg)):
        scalesim_compat.read_config(cfg)
    topo = tmp_path / "t.csv"
    topo.write_text("Layer, M, N, K,\nfc, 3, x, 4,\n")
    with pytest.raises(InputError, match="line 2"):
        scalesim_compat.read_gemm_topology(topo)


@pytest.mark.parametrize("name", CONFIGS)
def test_the_simulators_cost_model_gives_scalesims_compute_cycles(name):
    """The code the engines run (accelsim.cost.rows.row_costs on a packed preset), not the compatibility command's
    output file, against SCALE-Sim's own report: every GEMM's compute cycles equal its stall-free cycles."""
    cfg = next(c for c in INFO["configs"] if c["name"] == name)
    hw = load_hardware(None, {"pe.rows": cfg["rows"], "pe.cols": cfg["cols"], "pe.dataflow": cfg["dataflow"]})
    h = hardware_vector.pack_hardware(hw)
    ref = _read(DATA / f"{name}.COMPUTE_REPORT.csv")
    layers = scalesim_compat.read_gemm_topology(DATA / INFO["topology"])
    assert len(layers) == len(ref)
    for g, b in zip(layers, ref, strict=True):
        row = pack(ROW, {**dict.fromkeys(names(ROW), 0), "is_read": 1, "kind": KIND.activation, "m": g.m,
                         "k": g.k, "n": g.n, "key": -1}, np.int64)
        cost, energy = np.zeros(N_ROW_COST, np.int64), np.zeros(N_ENERGY)
        no_dram = dram_cost.transfer_table(np.zeros((0, len(XFER_KEY)), np.int64), h)  # an activation row moves none
        row_cost.row_costs(row, 0, 1, h, no_dram, cost, energy)
        assert cost[ROW_COST.compute_cycles] == int(b["Total Cycles"]) - int(b["Stall Cycles"]), g.name
        assert cost[ROW_COST.macs] == g.m * g.n * g.k
