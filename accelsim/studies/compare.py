"""Compression schemes side by side on one chip: each trace (optionally re-encoded) replayed compressed and
dense, with its average compression ratio. What ``accelsim compare`` tabulates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from accelsim.hardware.config import HardwareConfig
from accelsim.simulation.simulate import simulate
from accelsim.trace.analysis import average_compression, reencode
from accelsim.trace.reader import read_trace


def compare_row(path: str, hw: HardwareConfig, fmt: str | None = None, group: tuple[int, int] = (1, 4)
                ) -> dict[str, Any]:
    """One trace's row: its method, format, average ratio by bytes and parameters, latency per step (ms),
    energy (J) and DRAM bytes compressed and dense, speedup and energy ratio."""
    tr = read_trace(path)
    if fmt:
        tr = reencode(tr, fmt, *group)
    res = simulate(tr, hw)
    rb, rp = average_compression(tr)
    c, d = res.compressed.totals, res.dense.totals
    return {"trace": str(path), "method": tr.meta.get("method", ""), "format": fmt or "as recorded",
            "steps": tr.n_steps, "avg_ratio_bytes": rb, "avg_ratio_params": rp,
            "latency_ms_per_step": c.seconds / tr.n_steps * 1e3,
            "dense_latency_ms_per_step": d.seconds / tr.n_steps * 1e3, "energy_j": c.energy_j,
            "dense_energy_j": d.energy_j, "dram_bytes": c.dram_bytes, "dense_dram_bytes": d.dram_bytes,
            "speedup": res.speedup, "energy_ratio": res.energy_ratio}


def compare(paths: Sequence[str], hw: HardwareConfig, fmt: str | None = None,
            group: tuple[int, int] = (1, 4)) -> list[dict[str, Any]]:
    """:func:`compare_row` of every trace, in order."""
    return [compare_row(p, hw, fmt, group) for p in paths]
