"""Report writers: the text table, JSON and CSV of a :class:`~accelsim.base.records.SimResult`.

The CLI writes them with :func:`accelsim.base.atomic.atomic_write_text`, so a failed run never leaves half a
report or clobbers an earlier one.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from accelsim.base.errors import InputError
from accelsim.base.records import ENERGY_NAMES, SimResult, Totals
from accelsim.hardware.area import ChipArea


def _si(x: float, unit: str) -> str:
    for scale, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1, ""), (1e-3, "m"), (1e-6, "µ"),
                          (1e-9, "n")):
        if abs(x) >= scale:
            return f"{x / scale:.3g} {prefix}{unit}"
    return f"{x:.3g} {unit}"


def table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table: first column left-aligned, the rest right-aligned."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    fmt = lambda r: "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))  # noqa: E731
    line = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(header), line, *(fmt(r) for r in rows)])


def run_labels(rows: list[dict]) -> list[str]:
    """A label per result row for tables and figures: the trace's method (``gst``, ``ip``, …), or the trace's
    file stem where two different traces in ``rows`` share that method (the two IP schedules of the shipped
    samples both record ``ip``), so that no two runs are merged under one label. Rows need ``trace`` and
    ``method``."""
    traces_of: dict[str, set[str]] = {}
    for r in rows:
        traces_of.setdefault(str(r.get("method") or ""), set()).add(str(r["trace"]))
    out = []
    for r in rows:
        m = str(r.get("method") or "")
        out.append(m if m and len(traces_of[m]) == 1 else Path(str(r["trace"])).stem)
    return out


def _ratio(d: float, c: float) -> str:
    return f"{d / c:.2f}x" if c else "-"


def shown_path(path: str) -> str:
    """``path`` relative to the working folder when it lies inside it (what a user typed, or would), else as is."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def area_line(area: ChipArea, res: SimResult) -> str:
    """The chip's area by part and each view's throughput per mm² and per watt, one line."""
    parts = ", ".join(f"{AREA_LABELS[p]} {v:.3g}" for p, v in area.parts().items())
    c, d = res.compressed.efficiency, res.dense.efficiency
    return (f"area {area.total_mm2:.3g} mm2 ({parts})   TFLOPS/mm2 compressed {c.tflops / area.total_mm2:.4g}, "
            f"dense {d.tflops / area.total_mm2:.4g}   TFLOPS/W compressed {c.tflops_per_w:.4g}, dense "
            f"{d.tflops_per_w:.4g}")


#: The breakdowns the text report can print after the totals (``accelsim run --by``), and those it prints unless told.
BREAKDOWNS = ("phase", "network", "layer")
DEFAULT_BREAKDOWNS = ("phase", "network")


def parse_breakdowns(text: str) -> tuple[str, ...]:
    """``--by``'s comma-separated breakdowns (e.g. ``layer`` or ``phase,layer``), checked, in the order given."""
    groups = tuple(g.strip() for g in text.split(","))
    bad = [g for g in groups if g not in BREAKDOWNS]
    if bad or not text.strip():
        raise InputError("--by", text, f"expected one or more of {', '.join(BREAKDOWNS)}, comma-separated")
    return tuple(dict.fromkeys(groups))


#: How the text report names each part of the chip's area.
AREA_LABELS = {"sram": "SRAM", "pe": "PE array", "vector": "vector", "decode": "decode", "dram_if": "DRAM I/O"}


def text_report(res: SimResult, max_segments: int = 12, area: ChipArea | None = None,
                by: tuple[str, ...] = DEFAULT_BREAKDOWNS) -> str:
    """Human-readable report: totals, energy breakdown, the chip's area (when given) with throughput per mm² and
    per watt, the breakdowns ``by`` (of :data:`BREAKDOWNS`: by phase and by network unless told), speedup over
    training."""
    d, c = res.dense.totals, res.compressed.totals
    out = [f"trace     {shown_path(res.trace)}  ({res.steps:,} steps)",
           f"hardware  {res.hardware}   engine {res.engine}", f"precision {res.precision.sentence()}", ""]
    rows = [
        ["cycles", f"{d.cycles:,}", f"{c.cycles:,}", _ratio(d.cycles, c.cycles)],
        ["  compute", f"{d.compute_cycles:,}", f"{c.compute_cycles:,}", ""],
        ["  memory stall", f"{d.stall_memory_cycles:,}", f"{c.stall_memory_cycles:,}", ""],
        ["  decode stall", f"{d.stall_decode_cycles:,}", f"{c.stall_decode_cycles:,}", ""],
        ["seconds", f"{d.seconds:.4g}", f"{c.seconds:.4g}", _ratio(d.seconds, c.seconds)],
        ["energy (J)", f"{d.energy_j:.4g}", f"{c.energy_j:.4g}", _ratio(d.energy_j, c.energy_j)],
    ]
    for part in ENERGY_NAMES:
        rows.append([f"  {part}", f"{getattr(d.energy_breakdown_j, part):.4g}",
                     f"{getattr(c.energy_breakdown_j, part):.4g}", ""])
    rows += [
        ["DRAM bytes", _si(d.dram_bytes, "B"), _si(c.dram_bytes, "B"), _ratio(d.dram_bytes, c.dram_bytes)],
        ["MACs", _si(d.macs, ""), _si(c.macs, ""), _ratio(d.macs, c.macs)],
    ]
    ed, ec = res.dense.efficiency, res.compressed.efficiency
    rows += [
        ["TFLOPS (2/MAC)", f"{ed.tflops:.4g}", f"{ec.tflops:.4g}", ""],
        ["TFLOPS/W total", f"{ed.tflops_per_w:.4g}", f"{ec.tflops_per_w:.4g}", ""],
        ["  chip only", f"{ed.chip_tflops_per_w:.4g}", f"{ec.chip_tflops_per_w:.4g}", ""],
    ]
    out.append(table(["", "dense", "compressed", "dense/compr."], rows))
    out.append("")
    out.append(f"speedup {res.speedup:.3f}x   energy ratio (compressed/dense) {res.energy_ratio:.3f}")
    if area is not None:
        out.append(area_line(area, res))

    def breakdown(title: str, dd: dict[str, Totals], cc: dict[str, Totals]) -> str:
        names = [n for n in dd if n in cc] + [n for n in cc if n not in dd]
        rows = []
        for n in names:
            a, b = dd.get(n), cc.get(n)
            rows.append([n, f"{a.cycles:,}" if a else "-", f"{b.cycles:,}" if b else "-",
                         _ratio(a.cycles, b.cycles) if a and b else "-",
                         _si(a.dram_bytes, "B") if a else "-", _si(b.dram_bytes, "B") if b else "-",
                         f"{b.energy_j:.3g}" if b else "-"])
        return title + "\n" + table([title.split()[-1], "cycles dense", "cycles compr.", "speedup", "DRAM dense",
                                      "DRAM compr.", "energy compr. J"], rows)

    for group in by:
        out += ["", breakdown(f"by {group}", getattr(res.dense, f"by_{group}"), getattr(res.compressed, f"by_{group}"))]
    # Speedup over training: bucket the segments into at most max_segments ranges of steps.
    segs_d, segs_c = res.dense.by_segment, res.compressed.by_segment
    if segs_c:
        n = len(segs_c)
        k = min(max_segments, n)
        rows = []
        for b in range(k):
            lo, hi = b * n // k, (b + 1) * n // k
            sd = sum(s.totals.cycles for s in segs_d[lo:hi])
            sc = sum(s.totals.cycles for s in segs_c[lo:hi])
            steps = sum(s.steps for s in segs_c[lo:hi])
            last = segs_c[hi - 1]
            rows.append([f"{segs_c[lo].first_step:,}-{last.first_step + last.steps - 1:,}", f"{steps:,}",
                         f"{sd / steps:,.0f}", f"{sc / steps:,.0f}", _ratio(sd, sc)])
        out += ["", "speedup over training",
                table(["steps", "n", "cycles/step dense", "cycles/step compr.", "speedup"], rows)]
    return "\n".join(out) + "\n"


