"""Ranges, not just signs: the values the model accepts, checked before any run starts.

Two layers, both outside the compiled kernels (which do no checking of their own):

* **Field ranges** (:func:`field_range`): every numeric hardware field has a closed range, by the unit its
  name carries (``_kib``, ``mhz``, ``gbps``, ``_ns``, ``_pj…``, ``_mw``, counts) with a few fields named
  explicitly. The ranges are wide enough for any real or imagined part (a 1 TiB buffer, a 1 PB/s bus) and
  keep every per-transaction figure far from the 64-bit limits. docs/model.md §Limits lists them.
* **Whole-run fit** (:func:`check_fits`): the engines count cycles, bytes and MACs in int64. Before a run,
  an upper bound of each total is computed in float64 from the workload and the hardware point (GEMM cycles
  by SCALE-Sim's formula, DRAM time at the peak rate times a generous factor for row, refresh and
  turnaround overheads, plus fixed costs per transfer); a run whose bound passes 2^61 is refused with one
  line instead of wrapping around. Any cost model change must keep a transaction's cycles within this bound
  (``DRAM_OVERHEAD_FACTOR`` times its streaming time plus ``FIXED_TIMINGS_PER_TRANSFER`` times the sum
of the part's timings).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from accelsim.base.errors import InputError

#: The largest total the engines may reach (int64 holds 2^63 − 1; a factor 4 of headroom).
INT_LIMIT = float(2**61)
#: A transfer's DRAM time is at most this many times its time at the peak rate (row misses on every burst,
#: refresh and bus turnaround included, with a wide margin).
DRAM_OVERHEAD_FACTOR = 1024.0
#: Fixed DRAM latency a transfer may add on top, as a multiple of the sum of the part's timings (every
#: ``dram.*_ns`` field but the refresh interval): a few row cycles, CAS, turnaround and a refresh.
FIXED_TIMINGS_PER_TRANSFER = 16.0

# Ranges by what a field measures (the suffix of its name), then exceptions by key. (low, high), inclusive.
_BY_SUFFIX: tuple[tuple[str, tuple[float, float]], ...] = (
    ("_kib", (2.0**-10, 2.0**30)),  # from one byte to 1 TiB
    ("_mhz", (1e-3, 1e5)),  # 1 kHz to 100 GHz
    ("mhz", (1e-3, 1e5)),
    ("_mtps", (1.0, 1e6)),
    ("gbps", (1e-3, 1e6)),  # 1 MB/s to 1 PB/s
    ("_ns", (0.0, 1e10)),  # up to 10 s (a refresh interval set huge turns refresh off)
    ("_pj_per_bit", (0.0, 1e6)),
    ("_pj_per_byte", (0.0, 1e6)),
    ("_pj_per_value", (0.0, 1e6)),
    ("_pj", (0.0, 1e9)),
    ("_mw", (0.0, 1e9)),  # up to 1 MW
    ("_nm", (1.0, 1e4)),
    ("_bytes", (1.0, 2.0**40)),
    ("_bits", (1.0, 2.0**16)),
)
_BY_KEY: dict[str, tuple[float, float]] = {
    "pe.rows": (1, 2**16),
    "pe.cols": (1, 2**16),
    # The banked DRAM model (accelsim.dram) keeps per-channel and per-bank state: channels x ranks x bank
    # groups x banks stays within 2^20 (a few MB per closed-form call), beyond any real part (HBM3: 16
    # pseudo-channels x 4 groups x 4 banks per stack).
    "dram.channels": (1, 1024),
    "dram.ranks": (1, 8),
    "dram.bank_groups": (1, 8),
    "dram.banks_per_group": (1, 16),
    # DMA requests: one burst to 1 GiB each; up to 2^16 outstanding (0 is spelled auto: no limit).
    "dram.request_bytes": (1, 2**30),
    "dram.requests_in_flight": (1, 2**16),
    # The controller's queues and row-hit cap: a real controller holds tens to hundreds of entries.
    "dram.queue_depth": (1, 4096),
    "dram.write_queue_depth": (1, 4096),
    "dram.bank_queue_depth": (1, 4096),
    "dram.row_hit_limit": (1, 4096),
}
#: Counts (array sizes, channels, banks, throughputs per cycle, burst lengths): at least 1, at most 2^24.
_COUNT = (1.0, 2.0**24)


def field_range(key: str, typ: type) -> tuple[float, float]:
    """The accepted closed range of a numeric hardware field ``section.name`` of type ``typ``."""
    if key in _BY_KEY:
        return _BY_KEY[key]
    name = key.partition(".")[2]
    for suffix, rng in _BY_SUFFIX:
        if name.endswith(suffix):
            return rng
    if typ is int:
        return _COUNT
    return (0.0, 1e12)  # a float without a unit in its name: a ratio or a factor


def check_field(key: str, value: float, typ: type, source: str) -> None:
    """InputError unless ``value`` lies in the field's range."""
    lo, hi = field_range(key, typ)
    if not (math.isfinite(value) and lo <= value <= hi):
        raise InputError(source, key, f"expected a value in [{lo:g}, {hi:g}], got {float(value):g}")


def _gemm_cycles_f64(m, k, n, rows: float, cols: float, dataflow: str) -> np.ndarray:
    """SCALE-Sim's stall-free GEMM cycles in float64 (no wrap-around), vectorised over transactions."""
    sr, sc, t = {"ws": (k, n, m), "os": (m, n, k), "is": (k, m, n)}[dataflow]
    folds = np.ceil(sr / rows) * np.ceil(sc / cols)
    fill = rows + cols if dataflow == "os" else 2 * rows + cols
    return np.where(m > 0, (fill + t) * folds, 0.0)


