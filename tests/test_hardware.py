import math

import pytest

from accelsim.base.errors import InputError
from accelsim.base.resources import models_dir
from accelsim.hardware import config as hardware
from accelsim.hardware import load as hw_load
from accelsim.hardware.load import load_hardware, load_preset, preset_names

REQUIRED = ["dram.gbps", "sram.weight_kib", "pe.rows", "pe.cols", "pe.dataflow", "clock.mhz", "pe.skip_zeros"]


def test_presets_load_and_cite_sources():
    names = preset_names()
    for expected in ("edge-lpddr4", "eyeriss-like", "nvdla-small", "nvdla-large", "ethos-u65-like",
                     "orin-nano-class", "omnidrl-like"):
        assert expected in names
    for n in names:
        cfg = load_preset(n)
        assert cfg.name == n and cfg.description
        assert hw_load.preset_sources(n)["sources"], f"{n} cites no sources"
        assert cfg.dram.peak_gbps > 0


def test_required_keys_exist_everywhere():
    keys = hardware.keys()
    for k in REQUIRED:
        assert k in keys


def test_lpddr4_2400_x64_bl16_is_19_2_gbps_with_128_byte_bursts():
    cfg = load_preset("eyeriss-like")
    assert cfg.dram.peak_gbps == pytest.approx(19.2)
    assert cfg.dram.burst_bytes == 128


def test_orin_nano_class_bandwidth():
    assert load_preset("orin-nano-class").dram.peak_gbps == pytest.approx(68.256)


def test_overrides_parse_types_and_gbps_overrides_part_peak():
    cfg = load_hardware(None, {"dram.gbps": "3.2", "pe.rows": "7", "pe.skip_zeros": "true", "pe.dataflow": "os",
                               "sram.weight_kib": "0.5", "clock.mhz": "123.5"})
    assert cfg.dram.peak_gbps == 3.2 and cfg.pe.rows == 7 and cfg.pe.skip_zeros is True
    assert cfg.pe.dataflow == "os" and cfg.sram.weight_kib == 0.5 and math.isclose(cfg.clock.mhz, 123.5)


@pytest.mark.parametrize("key,value,msg", [
    ("pe.rows", "0", "positive"), ("pe.rows", "-4", "positive"), ("sram.weight_kib", "0", "positive"),
    ("dram.gbps", "-1", "positive value or auto"), ("dram.gbps", "0", "positive value or auto"),
    ("dram.gbps", "fast", "number or auto"), ("dram.io_pj_per_bit", "-1", ">= 0"), ("clock.mhz", "abc", "number"),
    ("pe.dataflow", "rs", "ws, os, is"),
    ("pe.bogus", "1", "unknown key"), ("nosuch.rows", "1", "unknown key"), ("pe.rows", "2.5", "integer"),
    ("pe.skip_zeros", "maybe", "true or false"),
    # the banked DRAM model's keys have ranges (accelsim.hardware.limits), not just signs
    ("dram.request_bytes", "0", "positive"), ("dram.request_bytes", "2e9", "expected a value in"),
    ("dram.requests_in_flight", "-1", "positive"), ("dram.requests_in_flight", "100000", "expected a value in"),
    ("dram.ranks", "9", "expected a value in"), ("dram.banks_per_group", "64", "expected a value in"),
    ("dram.channels", "4096", "expected a value in"),
])
def test_bad_overrides(key, value, msg):
    with pytest.raises(InputError, match=msg) as ei:
        load_hardware(None, {key: value})
    assert key in str(ei.value)


def test_unknown_preset_and_malformed_toml(tmp_path):
    with pytest.raises(InputError, match="unknown preset"):
        load_hardware("no-such-chip")
    bad = tmp_path / "bad.toml"
    bad.write_text("[pe\nrows = 3")
    with pytest.raises(InputError, match="malformed TOML") as ei:
        load_hardware(str(bad))
    assert str(bad) in str(ei.value)
    neg = tmp_path / "neg.toml"
    neg.write_text("[sram]\nweight_kib = -2\n")
    with pytest.raises(InputError, match=r"sram\.weight_kib"):
        load_hardware(str(neg))


def test_parse_set_args():
    assert hardware.parse_set_args(["a.b=1", " c.d = x "]) == {"a.b": "1", "c.d": "x"}
    with pytest.raises(InputError, match="KEY=VALUE"):
        hardware.parse_set_args(["dram.gbps"])


def test_dram_peak_is_derived_when_gbps_is_left_out_or_auto(tmp_path):
    derived = load_hardware("edge-lpddr4")
    assert derived.dram.gbps is None
    assert derived.dram.peak_gbps == pytest.approx(2 * 16 / 8 * 3200e6 / 1e9)  # 2 x16 channels, LPDDR4-3200
    assert load_hardware("edge-lpddr4", {"dram.gbps": "3.2"}).dram.peak_gbps == 3.2
    assert load_hardware("edge-lpddr4", {"dram.gbps": "3.2"}).with_overrides({"dram.gbps": "auto"}) == derived
    auto = tmp_path / "auto.toml"
    auto.write_text('[dram]\ngbps = "auto"\n')
    # A file of one's own lies over the default preset: its part, 2 x16 channels of LPDDR4-3200.
    assert load_hardware(str(auto)).dram.peak_gbps == pytest.approx(12.8)
    zero = tmp_path / "zero.toml"
    zero.write_text("[dram]\ngbps = 0\n")
    with pytest.raises(InputError, match=r"zero\.toml: dram\.gbps: expected a positive value or auto"):
        load_hardware(str(zero))


def test_every_preset_keeps_its_effective_peak():
    """Presets leave dram.gbps out (derived peak); none relied on gbps = 0, which is now refused."""
    for n in preset_names():
        cfg = load_preset(n)
        assert cfg.dram.gbps is None or cfg.dram.gbps > 0
        assert cfg.dram.peak_gbps > 0


def test_a_file_of_ones_own_takes_every_key_it_does_not_set_from_its_base_preset(tmp_path):
    only = tmp_path / "rows64.toml"
    only.write_text("[pe]\nrows = 64\n")
    cfg = load_hardware(str(only))
    default = load_hardware(None)
    assert cfg.pe.rows == 64 and cfg.pe.cols == default.pe.cols and cfg.sram == default.sram
    assert cfg.name == "rows64" and "from the preset edge-lpddr4" in cfg.description
    based = tmp_path / "eyeriss_rows.toml"
    based.write_text('base = "eyeriss-like"\n[pe]\nrows = 16\n')
    eye = load_hardware("eyeriss-like")
    cfg = load_hardware(str(based))
    assert cfg.pe.rows == 16 and cfg.pe.cols == eye.pe.cols and cfg.dram == eye.dram and cfg.clock == eye.clock
    bad = tmp_path / "bad_base.toml"
    bad.write_text('base = "no-such-chip"\n')
    with pytest.raises(InputError, match=r"bad_base\.toml: base: expected the name of a shipped preset"):
        load_hardware(str(bad))


def test_a_copy_of_a_shipped_preset_loads_as_that_preset(tmp_path):
    """A copy of a shipped preset file naming that preset as its base loads as the preset itself."""
    for name in preset_names():
        copy = tmp_path / f"{name}.toml"
        text = (models_dir() / f"{name}.toml").read_text()
        copy.write_text(f'base = "{name}"\n' + text)
        assert load_hardware(str(copy)) == load_hardware(name), name
