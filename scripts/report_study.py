#!/usr/bin/env python
"""Summarise a study folder: per-run and per-method tables with IQM and 95 % bootstrap intervals, figures.

    .venv/bin/python scripts/report_study.py results/<study> [--runs-dir runs/<study>] [--baseline ip-cubic]

Reads every run of the study's plan.json: the archived copy in results/<study>/runs/<name>/ if it finished,
else the live run folder (reported as unfinished, with the steps it reached). A run's label is the middle of
its name, ``<env>_<label>_s<seed>`` (``dense``, ``gst``, ``ip-cubic``, ...).

* final return = mean of the last 5 evaluations (10 episodes each); best = best evaluation;
* average compression ratio = the run's running mean over gradient steps, by bytes and by parameters;
* per label: interquartile mean (IQM, the mean of the middle 50 % of runs, as rliable's ``aggregate_iqm``:
  scipy's trim_mean with 25 % cut) with a 95 % percentile bootstrap interval over runs (50,000 resamples,
  rliable's default; rliable itself does not install cleanly here: its ``arch`` dependency fails with
  pandas 3, so this reproduces its computation in numpy);
* GST − baseline average ratio (%p) with a bootstrap interval of the difference of means.
* every method's final return against dense and GST's against each baseline: the ratio of means with a
  bootstrap interval, and paired by seed (the mean of per-seed relative returns, bootstrapped over seeds).
* for GST runs, the controller's events read from metrics.csv: each layer's switch to group-sparse and revert
  to BC, and each back-off of the target sparsity, with the evaluation (env step) that first shows it.

Writes summary.json, table.md, return_curves.{png,svg}, ratio_curves.{png,svg} and, for GST runs,
gst_layers.{png,svg} (per-layer mode and sparsity over training).
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np

from accelsim.base.argparser import OneLineParser
from accelsim.base.atomic import atomic_path, atomic_write_text
from accelsim.base.errors import InputError
from gst_train.plan import PlannedRun, load_plan

LAST = 5  # evaluations averaged into the final return
REPS = 50_000
ALPHA = 0.05


def iqm(x: np.ndarray) -> float:
    """Interquartile mean along the last axis (scipy.stats.trim_mean(x, 0.25))."""
    x = np.sort(np.asarray(x, dtype=float), axis=-1)
    n = x.shape[-1]
    k = math.floor(0.25 * n)
    return x[..., k:n - k].mean(axis=-1)


def bootstrap(x: np.ndarray, stat=iqm, seed: int = 0) -> tuple[float, float]:
    """95 % percentile interval of ``stat`` over runs resampled with replacement."""
    x = np.asarray(x, dtype=float)
    if x.size < 2:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, x.size, size=(REPS, x.size))
    vals = stat(x[idx])
    return float(np.quantile(vals, ALPHA / 2)), float(np.quantile(vals, 1 - ALPHA / 2))


def _resampled_means(a: np.ndarray, b: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a, b = np.asarray(a, float), np.asarray(b, float)
    return (a[rng.integers(0, a.size, size=(REPS, a.size))].mean(axis=1),
            b[rng.integers(0, b.size, size=(REPS, b.size))].mean(axis=1))


def bootstrap_diff(a: np.ndarray, b: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """95 % interval of mean(a) − mean(b), each resampled over its own runs (NaN with fewer than 2 each)."""
    if len(a) < 2 or len(b) < 2:
        return (float("nan"), float("nan"))
    da, db = _resampled_means(a, b, seed)
    d = da - db
    return float(np.quantile(d, ALPHA / 2)), float(np.quantile(d, 1 - ALPHA / 2))


def bootstrap_rel(a: np.ndarray, b: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """95 % interval of mean(a) / mean(b) − 1, each resampled over its own runs (NaN with fewer than 2 each)."""
    if len(a) < 2 or len(b) < 2:
        return (float("nan"), float("nan"))
    da, db = _resampled_means(a, b, seed)
    r = da / db - 1
    return float(np.quantile(r, ALPHA / 2)), float(np.quantile(r, 1 - ALPHA / 2))


def bootstrap_iqm_fraction(a: np.ndarray, b: np.ndarray, seed: int = 0) -> tuple[float, float, float]:
    """IQM(a) / IQM(b) and its 95 % stratified-bootstrap interval: each group resampled over its own runs, as
    rliable resamples runs within each task (NaN bounds with fewer than 2 runs in either group)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    point = float(iqm(a) / iqm(b))
    if a.size < 2 or b.size < 2:
        return point, float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    ra = iqm(a[rng.integers(0, a.size, size=(REPS, a.size))])
    rb = iqm(b[rng.integers(0, b.size, size=(REPS, b.size))])
    f = ra / rb
    return point, float(np.quantile(f, ALPHA / 2)), float(np.quantile(f, 1 - ALPHA / 2))


