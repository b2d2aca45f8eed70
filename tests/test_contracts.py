"""The public contracts in docs/contracts.md against the code, both ways, and their versions.

Every documented name must exist and every name the code produces must be documented; a name recorded for a
version (tests/data/contracts.json) may only disappear with a version bump.
"""

import argparse
import json

import pytest
from conftest import ROOT, SAMPLE, contract_sections, make_random_trace

from accelsim.base.argparser import OneLineParser
from accelsim.cli import app as cli
from accelsim.hardware.area import chip_area
from accelsim.hardware.config import keys
from accelsim.hardware.load import load_hardware
from accelsim.present.report import csv_report, json_report
from accelsim.simulation.provenance import provenance
from accelsim.simulation.simulate import simulate
from accelsim.studies.sweep import FIGURES
from accelsim.trace.schema import SCHEMA
from gst_train import config as train_config
from gst_train import many

SECTIONS = contract_sections()
SNAPSHOT = ROOT / "tests" / "data" / "contracts.json"


def tables(section: str) -> list[list[str]]:
    return SECTIONS[section][1]


def _flags(parser: argparse.ArgumentParser) -> list[str]:
    return [a.option_strings[0] if a.option_strings else a.dest for a in parser._actions
            if not isinstance(a, argparse._HelpAction | argparse._SubParsersAction)]


def _commands() -> dict[str, argparse.ArgumentParser]:
    root = cli.build_parser()
    sub = next(a for a in root._actions if isinstance(a, argparse._SubParsersAction))
    out = {f"accelsim {name}": p for name, p in sub.choices.items()}
    out["gst-train"] = train_config.build_parser()
    out["gst-train-many"] = many.build_parser()
    return out


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return simulate(make_random_trace(tmp_path_factory.mktemp("c") / "t.parquet", seed=7))


def test_report_json_keys(result):
    top, totals, parts, view_adds, segment_adds, precision, efficiency, area_parts = tables("Report JSON")
    hw = load_hardware(None)
    made_by = provenance("t.parquet", "0" * 16, "0" * 16, None, {}, hw)
    d = json.loads(json_report(result, chip_area(hw), made_by))
    assert list(d) == top
    assert list(result.to_dict()) == [k for k in top if k not in ("area_mm2", "area_breakdown_mm2", "tflops_per_mm2",
                                                                   "provenance")]
    assert list(d["provenance"]) == ["accelsim_version", "model_id", "model_changelog", "trace_path", "trace_id",
                                     "hardware", "overrides", "hardware_config"]
    assert list(d["area_breakdown_mm2"]) == area_parts
    assert list(d["tflops_per_mm2"]) == ["dense", "compressed"]
    assert list(d["precision"]) == precision
    for view in ("dense", "compressed"):
        v = d[view]
        assert set(v) == set(totals) | set(view_adds)
        assert set(v["energy_breakdown_j"]) == set(parts)
        assert list(v["efficiency"]) == efficiency
        for group in ("by_phase", "by_network"):
            assert v[group] and all(set(t) == set(totals) for t in v[group].values())
        assert v["by_segment"] and all(set(s) == set(totals) | set(segment_adds) for s in v["by_segment"])


def test_sensitivity_json_keys():
    from accelsim.studies.sensitivity import run_sensitivity

    top, entry, side = tables("Sensitivity JSON")
    d = run_sensitivity(str(SAMPLE), None, 0.2).to_dict()
    assert list(d) == top
    assert all(list(p) == entry for p in d["parameters"])
    assert all(list(p[s]) == side for p in d["parameters"] for s in ("low", "high"))


def test_report_csv_columns(result):
    assert csv_report(result).splitlines()[0].split(",") == tables("Report CSV")[0]


def test_sweep_table_columns(tmp_path):
    import pyarrow.parquet as pq

    from accelsim.studies.sweep import Axis, run_sweep

    columns, figures = tables("Sweep table")
    assert list(FIGURES) == figures
    table = pq.read_table(run_sweep([str(SAMPLE)], None, [Axis("dram.gbps", (3.2,))], tmp_path / "s", progress=False))
    (row,) = table.to_pylist()
    expanded = []
    for c in columns:
        if c == "<swept key>":
            expanded.append("dram.gbps")
        elif "<figure>" in c:
            expanded += [c.replace("<figure>", f) for f in figures]
        else:
            expanded.append(c)
    assert set(row) == set(expanded) and not row["error"]


def test_compare_table_keys(tmp_path):
    out = tmp_path / "c.json"
    assert cli.main(["compare", str(SAMPLE), "--json", str(out)]) == 0
    (row,) = json.loads(out.read_text())
    documented = tables("Compare table")[0]
    assert documented[0] == "label" and list(row) == documented[1:]  # label only with --label
    assert cli.main(["compare", str(SAMPLE), "--label", "x", "--json", str(out)]) == 0
    (row,) = json.loads(out.read_text())
    assert list(row) == documented and row["label"] == "x"


def test_hardware_keys():
    assert keys() == tables("Hardware keys")[0]


def test_trace_columns_are_the_ones_traces_readme_documents():
    assert SECTIONS["Trace"][0] == 1
    readme = contract_sections(ROOT / "traces" / "README.md")
    schema_table = readme["Schema, version 1"][1][0]
    assert schema_table == SCHEMA.names


@pytest.mark.parametrize("command", sorted(_commands()))
def test_command_line_flags_and_one_line_errors(command):
    parser = _commands()[command]
    assert _flags(parser) == tables(command)[0]
    assert isinstance(parser, OneLineParser)  # the one parser base: bad flags are one line and exit 2


def test_documented_commands_are_all_commands():
    documented = {name for name in SECTIONS if name.startswith(("accelsim ", "gst-train"))}
    assert documented == set(_commands())


def _names(section: str) -> set[str]:
    names = {n for t in tables(section) for n in t}
    if section == "Trace":
        names |= set(contract_sections(ROOT / "traces" / "README.md")["Schema, version 1"][1][0])
    if section == "Command line":
        names |= {f"{c} {f}" for c in _commands() for f in tables(c)[0]}
    return names


def test_removals_bump_the_version():
    """Add-only within a version: every name recorded for a section's version is still documented."""
    snap = json.loads(SNAPSHOT.read_text())
    versioned = {name: v for name, (v, _) in SECTIONS.items() if v is not None}
    assert set(snap) == set(versioned), "record every versioned section in tests/data/contracts.json"
    for name, v in versioned.items():
        rec = snap[name]
        assert rec["version"] <= v
        assert rec["version"] == v, f"{name}: version {v} is new; record its names in tests/data/contracts.json"
        gone = set(rec["names"]) - _names(name)
        assert not gone, f"{name} v{v}: {sorted(gone)} removed or renamed without a version bump"
