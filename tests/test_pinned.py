"""Pinned figures per preset on the shipped traces (as ZigZag's per-preset tests): a moved number fails here.

Re-pin deliberately with ``make repin REASON=...`` (scripts/repin.py), which prints the diff and logs the
change in docs/model.md's changelog.
"""

import pinned
import pytest

from accelsim.hardware.load import DEFAULT_PRESET, preset_names
from accelsim.trace.reader import read_trace


@pytest.fixture(scope="module")
def traces():
    return {p.stem: read_trace(p) for p in pinned.shipped_traces()}


# About 3-6 s per preset (four real traces): the fast loop checks the default preset, the whole suite all.
@pytest.mark.parametrize("preset", [pytest.param(p, marks=[] if p == DEFAULT_PRESET else [pytest.mark.slow])
                                    for p in preset_names()])
def test_pinned_figures(preset, traces):
    path = pinned.pin_path(preset)
    assert path.exists(), f"{preset} has no pinned figures; run `make repin REASON=...`"
    old = pinned.load_pins(preset)
    assert sorted(old) == sorted(traces), "pinned traces differ from the shipped traces"
    new = {name: pinned.figures(tr, preset) for name, tr in traces.items()}
    diffs = pinned.differences(old, new)
    assert not diffs, f"{preset}: {len(diffs)} figures moved\n{pinned.format_diff(diffs)}"


def test_differences_sees_a_moved_integer_and_a_moved_float():
    old = {"t": {"dense": {"cycles": 10, "energy_j": 1.0}}}
    assert pinned.differences(old, {"t": {"dense": {"cycles": 10, "energy_j": 1.0 + 1e-12}}}) == []
    assert [d[0] for d in pinned.differences(old, {"t": {"dense": {"cycles": 11, "energy_j": 1.0}}})] == \
        ["t.dense.cycles"]
    assert [d[0] for d in pinned.differences(old, {"t": {"dense": {"cycles": 10, "energy_j": 1.001}}})] == \
        ["t.dense.energy_j"]
