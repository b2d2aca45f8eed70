"""Figures of a sweep folder (and of traces), PNG and SVG. Figures the data cannot support are skipped with a note.

* ``speedup_vs_bandwidth`` / ``energy_saving_vs_bandwidth``: one line per SRAM size, one panel per trace
  (where the run turns from memory- to compute-bound);
* ``speedup_heatmap``: speedup over bandwidth × SRAM, one panel per trace;
* ``energy_breakdown``: stacked bars, dense vs compressed, per trace (scheme), at the reference point;
* ``latency_per_scheme``: time per training step, dense vs compressed, per trace;
* ``training_<method>``: compression ratio and per-step speedup over training steps, from each trace.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from accelsim.base.atomic import atomic_path
from accelsim.base.records import ENERGY_NAMES
from accelsim.present.report import run_labels
from accelsim.studies.sweep import locate_trace

BW, SRAM = "dram.gbps", "sram.weight_kib"


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def load_sweep(d: str | os.PathLike) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    from accelsim.base.errors import InputError

    p = Path(d) / "sweep.parquet"
    if not p.is_file():
        raise InputError(str(d), "sweep.parquet", "not found; run accelsim sweep --out DIR first")
    with open(p, "rb") as fh:  # a Python file: pyarrow fails on a path that is not UTF-8
        return [r for r in pq.read_table(fh).to_pylist() if not r.get("error")]


def _save(fig, out: Path, name: str, written: list[Path]) -> None:
    for ext in ("png", "svg"):
        p = out / f"{name}.{ext}"
        with atomic_path(p) as tmp:
            fig.savefig(tmp, format=ext, dpi=130, bbox_inches="tight")
        written.append(p)


def _at_reference(rows: list[dict[str, Any]], fixed: tuple[str, ...]) -> list[dict[str, Any]]:
    """Rows whose non-``fixed`` swept keys are at their first (smallest) value."""
    keys = [k for k in rows[0] if "." in k and k not in fixed]
    ref = {k: min((r[k] for r in rows), key=lambda v: (v is not None, v)) for k in keys}  # auto (None) first
    return [r for r in rows if all(r[k] == ref[k] for k in keys)]


def plot_sweep(d: str | os.PathLike, out: str | os.PathLike | None = None) -> tuple[list[Path], list[str]]:
    """Write the figures of sweep folder ``d`` into ``out`` (default ``d/figures``); returns (files, notes)."""
    plt = _plt()
    rows = load_sweep(d)
    out = Path(out) if out else Path(d) / "figures"
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    notes: list[str] = []
    if not rows:
        return written, ["no successful points in the sweep: nothing to plot"]
    by_trace: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for lab, r in zip(run_labels(rows), rows, strict=True):
        by_trace[lab].append(r)
    labels = sorted(by_trace)
    has_bw = BW in rows[0] and len({r[BW] for r in rows}) > 1
    # dram.gbps = auto (None: the part's derived peak) has no place on a bandwidth axis.
    bw_auto = has_bw and any(r[BW] is None for r in rows)
    has_bw = has_bw and not bw_auto
    has_sram = SRAM in rows[0] and len({r[SRAM] for r in rows}) > 1
    if has_bw:
        for metric, name, ylabel in (("speedup", "speedup_vs_bandwidth", "speedup (dense time / compressed time)"),
                                     ("energy_saving", "energy_saving_vs_bandwidth", "energy saving (1 − E_c/E_d)")):
            fig, axes = plt.subplots(1, len(labels), figsize=(4.2 * len(labels), 3.4), squeeze=False, sharey=True)
            for ax, lab in zip(axes[0], labels, strict=True):
                sub = _at_reference(by_trace[lab], (BW, SRAM))
                for kib in sorted({r.get(SRAM) for r in sub}, key=lambda x: (x is None, x)):
                    pts = sorted((r[BW], r["speedup"] if metric == "speedup" else 1 - r["energy_ratio"])
                                 for r in sub if r.get(SRAM) == kib)
                    ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=f"{kib:g} KiB" if kib else "")
                ax.set_xscale("log", base=2)
                bws = sorted({r[BW] for r in sub})
                ax.set_xticks(bws, [f"{v:g}" for v in bws], fontsize=7)
                ax.minorticks_off()
                ax.set_xlabel("DRAM bandwidth (GB/s)")
                ax.set_title(lab)
                ax.grid(alpha=0.3)
            axes[0][0].set_ylabel(ylabel)
            if has_sram:
                axes[0][-1].legend(title="weight SRAM", fontsize=7)
            fig.tight_layout()
            _save(fig, out, name, written)
            plt.close(fig)
    else:
        why = "dram.gbps was swept with auto, which has no bandwidth value" if bw_auto else "dram.gbps was not swept"
        notes.append(f"speedup/energy vs bandwidth: skipped ({why})")
    if has_bw and has_sram:
        fig, axes = plt.subplots(1, len(labels), figsize=(4.2 * len(labels), 3.6), squeeze=False)
        for ax, lab in zip(axes[0], labels, strict=True):
            sub = _at_reference(by_trace[lab], (BW, SRAM))
            bws = sorted({r[BW] for r in sub})
            kibs = sorted({r[SRAM] for r in sub})
            grid = np.full((len(kibs), len(bws)), np.nan)
            for r in sub:
                grid[kibs.index(r[SRAM]), bws.index(r[BW])] = r["speedup"]
            im = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
            ax.set_xticks(range(len(bws)), [f"{b:g}" for b in bws], rotation=45, fontsize=7)
            ax.set_yticks(range(len(kibs)), [f"{k:g}" for k in kibs], fontsize=7)
            ax.set_xlabel("DRAM bandwidth (GB/s)")
            ax.set_ylabel("weight SRAM (KiB)")
            ax.set_title(f"{lab}: speedup")
            for (y, x), v in np.ndenumerate(grid):
                if np.isfinite(v):
                    ax.text(x, y, f"{v:.2f}", ha="center", va="center", fontsize=6, color="w")
            fig.colorbar(im, ax=ax, fraction=0.046)
        fig.tight_layout()
        _save(fig, out, "speedup_heatmap", written)
        plt.close(fig)
    else:
        notes.append("speedup heat map: skipped (needs both dram.gbps and sram.weight_kib swept)")
    # Per-scheme bars at one reference point (first value of every axis).
    ref_rows = {lab: _at_reference(by_trace[lab], ())[0] for lab in labels if _at_reference(by_trace[lab], ())}
    if ref_rows:
        fig, ax = plt.subplots(figsize=(1.6 + 1.3 * len(ref_rows), 3.6))
        x = 0
        ticks, names = [], []
        colors = dict(zip(ENERGY_NAMES, ("#4c72b0", "#55a868", "#c44e52", "#8172b2", "#ccb974"), strict=True))
        for lab, r in ref_rows.items():
            for view in ("dense", "compressed"):
                bottom = 0.0
                for part in ENERGY_NAMES:
                    v = r[f"{view}_energy_{part}_j"]
                    ax.bar(x, v, bottom=bottom, color=colors[part], label=part if x == 0 else None,
                           hatch="//" if view == "dense" else None, edgecolor="k", linewidth=0.3)
                    bottom += v
                ticks.append(x)
                names.append(f"{lab}\n{view}")
                x += 1
            x += 0.5
        ax.set_xticks(ticks, names, fontsize=7)
        ax.set_ylabel("energy of the run (J)")
        ax.legend(fontsize=7)
        ax.set_title("energy breakdown at the reference point")
        fig.tight_layout()
        _save(fig, out, "energy_breakdown", written)
        plt.close(fig)
        fig, ax = plt.subplots(figsize=(1.6 + 1.0 * len(ref_rows), 3.4))
        steps = {lab: _steps_of(r, d) for lab, r in ref_rows.items()}
        ref_rows = {lab: r for lab, r in ref_rows.items() if steps[lab]}
        for lab in steps:
            if not steps[lab]:
                notes.append(f"{lab}: trace not found ({by_trace[lab][0]['trace']}); left out of latency_per_scheme")
        xs = np.arange(len(ref_rows))
        dense = [r["dense_seconds"] / steps[lab] * 1e3 for lab, r in ref_rows.items()]
        comp = [r["compressed_seconds"] / steps[lab] * 1e3 for lab, r in ref_rows.items()]
        ax.bar(xs - 0.2, dense, 0.4, label="dense", color="#999999")
        ax.bar(xs + 0.2, comp, 0.4, label="compressed", color="#4c72b0")
        ax.set_xticks(xs, list(ref_rows), fontsize=8)
        ax.set_ylabel("time per training step (ms)")
        ax.legend(fontsize=7)
        ax.set_title("latency per scheme at the reference point")
        fig.tight_layout()
        _save(fig, out, "latency_per_scheme", written)
        plt.close(fig)
    for lab in labels:
        where = locate_trace(by_trace[lab][0], d)
        if where is None:
            notes.append(f"{lab}: trace not found ({by_trace[lab][0]['trace']}); its training figure is skipped")
            continue
        written += plot_training(str(where), out, lab)
    return written, notes


def _steps_of(row: dict[str, Any], sweep_dir: str | os.PathLike) -> int:
    """Training steps of a sweep row's trace; 0 if the trace cannot be found any more."""
    from accelsim.trace.reader import read_trace

    where = locate_trace(row, sweep_dir)
    return read_trace(where).n_steps if where is not None else 0


