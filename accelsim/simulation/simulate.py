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

from accelsim.base.errors import InputError
from accelsim.base.layouts import ROW
from accelsim.base.records import Efficiency, RunPrecision, SegmentTotals, SimResult, ViewResult
from accelsim.cost import hardware_vector
from accelsim.engines.fast import engine as engine_fast
from accelsim.engines.output import EngineOutput
from accelsim.engines.reference import engine as engine_reference
from accelsim.hardware import limits
from accelsim.hardware.config import HardwareConfig
from accelsim.hardware.load import load_hardware
from accelsim.trace.reader import read_trace
from accelsim.trace.schema import PHASES, Trace
from accelsim.workload.build import Workload, build_workload

ENGINES = {"fast": engine_fast.run, "reference": engine_reference.run}


def view_results(wl: Workload, out: EngineOutput, p: int, hw: HardwareConfig) -> ViewResult:
    """Records of hardware point ``p`` (config ``hw``) of an engine's output."""
    mhz = hw.clock.mhz
    total = out.point_totals(p, mhz)
    by_phase = {name: out.phases.totals((p, q), mhz) for q, name in enumerate(PHASES) if out.phases.counts[p, q].any()}
    by_net = {name: out.networks.totals((p, q), mhz) for q, name in enumerate(wl.networks)
              if out.networks.counts[p, q].any()}
    # Without detail the fast engine has no layer tally (zero layers): the view then has no layer breakdown.
    by_layer = {name: out.layers.totals((p, q), mhz) for q, name in enumerate(wl.layer_names)
                if q < out.layers.counts.shape[1] and out.layers.counts[p, q].any()}
    segs = [SegmentTotals(int(wl.seg_first_step[s]), int(wl.seg_period_steps[s] * wl.seg_repeats[s]),
                          int(wl.seg_period_steps[s]), int(wl.seg_repeats[s]), out.segments.totals((p, s), mhz))
            for s in range(wl.n_segments)]
    return ViewResult(wl.view, total, by_phase, by_net, Efficiency.of(total, dram_static_share(hw)), segs, by_layer)


def dram_static_share(hw: HardwareConfig) -> float:
    """The DRAM's fraction of the static power the engines charge (logic + SRAM leakage + DRAM background)."""
    total = hw.power.static_mw + hw.sram.leakage_mw + hw.dram.static_mw
    return hw.dram.static_mw / total if total else 0.0


def run_engine(wl: Workload, H: np.ndarray, engine: str = "fast", detail: bool = True) -> EngineOutput:
    """Engine output for workload ``wl`` on packed hardware points ``H`` (P, N_HW).

    ``detail=False`` leaves the phase, network and layer breakdowns empty (faster; sweeps use the totals only).
    """
    try:
        fn = ENGINES[engine]
    except KeyError:
        raise InputError("--engine", engine, f"unknown engine; expected one of {', '.join(ENGINES)}") from None
    # One network tally per declared network (and never fewer than the rows' codes need).
    n_net = max(len(wl.networks), int(wl.rows[:, ROW.net].max()) + 1 if wl.rows.shape[0] else 1)
    return fn(wl, H, len(PHASES), n_net, detail)


#: The largest replay batch a workload may be re-sized to (``workload.batch``).
MAX_BATCH = 2**20


def check_batch(batch: int | None) -> None:
    """Refuse (one line) a ``workload.batch`` outside [1, MAX_BATCH]; None (the trace's own) passes."""
    if batch is not None and not 0 < batch <= MAX_BATCH:
        raise InputError("--set", "workload.batch", f"expected a batch in [1, 2^20], got {batch}")


def simulate(trace: Trace | str | os.PathLike, hw: HardwareConfig | str | None = None,
             engine: str = "fast", batch: int | None = None) -> SimResult:
    """Replay ``trace`` on ``hw`` (a config, a preset name or TOML path; default preset if None).

    ``batch``: re-size the training GEMMs to this replay batch (``workload.batch``; None: the trace's own).

    Returns a :class:`~accelsim.base.records.SimResult` with the compressed (as recorded) and dense views, both in
    the chip's types (``pe.dtype``, ``pe.optimizer_dtype``), whatever type the trace was recorded in.
    """
    tr = trace if isinstance(trace, Trace) else read_trace(trace)
    cfg = hw if isinstance(hw, HardwareConfig) else load_hardware(hw)
    check_batch(batch)
    wls = {view: build_workload(tr, view, batch=batch, precision=cfg.precision) for view in ("compressed", "dense")}
    return replay(tr, wls, cfg, engine)


def replay(tr: Trace, wls: dict[str, Workload], cfg: HardwareConfig, engine: str = "fast") -> SimResult:
    """:func:`simulate` of trace ``tr`` from its workloads ``wls`` ({"compressed" | "dense": workload}, built in
    ``cfg``'s precision), for a caller that keeps them across points (building them takes far longer than
    replaying them on one point)."""
    H = hardware_vector.pack_hardware(cfg)[None, :]
    limits.check_fits(wls.values(), cfg, tr.source)  # before the kernels: their int64 counters must not wrap
    views = {view: view_results(wl, run_engine(wl, H, engine), 0, cfg) for view, wl in wls.items()}
    for v in views.values():
        if min(v.totals.cycles, v.totals.dram_bytes, v.totals.macs) < 0:  # a bug, not bad input: say so loudly
            raise RuntimeError(f"negative totals in the {v.view} view: a counter wrapped ({v.totals})")
    recorded = "/".join(sorted(set(tr.rows["dtype"].tolist()))) or "?"
    return SimResult(trace=tr.source, hardware=cfg.name, engine=engine, steps=tr.n_steps,
                     dense=views["dense"], compressed=views["compressed"],
                     precision=RunPrecision(recorded, cfg.pe.dtype, cfg.pe.optimizer_dtype))
