"""The closed forms against the request-level model on the DRAM transfers the engines make.

For edge-lpddr4 (default), nvdla-large and omnidrl-like on the shipped GST trace, both views, every distinct
transfer the engines can make (:func:`accelsim.engine_reference.transfers`: loads and stores of whole tensors in
``dram.request_bytes`` requests, activation spills and refills, prologue fills, and the replay batch gathered
as B row-sized reads at random places) is run through the closed forms (what the engines charge) and through
the request-level model, averaged over the refresh schedule (and, for the replay batch, address draws).

Target: 5 %. The replay gathers miss it, and docs/model.md §10.6 says by how much: the closed forms are faster
than the request-level model on a short random stream whose activate rate and bank cycle bind together. They
are held to their documented miss (within 2 points), so a change that moves them shows here.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from conftest import REAL

from accelsim import engine_reference, model
from accelsim.dram import Pattern, simulate_expected
from accelsim.dram import closed_form as cf
from accelsim.dram.presets import from_dram_config
from accelsim.hardware import load_hardware
from accelsim.trace import read_trace
from accelsim.workload import build_workload

PRESETS = ("edge-lpddr4", "nvdla-large", "omnidrl-like")
TARGET = 0.05
#: Closed-form time / request-level time − 1 of the replay gather (256 rows) per preset, as docs/model.md §10.6
#: states it: the streams that miss the target.
REPLAY_MISS = {"edge-lpddr4": -0.055, "nvdla-large": -0.080, "omnidrl-like": -0.121}
REPLAY_SLACK = 0.02


@functools.cache
def engine_streams(preset: str) -> tuple[tuple[int, int, int], ...]:
    """Distinct (bytes, is_write, gather_rows) the engines cost on ``preset`` for the shipped GST trace."""
    hw = load_hardware(preset)
    tr = read_trace(REAL)
    keys: set[tuple[int, int, int]] = set()
    for view in ("compressed", "dense"):
        keys.update(engine_reference.transfers(build_workload(tr, view, precision=hw.precision)))
    return tuple(sorted(keys))


def pattern_of(preset: str, nbytes: int, write: int, gather: int) -> Pattern:
    """The stream the engines cost for one transfer (model.dram_stream), as an accelsim.dram pattern."""
    hw = load_hardware(preset)
    if gather:
        return Pattern("random", nbytes, nbytes // gather)
    return Pattern("sequential", nbytes, hw.dram.request_bytes or hw.dram.burst_bytes, 0, float(write))


def samples(p: Pattern) -> int:
    """Refresh-schedule points (random: also address draws) to average the request-level model over: a
    refresh hits a short transfer at few points, so short ones are sampled finely (they are cheap)."""
    if p.kind == "random":
        return 16
    return 1024 if p.total_bytes <= 1 << 12 else (512 if p.total_bytes <= 1 << 16 else 64)


def closed_vs_request(preset: str, key: tuple[int, int, int]) -> float:
    mem = from_dram_config(load_hardware(preset).dram)
    p = pattern_of(preset, *key)
    return cf.evaluate_closed(mem, p).seconds / simulate_expected(mem, p, samples(p)).seconds - 1.0


@pytest.mark.parametrize("preset", PRESETS)
def test_engine_streams_are_loads_stores_and_the_replay_gather(preset):
    keys = engine_streams(preset)
    assert any(w == 0 and g == 0 for _, w, g in keys) and any(w == 1 for _, w, _ in keys)
    gathers = [k for k in keys if k[2] > 0]
    assert len(gathers) == 1 and gathers[0][1] == 0 and gathers[0][2] == 256  # the replay batch, B = 256 rows
    # what the engines charge is the closed form of that very pattern (dram_stream), to the cycle
    hw = load_hardware(preset)
    h = model.pack_hardware(hw)
    mem = from_dram_config(hw.dram)
    for key in keys:
        s = cf.evaluate_closed(mem, pattern_of(preset, *key))
        assert model.dram_stream(*key, h)[0] == int(np.ceil(s.seconds * hw.clock.mhz * 1e6 - 1e-9))


@pytest.mark.parametrize("preset", PRESETS)
def test_closed_forms_within_5pct_of_request_model_on_engine_streams(preset):
    misses = {}
    for key in engine_streams(preset):
        err = closed_vs_request(preset, key)
        if key[2] > 0:
            assert err == pytest.approx(REPLAY_MISS[preset], abs=REPLAY_SLACK), (preset, key, err)
        elif abs(err) > TARGET:
            misses[key] = round(err, 4)
    assert not misses, f"{preset}: closed forms off the request-level model by more than {TARGET:.0%}: {misses}"
