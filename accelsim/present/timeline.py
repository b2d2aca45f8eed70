"""One simulated training step as a Chrome/Perfetto trace (``chrome://tracing``, https://ui.perfetto.dev).

Tracks: DRAM (the DMA engine's loads and stores), decoder, PE array, and one track per stream slot of the
weight buffer (held from a tile's load until its compute ends). Each event is one tile of an op, labelled
by the op's attribution row. Times are in microseconds of the accelerator clock. The schedule is the
reference engine's (SimPy), the same model the fast engine evaluates; the segment's prologue (resident
tensors fetched once) is not drawn, its cycles are in ``otherData``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from accelsim.base.atomic import atomic_write_text
from accelsim.base.errors import InputError
from accelsim.base.layouts import N_ENERGY, N_ROW_COST, ROW, ROW_COST
from accelsim.cost import dram_cost, hardware_vector, policy
from accelsim.cost import rows as row_costs
from accelsim.engines.reference.period import op_tiles, period_costs, schedule_period
from accelsim.engines.reference.placement import activation_plan, segment_resident, variant
from accelsim.hardware.config import HardwareConfig
from accelsim.trace.schema import PHASES, Trace
from accelsim.workload.build import build_workload

TRACKS = {"dram": 1, "decoder": 2, "pe": 3, "sram0": 4, "sram1": 5}


def step_events(tr: Trace, hw: HardwareConfig, step: int, view: str = "compressed") -> dict[str, Any]:
    """Chrome trace dict of gradient step ``step`` (its whole period is scheduled; its rows are shown)."""
    ends = tr.seg_first_step + tr.seg_period_steps * tr.seg_repeats
    s = int(np.searchsorted(ends, step, side="right"))
    if step < tr.first_step or s >= tr.n_segments:
        raise InputError("--step", str(step), f"expected a step in {tr.first_step}..{int(ends[-1]) - 1}")
    wl = build_workload(tr, view, precision=hw.precision)
    h = hardware_vector.pack_hardware(hw)
    first, period = int(tr.seg_first_step[s]), int(tr.seg_period_steps[s])
    k = (step - first) % period
    table = dram_cost.transfer_table(wl.xfer_keys, h)
    cost, _ = period_costs(wl, s, h, table)
    ops = op_tiles(wl, s, h, cost, activation_plan(wl, s, h, table))
    sched = schedule_period(ops, policy.stream_slots(h), record_spans=True)
    spans = sched.spans
    v = variant(h)
    o0 = int(wl.seg_op_start[v, s])
    attr = [int(i) for i in wl.op_attr[o0:int(wl.seg_op_start[v, s + 1])]]
    us_per_cycle = 1.0 / hw.clock.mhz
    mine = {o for o, i in enumerate(attr) if int(wl.rows[i, ROW.step]) == k}
    t0 = min((sp.start for sp in spans if sp.op in mine), default=0)
    resident = segment_resident(wl, s, h)
    prologue = 0
    for i in range(int(wl.seg_row_start[s]), int(wl.seg_row_start[s + 1])):
        r = wl.rows[i]
        key = int(r[ROW.key])
        if key in resident and r[ROW.first] == 1 and r[ROW.is_read] == 1:
            kb = int(wl.key_bytes[int(wl.seg_key_start[s]) + key])
            c, e = np.zeros(N_ROW_COST, np.int64), np.zeros(N_ENERGY)
            row_costs.fill_costs(r, resident[key], kb, h, table, c, e)
            prologue += int(c[ROW_COST.read_cycles])
    events = [{"name": "process_name", "ph": "M", "pid": 1, "args": {"name": f"{hw.name} step {step}"}}]
    events += [{"name": "thread_name", "ph": "M", "pid": 1, "tid": tid, "args": {"name": name}}
               for name, tid in TRACKS.items()]
    c = tr.rows
    for sp in spans:
        track, st, en = sp.track, sp.start, sp.end
        if sp.op not in mine or en <= st:
            continue
        i = attr[sp.op]
        label = f"{c['network'][i]}[{c['layer'][i]}] {c['tensor'][i]} {c['phase'][i]} {c['direction'][i]}"
        events.append({"name": label, "cat": track, "ph": "X", "pid": 1, "tid": TRACKS[track],
                       "ts": (st - t0) * us_per_cycle, "dur": (en - st) * us_per_cycle,
                       "args": {"cycles": en - st, "scheme": str(c["scheme"][i]), "op": o0 + sp.op,
                                "tile": sp.tile, "phase": PHASES[int(wl.rows[i, ROW.phase])],
                                "network": wl.networks[int(wl.rows[i, ROW.net])]}})
    return {"traceEvents": events, "displayTimeUnit": "ns",
            "otherData": {"trace": tr.source, "step": step, "segment": s, "view": view, "hardware": hw.name,
                          "clock_mhz": hw.clock.mhz, "period_cycles": sched.cycles,
                          "prologue_cycles": prologue}}


def write_timeline(tr: Trace, hw: HardwareConfig, step: int, out: str | os.PathLike, view: str = "compressed") -> Path:
    """Write :func:`step_events` as JSON to ``out`` (atomically)."""
    d = step_events(tr, hw, step, view)
    atomic_write_text(out, json.dumps(d))
    return Path(out)
