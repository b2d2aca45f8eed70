"""Phase, network and layer breakdowns of sweep points, re-simulated from the rows a sweep table holds.

A sweep keeps whole-run figures only (its engine runs without the per-phase, per-network and per-layer
tallies, which would make the table many times wider). The explorer page shows a point's breakdown by phase, by
network and by layer;
this module recomputes it for chosen rows: the rows' traces are found beside the sweep folder
(:func:`accelsim.studies.sweep.locate_trace`), their hardware rebuilt from the base preset and the swept keys, and
all points of one workload run in one multi-point call of the fast engine with the tallies on.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from accelsim.base.errors import InputError
from accelsim.base.records import ENERGY_NAMES, Totals, ViewResult
from accelsim.cost import hardware_vector
from accelsim.hardware import config as hardware
from accelsim.simulation.simulate import run_engine, view_results
from accelsim.studies.sweep import WORKLOAD_KEYS, cached_base_config, cached_workloads, locate_trace
from accelsim.trace.formats import Precision

#: Figures of one phase, network or layer in a breakdown, in this order: cycles, seconds, energy (J), DRAM bytes, then
#: the energy parts (J) of :data:`accelsim.base.records.ENERGY_NAMES`.
BREAKDOWN_FIGURES = ("cycles", "seconds", "energy_j", "dram_bytes", *(f"energy_{p}_j" for p in ENERGY_NAMES))


def _figures(t: Totals) -> list[float]:
    e = t.energy_breakdown_j
    return [float(t.cycles), t.seconds, t.energy_j, float(t.dram_bytes), *(getattr(e, p) for p in ENERGY_NAMES)]


def breakdown_figures(v: ViewResult) -> dict[str, dict[str, list[float]]]:
    """A view's breakdowns, ``{"phase" | "network" | "layer": {name: figures}}``, figures per
    :data:`BREAKDOWN_FIGURES`."""
    return {"phase": {k: _figures(t) for k, t in v.by_phase.items()},
            "network": {k: _figures(t) for k, t in v.by_network.items()},
            "layer": {k: _figures(t) for k, t in v.by_layer.items()}}


def point_breakdowns(rows: Sequence[dict[str, Any]], keys: Sequence[str], sweep_dir: str | os.PathLike,
                     which: Sequence[int]) -> dict[int, dict[str, dict[str, dict[str, list[float]]]]]:
    """``{row index: {view: {"phase" | "network" | "layer": {name: figures}}}}`` for the rows ``which`` of a sweep
    table (layers named as :attr:`accelsim.base.records.ViewResult.by_layer` names them: ``critic1[1]``).

    ``keys`` are the swept keys (columns of ``rows``). Figures per :data:`BREAKDOWN_FIGURES`. Rows whose trace is
    gone, or whose point no longer builds, are left out (the page says their breakdown is not available).
    """
    groups: dict[tuple[str, int | None, Precision], list[tuple[int, hardware.HardwareConfig]]] = {}
    for i in which:
        r = rows[i]
        path = locate_trace(r, sweep_dir)
        if path is None:
            continue
        over = {k: r[k] for k in keys if k not in WORKLOAD_KEYS and r.get(k) is not None}
        batch = r.get("workload.batch")
        try:
            base = cached_base_config(None if r.get("hw") in (None, "") else str(r["hw"]))
            cfg = base.with_overrides(over) if over else base
        except InputError:
            continue
        groups.setdefault((str(path), None if batch is None else int(batch), cfg.precision), []).append((i, cfg))
    out: dict[int, dict[str, dict[str, dict[str, list[float]]]]] = {}
    for (path, batch, precision), items in groups.items():
        H = np.stack([hardware_vector.pack_hardware(c) for _, c in items])
        for view, wl in zip(("compressed", "dense"), cached_workloads(path, batch, precision), strict=True):
            res = run_engine(wl, H, detail=True)
            for p, (i, cfg) in enumerate(items):
                out.setdefault(i, {})[view] = breakdown_figures(view_results(wl, res, p, cfg))
    return out