def paired_rel(pairs: list[tuple[float, float]], seed: int = 0) -> tuple[float, float, float]:
    """Seed-paired return of a method against a reference (dense, or a baseline): the mean over seeds of
    (method_s / reference_s − 1) and its 95 % percentile-bootstrap interval over seeds (NaN bounds with fewer
    than 2 seeds). Pairing takes the seed's own luck out of the comparison (HalfCheetah's dense seeds alone
    span 6.3k to 8.9k)."""
    r = np.array([m / d - 1 for m, d in pairs], dtype=float)
    return (float(r.mean()) if r.size else float("nan"),
            *bootstrap(r, stat=lambda v: v.mean(axis=-1), seed=seed))


def seed_pairs(runs: list[dict], env: str, label: str, ref: str) -> list[tuple[float, float]]:
    """(label's final return, ref's final return) for every seed where both have a finished run on env."""
    ref_by_seed = {r["seed"]: r["final_return"] for r in runs
                   if r["env"] == env and r["method"] == ref and r["finished"]}
    return [(r["final_return"], ref_by_seed[r["seed"]]) for r in runs if r["env"] == env
            and r["method"] == label and r["finished"] and r["seed"] in ref_by_seed]


def add_paired(runs: list[dict], env: str, label: str, ref: str, comparisons: list, lines: list) -> None:
    """Append label's final return against ref's, paired by seed, to the comparisons and the table's lines
    (nothing where no seed has a finished run of both)."""
    pairs = seed_pairs(runs, env, label, ref)
    if not pairs:
        return
    pm, plo, phi = paired_rel(pairs)
    n = len(pairs)
    comparisons.append({"env": env, "method": label, "vs": f"{ref}, paired by seed", "by": "final_return",
                        "rel": pm, "ci95": [plo, phi], "seeds": n})
    lines.append(f"{env}: {label} final return vs {ref}, paired by seed ({n} seed{'s' * (n > 1)}): "
                 f"{pm:+.1%}{interval(plo, phi, '+.1%', 'one seed')}.")


def interval(lo: float, hi: float, fmt: str, why: str = "one side has fewer than 2 runs") -> str:
    """' [lo, hi]' formatted, or a note where there is no interval (a method with one finished run)."""
    return f" (no interval: {why})" if math.isnan(lo) else f" [{lo:{fmt}}, {hi:{fmt}}]"