def plot_training(trace: str, out: str | os.PathLike, label: str | None = None,
                  hw: str | None = None) -> list[Path]:
    """Compression ratio and per-step speedup over training steps of one trace (default hardware)."""
    from accelsim.simulation.simulate import simulate
    from accelsim.trace.analysis import segment_compression
    from accelsim.trace.reader import read_trace

    plt = _plt()
    tr = read_trace(trace)
    res = simulate(tr, hw)
    by_b, by_p = segment_compression(tr)
    x, yb, yp, sp = [], [], [], []
    for s, (sd, sc) in enumerate(zip(res.dense.by_segment, res.compressed.by_segment, strict=True)):
        for step in (sc.first_step, sc.first_step + sc.steps - 1):
            x.append(step)
            yb.append(by_b[s])
            yp.append(by_p[s])
            sp.append(sd.totals.cycles / sc.totals.cycles)
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    ax.plot(x, yb, label="compression ratio (bytes)")
    ax.plot(x, yp, "--", label="compression ratio (params)")
    ax.set_xlabel("gradient step")
    ax.set_ylabel("compression ratio")
    ax.set_ylim(0, 1)
    ax2 = ax.twinx()
    ax2.plot(x, sp, color="#c44e52", label="speedup")
    ax2.set_ylabel(f"speedup on {res.hardware}")
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], fontsize=7, loc="lower right")
    ax.set_title(f"{label or tr.meta.get('method', '')}: over training")
    fig.tight_layout()
    written: list[Path] = []
    _save(fig, Path(out), f"training_{label or tr.meta.get('method', 'trace')}", written)
    plt.close(fig)
    return written


