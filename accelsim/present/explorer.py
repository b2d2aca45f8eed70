"""``accelsim explore SWEEP_DIR``: a whole sweep on one self-contained, interactive HTML page.

The page holds every script and style it needs (plotly.js, inlined from the installed ``plotly`` package, and
``explorer.js`` / ``explorer.css`` beside this module), so it works offline and from a file. It shows the
points' time against energy with the Pareto front, and area against speedup, coloured by trace (or by any swept
key); a filter per swept key (and per trace, method and preset); a click shows a point's figures and energy and
cycle breakdowns, by phase, network and layer where the page carries them, with the ``accelsim run`` command that
reproduces the point; a pinned point stands beside the clicked one; the header says how many points are drawn.

Plotly's WebGL scatter (``scattergl``) draws 100,000 points where SVG would draw thousands, and its library is
one file, so the page needs no network; ``benchmarks/bench_explorer.py`` times a filter change at 100,000 points
(docs/benchmarks.md).

:func:`page_data` and :func:`render_page` are pure (rows in, text out); :func:`write_explorer` reads the sweep
folder and writes the page.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from accelsim.base.atomic import atomic_write_text
from accelsim.base.errors import InputError
from accelsim.base.records import ENERGY_NAMES
from accelsim.hardware.area import AREA_PARTS
from accelsim.present.report import run_labels
from accelsim.studies.sweep import EFFICIENCY_FIGURES, FIGURES, MANIFEST

#: Breakdowns by phase, network and layer are re-simulated for at most this many points (all of a smaller sweep; the
#: Pareto-front points of a larger one): each is a few hundred numbers, too many to carry for 100,000 points.
DEFAULT_BREAKDOWN_POINTS = 2000

#: Numeric columns of the sweep table the page carries (those present in the table).
NUMERIC = ("speedup", "energy_ratio", "area_mm2", *(f"area_{p}_mm2" for p in AREA_PARTS),
           *(f"{v}_{f}" for v in ("compressed", "dense") for f in (*EFFICIENCY_FIGURES, *FIGURES)))
#: Categorical columns every sweep has, before its swept keys.
FIXED_CATEGORIES = ("trace", "method", "hw")


def swept_keys(rows: Sequence[dict[str, Any]], manifest: dict[str, Any] | None) -> list[str]:
    """The sweep's swept keys: as its manifest records them, else the dotted column names of its rows."""
    if manifest and isinstance(manifest.get("keys"), list):
        return [str(k) for k in manifest["keys"]]
    return sorted({k for r in rows for k in r if "." in k and k != "trace_path"})


def _numbers(values: Sequence[Any]) -> str:
    """A JSON array of numbers with 6 significant digits (a 100,000-point page stays tens of MB); null for NaN."""
    a = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    s = np.char.mod("%.6g", a)
    s[~np.isfinite(a)] = "null"
    return "[" + ",".join(s.tolist()) + "]"


def _category(values: Sequence[Any]) -> dict[str, Any]:
    """Codes into a list of distinct values (in first-seen order, numbers sorted), as the page filters them."""
    distinct = list(dict.fromkeys(values))
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in distinct):
        distinct.sort()
    index = {v: k for k, v in enumerate(distinct)}
    return {"values": distinct, "codes": [index[v] for v in values]}