def json_report(res: SimResult, area: ChipArea | None = None, made_by: dict[str, Any] | None = None) -> str:
    """The result as JSON; with ``area``, also at the top level ``area_mm2`` (the chip's total),
    ``area_breakdown_mm2`` (its parts) and ``tflops_per_mm2`` (each view's throughput per mm²); with
    ``made_by`` (:func:`accelsim.simulation.provenance.provenance`), a ``provenance`` block."""
    d = res.to_dict()
    if area is not None:
        d["area_mm2"] = area.total_mm2
        d["area_breakdown_mm2"] = area.parts()
        d["tflops_per_mm2"] = {v: d[v]["efficiency"]["tflops"] / area.total_mm2 for v in ("dense", "compressed")}
    if made_by is not None:
        d["provenance"] = made_by
    return json.dumps(d, indent=2) + "\n"


def csv_report(res: SimResult, provenance: dict[str, Any] | None = None) -> str:
    """One row per (view, group, name): totals, phases, networks, layers and segments, flat columns.

    ``provenance`` (:func:`accelsim.simulation.provenance.provenance`), when given, goes first as comment lines,
    one per field, ``# field: <JSON value>`` (``pandas.read_csv(path, comment="#")`` skips them; so does
    ``csv.DictReader(line for line in f if not line.startswith("#"))``).
    """
    buf = io.StringIO()
    for key, value in (provenance or {}).items():
        buf.write(f"# {key}: {json.dumps(value, sort_keys=True, separators=(',', ':'))}\n")
    fields = ["view", "group", "name", "first_step", "steps", "cycles", "compute_cycles", "stall_memory_cycles",
              "stall_decode_cycles", "seconds", "energy_j", "energy_dram_j", "energy_sram_j", "energy_mac_j",
              "energy_decode_j", "energy_static_j", "dram_bytes", "dram_read_bytes", "dram_write_bytes", "macs"]
    w = csv.DictWriter(buf, fieldnames=fields)
    w.writeheader()

    def put(view: str, group: str, name: str, t: Totals, first: int | str = "", steps: int | str = "") -> None:
        e = t.energy_breakdown_j
        w.writerow({"view": view, "group": group, "name": name, "first_step": first, "steps": steps,
                    "cycles": t.cycles, "compute_cycles": t.compute_cycles,
                    "stall_memory_cycles": t.stall_memory_cycles, "stall_decode_cycles": t.stall_decode_cycles,
                    "seconds": repr(t.seconds), "energy_j": repr(t.energy_j), "energy_dram_j": repr(e.dram),
                    "energy_sram_j": repr(e.sram), "energy_mac_j": repr(e.mac), "energy_decode_j": repr(e.decode),
                    "energy_static_j": repr(e.static), "dram_bytes": t.dram_bytes,
                    "dram_read_bytes": t.dram_read_bytes, "dram_write_bytes": t.dram_write_bytes, "macs": t.macs})

    for v in (res.dense, res.compressed):
        put(v.view, "total", "total", v.totals, res.steps and 0, res.steps)
        for k, t in v.by_phase.items():
            put(v.view, "phase", k, t)
        for k, t in v.by_network.items():
            put(v.view, "network", k, t)
        for k, t in v.by_layer.items():
            put(v.view, "layer", k, t)
        for i, s in enumerate(v.by_segment):
            put(v.view, "segment", str(i), s.totals, s.first_step, s.steps)
    return buf.getvalue()