def plot_tornado(sens, path: str | os.PathLike, top: int = 15) -> list[Path]:
    """Tornado plot of an :class:`accelsim.studies.sensitivity.Sensitivity`: for the ``top`` parameters by swing, bars
    from the baseline to the headline at the low and at the high value, speedup and energy ratio side by side.
    Writes ``path`` as PNG and the same stem as SVG."""
    plt = _plt()
    rows = [p for p in sens.top(top) if not (p.low.error and p.high.error)][::-1]  # largest at the top
    fig, axes = plt.subplots(1, 2, figsize=(11.5, 0.9 + 0.32 * max(len(rows), 1)), sharey=True)
    ys = np.arange(len(rows))
    for ax, figure, title in ((axes[0], "speedup", "speedup (dense time / compressed time)"),
                              (axes[1], "energy_ratio", "energy ratio (compressed / dense)")):
        base = getattr(sens.base, figure)
        labelled: set[str] = set()
        for y, p in zip(ys, rows, strict=True):
            # Low move above, high move below the parameter's line (both may go the same way).
            for h, dy, colour, label in ((p.low, 0.19, "#4c72b0", f"−{sens.vary:.0%}"),
                                         (p.high, -0.19, "#dd8452", f"+{sens.vary:.0%}")):
                if h.error:
                    continue
                ax.barh(y + dy, getattr(h, figure) - base, left=base, height=0.36, color=colour,
                        label=None if label in labelled else label)
                labelled.add(label)
        ax.axvline(base, color="black", lw=0.8)
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7, loc="lower right")
    def label(p) -> str:  # say where a rounded integer moved further than ±vary
        made = {round(abs(p.move.relative(v)), 3) for v in (p.move.low, p.move.high) if v is not None}
        return p.move.key if made <= {round(sens.vary, 3)} else \
            f"{p.move.key} ({'/'.join(f'±{m:.0%}' for m in sorted(made))})"

    axes[0].set_yticks(ys, [label(p) for p in rows], fontsize=7)
    fig.suptitle(f"{sens.hardware}: each parameter moved ±{sens.vary:.0%} alone "
                 f"(top {len(rows)} of {len(sens.parameters)} by swing per ±{sens.vary:.0%})", fontsize=10)
    fig.tight_layout()
    path = Path(path)
    written: list[Path] = []
    _save(fig, path.parent, path.stem if path.suffix.lower() in (".png", ".svg") else path.name, written)
    plt.close(fig)
    return written
