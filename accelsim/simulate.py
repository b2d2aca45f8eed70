"""The public entry point: simulate a trace on a hardware point, compressed versus dense.

    >>> import accelsim
    >>> res = accelsim.simulate("traces/sample.parquet", accelsim.load_hardware("edge-lpddr4"))
    >>> res.speedup, res.energy_ratio

Files are read only here (the trace) and in the CLI; the engines are pure functions of
(workload, packed hardware).
"""

from __future__ import annotations

import os

import numpy as np

from accelsim import engine_fast, engine_reference, model
from accelsim.engine_fast import ENERGY_PARTS, INT_METRICS
from accelsim.errors import InputError
from accelsim.hardware import HardwareConfig, load_hardware
from accelsim.records import EnergyBreakdown, SegmentTotals, SimResult, Totals, ViewResult
from accelsim.trace import NETWORKS, PHASES, Trace, read_trace
from accelsim.workload import Workload, build_workload

ENGINES = {"fast": engine_fast.run, "reference": engine_reference.run}
PJ = 1e-12


def _totals(iv: np.ndarray, fv: np.ndarray, mhz: float) -> Totals:
    d = {name: int(iv[q]) for q, name in enumerate(INT_METRICS)}
    e = EnergyBreakdown(**{name: float(fv[q]) * PJ for q, name in enumerate(ENERGY_PARTS)})
    return Totals(
        cycles=d["cycles"], compute_cycles=d["compute_cycles"], stall_memory_cycles=d["stall_memory_cycles"],
        stall_decode_cycles=d["stall_decode_cycles"], seconds=d["cycles"] / (mhz * 1e6), energy_j=e.total,
        energy_breakdown_j=e, dram_bytes=d["dram_read_bytes"] + d["dram_write_bytes"],
        dram_read_bytes=d["dram_read_bytes"], dram_write_bytes=d["dram_write_bytes"],
        dram_row_activations=d["dram_row_activations"], sram_read_bytes=d["sram_read_bytes"],
        sram_write_bytes=d["sram_write_bytes"], macs=d["macs"])


def view_results(wl: Workload, out, p: int, mhz: float) -> ViewResult:
    """Records of hardware point ``p`` from an engine's raw arrays."""
    seg_i, seg_f, ph_i, ph_f, net_i, net_f = out
    total = _totals(seg_i[p].sum(axis=0), seg_f[p].sum(axis=0), mhz)
    by_phase = {name: _totals(ph_i[p, q], ph_f[p, q], mhz) for q, name in enumerate(PHASES) if ph_i[p, q].any()}
    by_net = {name: _totals(net_i[p, q], net_f[p, q], mhz) for q, name in enumerate(NETWORKS) if net_i[p, q].any()}
    segs = [SegmentTotals(int(wl.seg_first_step[s]), int(wl.seg_period_steps[s] * wl.seg_repeats[s]),
                          int(wl.seg_period_steps[s]), int(wl.seg_repeats[s]), _totals(seg_i[p, s], seg_f[p, s], mhz))
            for s in range(wl.n_segments)]
    return ViewResult(wl.view, total, by_phase, by_net, segs)


def run_engine(wl: Workload, H: np.ndarray, engine: str = "fast", detail: bool = True):
    """Raw engine arrays for workload ``wl`` on packed hardware points ``H`` (P, N_HW).

    ``detail=False`` leaves the phase and network breakdowns empty (faster; sweeps use the totals only).
    """
    try:
        fn = ENGINES[engine]
    except KeyError:
        raise InputError("--engine", engine, f"unknown engine; expected one of {', '.join(ENGINES)}") from None
    return fn(wl, H, len(PHASES), len(NETWORKS), detail)


def simulate(trace: Trace | str | os.PathLike, hw: HardwareConfig | str | None = None,
             engine: str = "fast") -> SimResult:
    """Replay ``trace`` on ``hw`` (a config, a preset name or TOML path; default preset if None).

    Returns a :class:`~accelsim.records.SimResult` with the compressed (as recorded) and dense views.
    """
    tr = trace if isinstance(trace, Trace) else read_trace(trace)
    cfg = hw if isinstance(hw, HardwareConfig) else load_hardware(hw)
    H = model.pack_hardware(cfg)[None, :]
    views = {}
    for view in ("compressed", "dense"):
        wl = build_workload(tr, view)
        views[view] = view_results(wl, run_engine(wl, H, engine), 0, cfg.clock.mhz)
    return SimResult(trace=tr.source, hardware=cfg.name, engine=engine, steps=tr.n_steps,
                     dense=views["dense"], compressed=views["compressed"])
