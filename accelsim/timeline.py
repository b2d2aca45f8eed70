"""One simulated training step as a Chrome/Perfetto trace (``chrome://tracing``, https://ui.perfetto.dev).

Tracks: DRAM (the DMA engine's loads and stores), decoder, PE array, and one track per SRAM row buffer (held
from a transaction's load until its compute ends). Times are in microseconds of the accelerator clock. The
schedule is the reference engine's (SimPy), the same model the fast engine evaluates.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from accelsim import model
from accelsim.atomic import atomic_write_text
from accelsim.errors import InputError
from accelsim.hardware import HardwareConfig
from accelsim.layouts import ROW
from accelsim.period import period_costs, schedule_period
from accelsim.trace import NETWORKS, PHASES, Trace
from accelsim.workload import build_workload

TRACKS = {"dram": 1, "decoder": 2, "pe": 3, "sram0": 4, "sram1": 5}


def step_events(tr: Trace, hw: HardwareConfig, step: int, view: str = "compressed") -> dict[str, Any]:
    """Chrome trace dict of gradient step ``step`` (its whole period is scheduled; its rows are shown)."""
    ends = tr.seg_first_step + tr.seg_period_steps * tr.seg_repeats
    s = int(np.searchsorted(ends, step, side="right"))
    if step < tr.first_step or s >= tr.n_segments:
        raise InputError("--step", str(step), f"expected a step in {tr.first_step}..{int(ends[-1]) - 1}")
    wl = build_workload(tr, view, precision=hw.precision)
    h = model.pack_hardware(hw)
    first, period = int(tr.seg_first_step[s]), int(tr.seg_period_steps[s])
    cold = step < first + period
    k = (step - first) % period
    a = int(wl.seg_row_start[s])
    cost, _ = period_costs(wl, s, h, cold)
    spans = schedule_period(cost, model.buffer_slots(h), record_spans=True).spans
    us_per_cycle = 1.0 / hw.clock.mhz
    mine = {j for j in range(cost.shape[0]) if int(wl.rows[a + j, ROW.step]) == k}
    t0 = min((sp.start for sp in spans if sp.row in mine), default=0)
    events = [{"name": "process_name", "ph": "M", "pid": 1, "args": {"name": f"{hw.name} step {step}"}}]
    events += [{"name": "thread_name", "ph": "M", "pid": 1, "tid": tid, "args": {"name": name}}
               for name, tid in TRACKS.items()]
    c = tr.rows
    for sp in spans:
        track, j, st, en = sp.track, sp.row, sp.start, sp.end
        if j not in mine or en <= st:
            continue
        i = a + j
        label = f"{c['network'][i]}[{c['layer'][i]}] {c['tensor'][i]} {c['phase'][i]} {c['direction'][i]}"
        events.append({"name": label, "cat": track, "ph": "X", "pid": 1, "tid": TRACKS[track],
                       "ts": (st - t0) * us_per_cycle, "dur": (en - st) * us_per_cycle,
                       "args": {"cycles": en - st, "scheme": str(c["scheme"][i]), "row": j,
                                "phase": PHASES[int(wl.rows[i, ROW.phase])],
                                "network": NETWORKS[int(wl.rows[i, ROW.net])]}})
    return {"traceEvents": events, "displayTimeUnit": "ns",
            "otherData": {"trace": tr.source, "step": step, "segment": s, "cold": cold, "view": view,
                          "hardware": hw.name, "clock_mhz": hw.clock.mhz}}


def write_timeline(tr: Trace, hw: HardwareConfig, step: int, out: str | os.PathLike, view: str = "compressed") -> Path:
    """Write :func:`step_events` as JSON to ``out`` (atomically)."""
    d = step_events(tr, hw, step, view)
    atomic_write_text(out, json.dumps(d))
    return Path(out)
