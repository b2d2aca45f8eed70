"""The chip-area model (accelsim.hardware.area) against its cited data, and a published die.

The SRAM fit must stay within 12.5 % of every CACTI 7.0 point it was fitted to (models/tech/area.toml says so);
parts must add up; each part must follow the keys it depends on; and the model, which counts arrays, datapaths
and I/O only, must come out below the published OmniDRL die and within the error docs/model.md states.
"""

from __future__ import annotations

import json
import re
import tomllib

import pytest
from conftest import ROOT

from accelsim.base.resources import tech_dir
from accelsim.cli import app as cli
from accelsim.hardware import area
from accelsim.hardware.load import load_hardware, preset_names


def test_the_sram_fit_stays_within_its_stated_error_of_every_cacti_point():
    with open(tech_dir() / "area.toml", "rb") as fh:
        data = tomllib.load(fh)
    worst = 0.0
    for node in data["sram"]["node"]:
        for kib, banks, mm2 in zip(node["kib"], node["banks"], node["mm2"], strict=True):
            worst = max(worst, abs(area.sram_mm2(kib, banks, node["nm"]) / mm2 - 1))
    assert worst < 0.125, worst


def test_sram_area_grows_with_capacity_banks_and_node():
    assert area.sram_mm2(512, 8, 28) > area.sram_mm2(256, 8, 28)
    assert area.sram_mm2(256, 32, 28) > area.sram_mm2(256, 2, 28)
    assert area.sram_mm2(256, 8, 45) > area.sram_mm2(256, 8, 28) > area.sram_mm2(256, 8, 16)
    # Between CACTI's nodes the model interpolates: 28 nm lies between its 22 and 32 nm figures.
    assert area.sram_mm2(256, 8, 22) < area.sram_mm2(256, 8, 28) < area.sram_mm2(256, 8, 32)


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_has_an_area_that_is_the_sum_of_its_parts(name):
    a = area.chip_area(load_hardware(name))
    assert list(a.parts()) == list(area.AREA_PARTS)
    assert all(v > 0 for v in a.parts().values())
    assert a.total_mm2 == pytest.approx(sum(a.parts().values()), rel=1e-12)


def test_each_part_follows_its_keys():
    base = load_hardware(None)
    a = area.chip_area(base)
    wide = area.chip_area(base.with_overrides({"pe.rows": base.pe.rows * 2}))
    assert wide.pe == pytest.approx(2 * a.pe) and wide.sram == a.sram and wide.dram_if == a.dram_if
    small = area.chip_area(base.with_overrides({"pe.dtype": "int8"}))
    assert small.pe < a.pe and small.vector == a.vector  # the vector unit runs the optimizer's type
    bigger = area.chip_area(base.with_overrides({"sram.weight_kib": 1024}))
    assert bigger.sram > a.sram and bigger.pe == a.pe
    more_channels = area.chip_area(base.with_overrides({"dram.channels": 4}))
    assert more_channels.dram_if == pytest.approx(2 * a.dram_if)
    # A faster bus needs larger drivers (CACTI-IO); dram.gbps runs the part at the rate that gives it.
    fast = area.chip_area(base.with_overrides({"dram.gbps": 2 * base.dram.peak_gbps}))
    assert fast.dram_if > a.dram_if
    # Logic shrinks with the square of the node; I/O does not shrink.
    old = area.chip_area(base.with_overrides({"tech.node_nm": 56.0}))
    assert old.pe == pytest.approx(4 * a.pe) and old.dram_if == a.dram_if


def test_the_model_is_below_the_published_omnidrl_die_by_the_error_the_docs_state():
    die_mm2, source = area.published_die_mm2("omnidrl-like")
    assert die_mm2 == pytest.approx(3.6 * 3.6) and "OmniDRL" in source
    model = area.chip_area(load_hardware("omnidrl-like")).total_mm2
    error = model / die_mm2 - 1
    print(f"omnidrl-like: model {model:.2f} mm2, die {die_mm2:.2f} mm2, error {error:+.1%}")
    assert model < die_mm2  # arrays, datapaths and I/O only: no control, network or pad ring
    stated = re.search(r"\*\*Checked against a published die\.\*\* OmniDRL.*?model gives ([\d.]+) mm²"
                       r".*?\(([−+-][\d.]+) %\)", (ROOT / "docs" / "model.md").read_text(), re.S)
    assert stated, "docs/model.md states the OmniDRL check as 'model gives X mm² ... (−E %)'"
    assert float(stated.group(1)) == pytest.approx(model, abs=0.005)
    assert float(stated.group(2).replace("−", "-")) == pytest.approx(100 * error, abs=0.05)


def test_run_reports_the_area_in_its_table_and_json(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert cli.main(["run", "--hw", "omnidrl-like", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    d = json.loads(out.read_text())
    a = area.chip_area(load_hardware("omnidrl-like"))
    assert d["area_mm2"] == pytest.approx(a.total_mm2)
    assert d["area_breakdown_mm2"] == pytest.approx(a.parts())
    assert d["tflops_per_mm2"]["compressed"] == pytest.approx(d["compressed"]["efficiency"]["tflops"] / a.total_mm2)
    assert f"area {a.total_mm2:.3g} mm2" in printed and "TFLOPS/mm2" in printed
