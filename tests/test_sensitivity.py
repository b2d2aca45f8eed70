"""accelsim sensitivity: one-at-a-time moves of every numeric hardware key, checked against one-point runs."""

import json
import math
import subprocess
import sys

import pytest
from conftest import SAMPLE

from accelsim.base.errors import InputError
from accelsim.hardware.config import SECTIONS, field_types, keys
from accelsim.hardware.derived import derived_values
from accelsim.hardware.limits import NOT_READ
from accelsim.hardware.load import load_hardware
from accelsim.simulation.simulate import simulate
from accelsim.studies.sensitivity import moves, run_sensitivity

VARY = 0.3


@pytest.fixture(scope="module")
def sens():
    return run_sensitivity(str(SAMPLE), None, VARY)


def test_every_key_is_moved_or_named_as_not_a_number():
    mv, other = moves(load_hardware(None), 0.2)
    assert sorted([m.key for m in mv] + other) == sorted(keys())
    assert {"pe.dataflow", "pe.skip_zeros", "sram.double_buffer", "dram.part", "pe.dtype"} <= set(other)
    derived = derived_values(load_hardware(None))
    for key in other:  # only switches, names, auto keys no model derives yet, and keys the model does not read
        sec, _, name = key.partition(".")
        typ = field_types(SECTIONS[sec])[name]
        auto_underived = getattr(getattr(load_hardware(None), sec), name) is None and key not in derived
        not_read = sec == "dram" and name in NOT_READ
        assert typ in (bool, str) or auto_underived or not_read, key
    assert {f"dram.{k}" for k in NOT_READ} <= set(other)  # moving them would move nothing


def test_integers_round_and_say_so_auto_moves_its_derived_value():
    by = {m.key: m for m in moves(load_hardware("edge-lpddr4"), 0.2)[0]}
    assert (by["clock.mhz"].low, by["clock.mhz"].high) == pytest.approx((400.0, 600.0))
    assert (by["pe.rows"].low, by["pe.rows"].high) == (26, 38) and "integer" in by["pe.rows"].note
    assert (by["dram.channel_bits"].low, by["dram.channel_bits"].high) == (8, 24)  # whole bytes
    assert (by["dram.channels"].low, by["dram.channels"].high) == (1, 3)  # at least one step each way
    gbps = by["dram.gbps"]
    assert gbps.value == pytest.approx(12.8) and "auto" in gbps.note
    assert (gbps.low, gbps.high) == pytest.approx((12.8 * 0.8, 12.8 * 1.2))
    one = {m.key: m for m in moves(load_hardware("ethos-u65-like"), 0.2)[0]}["dram.channels"]
    assert one.low is None and one.high == 2 and "cannot go below" in one.note


@pytest.mark.parametrize("vary", [0, 1, -0.1, 1.5])
def test_vary_must_be_a_fraction(vary):
    with pytest.raises(ValueError, match="--vary"):
        moves(load_hardware(None), vary)


def test_baseline_and_moves_equal_one_point_simulations(sens):
    base = simulate(SAMPLE, load_hardware(None))
    assert sens.base.speedup == pytest.approx(base.speedup, rel=1e-12)
    assert sens.base.energy_ratio == pytest.approx(base.energy_ratio, rel=1e-12)
    by = {p.move.key: p for p in sens.parameters}
    for key in ("dram.gbps", "pe.rows", "sram.weight_kib", "pe.mac_pj", "clock.mhz", "dram.channel_bits"):
        p = by[key]
        for value, head in ((p.move.low, p.low), (p.move.high, p.high)):
            if head.error:  # a move that is no valid config (a 24-bit channel is no banked DRAM part): refused too
                with pytest.raises(InputError):
                    load_hardware(None, {key: value})
                continue
            ref = simulate(SAMPLE, load_hardware(None, {key: value}))
            assert head.speedup == pytest.approx(ref.speedup, rel=1e-12), key
            assert head.energy_ratio == pytest.approx(ref.energy_ratio, rel=1e-9), key
    assert by["dram.channel_bits"].high.error and not by["dram.channel_bits"].low.error


