"""Pinned figures: the model's headline numbers per preset on the shipped traces, kept in ``tests/data/pinned``.

As ZigZag pins (energy, latency) per preset, every preset has its own file ``tests/data/pinned/<preset>.json``
holding, for every shipped trace, both views' cycles (total, compute, memory stall, decode stall), energy
parts, DRAM bytes and MACs, plus speedup and energy ratio. ``tests/test_pinned.py`` compares integers exactly
and floats to 1e-9 relative, so any change of a number fails the preset it touches.

An intended model change re-pins with one command, which prints the diff and adds an entry to the changelog
in ``docs/model.md`` naming the change and how it moved the default preset's headline::

    make repin REASON="DRAM: banked model (issue 9)"

Nothing here runs in the simulation path; it is the project's regression harness, kept beside the tests (not in
the package) and imported by ``scripts/repin.py`` too, so the test and the re-pin command compute the figures
the same way.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent  # the repository: this file is tests/pinned.py
PIN_DIR = ROOT / "tests" / "data" / "pinned"
TRACE_DIR = ROOT / "traces"
CHANGELOG = ROOT / "docs" / "model.md"
CHANGELOG_HEADING = "## Changelog of pinned figures"

#: Integer figures pinned per view (energy is pinned in full: ``energy_j`` and every part).
INT_FIELDS = ("cycles", "compute_cycles", "stall_memory_cycles", "stall_decode_cycles", "dram_bytes",
              "dram_read_bytes", "dram_write_bytes", "macs")


def shipped_traces() -> list[Path]:
    """The shipped sample traces, in name order."""
    return sorted(TRACE_DIR.glob("*.parquet"))


def figures(trace, preset: str) -> dict[str, Any]:
    """The pinned figures of one (trace, preset): ``{"speedup", "energy_ratio", "dense": {...}, "compressed": {...}}``.

    Per view: the integer fields of :data:`INT_FIELDS` and ``energy_j`` with its parts (joules).
    """
    from accelsim.base.records import ENERGY_NAMES
    from accelsim.simulation.simulate import simulate

    res = simulate(trace, preset)
    out: dict[str, Any] = {"speedup": res.speedup, "energy_ratio": res.energy_ratio}
    for view in ("dense", "compressed"):
        t = getattr(res, view).totals
        d: dict[str, Any] = {f: int(getattr(t, f)) for f in INT_FIELDS}
        d["energy_j"] = t.energy_j
        d["energy_breakdown_j"] = {p: getattr(t.energy_breakdown_j, p) for p in ENERGY_NAMES}
        out[view] = d
    return out


def preset_figures(preset: str) -> dict[str, Any]:
    """``{trace stem: figures}`` for every shipped trace on ``preset``."""
    from accelsim.trace.reader import read_trace

    return {p.stem: figures(read_trace(p), preset) for p in shipped_traces()}


def pin_path(preset: str) -> Path:
    return PIN_DIR / f"{preset}.json"


def load_pins(preset: str) -> dict[str, Any]:
    return json.loads(pin_path(preset).read_text())


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def differences(old: dict[str, Any], new: dict[str, Any], rel: float = 1e-9) -> list[tuple[str, Any, Any]]:
    """(key, old, new) of every figure that differs: integers exactly, floats beyond ``rel`` relative."""
    fo, fn = _flatten(old), _flatten(new)
    diffs = []
    for key in sorted(set(fo) | set(fn)):
        a, b = fo.get(key), fn.get(key)
        if isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool):
            same = a == b
        elif isinstance(a, float | int) and isinstance(b, float | int):
            same = math.isclose(a, b, rel_tol=rel, abs_tol=1e-30)
        else:
            same = a == b
        if not same:
            diffs.append((key, a, b))
    return diffs


def format_diff(diffs: list[tuple[str, Any, Any]], limit: int = 40) -> str:
    lines = []
    for key, a, b in diffs[:limit]:
        if isinstance(a, float | int) and isinstance(b, float | int) and a:
            lines.append(f"  {key}: {a:.6g} -> {b:.6g} ({(b - a) / abs(a):+.2%})")
        else:
            lines.append(f"  {key}: {a!r} -> {b!r}")
    if len(diffs) > limit:
        lines.append(f"  ... and {len(diffs) - limit} more")
    return "\n".join(lines)
