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

from accelsim import engine_reference, model
from accelsim.errors import InputError
from accelsim.hardware import HardwareConfig
from accelsim.trace import NETWORKS, PHASES, Trace
from accelsim.workload import build_workload

TRACKS = {"dram": 1, "decoder": 2, "pe": 3, "sram0": 4, "sram1": 5}


def step_events(tr: Trace, hw: HardwareConfig, step: int, view: str = "compressed") -> dict[str, Any]:
    """Chrome trace dict of gradient step ``step`` (its whole period is scheduled; its rows are shown)."""
    ends = tr.seg_first_step + tr.seg_period_steps * tr.seg_repeats
    s = int(np.searchsorted(ends, step, side="right"))
    if step < tr.first_step or s >= tr.n_segments:
        raise InputError("--step", str(step), f"expected a step in {tr.first_step}..{int(ends[-1]) - 1}")
    wl = build_workload(tr, view)
    h = model.pack_hardware(hw)
    first, period = int(tr.seg_first_step[s]), int(tr.seg_period_steps[s])
    cold = step < first + period
    k = (step - first) % period
    a, b = int(wl.seg_row_start[s]), int(wl.seg_row_start[s + 1])
    k0, k1 = int(wl.seg_key_start[s]), int(wl.seg_key_start[s + 1])
    resident = engine_reference._resident(wl.key_order[k0:k1], wl.key_bytes[k0:k1], int(h[model.H_W_BYTES]))
    costs = []
    for i in range(a, b):
        iout = np.zeros(model.N_IRES, dtype=np.int64)
        fout = np.zeros(model.N_FRES, dtype=np.float64)
        key = int(wl.rows[i, model.R_KEY])
        model.row_costs(wl.rows[i], key >= 0 and key in resident, cold, h, iout, fout)
        costs.append((iout, fout))
    spans: list[tuple[str, int, int, int]] = []
    engine_reference._simulate_period(costs, model.buffer_slots(h), spans)
    us_per_cycle = 1.0 / hw.clock.mhz
    mine = {j for j in range(b - a) if int(wl.rows[a + j, model.R_STEP]) == k}
    t0 = min((st for _, j, st, _ in spans if j in mine), default=0)
    events = [{"name": "process_name", "ph": "M", "pid": 1, "args": {"name": f"{hw.name} step {step}"}}]
    events += [{"name": "thread_name", "ph": "M", "pid": 1, "tid": tid, "args": {"name": name}}
               for name, tid in TRACKS.items()]
    c = tr.rows
    for track, j, st, en in spans:
        if j not in mine or en <= st:
            continue
        i = a + j
        label = f"{c['network'][i]}[{c['layer'][i]}] {c['tensor'][i]} {c['phase'][i]} {c['direction'][i]}"
        events.append({"name": label, "cat": track, "ph": "X", "pid": 1, "tid": TRACKS[track],
                       "ts": (st - t0) * us_per_cycle, "dur": (en - st) * us_per_cycle,
                       "args": {"cycles": en - st, "scheme": str(c["scheme"][i]), "row": j,
                                "phase": PHASES[int(wl.rows[i, model.R_PHASE])],
                                "network": NETWORKS[int(wl.rows[i, model.R_NET])]}})
    return {"traceEvents": events, "displayTimeUnit": "ns",
            "otherData": {"trace": tr.source, "step": step, "segment": s, "cold": cold, "view": view,
                          "hardware": hw.name, "clock_mhz": hw.clock.mhz}}


def write_timeline(tr: Trace, hw: HardwareConfig, step: int, out: str | os.PathLike, view: str = "compressed") -> Path:
    from accelsim.report import atomic_write_text

    d = step_events(tr, hw, step, view)
    atomic_write_text(out, json.dumps(d))
    return Path(out)