def test_energy_and_power_keys_never_move_time(sens):
    """Energy does not feed the schedule: moving a pJ or mW figure leaves the speedup exactly where it was."""
    energy = [p for p in sens.parameters if p.move.key.endswith(("_pj", "_pj_per_bit", "_pj_per_byte",
                                                                  "_pj_per_value", "_mw"))]
    assert len(energy) >= 8
    for p in energy:
        assert p.low.speedup == sens.base.speedup and p.high.speedup == sens.base.speedup, p.move.key
    assert any(p.low.energy_ratio != sens.base.energy_ratio for p in energy)


def test_ranked_by_swing_per_vary(sens):
    ranks = [p.swing_per_vary(sens.base, VARY) for p in sens.parameters]
    finite = [r for r in ranks if not math.isnan(r)]
    assert finite == sorted(finite, reverse=True) and ranks[:len(finite)] == finite
    top = sens.parameters[0]
    assert top.swing(sens.base) > 0


def test_a_move_outside_the_valid_range_is_reported_not_raised():
    s = run_sensitivity(str(SAMPLE), None, 0.2, {"dram.trfc_ns": "3500"})  # trefi 3904: -20 % < trfc
    p = {p.move.key: p for p in s.parameters}
    assert "trfc_ns" in p["dram.trefi_ns"].low.error and math.isnan(p["dram.trefi_ns"].low.speedup)
    assert not p["dram.trefi_ns"].high.error


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "accelsim.cli", "sensitivity", *map(str, args)],
                          capture_output=True, text=True)


def test_cli_writes_table_json_and_tornado(tmp_path):
    j, png = tmp_path / "s.json", tmp_path / "fig" / "tornado.png"
    r = _cli(SAMPLE, "--vary", "0.25", "--json", j, "--plot", png)
    assert r.returncode == 0, r.stderr
    assert "baseline  speedup" in r.stdout and "not varied" in r.stdout
    d = json.loads(j.read_text())
    assert d["vary"] == 0.25 and len(d["parameters"]) == len(keys()) - len(d["not_varied"])
    assert png.stat().st_size > 0 and png.with_suffix(".svg").stat().st_size > 0


@pytest.mark.parametrize("args,needle", [
    (["--vary", "1.5"], "--vary"),
    (["--vary", "x"], "--vary"),
    (["missing.parquet"], "missing.parquet"),
    (["--hw", "nope"], "unknown preset"),
    (["--set", "pe.rows=0"], "pe.rows"),
])
def test_cli_bad_input_one_line_exit_2(args, needle):
    r = _cli(*args)
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode == 2 and len(lines) == 1 and needle in lines[0] and "Traceback" not in r.stderr


@pytest.mark.parametrize("over", [{}, {"dram.gbps": 0.6}, {"dram.gbps": 1.9}], ids=["rated", "slower", "faster"])
def test_the_dram_parts_timings_and_controller_are_varied_around_the_parts_own_values(over):
    """Every DRAM constant a preset leaves auto (the part's timings, the controller's depths and row-hit cap)
    is a key sensitivity moves, around what the part in use has (a dram.gbps base included: its timings in
    whole cycles of the clock it runs at): setting every derived value gives the same part, on every preset."""
    from accelsim.dram.presets import from_dram_config
    from accelsim.hardware.derived import dram_derived
    from accelsim.hardware.load import load_hardware, preset_names
    from accelsim.studies.sensitivity import parameters

    for preset in preset_names():
        base = load_hardware(preset)
        cfg = load_hardware(preset, {k: v * base.dram.peak_gbps for k, v in over.items()})
        numeric, _ = parameters(cfg)
        auto = {k: v for k, _, v, is_auto in numeric if is_auto}
        for key in ("dram.queue_depth", "dram.write_queue_depth", "dram.bank_queue_depth", "dram.row_hit_limit",
                    "dram.tras_ns", "dram.tfaw_ns", "dram.twr_ns", "dram.tccd_s_ck"):
            assert key in auto, (preset, key)
        assert (auto["dram.queue_depth"], auto["dram.bank_queue_depth"], auto["dram.row_hit_limit"]) == (32, 8, 4)
        pinned = load_hardware(preset, {**{k: v * base.dram.peak_gbps for k, v in over.items()}, **dram_derived(cfg)})
        assert from_dram_config(pinned.dram) == from_dram_config(cfg.dram), preset
        if from_dram_config(cfg.dram).part.org.bankgroups == 1:  # the same-group keys would move nothing
            assert "dram.tccd_l_ck" not in auto and "dram.trrd_l_ns" not in auto, preset
