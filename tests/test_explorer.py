"""``accelsim explore``: the page's data from a real sweep, its self-containment, and its one-line errors.

The browser half (the page loads, filters, clicks) is tests/test_browser.py.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from conftest import SAMPLE

from accelsim.cli import app as cli
from accelsim.present import explorer


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("explore") / "sw"
    assert cli.main(["sweep", str(SAMPLE), "--set", "dram.gbps=3.2,6.4,12.8", "--set", "sram.weight_kib=64,256",
                     "--set", "pe.dtype=fp32,bf16", "--set", "workload.batch=64,256", "--out", str(out), "-q"]) == 0
    return out


def _data(page: str) -> dict:
    blob = re.search(r"<script type='application/json' id='accelsim-data'>(.*?)</script>", page, re.S).group(1)
    return json.loads(blob.replace("<\\/script", "</script"))


def test_the_page_holds_every_point_its_scripts_and_no_link_out(sweep, capsys):
    assert cli.main(["explore", str(sweep)]) == 0
    assert "(24 points)" in capsys.readouterr().out
    page = (sweep / "explore.html").read_text()
    # Self-contained: no script, style or font fetched from anywhere.
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|@import|url\(https?:", page)
    assert "plotly" in page.lower() and "window.explorer" in page
    d = _data(page)
    assert d["n"] == 24 and d["failed"] == 0
    assert d["keys"] == ["dram.gbps", "pe.dtype", "sram.weight_kib", "workload.batch"]
    assert d["cats"]["dram.gbps"]["values"] == [3.2, 6.4, 12.8]
    assert all(len(col) == 24 for col in d["num"].values())
    assert {"area_mm2", "speedup", "compressed_seconds", "compressed_energy_j",
            "compressed_tflops_per_mm2"} <= set(d["num"])
    # Every point of a small sweep carries its breakdown by phase, network and layer, in both views.
    assert sorted(map(int, d["breakdowns"])) == list(range(24))
    b = d["breakdowns"]["0"]["compressed"]
    assert {"forward", "update"} <= set(b["phase"]) and "critic1" in b["network"]
    assert {"critic1[0]", "replay"} <= set(b["layer"])


def test_breakdowns_add_up_to_the_sweep_figures(sweep):
    rows, _, manifest = explorer.load_rows(sweep)
    d = json.loads(explorer.page_data(rows, explorer.swept_keys(rows, manifest), 0,
                                      _breakdowns(rows, manifest, sweep), "t"))
    for i, r in enumerate(rows):
        for view in ("compressed", "dense"):
            for group in ("phase", "network", "layer"):
                parts = d["breakdowns"][str(i)][view][group]
                assert sum(f[0] for f in parts.values()) == r[f"{view}_cycles"]
                assert sum(f[2] for f in parts.values()) == pytest.approx(r[f"{view}_energy_j"], rel=1e-9)


def _breakdowns(rows, manifest, sweep):
    from accelsim.studies.breakdowns import point_breakdowns

    return point_breakdowns(rows, explorer.swept_keys(rows, manifest), sweep, range(len(rows)))


def test_pareto_front_is_the_points_nothing_beats():
    rng = np.random.default_rng(3)
    x, y = rng.random(300), rng.random(300)
    front = set(explorer.pareto_front(x, y).tolist())
    for i in range(300):
        beaten = np.any((x <= x[i]) & (y <= y[i]) & ((x < x[i]) | (y < y[i])))
        assert (i in front) == (not beaten)


def test_a_large_sweep_carries_breakdowns_for_its_front_only():
    rows = [{"trace": "a.parquet", "method": "gst", "compressed_seconds": float(s), "compressed_energy_j": float(e)}
            for s, e in [(1, 5), (2, 4), (3, 6), (4, 1), (5, 2)]]
    assert explorer.breakdown_rows(rows, 10) == [0, 1, 2, 3, 4]
    assert explorer.breakdown_rows(rows, 4) == [0, 1, 3]


@pytest.mark.parametrize("setup, words", [
    (lambda p: None, "expected a sweep folder"),
    (lambda p: p.mkdir(), "sweep.parquet: not found"),
    (lambda p: (p.mkdir(), (p / "sweep.parquet").write_text("not parquet")), "not a readable sweep table"),
])
def test_bad_folders_are_one_line_and_exit_2(tmp_path, capsys, setup, words):
    d = tmp_path / "s"
    setup(d)
    assert cli.main(["explore", str(d)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err and "Traceback" not in err


def test_negative_breakdowns_is_refused(sweep, capsys):
    assert cli.main(["explore", str(sweep), "--breakdowns", "-1", "--out", str(sweep / "x.html")]) == 2
    assert "--breakdowns" in capsys.readouterr().err
