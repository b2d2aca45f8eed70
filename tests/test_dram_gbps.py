"""Raising ``dram.gbps`` never makes a run slower (beyond whole-clock rounding of its timings, ROUNDING), and never
makes a bit cheaper merely because the number rose (docs/model.md §4): on every preset, both views of the shipped
trace, from half to twice the part's peak in 5 % steps. DDR4 holds it by its default address map, bank groups
interleaved per burst (docs/model.md §10.1); the currents of a part run off its rated rate scale with its clock
(accelsim.dram.presets.run_at_rate)."""

import itertools

import numpy as np
import pytest

from accelsim.base.resources import default_trace
from accelsim.dram import Pattern, evaluate
from accelsim.dram.presets import from_dram_config
from accelsim.hardware.load import load_hardware, preset_names
from accelsim.studies.sweep import evaluate_points

FACTORS = [0.5 * 1.05 ** i for i in range(29)]  # 0.5 .. 1.98 x the part's peak
#: The rise tolerated from one step to the next, relative: a timing given in ns is a whole number of the new
#: clock's cycles, rounded up (as on a real part), so a faster clock can lengthen it by up to one cycle
#: (measured: 1.6e-6 on eyeriss-like, 6.6e-5 on nvdla-large's compressed view over a finer grid).
ROUNDING = 1e-4


@pytest.mark.slow
@pytest.mark.parametrize("preset", preset_names())
def test_more_bandwidth_never_costs_time(preset):
    peak = load_hardware(preset).dram.peak_gbps
    rows = evaluate_points(str(default_trace()), preset, [{"dram.gbps": f"{peak * f:.6g}"} for f in FACTORS])
    assert not [r["error"] for r in rows if r.get("error")]
    for view in ("dense", "compressed"):
        cyc = np.array([r[f"{view}_cycles"] for r in rows], float)
        step = cyc[1:] / cyc[:-1] - 1
        assert step.max() <= ROUNDING, (view, FACTORS[int(step.argmax()) + 1], step.max())


@pytest.mark.parametrize("preset", preset_names())
def test_a_bit_read_never_gets_cheaper_at_a_higher_gbps(preset):
    """A long sequential read at half, one and twice the part's peak: its bursts' IDD energy per bit the same within
    0.5 %, and with the ranks' standby it never falls by more than that (at fixed currents both fell with the
    rate: edge-lpddr4 5.76 -> 2.88 pJ/bit at twice the peak; where the bus cannot use a faster clock, a DDR4
    part whose bank groups are not interleaved, tCCD_L-bound, standby per bit rises). Refreshes are fixed in
    time, so their energy per bit follows the read's length, and with them the activations of the rows they
    close, as on a real part."""
    peak = load_hardware(preset).dram.peak_gbps
    burst, with_standby = [], []
    for f in (0.5, 1.0, 2.0):
        mem = from_dram_config(load_hardware(preset, {"dram.gbps": peak * f}).dram)
        s = evaluate(mem, Pattern("sequential", 1 << 20, mem.part.org.burst_bytes), "closed")
        burst.append(s.energy_parts_pj["read"] / (8 << 20))
        with_standby.append((s.energy_parts_pj["read"] + s.energy_parts_pj["background"]) / (8 << 20))
    assert max(burst) / min(burst) - 1 < 0.005, burst
    assert all(b >= a * (1 - 0.005) for a, b in itertools.pairwise(with_standby)), with_standby
