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