def load_run(run: PlannedRun, results: Path, runs_dir: Path) -> dict | None:
    """A run's figures from its archived copy (finished) or its live folder; None if it has no evaluation yet."""
    name = run.name
    arch = results / "runs" / name
    src = arch if (arch / "metrics.csv").is_file() else runs_dir / name
    if not (src / "metrics.csv").is_file():
        return None
    with open(src / "metrics.csv") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        return None
    need = ("step", "return", "ratio_bytes", "avg_ratio_bytes", "avg_ratio_params")
    if missing := [k for k in need if k not in rows[0]]:
        raise InputError(str(src / "metrics.csv"), "header", f"expected columns {', '.join(need)}; missing "
                                                             f"{', '.join(missing)}")
    try:
        cfg = json.loads((src / "config.json").read_text())
        env, method, total = cfg["env"], cfg["method"], cfg["total_steps"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise InputError(str(src / "config.json"), "", f"expected gst-train's config with env, method and "
                                                       f"total_steps ({type(e).__name__}: {e})") from None
    if method == "gst" and "target_sparsity" not in rows[0]:
        raise InputError(str(src / "metrics.csv"), "header", "expected a target_sparsity column (a gst run)")
    try:
        ret = [float(r["return"]) for r in rows]
        last = {k: float(rows[-1][k]) for k in ("step", "avg_ratio_bytes", "avg_ratio_params")}
    except (TypeError, ValueError) as e:
        raise InputError(str(src / "metrics.csv"), "return", f"expected numbers ({e})") from None
    return {
        "name": name, "env": env, "method": run.label, "gst_train_method": method,
        "seed": run.seed, "finished": (src / "DONE").is_file(), "total_steps": total,
        "steps_reached": int(last["step"]), "final_return": float(np.mean(ret[-LAST:])),
        "best_return": max(ret), "avg_ratio_bytes": last["avg_ratio_bytes"],
        "avg_ratio_params": last["avg_ratio_params"], "config": cfg, "_rows": rows,
        **({"gst_events": [e._asdict() for e in gst_events(rows)]} if method == "gst" else {}),
    }


class GstEvent(NamedTuple):
    """One act of GST's controller, as the evaluation rows of metrics.csv show it."""

    step: int  # env step of the first evaluation row that shows the change
    kind: str  # "switch" (BC -> group-sparse), "revert" (group-sparse -> BC) or "back-off" (target lowered)
    what: str  # the layer ("critic1.0"), or "0.875 -> 0.850" for a back-off


def gst_events(rows: list[dict]) -> list[GstEvent]:
    """Switches, reverts and target back-offs from a GST run's metrics.csv rows.

    A mode change between two consecutive evaluation rows is a switch (``bc`` -> ``group``) or a revert
    (``group`` -> ``bc``); a fall of ``target_sparsity`` is a back-off (the controller only lowers it on a
    drop; a back-off while the target sits at ``--sparsity-min`` lowers nothing and does not show). Events are
    in step order and, within one evaluation, in the order the run acts on them: the controller's back-off,
    then the revert, then the switch (``Compressor.on_eval``).
    """
    layers = [k[:-5] for k in rows[0] if k.endswith(".mode")] if rows else []
    out: list[GstEvent] = []
    for prev, cur in itertools.pairwise(rows):
        step = int(cur["step"])
        old_t, new_t = float(prev["target_sparsity"]), float(cur["target_sparsity"])
        if new_t < old_t - 1e-9:
            out.append(GstEvent(step, "back-off", f"{old_t:.3f} -> {new_t:.3f}"))
        for lay in layers:
            a, b = prev[f"{lay}.mode"], cur[f"{lay}.mode"]
            if (a, b) == ("bc", "group"):
                out.append(GstEvent(step, "switch", lay))
            elif (a, b) == ("group", "bc"):
                out.append(GstEvent(step, "revert", lay))
    order = {"back-off": 0, "revert": 1, "switch": 2}
    return sorted(out, key=lambda e: (e.step, order[e.kind]))  # stable: layers keep their column order


def events_cell(events: list[GstEvent], kind: str) -> str:
    """One kind of event as a table cell: ``critic2.1 90k, critic1.1 105k``, ``85k (0.875 -> 0.850)`` or ``none``."""
    items = [f"{e.step / 1000:g}k ({e.what})" if kind == "back-off" else f"{e.what} {e.step / 1000:g}k"
             for e in events if e.kind == kind]
    return ", ".join(items) or "none"


def per_method(runs: list[dict]) -> dict[tuple[str, str], dict]:
    out: dict[tuple[str, str], dict] = {}
    for env in sorted({r["env"] for r in runs}):
        for label in sorted({r["method"] for r in runs if r["env"] == env}):
            rs = [r for r in runs if r["env"] == env and r["method"] == label]
            fin = [r for r in rs if r["finished"]] or rs
            d = {"runs": len(rs), "finished": sum(r["finished"] for r in rs)}
            for key in ("final_return", "avg_ratio_bytes", "avg_ratio_params"):
                x = np.array([r[key] for r in fin])
                d[key] = {"iqm": float(iqm(x)), "ci95": bootstrap(x), "mean": float(x.mean()),
                          "values": [float(v) for v in x]}
            out[(env, label)] = d
    return out


def fmt_ci(d: dict, scale: float = 1.0, digits: int = 0) -> str:
    lo, hi = d["ci95"]
    base = f"{d['iqm'] * scale:,.{digits}f}"
    return base if math.isnan(lo) else f"{base} [{lo * scale:,.{digits}f}, {hi * scale:,.{digits}f}]"


def figures(runs: list[dict], out: Path) -> None:
    if not runs:  # a study with no evaluation yet: tables say so, there is nothing to draw
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Byte-stable SVGs (fixed element ids, no date), so that a re-run on the same runs changes nothing in git.
    matplotlib.rcParams["svg.hashsalt"] = "report_study"

    envs = sorted({r["env"] for r in runs})
    labels = sorted({r["method"] for r in runs})
    colors = {lab: plt.cm.tab10(i % 10) for i, lab in enumerate(labels)}
    styles = ["-", "--", ":", "-."]
    def curve(ax, r, key, color, lw=1.4, label=None):
        steps = [int(x["step"]) for x in r["_rows"]]
        seeds = sorted({x["seed"] for x in runs if x["method"] == r["method"] and x["env"] == r["env"]})
        ax.plot(steps, [float(x[key]) for x in r["_rows"]], styles[seeds.index(r["seed"]) % len(styles)],
                color=color, lw=lw, label=label)

    def save(fig, name):
        fig.tight_layout()
        for ext in ("png", "svg"):
            with atomic_path(out / f"{name}.{ext}") as tmp:
                fig.savefig(tmp, format=ext, dpi=110, metadata={"Date": None} if ext == "svg" else None)
        plt.close(fig)

    # Returns: one panel per (env, method), that method's seeds in colour over the env's dense seeds in grey, so
    # that every seed of every method can be read against the same reference (one panel of 15 runs could not).
    methods = {env: [m for m in labels if m != "dense" and any(r["env"] == env and r["method"] == m for r in runs)]
               for env in envs}
    ncol = max([1, *(len(v) for v in methods.values())])  # an env with no method but dense: one panel
    fig, axes = plt.subplots(len(envs), ncol, figsize=(3.6 * ncol, 3.2 * len(envs)), squeeze=False, sharey="row")
    for row, env in enumerate(envs):
        dense = [r for r in runs if r["env"] == env and r["method"] == "dense"]
        for col in range(ncol):
            ax = axes[row, col]
            if col >= len(methods[env]):
                ax.axis("off")
                continue
            m = methods[env][col]
            for r in dense:
                curve(ax, r, "return", "0.65", 1.0, f"dense s{r['seed']}" + ("" if r["finished"] else " (unfin.)"))
            for r in [r for r in runs if r["env"] == env and r["method"] == m]:
                curve(ax, r, "return", colors[m], 1.4, f"{m} s{r['seed']}" + ("" if r["finished"] else " (unfin.)"))
            ax.set_title(f"{env}: {m}", fontsize=9)
            ax.set_xlabel("env steps", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=6)
        axes[row, 0].set_ylabel("evaluation return (10 episodes)", fontsize=8)
    save(fig, "return_curves")
    # Compression ratios: one panel per env (a method's seeds nearly coincide: its schedule sets the ratio).
    fig, axes = plt.subplots(1, len(envs), figsize=(6.5 * len(envs), 4.2), squeeze=False)
    for ax, env in zip(axes[0], envs, strict=True):
        for r in [r for r in runs if r["env"] == env]:
            curve(ax, r, "ratio_bytes", colors[r["method"]], 1.4,
                  f"{r['method']} s{r['seed']}" + ("" if r["finished"] else " (unfinished)"))
        ax.set_title(env)
        ax.set_xlabel("env steps")
        ax.set_ylabel("compression ratio (bytes)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
    save(fig, "ratio_curves")
    gst = [r for r in runs if r["gst_train_method"] == "gst"]
    if not gst:
        return
    fig, axes = plt.subplots(len(gst), 1, figsize=(9, 2.6 * len(gst)), squeeze=False)
    for ax, r in zip(axes[:, 0], gst, strict=True):
        steps = [int(x["step"]) for x in r["_rows"]]
        layers = [k[:-5] for k in r["_rows"][0] if k.endswith(".mode")]
        for i, lay in enumerate(layers):
            modes = [x[f"{lay}.mode"] for x in r["_rows"]]
            if set(modes) == {"dense"}:
                continue
            sp = [float(x[f"{lay}.sparsity"]) for x in r["_rows"]]
            line, = ax.plot(steps, sp, lw=1.2, color=plt.cm.tab10(i % 10), label=lay)
            g = [(s, v) for s, v, m in zip(steps, sp, modes, strict=True) if m == "group"]
            if g:
                ax.plot(*zip(*g, strict=True), "o", ms=2.5, color=line.get_color())
        ax.set_title(f"{r['name']}: per-layer sparsity (line), dots = group-sparse, else BC", fontsize=9)
        ax.set_ylabel("sparsity")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6, ncol=3)
    axes[-1, 0].set_xlabel("env steps")
    save(fig, "gst_layers")


def main() -> int:
    ap = OneLineParser(prog="report_study", description=__doc__.splitlines()[0])
    ap.add_argument("study", type=Path)
    ap.add_argument("--runs-dir", type=Path, help="live run folders (default: the plan's runs_dir)")
    ap.add_argument("--baseline", action="append", default=[],
                    help="label to compare GST with (repeatable; a gst-* label: the other GST variants "
                         "against it)")
    a = ap.parse_args()
    try:
        return report(a.study, a.runs_dir, a.baseline)
    except InputError as e:  # nothing is written before every run has been read
        print(f"report_study: {e.one_line()}", file=sys.stderr)
        return 2


def report(study: Path, runs_dir: Path | None, baselines: list[str]) -> int:
    """Read every run of the study's plan, then write table.md, summary.json and the figures."""
    plan = load_plan(study / "plan.json")
    runs_dir = runs_dir or Path(plan.runs_dir)
    runs = [r for r in (load_run(x, study, runs_dir) for x in plan.runs) if r is not None]
    meth = per_method(runs)
    lines = ["| run | finished | steps reached | final return (last 5) | best return | avg ratio bytes | "
             "avg ratio params |", "|---|---|---|---|---|---|---|"]
    for r in runs:
        lines.append(f"| {r['name']} | {'yes' if r['finished'] else 'no'} | {r['steps_reached']:,} | "
                     f"{r['final_return']:,.0f} | {r['best_return']:,.0f} | {r['avg_ratio_bytes']:.3f} | "
                     f"{r['avg_ratio_params']:.3f} |")
    lines += ["", "Per method: IQM over runs [95 % bootstrap interval] (finished runs; a method with none shows "
              "its unfinished runs).", "",
              "| env | method | runs (finished) | final return | avg ratio bytes (%) | avg ratio params (%) |",
              "|---|---|---|---|---|---|"]
    for (env, label), d in meth.items():
        lines.append(f"| {env} | {label} | {d['runs']} ({d['finished']}) | {fmt_ci(d['final_return'])} | "
                     f"{fmt_ci(d['avg_ratio_bytes'], 100, 1)} | {fmt_ci(d['avg_ratio_params'], 100, 1)} |")
    gst_runs = [r for r in runs if "gst_events" in r]
    if gst_runs:
        lines += ["", "GST's controller, from metrics.csv (env steps of the first evaluation that shows each event):",
                  "", "| run | switches | reverts | back-offs |", "|---|---|---|---|"]
        for r in gst_runs:
            ev = [GstEvent(**e) for e in r["gst_events"]]
            lines.append(f"| {r['name']} | " + " | ".join(events_cell(ev, k) for k in ("switch", "revert", "back-off"))
                         + " |")
    comparisons = []
    for env in sorted({e for e, _ in meth}):
        dense = meth.get((env, "dense"))
        # Every GST variant on this env (the study's "gst" and any "gst-..." variant) against every baseline.
        gst_labels = sorted(x for e, x in meth if e == env and (x == "gst" or x.startswith("gst-")))
        for gl, base in ((gl, base) for gl in gst_labels for base in baselines if gl != base):
            g, b = meth[(env, gl)], meth.get((env, base))
            if b is None or not (g["finished"] and b["finished"]):  # comparisons use finished runs only
                continue
            name = "GST" if gl == "gst" else gl
            for key in ("avg_ratio_bytes", "avg_ratio_params"):
                ga, ba = np.array(g[key]["values"]), np.array(b[key]["values"])
                lo, hi = bootstrap_diff(ga, ba)
                c = {"env": env, "gst_label": gl, "gst_minus": base, "by": key,
                     "diff_pp": float((ga.mean() - ba.mean()) * 100), "ci95_pp": [lo * 100, hi * 100]}
                comparisons.append(c)
                lines.append(f"\n{env}: {name} − {base} average ratio ({key[10:]}): {c['diff_pp']:+.1f} %p"
                             f"{interval(lo * 100, hi * 100, '+.1f')}"
                             f"{' (paper: +25 to +41.5 %p)' if base.startswith('ip-') or base == 'ip' else ''}.")
            # The ratio margin only means something at a like return: set GST's return against the
            # baseline's on the same seeds.
            add_paired(runs, env, gl, base, comparisons, lines)
        if dense is not None and dense["finished"]:
            dv = np.array(dense["final_return"]["values"])
            for label in sorted(x for e, x in meth if e == env and x != "dense" and meth[(e, x)]["finished"]):
                mv = np.array(meth[(env, label)]["final_return"]["values"])
                rel = mv.mean() / dv.mean() - 1
                lo, hi = bootstrap_rel(mv, dv)
                comparisons.append({"env": env, "method": label, "vs": "dense", "by": "final_return",
                                    "rel": float(rel), "ci95": [lo, hi]})
                lines.append(f"{env}: {label} final return vs dense (means): {rel:+.1%}{interval(lo, hi, '+.1%')}.")
                frac, flo, fhi = bootstrap_iqm_fraction(mv, dv)
                comparisons.append({"env": env, "method": label, "vs": "dense", "by": "final_return_iqm_fraction",
                                    "fraction": frac, "ci95": [flo, fhi]})
                lines.append(f"{env}: {label} IQM final return as a fraction of dense's: {frac:.3f}"
                             f"{interval(flo, fhi, '.3f')} (\"without reward drop\": at least 0.95).")
                add_paired(runs, env, label, "dense", comparisons, lines)
    atomic_write_text(study / "table.md", "\n".join(lines) + "\n")
    summary = {"runs": [{k: v for k, v in r.items() if not k.startswith("_")} for r in runs],
               "methods": [{"env": e, "method": m, **d} for (e, m), d in meth.items()],
               "comparisons": comparisons,
               "definitions": {"final_return": f"mean of the last {LAST} evaluations",
                               "iqm": "trim_mean 25 %", "ci95": f"percentile bootstrap over runs, {REPS} resamples"}}
    atomic_write_text(study / "summary.json", json.dumps(summary, indent=1) + "\n")
    figures(runs, study)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
