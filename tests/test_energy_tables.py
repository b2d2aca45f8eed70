"""Per-dtype energies at 45 nm (Horowitz 2014), scaled to a node (Stillmaker & Baas 2017), SRAM by array size."""

import pytest

from accelsim.base.errors import InputError
from accelsim.base.resources import models_dir
from accelsim.hardware.derived import effective
from accelsim.hardware.energy_tables import chip_energy, tables
from accelsim.hardware.load import load_hardware, load_toml, preset_names

# Published figures, typed in here from the papers, not read from the data files.
HOROWITZ_MAC_PJ = {"fp32": 3.7 + 0.9, "fp16": 1.1 + 0.4, "int8": 0.2 + 0.03}
HOROWITZ_SRAM_PJ_PER_64B = {8.0: 10.0, 32.0: 20.0, 1024.0: 100.0}


def _e(v, a, b, c):
    """Stillmaker & Baas's fit E(V) = a·V² + b·V + c."""
    return a * v * v + b * v + c


def test_the_reference_point_is_horowitz():
    for dtype, mac in HOROWITZ_MAC_PJ.items():
        e = chip_energy(dtype, "fp32", 45, 0.9, 8.0)
        assert e.scale == 1.0 and e.mac_pj == pytest.approx(mac)
        assert e.vector_flop_pj == pytest.approx((3.7 + 0.9) / 2)
    for kib, pj in HOROWITZ_SRAM_PJ_PER_64B.items():  # the fit passes within 2.5 % of every published point
        assert chip_energy("fp32", "fp32", 45, 0.9, kib).sram_pj_per_byte * 8 == pytest.approx(pj, rel=0.025)


def test_node_fits_reproduce_the_papers_worked_example():
    """Stillmaker & Baas's erratum: 0.8367·0.9² − 0.4341·0.9 + 0.1701 = 0.4571 and 3.755·1.3² − 4.398·1.3 + 1.975
    = 2.604 (the 32 nm HP and 65 nm fits)."""
    assert tables().node_energy(32, 0.9) == pytest.approx(0.4571, abs=1e-4)
    assert tables().node_energy(65, 1.3) == pytest.approx(2.604, abs=1e-3)


def test_a_node_between_fits_is_interpolated_in_nm():
    e32, e20 = _e(0.9, 0.8367, -0.4341, 0.1701), _e(0.9, 0.373, -0.1582, 0.04104)
    e45 = _e(0.9, 1.018, -0.3107, 0.1539)
    want = (e32 + (e20 - e32) * (32 - 28) / (32 - 20)) / e45
    assert tables().scale(28, 0.9) == pytest.approx(want, rel=1e-12)
    edge = load_hardware("edge-lpddr4")  # 28 nm, fp32, supply auto (0.9 V)
    assert effective(edge, "pe.mac_pj") == pytest.approx(4.6 * want, rel=1e-12)
    assert effective(edge, "pe.vector_flop_pj") == pytest.approx(2.3 * want, rel=1e-12)


def test_energy_falls_with_the_node_and_rises_with_the_supply():
    t = tables()
    nodes = [180, 130, 90, 65, 45, 32, 28, 20, 16, 14, 12, 10, 8, 7]
    at_nominal = [t.scale(n, t.nominal_vdd(n)) for n in nodes]
    assert at_nominal == sorted(at_nominal, reverse=True)
    for n in nodes:
        v = t.nominal_vdd(n)
        assert t.scale(n, v * 1.1) > t.scale(n, v) > t.scale(n, v * 0.95)


def test_sram_energy_grows_with_the_bank():
    base = load_hardware("edge-lpddr4")
    fewer = base.with_overrides({"sram.banks": 2})  # bigger banks
    assert effective(fewer, "sram.read_pj_per_byte") > effective(base, "sram.read_pj_per_byte")
    assert effective(base, "sram.write_pj_per_byte") == effective(base, "sram.read_pj_per_byte")


def test_given_energies_override_the_tables():
    hw = load_hardware("edge-lpddr4", {"pe.mac_pj": "1.25", "sram.read_pj_per_byte": "auto"})
    assert effective(hw, "pe.mac_pj") == 1.25 and hw.sram.read_pj_per_byte is None
    assert effective(load_hardware("omnidrl-like"), "pe.mac_pj") == 0.03953  # calibrated, written in the preset


def test_every_preset_names_its_node_and_datapath_type():
    for name in preset_names():
        data = load_toml(models_dir() / f"{name}.toml")
        assert 7 <= data["tech"]["node_nm"] <= 180, name
        assert data["pe"]["dtype"] in ("fp32", "bf16", "fp16", "int8"), name


@pytest.mark.parametrize("over,needle", [
    ({"tech.node_nm": "5"}, "tech.node_nm: expected a node from 7 to 180 nm"),
    ({"tech.node_nm": "250"}, "tech.node_nm"),
    ({"tech.node_nm": "180", "tech.vdd_v": "0.5"}, "tech.vdd_v"),  # the 180 nm fit is negative below 0.73 V
    ({"tech.vdd_v": "0"}, "tech.vdd_v: expected a positive value or auto"),
    ({"pe.dtype": "fp8"}, "pe.dtype: expected one of fp32, bf16, fp16, int8"),
])
def test_out_of_the_tables_is_refused_with_one_line(over, needle):
    with pytest.raises(InputError) as exc:
        load_hardware("edge-lpddr4", over)
    assert needle in exc.value.one_line()
