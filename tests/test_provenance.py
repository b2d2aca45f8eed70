"""Results that say how they were made: `accelsim run --json` carries the effective configuration (every key
after the overrides), the trace's identity, the code's version and the model's changelog entry, and the
configuration alone reproduces the figures."""

import json
import re
import subprocess
import sys
from pathlib import Path

from accelsim.hardware.config import from_dict
from accelsim.simulation.provenance import MODEL_CHANGELOG
from accelsim.simulation.simulate import simulate
from accelsim.studies.sweep import trace_id

ROOT = Path(__file__).resolve().parent.parent
TRACE = ROOT / "traces" / "halfcheetah_dense_s0.parquet"


def test_the_json_reproduces_its_figures_from_its_own_provenance(tmp_path):
    out = tmp_path / "r.json"
    subprocess.run([sys.executable, "-m", "accelsim.cli", "run", str(TRACE), "--hw", "eyeriss-like", "--set",
                    "dram.gbps=6.4", "--set", "pe.rows=12", "--json", str(out), "-q"], check=True)
    d = json.loads(out.read_text())
    p = d["provenance"]
    assert p["hardware"] == "eyeriss-like" and p["overrides"] == {"dram.gbps": "6.4", "pe.rows": "12"}
    assert p["trace_id"] == trace_id(TRACE) and p["model_changelog"] == MODEL_CHANGELOG
    cfg = from_dict(json.loads(json.dumps(p["hardware_config"])), "provenance")  # what a reader gets back
    assert cfg.dram.gbps == 6.4 and cfg.pe.rows == 12 and cfg.name == "eyeriss-like"
    res = simulate(p["trace_path"], cfg)
    assert res.speedup == d["speedup"] and res.compressed.totals.cycles == d["compressed"]["cycles"]


def test_the_changelog_entry_named_is_the_models_latest():
    entries = re.findall(r"^- (\d{4}-\d{2}-\d{2} — [^.(]+)", (ROOT / "docs" / "model.md").read_text(), re.M)
    assert entries[-1].split(",")[0].strip() == MODEL_CHANGELOG


def test_the_csv_carries_the_same_provenance_and_it_reproduces_the_figures(tmp_path):
    """`run --csv` starts with the provenance as `# field: JSON` lines; the table follows, and the configuration
    read back from those lines gives the CSV's own totals."""
    import csv

    out = tmp_path / "r.csv"
    subprocess.run([sys.executable, "-m", "accelsim.cli", "run", str(TRACE), "--hw", "nvdla-small", "--set",
                    "sram.weight_kib=96", "--csv", str(out), "-q"], check=True)
    lines = out.read_text().splitlines()
    head = dict(x[2:].split(": ", 1) for x in lines if x.startswith("# "))
    p = {k: json.loads(v) for k, v in head.items()}
    assert p["hardware"] == "nvdla-small" and p["overrides"] == {"sram.weight_kib": "96"}
    assert p["trace_id"] == trace_id(TRACE) and p["model_changelog"] == MODEL_CHANGELOG
    rows = list(csv.DictReader(x for x in lines if not x.startswith("#")))
    total = {r["view"]: int(r["cycles"]) for r in rows if r["group"] == "total"}
    res = simulate(p["trace_path"], from_dict(p["hardware_config"], "csv provenance"))
    assert res.compressed.totals.cycles == total["compressed"] and res.dense.totals.cycles == total["dense"]


def test_a_sweep_folder_says_how_it_was_made(tmp_path):
    """sweep_manifest.json: the version, the model's changelog entry and the base hardware's every key; a point's
    configuration is that with its row's swept keys, and reproduces the row."""
    import pyarrow.parquet as pq

    from accelsim.studies.sweep import MANIFEST, parse_axes, run_sweep

    table = run_sweep([str(TRACE)], "eyeriss-like", parse_axes(["dram.gbps=3.2,6.4"]), tmp_path / "s",
                      progress=False)
    m = json.loads((tmp_path / "s" / MANIFEST).read_text())
    from accelsim import __version__

    assert m["accelsim_version"] == __version__ and m["model_changelog"] == MODEL_CHANGELOG
    row = pq.read_table(table).to_pylist()[1]
    cfg = dict(m["hardware_config"])
    cfg["dram"] = {**cfg["dram"], "gbps": row["dram.gbps"]}
    res = simulate(str(TRACE), from_dict(cfg, "manifest"))
    assert res.speedup == row["speedup"]
