"""``accelsim explore --live``: one design point at a time, re-simulated as its controls move.

What the live page asks for, as pure functions of a request (a JSON object) to a reply (a JSON-able dict):
:func:`controls` (the preset's value of every hardware key, the traces, presets and formats to choose from),
:func:`evaluate` (one point: speedup, energy ratio, area, figures and breakdowns) and :func:`tornado` (the
sensitivity study around the point). :mod:`accelsim.present.live_server` serves them over HTTP.

A request names ``trace`` (an index into the served traces), ``preset``, ``format`` ("" keeps the trace's
recorded formats, else one of :data:`accelsim.trace.analysis.REENCODE_FORMATS`) and ``overrides`` (dotted
hardware key → value as typed, e.g. ``{"dram.gbps": "12.8"}``). Bad input raises
:class:`~accelsim.base.errors.InputError`, whose one line the page shows, as the command line would.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from accelsim.base.errors import InputError
from accelsim.base.records import ENERGY_NAMES
from accelsim.hardware import config as hardware
from accelsim.hardware.area import chip_area
from accelsim.hardware.config import keys as hardware_keys
from accelsim.hardware.load import load_hardware, preset_names
from accelsim.simulation.simulate import replay
from accelsim.studies.breakdowns import BREAKDOWN_FIGURES, breakdown_figures
from accelsim.trace.analysis import REENCODE_FORMATS, reencode
from accelsim.trace.formats import Precision
from accelsim.trace.reader import read_trace
from accelsim.trace.schema import Trace
from accelsim.workload.build import VIEWS, Workload, build_workload

#: How far the tornado moves each parameter (as ``accelsim sensitivity``'s default ``--vary``).
TORNADO_VARY = 0.2


def value_text(v: Any) -> str:
    """A config value as the page's control shows it and ``--set`` takes it (None: ``auto``)."""
    if v is None:
        return hardware.AUTO
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def controls(preset: str | None, traces: Sequence[str]) -> dict[str, Any]:
    """The page's controls for ``preset`` (None: the default): every hardware key with the preset's value as
    text, in :func:`accelsim.hardware.config.keys` order; the choices of preset, format and ``pe.dtype``."""
    cfg = load_hardware(preset)
    values = {}
    for key in hardware_keys():
        sec, _, name = key.partition(".")
        values[key] = value_text(getattr(getattr(cfg, sec), name))
    return {"preset": cfg.name, "presets": preset_names(), "traces": list(traces), "formats": list(REENCODE_FORMATS),
            "dtypes": list(hardware.DTYPES), "values": values, "figures": list(BREAKDOWN_FIGURES),
            "energy_parts": list(ENERGY_NAMES)}


@functools.lru_cache(maxsize=4)
def _trace(path: str) -> Trace:
    return read_trace(path)


@functools.lru_cache(maxsize=8)
def _reencoded(path: str, fmt: str) -> Trace:
    return _trace(path) if not fmt else reencode(_trace(path), fmt)


@functools.lru_cache(maxsize=32)
def _workloads(path: str, fmt: str, precision: Precision) -> dict[str, Workload]:
    # Kept across points: building a view's workload takes about a second, replaying it on a point milliseconds.
    return {view: build_workload(_reencoded(path, fmt), view, precision=precision) for view in VIEWS}


def _request(req: Mapping[str, Any], traces: Sequence[str]) -> tuple[str, str | None, dict[str, str], str]:
    """A request's trace path, preset, overrides and format, checked (one-line errors name the control)."""
    try:
        path = traces[int(req.get("trace", 0))]
    except (TypeError, ValueError, IndexError):
        raise InputError("trace", str(req.get("trace")), f"expected an index below {len(traces)}") from None
    preset = req.get("preset") or None
    over = req.get("overrides") or {}
    if not isinstance(over, Mapping):
        raise InputError("overrides", "", "expected an object of hardware key to value")
    fmt = str(req.get("format") or "")
    if fmt and fmt not in REENCODE_FORMATS:
        raise InputError("--format", fmt, f"expected one of {', '.join(REENCODE_FORMATS)}")
    return path, None if preset is None else str(preset), {str(k): str(v) for k, v in over.items()}, fmt


def evaluate(req: Mapping[str, Any], traces: Sequence[str]) -> dict[str, Any]:
    """One point (see the module docstring): ``speedup``, ``energy_ratio``, ``area_mm2`` and ``area_parts``
    (mm²), ``figures`` ({view: {figure: value}}: seconds, energy (J), cycles and their parts, DRAM bytes, energy
    parts), ``breakdowns`` ({view: {"phase" | "network" | "layer": {name: figures}}}, figures by
    :data:`accelsim.studies.breakdowns.BREAKDOWN_FIGURES`) and ``hardware`` (the preset's name)."""
    path, preset, over, fmt = _request(req, traces)
    cfg = load_hardware(preset, over)
    res = replay(_reencoded(path, fmt), _workloads(path, fmt, cfg.precision), cfg)
    area = chip_area(cfg)
    figures, breakdowns = {}, {}
    for v in (res.compressed, res.dense):
        t, e = v.totals, v.totals.energy_breakdown_j
        figures[v.view] = {"seconds": t.seconds, "energy_j": t.energy_j, "cycles": t.cycles,
                           "compute_cycles": t.compute_cycles, "stall_memory_cycles": t.stall_memory_cycles,
                           "stall_decode_cycles": t.stall_decode_cycles, "dram_bytes": t.dram_bytes,
                           "tflops_per_w": v.efficiency.tflops_per_w,
                           "tflops_per_mm2": v.efficiency.tflops / area.total_mm2,
                           **{f"energy_{p}_j": getattr(e, p) for p in ENERGY_NAMES}}
        breakdowns[v.view] = breakdown_figures(v)
    return {"hardware": cfg.name, "speedup": res.speedup, "energy_ratio": res.energy_ratio,
            "area_mm2": area.total_mm2, "area_parts": area.parts(), "figures": figures, "breakdowns": breakdowns}


def tornado(req: Mapping[str, Any], traces: Sequence[str], top: int = 12) -> dict[str, Any]:
    """``accelsim sensitivity`` around the point (±:data:`TORNADO_VARY`), its ``top`` parameters: the study's
    JSON (docs/contracts.md, "Sensitivity JSON") cut to them, plus ``format_note`` where the point re-encodes
    the trace (the study replays the trace as recorded)."""
    from accelsim.studies.sensitivity import run_sensitivity

    path, preset, over, fmt = _request(req, traces)
    load_hardware(preset, over)  # a bad value: the same one line as evaluate's, before the study runs
    d = run_sensitivity(path, preset, TORNADO_VARY, over).to_dict()
    d["parameters"] = d["parameters"][:top]
    d["format_note"] = f"of the trace as recorded, not re-encoded as {fmt}" if fmt else ""
    return d
