#!/usr/bin/env python
"""Return against average compression ratio for every GST and IP setting of one or more studies: the frontier.

    .venv/bin/python scripts/frontier.py results/fair_tuning_300k [results/study_fair_300k] --out FILE.svg

Reads each study's summary.json (written by scripts/report_study.py); finished runs only. Each label (a setting)
is one marker at its mean average ratio by bytes and mean final return (the mean of the last 5 evaluations),
its seeds as small dots; GST settings in one colour, IP settings in another. Dense's mean final return and 95 %
of it ("without reward drop") are drawn as lines, so a comparison does not rest on one operating point each.
Writes FILE and the same figure in the other of PNG and SVG beside it, byte-stable.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

from accelsim.base.argparser import OneLineParser
from accelsim.base.atomic import atomic_path
from accelsim.base.errors import InputError


def points(studies: list[Path]) -> tuple[dict[str, list[tuple[float, float]]], list[float]]:
    """Per label, the (avg_ratio_bytes, final_return) of its finished runs; and dense's final returns."""
    by: dict[str, list[tuple[float, float]]] = defaultdict(list)
    dense: list[float] = []
    for study in studies:
        path = study / "summary.json"
        try:
            runs = json.loads(path.read_text())["runs"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(str(path), "", f"expected a study summary (run scripts/report_study.py first): "
                                            f"{type(exc).__name__}") from None
        for r in runs:
            if not r.get("finished"):
                continue
            if r["method"] == "dense":
                dense.append(float(r["final_return"]))
            else:
                by[r["method"]].append((float(r["avg_ratio_bytes"]), float(r["final_return"])))
    return dict(by), dense


def draw(by: dict[str, list[tuple[float, float]]], dense: list[float], out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams["svg.hashsalt"] = "frontier"
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    if dense:
        d = sum(dense) / len(dense)
        ax.axhline(d, color="0.3", lw=1.0, label=f"dense, mean of {len(dense)} ({d:,.0f})")
        ax.axhline(0.95 * d, color="0.3", lw=1.0, ls="--", label="95 % of dense")
    for label in sorted(by):
        pts = by[label]
        color = "tab:red" if label.startswith("gst") else "tab:blue" if label.startswith("ip") else "tab:gray"
        ax.scatter([x for x, _ in pts], [y for _, y in pts], s=12, color=color, alpha=0.45, lw=0)
        mx, my = sum(x for x, _ in pts) / len(pts), sum(y for _, y in pts) / len(pts)
        ax.scatter([mx], [my], s=46, color=color, marker="D" if label.startswith("gst") else "o")
        ax.annotate(f"{label} ({len(pts)})", (mx, my), textcoords="offset points", xytext=(5, 4), fontsize=7)
    ax.set_xlabel("average compression ratio by bytes (fraction of dense bytes saved)")
    ax.set_ylabel("final return (mean of the last 5 evaluations)")
    ax.set_title("GST (red diamonds) and IP (blue circles): return against compression", fontsize=9)
    ax.legend(fontsize=7, loc="lower left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    files = []
    for ext in ("png", "svg"):
        f = out.with_suffix(f".{ext}")
        with atomic_path(f) as tmp:
            fig.savefig(tmp, format=ext, dpi=120, metadata={"Date": None} if ext == "svg" else None)
        files.append(f)
    plt.close(fig)
    return files


def main() -> int:
    ap = OneLineParser(prog="frontier", description=__doc__.splitlines()[0])
    ap.add_argument("studies", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, required=True, help="FILE.svg or FILE.png (both are written)")
    a = ap.parse_args()
    try:
        by, dense = points(a.studies)
        if not by:
            raise InputError(" ".join(map(str, a.studies)), "", "no finished GST or IP run to draw")
        files = draw(by, dense, a.out)
    except InputError as exc:
        print(f"frontier: {exc.one_line()}", file=sys.stderr)
        return 2
    print("wrote " + " and ".join(map(str, files)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
