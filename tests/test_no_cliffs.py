"""No model cliffs: over the weight and activation buffers, from 32 KiB to 4 MiB in x1.25 steps on every preset,
each view's cycles do not rise with more buffer, and a step moves them by more than 10 % only while the buffer is
smaller than what the view would keep there (its weight-side tensors, or its period's peak live activations):
there each KiB of buffer keeps its share of that traffic on chip (tiles of weights, batch rows of activations),
so time falls with the capacity added — a slope, its steps alike, not a cliff that stands out of its neighbours
(docs/model.md §3)."""

import numpy as np
import pytest

from accelsim.base.layouts import ACT_EVENT, ACT_TENSOR
from accelsim.base.resources import default_trace
from accelsim.hardware.load import load_hardware, preset_names
from accelsim.studies.sweep import evaluate_points
from accelsim.trace.reader import read_trace
from accelsim.workload.build import build_workload

KIBS = [32 * 1.25 ** i for i in range(22)]  # 32 KiB .. 3.47 MiB (the next step passes 4 MiB)
#: The rise tolerated from one step to the next, relative (docs/model.md §9: the greedy knapsack and Belady's
#: eviction are not exactly monotone in the capacity; the largest rise measured is 0.33 %).
RISE = 0.005


def _footprints(preset: str, view: str) -> tuple[int, int]:
    """(largest segment's weight-side bytes, largest period's peak live activation bytes) of the shipped trace."""
    hw = load_hardware(preset)
    wl = build_workload(read_trace(default_trace()), view, precision=hw.precision)
    weights = max(int(wl.key_bytes[wl.seg_key_start[s]:wl.seg_key_start[s + 1]].sum()) for s in range(wl.n_segments))
    peak = 0
    for s in range(wl.n_segments):
        t0 = int(wl.seg_tensor_start[0, s])
        size = wl.act_tensors[t0:int(wl.seg_tensor_start[0, s + 1]), ACT_TENSOR.bytes]
        live: set[int] = set()
        for o in range(int(wl.seg_op_start[0, s]), int(wl.seg_op_start[0, s + 1])):
            ev = wl.act_events[int(wl.op_event_start[o]):int(wl.op_event_start[o + 1])]
            live |= {int(e[ACT_EVENT.tensor]) for e in ev}
            peak = max(peak, int(sum(size[t] for t in live)))
            live -= {int(e[ACT_EVENT.tensor]) for e in ev if e[ACT_EVENT.next_use] < 0}
    return weights, peak


@pytest.mark.slow
@pytest.mark.parametrize("preset", preset_names())
def test_more_buffer_never_costs_time_and_no_step_is_a_cliff(preset):
    trace = str(default_trace())
    for key, which in (("sram.weight_kib", 0), ("sram.act_kib", 1)):
        rows = evaluate_points(trace, preset, [{key: f"{k:.4f}"} for k in KIBS])
        assert not [r["error"] for r in rows if r.get("error")]
        for view in ("dense", "compressed"):
            cyc = np.array([r[f"{view}_cycles"] for r in rows], float)
            step = cyc[1:] / cyc[:-1] - 1
            assert step.max() <= RISE, (key, view, KIBS[int(step.argmax()) + 1], step.max())
            footprint = _footprints(preset, view)[which]
            for i in np.flatnonzero(np.abs(step) > 0.10):
                # On the slope: below the footprint, and no more than twice a neighbouring step (a cliff stands
                # out of its neighbours; a slope's steps are alike).
                near = max(abs(step[j]) for j in (i - 1, i + 1) if 0 <= j < len(step))
                assert KIBS[i] * 1024 < footprint and abs(step[i]) <= 2 * near, (key, view, KIBS[i + 1], step[i])
