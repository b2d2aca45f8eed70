"""``accelsim report DIR --html``: figures and tables of a sweep folder in one self-contained HTML page."""

from __future__ import annotations

import base64
import html
import os
from collections import defaultdict
from pathlib import Path

from accelsim.base.atomic import atomic_write_text
from accelsim.present.plots import load_sweep, plot_sweep
from accelsim.present.report import run_labels


def _table(header: list[str], rows: list[list[str]]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    trs = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>"


def write_html(d: str | os.PathLike, out: str | os.PathLike | None = None) -> Path:
    d = Path(d)
    files, notes = plot_sweep(d)
    rows = load_sweep(d)
    by: dict[str, list] = defaultdict(list)
    for lab, r in zip(run_labels(rows), rows, strict=True):
        by[lab].append(r)
    summary = []
    for lab, rs in sorted(by.items()):
        best = max(rs, key=lambda r: r["speedup"])
        worst = min(rs, key=lambda r: r["speedup"])
        keys = [k for k in best if "." in k]
        summary.append([lab, str(len(rs)), f"{worst['speedup']:.3f}", f"{best['speedup']:.3f}",
                        ", ".join(f"{k}={best[k]}" for k in keys), ", ".join(f"{k}={worst[k]}" for k in keys),
                        f"{min(1 - r['energy_ratio'] for r in rs):.3f} – {max(1 - r['energy_ratio'] for r in rs):.3f}"])
    parts = ["<!doctype html><meta charset='utf-8'><title>accelsim report</title>",
             "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse;"
             "font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px}img{max-width:100%}</style>",
             f"<h1>accelsim sweep: {html.escape(str(d))}</h1>",
             f"<p>{len(rows)} successful points.</p>",
             _table(["trace", "points", "min speedup", "max speedup", "best at", "worst at", "energy saving"], summary)]
    if notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")
    parts.append("<h2>Figures</h2>")
    for f in files:
        if f.suffix == ".png":
            b64 = base64.b64encode(f.read_bytes()).decode()
            parts.append(f"<h3>{html.escape(f.stem)}</h3><img src='data:image/png;base64,{b64}'>")
    out = Path(out) if out else d / "report.html"
    atomic_write_text(out, "\n".join(parts))
    return out