def pareto_front(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Indices of the points no other point beats in both ``x`` and ``y`` (lower is better), in order of x."""
    order = np.lexsort((y, x))
    best = np.minimum.accumulate(y[order])
    keep = np.ones(len(order), dtype=bool)
    keep[1:] = y[order][1:] < best[:-1]
    return order[keep]


def breakdown_rows(rows: Sequence[dict[str, Any]], limit: int) -> list[int]:
    """Which rows get a phase, network and layer breakdown: all if at most ``limit``, else each trace's Pareto front of
    (compressed seconds, compressed energy), fastest first, up to ``limit``."""
    if len(rows) <= limit:
        return list(range(len(rows)))
    chosen: list[int] = []
    labels = run_labels(list(rows))
    for lab in dict.fromkeys(labels):
        idx = np.array([i for i, lb in enumerate(labels) if lb == lab])
        x = np.array([rows[i]["compressed_seconds"] for i in idx], dtype=float)
        y = np.array([rows[i]["compressed_energy_j"] for i in idx], dtype=float)
        chosen.extend(int(i) for i in idx[pareto_front(x, y)])
    return chosen[:limit]


def page_data(rows: Sequence[dict[str, Any]], keys: Sequence[str], failed: int = 0,
              breakdowns: dict[int, Any] | None = None, title: str = "") -> str:
    """The page's data as JSON text: columns of the successful ``rows`` (categories as codes), the swept
    ``keys``, each trace's path for the reproducing command, and the breakdowns by row index."""
    labels = run_labels(list(rows)) if rows else []
    parts = [f'"n":{len(rows)}', f'"failed":{int(failed)}', f'"title":{json.dumps(title)}',
             f'"keys":{json.dumps(list(keys))}', f'"energy_parts":{json.dumps(list(ENERGY_NAMES))}',
             f'"area_parts":{json.dumps(list(AREA_PARTS))}']
    cats = {"trace": _category(labels), "method": _category([str(r.get("method") or "") for r in rows]),
            "hw": _category([str(r.get("hw") or "") for r in rows])}
    for k in keys:
        cats[k] = _category([r.get(k) for r in rows])
    parts.append('"cats":' + json.dumps(cats, separators=(",", ":"), default=str))
    path_of = {lab: str(r["trace"]) for lab, r in zip(labels, rows, strict=True)}
    parts.append('"trace_paths":' + json.dumps([path_of[lab] for lab in cats["trace"]["values"]]))
    present = [c for c in NUMERIC if rows and c in rows[0]]
    parts.append('"num":{' + ",".join(f'"{c}":{_numbers([r.get(c) for r in rows])}' for c in present) + "}")
    parts.append('"breakdowns":' + json.dumps({str(i): b for i, b in (breakdowns or {}).items()},
                                              separators=(",", ":"), default=float))
    return "{" + ",".join(parts) + "}"


def asset(name: str) -> str:
    """The text of a file shipped beside this module (explorer.js/.css, live.js/.css), for inlining."""
    return (resources.files("accelsim.present") / name).read_text(encoding="utf-8")


def plotly_js() -> str:
    """plotly.js as the installed ``plotly`` package ships it (minified, one file)."""
    try:
        return (resources.files("plotly") / "package_data" / "plotly.min.js").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        raise InputError("plotly", "", "not installed; the explorer page inlines plotly.js: pip install plotly") \
            from None


def inline_script(text: str) -> str:
    """``text`` made safe inside a <script> (or JSON data) element."""
    # Nothing inside a <script> element may close it early.
    return text.replace("</script", "<\\/script").replace("<!--", "<\\!--")


def render_page(data_json: str, title: str, library_js: str) -> str:
    """The page: styles, the plotting library, the data and the explorer's script, all inline."""
    return "\n".join([
        "<!doctype html>", "<html lang='en'><head><meta charset='utf-8'>",
        f"<title>accelsim explore: {html.escape(title)}</title>",
        f"<style>{asset('explorer.css')}</style>",
        f"<script>{inline_script(library_js)}</script>", "</head><body>",
        f"<header><h1>accelsim explore: {html.escape(title)}</h1><p id='count' role='status'></p></header>",
        "<main><aside id='filters' aria-label='filters'></aside>",
        "<section id='plots'><div id='controls'></div><div id='plot-front' class='plot'></div>"
        "<div id='plot-area' class='plot'></div></section>",
        "<aside id='detail' aria-label='the chosen point'><p class='hint'>Click a point for its figures and "
        "breakdowns, and the command that reproduces it.</p></aside></main>",
        f"<script type='application/json' id='accelsim-data'>{inline_script(data_json)}</script>",
        f"<script>{inline_script(asset('common.js') + asset('explorer.js'))}</script>", "</body></html>"])


def load_rows(sweep_dir: Path) -> tuple[list[dict[str, Any]], int, dict[str, Any] | None]:
    """The successful rows of a sweep folder, how many failed, and its manifest (None if it has none)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = sweep_dir / "sweep.parquet"
    if not sweep_dir.is_dir():
        raise InputError(str(sweep_dir), "", "expected a sweep folder (accelsim sweep --out DIR)")
    if not p.is_file():
        raise InputError(str(sweep_dir), "sweep.parquet", "not found; run accelsim sweep --out DIR first")
    try:
        with open(p, "rb") as fh:  # a Python file: pyarrow fails on a path that is not UTF-8
            table = pq.read_table(fh)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(str(p), "", f"not a readable sweep table ({type(exc).__name__})") from None
    rows = table.to_pylist()
    ok = [r for r in rows if not r.get("error")]
    manifest = None
    if (sweep_dir / MANIFEST).is_file():
        try:
            manifest = json.loads((sweep_dir / MANIFEST).read_text())
        except ValueError:
            manifest = None
    return ok, len(rows) - len(ok), manifest


def write_explorer(sweep_dir: str | os.PathLike, out: str | os.PathLike | None = None,
                   breakdown_points: int = DEFAULT_BREAKDOWN_POINTS) -> tuple[Path, int]:
    """Write the explorer page of a sweep folder (default ``DIR/explore.html``); returns its path and the number
    of points it shows."""
    from accelsim.studies.breakdowns import point_breakdowns

    d = Path(sweep_dir)
    rows, failed, manifest = load_rows(d)
    keys = swept_keys(rows, manifest)
    which = breakdown_rows(rows, breakdown_points) if breakdown_points > 0 else []
    breakdowns = point_breakdowns(rows, keys, d, which) if which else {}
    data = page_data(rows, keys, failed, breakdowns, str(d))
    path = Path(out) if out else d / "explore.html"
    atomic_write_text(path, render_page(data, str(d), plotly_js()))
    return path, len(rows)