@dataclasses.dataclass(frozen=True)
class FitTerms:
    """The hardware-independent sums of one workload that :func:`check_fits` bounds a run with, each row
    weighted by its segment's repeats + 1 (the prologue and the periods). Computed once per workload
    (:func:`fit_terms`), so a sweep checks each point in microseconds.

    Attributes:
        shapes: (G, 3) the distinct GEMMs (M, K, N) of the rows; ``shape_weight`` (G,) their weighted counts.
        work: weighted vector flops, decoded and transposed values.
        nbytes: weighted bytes the rows move, plus the activation plan's worst case (every read a refill,
            every tensor spilled once: one whole-tensor transfer per event of the ops as traced).
        transfers: weighted rows plus activation events (each may pay the fixed DRAM timings).
        dram_bytes: weighted bound of bus bytes: twice each row's bytes, plus the activation worst case.
        macs: weighted M·K·N.
    """

    shapes: np.ndarray
    shape_weight: np.ndarray
    work: float
    nbytes: float
    transfers: float
    dram_bytes: float
    macs: float


def fit_terms(wl) -> FitTerms:
    """The :class:`FitTerms` of a :class:`~accelsim.workload.build.Workload`."""
    from accelsim.base import layouts

    R = layouts.ROW
    rows = wl.rows.astype(np.float64)
    seg = np.repeat(np.arange(wl.n_segments), np.diff(wl.seg_row_start))
    weight = (wl.seg_repeats.astype(np.float64) + 1.0)[seg]
    m, k, n = rows[:, R.m], rows[:, R.k], rows[:, R.n]
    gemm = m > 0
    shapes, inverse = np.unique(rows[gemm][:, [R.m, R.k, R.n]], axis=0, return_inverse=True)
    shape_weight = np.bincount(inverse.reshape(-1), weights=weight[gemm], minlength=shapes.shape[0])
    # The activation plan's worst case per segment, from the ops as traced (variant 0).
    act_bytes = np.zeros(wl.n_segments)
    act_events = np.zeros(wl.n_segments)
    for s in range(wl.n_segments):
        e0 = int(wl.op_event_start[wl.seg_op_start[0, s]])
        e1 = int(wl.op_event_start[wl.seg_op_start[0, s + 1]])
        t = wl.act_events[e0:e1, layouts.ACT_EVENT.tensor] + int(wl.seg_tensor_start[0, s])
        act_bytes[s] = float(wl.act_tensors[t, layouts.ACT_TENSOR.bytes].astype(np.float64).sum())
        act_events[s] = e1 - e0
    reps = wl.seg_repeats.astype(np.float64) + 1.0
    nbytes = rows[:, R.bytes]
    return FitTerms(
        shapes=shapes, shape_weight=shape_weight,
        work=float(np.sum(weight * (rows[:, R.vflops] + rows[:, R.dec_values] + rows[:, R.trans_values]))),
        nbytes=float(np.sum(weight * nbytes) + np.sum(reps * act_bytes)),
        transfers=float(np.sum(weight) + np.sum(reps * act_events)),
        dram_bytes=float(np.sum(weight * 2.0 * nbytes) + np.sum(reps * act_bytes)),
        macs=float(np.sum(weight * m * k * n)))


#: Hardware keys that still load (older configs name them) but that no part of the model reads.
NOT_READ = ("turnaround_ns", "act_pj")


def fit_bounds(ft: FitTerms, hw) -> dict[str, float]:
    """Upper bounds (float64) of one workload's total cycles, DRAM bytes and MACs on hardware point ``hw``.

    Every cost model change must keep the engines' totals within these (tests/test_engine_bounds.py checks
    both engines against them).
    """
    mhz = hw.clock.mhz
    gbps = hw.dram.peak_gbps
    timings_ns = sum(getattr(hw.dram, f.name) or 0.0 for f in dataclasses.fields(hw.dram)
                     if f.name.endswith("_ns") and f.name not in ("trefi_ns", *NOT_READ))
    fixed_cycles = FIXED_TIMINGS_PER_TRANSFER * timings_ns * mhz / 1e3 + 1.0
    sh = ft.shapes
    gemm = _gemm_cycles_f64(sh[:, 0], sh[:, 1], sh[:, 2], float(hw.pe.rows), float(hw.pe.cols),
                            hw.pe.dataflow) if sh.shape[0] else np.zeros(0)
    cycles = (float(np.sum(gemm * ft.shape_weight)) + ft.work
              + ft.nbytes * mhz / (gbps * 1e3) * DRAM_OVERHEAD_FACTOR + ft.transfers * fixed_cycles)
    return {"cycles": cycles, "DRAM bytes": ft.dram_bytes, "MACs": ft.macs}


def check_fits(workloads, hw, source: str = "trace", terms=None) -> None:
    """Refuse (InputError, one line) a run whose cycles, bytes or MACs could pass the engines' int64 counters.

    Args:
        workloads: the :class:`~accelsim.workload.build.Workload` views to be run.
        hw: the :class:`~accelsim.hardware.config.HardwareConfig` point.
        terms: their :class:`FitTerms`, if already computed (a sweep computes them once per workload).
    """
    for ft in terms if terms is not None else [fit_terms(wl) for wl in workloads]:
        for what, total in fit_bounds(ft, hw).items():
            if not total < INT_LIMIT:
                raise InputError(source, "", f"the run's {what} could exceed the simulator's 64-bit counters "
                                             f"(bound {total:.3g} > 2^61); shorten the trace or scale the part")
