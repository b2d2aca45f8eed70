"""A chip's peak: throughput and efficiency on a compute-bound synthetic workload.

A preset whose chip cites a peak throughput and efficiency says so in a ``[peak]`` table (``tflops``,
``tflops_per_w``, ``source``); ``tests/test_peak.py`` runs every such preset on :func:`compute_bound_workload`
and finds the cited peak within 10 %. :func:`calibrated_mac_pj` gives the MAC energy at which a preset reaches
a cited efficiency (what a calibrated preset writes into ``pe.mac_pj``, saying so).

The workload: one GEMM per period whose weights (one array-sized tile, K = ``pe.rows``, N = ``pe.cols``, one
fold) stay in the weight SRAM, streamed by M = 2²⁰ rows, repeated so the one cold fetch from DRAM is
amortised. The array is busy (M + 2R + C − 3)/M of the time, so throughput is within 0.03 % of
rows·cols·clock·2 flops for any preset; efficiency is the chip's (no DRAM): MACs, the SRAM traffic of the
weight tile, and the chip's static power over the run.
"""

from __future__ import annotations

import numpy as np

from accelsim.base.layouts import KIND, ROW, pack
from accelsim.base.records import Efficiency
from accelsim.hardware.config import HardwareConfig
from accelsim.trace.formats import DTYPE_BITS
from accelsim.trace.schema import PHASES
from accelsim.workload.build import Workload, from_packed

#: Rows streamed through the array per GEMM (the GEMM's M).
STREAM_ROWS = 1 << 20
#: Periods run (the first, cold, fetches the weight tile from DRAM).
REPEATS = 64


def compute_bound_workload(hw: HardwareConfig, m: int = STREAM_ROWS, repeats: int = REPEATS) -> Workload:
    """One resident array-sized weight tile times ``m`` streamed rows, ``repeats`` periods (see the module)."""
    k, n = hw.pe.rows, hw.pe.cols
    nbytes = k * n * DTYPE_BITS[hw.pe.dtype] // 8
    rows = pack(ROW, {
        "is_read": 1, "kind": KIND.weight_side, "m": m, "k": k, "n": n, "bytes": nbytes, "dec_values": 0,
        "trans_values": 0, "vflops": 0, "grad": 0, "key": 0, "first": 1, "structured": 0,
        "phase": PHASES.index("forward"), "net": 0, "layer": 0, "step": 0, "dens_num": 0,
        "dens_den": 0, "gather_rows": 0, "xfer": -1,
    }, np.int64).reshape(1, -1)
    one = np.ones(1, np.int64)
    return from_packed("dense", np.zeros(1, np.int64), one, one * repeats, np.array([0, 1], np.int64), rows,
                       np.array([0, 1], np.int64), np.array([nbytes], np.int64), np.array([nbytes], np.int64),
                       np.zeros(1, np.int64), networks=("peak",))


def peak(hw: HardwareConfig) -> Efficiency:
    """Throughput and efficiency of ``hw`` on :func:`compute_bound_workload`."""
    from accelsim.cost.hardware_vector import pack_hardware
    from accelsim.simulation.simulate import dram_static_share, run_engine

    out = run_engine(compute_bound_workload(hw), pack_hardware(hw)[None, :], detail=False)
    return Efficiency.of(out.point_totals(0, hw.clock.mhz), dram_static_share(hw))


def calibrated_mac_pj(hw: HardwareConfig, chip_tflops_per_w: float) -> float:
    """The ``pe.mac_pj`` at which ``hw`` reaches ``chip_tflops_per_w`` on the compute-bound workload.

    Chip energy is linear in the MAC energy (MACs × mac_pj + the rest), so: mac_pj = 2 / (TFLOPS/W) − (the
    rest per MAC), the rest measured with ``mac_pj = 0``. Raises ValueError if the rest alone exceeds the
    target (the static power and SRAM energy leave no room for any MAC energy).
    """
    rest = peak(hw.with_overrides({"pe.mac_pj": 0.0}))
    rest_pj_per_mac = rest.chip_energy_j * 1e12 / (rest.flops / 2)
    mac_pj = 2.0 / chip_tflops_per_w - rest_pj_per_mac
    if mac_pj <= 0:
        raise ValueError(f"{hw.name}: {rest_pj_per_mac:.4g} pJ per MAC without the MAC itself already misses "
                         f"{chip_tflops_per_w} TFLOPS/W")
    return mac_pj
