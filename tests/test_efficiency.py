"""Throughput and TFLOPS/W, total and chip-only, in the report and its JSON."""

import json
import subprocess
import sys

import pytest
from conftest import SAMPLE

from accelsim.cost import hardware_vector
from accelsim.hardware.load import load_hardware
from accelsim.simulation.simulate import simulate

NO_DRAM_ENERGY = {"dram.io_pj_per_bit": 0, "dram.static_mw": 0}


@pytest.mark.parametrize("preset", ["edge-lpddr4", "omnidrl-like"])
def test_chip_only_energy_is_the_run_with_dram_energy_set_to_zero(preset, monkeypatch):
    """Independent check of the split: energy does not feed time, so zeroing every DRAM energy (the interface's
    by its key, the IDD core's by zeroing the part's command energies) and the DRAM's background power leaves
    the same run with only the chip's energy in it."""
    hw = load_hardware(preset)
    res = simulate(SAMPLE, hw)
    monkeypatch.setattr(hardware_vector, "command_energies_pj", lambda mem: dict.fromkeys(
        ("act", "read", "write", "refresh", "active_per_ck", "idle_per_ck"), 0.0))
    chip = simulate(SAMPLE, hw.with_overrides(NO_DRAM_ENERGY))
    for view in ("dense", "compressed"):
        e, t = getattr(res, view).efficiency, getattr(res, view).totals
        c = getattr(chip, view).totals
        assert c.cycles == t.cycles
        assert e.chip_energy_j == pytest.approx(c.energy_j, rel=1e-9)
        assert e.flops == 2 * t.macs
        assert e.tflops == pytest.approx(2 * t.macs / t.seconds / 1e12, rel=1e-12)
        assert e.tflops_per_w == pytest.approx(2 * t.macs / t.energy_j / 1e12, rel=1e-12)
        assert e.chip_tflops_per_w == pytest.approx(2 * t.macs / c.energy_j / 1e12, rel=1e-9)
        assert e.chip_tflops_per_w > e.tflops_per_w


def test_run_prints_both_efficiencies_and_the_json_carries_them(tmp_path):
    j = tmp_path / "r.json"
    r = subprocess.run([sys.executable, "-m", "accelsim.cli", "run", str(SAMPLE), "--json", str(j)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "TFLOPS/W total" in r.stdout and "chip only" in r.stdout
    d = json.loads(j.read_text())
    for view in ("dense", "compressed"):
        eff = d[view]["efficiency"]
        assert eff["flops"] == 2 * d[view]["macs"]
        assert eff["tflops_per_w"] == pytest.approx(eff["flops"] / d[view]["energy_j"] / 1e12)
        assert eff["chip_tflops_per_w"] == pytest.approx(eff["flops"] / eff["chip_energy_j"] / 1e12)
