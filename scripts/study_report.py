"""Summarise the HalfCheetah study (runs/study) into results/halfcheetah_200k: table, figures, run metrics.

    .venv/bin/python scripts/study_report.py [--runs runs/study] [--out results/halfcheetah_200k]

Reads each run's metrics.csv (one row per evaluation) and DONE; unfinished runs are reported as such, with
the steps they reached. Writes table.md, summary.json, return_curves.{png,svg}, compression_curves.{png,svg}
and a copy of every run's metrics.csv under runs/.
"""

from __future__ import annotations

import csv
import json
import statistics
from pathlib import Path

from accelsim.base.argparser import OneLineParser
from accelsim.base.atomic import atomic_path, atomic_write_bytes, atomic_write_text

METHODS = ("dense", "ip", "gst", "bc", "nm", "dst")


def load(run: Path) -> dict:
    with open(run / "metrics.csv") as fh:
        rows = list(csv.DictReader(fh))
    done = json.loads((run / "DONE").read_text()) if (run / "DONE").is_file() else None
    steps = [int(r["step"]) for r in rows]
    ret = [float(r["return"]) for r in rows]
    last = rows[-1]
    cfg = json.loads((run / "config.json").read_text())
    return {"name": run.name, "method": cfg["method"], "seed": cfg["seed"], "total_steps": cfg["total_steps"],
            "finished": done is not None, "steps": steps, "returns": ret, "reached": steps[-1],
            "final_return": ret[-1], "best_return": max(ret),
            "avg_ratio_bytes": float(last["avg_ratio_bytes"]), "avg_ratio_params": float(last["avg_ratio_params"]),
            "ratio_bytes": [float(r["ratio_bytes"]) for r in rows],
            "ratio_params": [float(r["ratio_params"]) for r in rows]}


def ms(xs: list[float]) -> str:
    if not xs:
        return "–"
    if len(xs) == 1:
        return f"{xs[0]:.1f}"
    return f"{statistics.mean(xs):.1f} ± {statistics.stdev(xs):.1f}"


