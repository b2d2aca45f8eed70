"""DRAM currents per device width and speed grade: the DDR4 table is DRAMSim3's configs, and a preset takes the
currents of its own width and rated grade (docs/model.md §10.4)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from accelsim.dram.dramsim3_ini import read_dramsim3_ini
from accelsim.dram.presets import from_dram_config
from accelsim.dram.standards import ddr4
from accelsim.hardware.load import load_hardware

CONFIGS = Path(__file__).parent / "data" / "dramsim3" / "configs"


@pytest.mark.parametrize("bits, rate, power", ddr4.POWER_GRADES, ids=[f"x{b}-{r:.0f}" for b, r, _ in ddr4.POWER_GRADES])
def test_ddr4_grades_are_dramsim3s_configs(bits, rate, power):
    ini = read_dramsim3_ini(CONFIGS / f"DDR4_8Gb_x{bits}_{int(rate)}.ini").part.power
    assert replace(power, io_pj_per_bit=ini.io_pj_per_bit) == ini


def test_a_rate_between_grades_takes_currents_between_them_and_none_outside():
    lo, hi = ddr4.POWER_GRADES[2][2], ddr4.POWER_GRADES[3][2]  # x8 at 2400 and 3200
    mid = ddr4.DEFAULTS.power_for(8, 2800.0)
    assert mid.idd4r_ma == pytest.approx((lo.idd4r_ma + hi.idd4r_ma) / 2)
    assert ddr4.DEFAULTS.power_for(8, 1600.0) == lo and ddr4.DEFAULTS.power_for(8, 4000.0) == hi
    assert ddr4.DEFAULTS.power_for(16, 3200.0) == ddr4.POWER_GRADES[5][2]


def test_nvdla_small_gets_its_x8_ddr4_2400_currents_and_a_gbps_override_runs_them_faster():
    hw = load_hardware("nvdla-small")
    want = read_dramsim3_ini(CONFIGS / "DDR4_8Gb_x8_2400.ini").part.power
    got = from_dram_config(hw.dram).part.power
    assert (got.idd0_ma, got.idd3n_ma, got.idd4r_ma, got.idd4w_ma) == \
        (want.idd0_ma, want.idd3n_ma, want.idd4r_ma, want.idd4w_ma)
    faster = from_dram_config(load_hardware("nvdla-small", {"dram.gbps": 25.6}).dram).part.power
    # the same part run faster (its clocked currents scaled with the clock, run_at_rate), not another grade's
    assert faster.idd4r_ma == pytest.approx(got.idd4r_ma * 25.6 / 19.2) and faster.idd4r_ma != 168.0
