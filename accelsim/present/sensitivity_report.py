"""The sensitivity table (``accelsim sensitivity``): every parameter, largest swing first."""

from __future__ import annotations

import math
from collections.abc import Sequence

from accelsim.present.report import table
from accelsim.studies.sensitivity import NOT_RUN, Headline, ParameterSensitivity, Sensitivity


def _g(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.4g}"


def _pct(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:+.1%}"


def text_report(s: Sensitivity, rows: Sequence[ParameterSensitivity] | None = None) -> str:
    """The table: every parameter, largest swing first, with the values tried and the headline at each."""
    rows = s.parameters if rows is None else rows
    b = s.base
    out = [f"trace     {s.trace}",
           f"hardware  {s.hardware}   each parameter moved by -{s.vary:.0%} and +{s.vary:.0%}, one at a time",
           f"baseline  speedup {b.speedup:.4f}x   energy ratio {b.energy_ratio:.4f}", ""]
    body = []
    for p in rows:
        m = p.move
        cell = [m.key, _g(m.value),
                f"{_g(m.low)} ({_pct(m.relative(m.low))})" if m.low is not None else "-",
                f"{_g(m.high)} ({_pct(m.relative(m.high))})" if m.high is not None else "-",
                _cell(p.low, "speedup"), _cell(p.high, "speedup"),
                _cell(p.low, "energy_ratio"), _cell(p.high, "energy_ratio"), _pct(p.swing(b)).lstrip("+"),
                _pct(p.swing_per_vary(b, s.vary)).lstrip("+"), m.note]
        body.append(cell)
    out.append(table(["parameter", "value", "low (move)", "high (move)", "speedup low", "speedup high",
                      "E ratio low", "E ratio high", "swing", f"per ±{s.vary:.0%}", "note"], body))
    errors = [f"  {p.move.key}: {h.error}" for p in rows for h in (p.low, p.high) if h.error and h is not NOT_RUN]
    if errors:
        out += ["", "moves that are not a valid config:", *errors]
    out += ["", "swing = the larger of (max - min) / baseline of speedup and of energy ratio over low, baseline, "
            f"high; per ±{s.vary:.0%} = swing scaled to a ±{s.vary:.0%} move (integers rounded to a larger step), "
            "the ranking.", "not varied (not numbers, or not read by the model): " + ", ".join(s.not_varied)]
    return "\n".join(out) + "\n"


def _cell(h: Headline, figure: str) -> str:
    if h.error:
        return "invalid" if h is not NOT_RUN else "-"
    return f"{getattr(h, figure):.4f}"