def main() -> int:
    ap = OneLineParser(prog="study_report")
    ap.add_argument("--runs", default="runs/study")
    ap.add_argument("--out", default="results/halfcheetah_200k")
    a = ap.parse_args()
    runs = [load(p) for p in sorted(Path(a.runs).glob("halfcheetah_*")) if (p / "metrics.csv").is_file()]
    out = Path(a.out)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    for r in runs:
        atomic_write_bytes(out / "runs" / f"{r['name']}.csv", (Path(a.runs) / r["name"] / "metrics.csv").read_bytes())
    lines = ["| run | finished | steps reached | final return | best return | avg ratio (bytes) | avg ratio (params) |",
             "|---|---|---|---|---|---|---|"]
    for r in runs:
        lines.append(f"| {r['name']} | {'yes' if r['finished'] else 'no (in progress)'} | {r['reached']:,} | "
                     f"{r['final_return']:.1f} | {r['best_return']:.1f} | {r['avg_ratio_bytes']:.3f} | "
                     f"{r['avg_ratio_params']:.3f} |")
    lines += ["", "Per method (finished runs only; a method with none shows its unfinished runs):", "",
              "| method | runs (finished) | final return | best return | avg ratio (bytes) | avg ratio (params) |",
              "|---|---|---|---|---|---|"]
    per: dict[str, dict] = {}
    for m in METHODS:
        rs = [r for r in runs if r["method"] == m]
        if not rs:
            continue
        fin = [r for r in rs if r["finished"]]
        use = fin or rs
        per[m] = {"final": [r["final_return"] for r in use], "best": [r["best_return"] for r in use],
                  "rb": [r["avg_ratio_bytes"] for r in use], "rp": [r["avg_ratio_params"] for r in use],
                  "n": len(rs), "finished": len(fin)}
        lines.append(f"| {m} | {len(rs)} ({len(fin)}) | {ms(per[m]['final'])} | {ms(per[m]['best'])} | "
                     f"{ms([x * 100 for x in per[m]['rb']])} % | {ms([x * 100 for x in per[m]['rp']])} % |")
    per = {m: v for m, v in per.items() if v["finished"]}  # comparisons use finished runs only
    if "gst" in per and "ip" in per:
        d_b = (statistics.mean(per["gst"]["rb"]) - statistics.mean(per["ip"]["rb"])) * 100
        d_p = (statistics.mean(per["gst"]["rp"]) - statistics.mean(per["ip"]["rp"])) * 100
        lines += ["", f"GST − IP average compression ratio: {d_b:+.1f} %p by bytes, {d_p:+.1f} %p by parameters "
                  "(paper: +25 to +41.5 %p)."]
    if "gst" in per and "dense" in per:
        g, dn = statistics.mean(per["gst"]["final"]), statistics.mean(per["dense"]["final"])
        lines.append(f"GST final return relative to dense: {(g - dn) / abs(dn) * 100:+.1f} %.")
    if "ip" in per and "dense" in per:
        g, dn = statistics.mean(per["ip"]["final"]), statistics.mean(per["dense"]["final"])
        lines.append(f"IP final return relative to dense: {(g - dn) / abs(dn) * 100:+.1f} %.")
    sb3 = out / "sb3_td3_s0.csv"
    sb3_rows = []
    if sb3.is_file():
        with open(sb3) as fh:
            sb3_rows = [(int(r["step"]), float(r["return"])) for r in csv.DictReader(fh)]
    dense0 = next((r for r in runs if r["method"] == "dense" and r["seed"] == 0), None)
    if sb3_rows and dense0:
        step, ret = sb3_rows[-1]
        ours = dict(zip(dense0["steps"], dense0["returns"], strict=True)).get(step)
        best_sb3 = max(x for _, x in sb3_rows)
        if ours is not None:
            best_ours = max(x for s_, x in zip(dense0["steps"], dense0["returns"], strict=True) if s_ <= step)
            lines.append(f"stable-baselines3 TD3 (seed 0, same settings) at {step:,} env steps: {ret:.1f} "
                         f"(best so far {best_sb3:.1f}); our dense seed 0 at the same step: {ours:.1f} "
                         f"(best so far {best_ours:.1f}).")
    atomic_write_text(out / "table.md", "\n".join(lines) + "\n")
    readme = out / "README.md"
    if readme.is_file():  # refresh the table between the markers of the hand-written README
        text = readme.read_text()
        start, end = "<!-- table -->", "<!-- /table -->"
        if start in text and end in text:
            head, rest = text.split(start, 1)
            atomic_write_text(readme, head + start + "\n" + "\n".join(lines) + "\n" + end + rest.split(end, 1)[1])
    atomic_write_text(out / "summary.json", json.dumps({"runs": [{k: v for k, v in r.items() if not isinstance(v, list)}
                                                           for r in runs]}, indent=2) + "\n")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"dense": "#555555", "ip": "#c44e52", "gst": "#4c72b0", "bc": "#55a868", "nm": "#8172b2",
              "dst": "#ccb974"}
    for key, ylabel, name in (("returns", "evaluation return (10 episodes)", "return_curves"),
                              ("ratio_bytes", "compression ratio (bytes, incl. metadata)", "compression_curves")):
        fig, ax = plt.subplots(figsize=(6.4, 3.8))
        for r in runs:
            ls = "-" if r["seed"] == 0 else "--"
            ax.plot(r["steps"], r[key], ls, color=colors.get(r["method"], "k"), label=f"{r['method']} s{r['seed']}")
        if key == "returns" and sb3_rows:
            ax.plot([x for x, _ in sb3_rows], [y for _, y in sb3_rows], ":", color="k", label="SB3 TD3 s0")
        ax.set_xlabel("env steps")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
        ax.set_title("HalfCheetah-v5, TD3")
        fig.tight_layout()
        for ext in ("png", "svg"):
            with atomic_path(out / f"{name}.{ext}") as tmp:
                fig.savefig(tmp, format=ext, dpi=130)
        plt.close(fig)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
