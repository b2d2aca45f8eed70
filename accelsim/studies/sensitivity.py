"""How sure is the headline: one-at-a-time sensitivity of speedup and energy ratio to every model parameter.

    accelsim sensitivity [TRACE] [--hw PRESET] [--vary 0.2] [--json OUT] [--plot OUT.png]

Every numeric field of the hardware tree (bandwidth, DRAM timings, buffer sizes, energies, decode rates,
clock, array shape, ...) is moved down and up by ``vary`` (a fraction), alone, the others at the preset's
values; each move is one hardware point, and all of them run in one call of the fast engine's multi-point
path (:func:`accelsim.studies.sweep.evaluate_points`). Switches and names (``pe.dataflow``, ``pe.dtype``,
``pe.skip_zeros``, ``sram.double_buffer``, ``dram.part``) are not numbers and are listed as not varied.

A field left ``auto`` (derived from the rest of the config, e.g. ``dram.gbps``) is moved around its derived
value. Integer fields are rounded to the nearest integer (``dram.channel_bits`` to whole bytes, a multiple of
8) and moved at least one step, so the move actually made can differ from ``vary``: every result carries the
values it used, and the report says which were rounded. A move that leaves the valid range (a size below 1)
is not made and is said so.

The swing of a parameter is the larger of its relative spans of speedup and energy ratio,
(max − min) / baseline over {low, baseline, high}. Results are ranked by the swing scaled to the nominal
move (swing × 2·vary / the relative move actually made), so an integer that could only move ±50 % is
compared at ±``vary`` like the rest, to first order.
"""

from __future__ import annotations

import math
import types
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from accelsim.base.errors import InputError
from accelsim.hardware import config as hardware
from accelsim.hardware import derived as hw_derived
from accelsim.hardware import limits
from accelsim.hardware import load as hw_load

#: Integer fields that must move in steps larger than 1 (bits of a channel: whole bytes).
INT_STEP: dict[str, int] = {"dram.channel_bits": 8}


@dataclass(frozen=True)
class Move:
    """One parameter's one-at-a-time move.

    Attributes:
        key: dotted hardware key (``dram.gbps``).
        value: its value in the base config (the derived value if the field is ``auto``).
        low, high: the values tried (None: that direction cannot be tried, see ``note``).
        note: what was done beyond ``value·(1 ± vary)``: rounding, auto, a bound.
    """

    key: str
    value: float
    low: float | None
    high: float | None
    note: str = ""

    def relative(self, side: float | None) -> float:
        """The move actually made, as a fraction of the value (NaN if not made)."""
        if side is None or not self.value:
            return math.nan
        return side / self.value - 1.0


@dataclass(frozen=True)
class Headline:
    """Speedup (dense/compressed time) and energy ratio (compressed/dense energy) of one hardware point."""

    speedup: float
    energy_ratio: float
    error: str = ""


NOT_RUN = Headline(math.nan, math.nan, "not run")


@dataclass(frozen=True)
class ParameterSensitivity:
    """The headline at a parameter's low and high values."""

    move: Move
    low: Headline
    high: Headline

    def span(self, base: Headline, figure: str) -> float:
        """(max − min) / baseline of ``figure`` over {low, baseline, high} (runs that failed left out)."""
        ref = getattr(base, figure)
        vals = [getattr(h, figure) for h in (self.low, self.high, base) if not h.error]
        return (max(vals) - min(vals)) / abs(ref) if ref else math.nan

    def swing(self, base: Headline) -> float:
        """The larger relative span of speedup and energy ratio."""
        return max(self.span(base, "speedup"), self.span(base, "energy_ratio"))

    def swing_per_vary(self, base: Headline, vary: float) -> float:
        """:meth:`swing` scaled to a move of ±``vary`` (the ranking key): a rounded integer moved by ±50 %
        counts as if moved ±``vary``, to first order, so coarse integers do not outrank finer parameters by
        the size of their step alone."""
        lo, hi = self.move.relative(self.move.low), self.move.relative(self.move.high)
        made = [abs(x) for x in (lo, hi) if not math.isnan(x)]
        if not made:
            return math.nan
        return self.swing(base) * 2 * vary / (sum(made) if len(made) == 2 else 2 * made[0])


@dataclass(frozen=True)
class Sensitivity:
    """The whole study: the baseline, every parameter ranked by swing (largest first), what was not varied."""

    trace: str
    hardware: str
    vary: float
    base: Headline
    parameters: tuple[ParameterSensitivity, ...]
    not_varied: tuple[str, ...]

    def top(self, n: int) -> tuple[ParameterSensitivity, ...]:
        return self.parameters[:n]

    def to_dict(self) -> dict[str, Any]:
        def side(m: Move, v: float | None, h: Headline) -> dict[str, Any]:
            return {"value": v, "move": _nan_none(m.relative(v)), "speedup": _nan_none(h.speedup),
                    "energy_ratio": _nan_none(h.energy_ratio), "error": h.error}

        return {
            "trace": self.trace,
            "hardware": self.hardware,
            "vary": self.vary,
            "baseline": {"speedup": self.base.speedup, "energy_ratio": self.base.energy_ratio},
            "parameters": [
                {"key": p.move.key, "value": p.move.value, "note": p.move.note,
                 "low": side(p.move, p.move.low, p.low), "high": side(p.move, p.move.high, p.high),
                 "speedup_span": _nan_none(p.span(self.base, "speedup")),
                 "energy_ratio_span": _nan_none(p.span(self.base, "energy_ratio")),
                 "swing": _nan_none(p.swing(self.base)),
                 "swing_per_vary": _nan_none(p.swing_per_vary(self.base, self.vary))}
                for p in self.parameters],
            "not_varied": list(self.not_varied),
        }


def _nan_none(x: float) -> float | None:
    """JSON has no NaN: a figure that does not exist is null."""
    return None if x is None or math.isnan(x) else x


def _numeric(typ: Any) -> type | None:
    """int or float for a numeric field type (``float | None`` counts as float), else None."""
    if isinstance(typ, types.UnionType):
        (typ,) = (t for t in typ.__args__ if t is not type(None))
    return typ if typ in (int, float) else None


def parameters(cfg: hardware.HardwareConfig) -> tuple[list[tuple[str, type, float, bool]], list[str]]:
    """(numeric fields as (key, int or float, effective value, is auto), keys that are not numbers)."""
    derived = hw_derived.derived_values(cfg)
    numeric, other = [], []
    for sec, cls in hardware.SECTIONS.items():
        obj = getattr(cfg, sec)
        for f in fields(cls):
            key = f"{sec}.{f.name}"
            kind = _numeric(hardware.field_types(cls)[f.name])
            if sec == "dram" and f.name in limits.NOT_READ:
                other.append(key)  # loads, but the model does not read it: moving it would move nothing
                continue
            if kind is None:
                other.append(key)
                continue
            value = getattr(obj, f.name)
            auto = value is None
            if auto and key not in derived:
                other.append(key)  # left to a model that derives it (the banked DRAM keys): nothing to move
                continue
            numeric.append((key, kind, float(derived[key] if auto else value), auto))
    return numeric, other


def _int_side(value: float, target: float, step: int, up: bool) -> int | None:
    """The nearest multiple of ``step`` to ``target``, at least one step away from ``value`` in its direction;
    None below the smallest valid size (one step)."""
    v = round(target / step) * step
    if up and v <= value:
        v = int(value) + step
    if not up and v >= value:
        v = int(value) - step
    return v if v >= step else None


def make_move(key: str, kind: type, value: float, auto: bool, vary: float) -> Move:
    """The low and high values of one parameter (see the module docstring for rounding)."""
    notes = [f"auto: derived {value:.6g}"] if auto else []
    if value == 0:
        return Move(key, value, None, None, "; ".join([*notes, "zero: a fraction of it does not move it"]))
    lo, hi = value * (1 - vary), value * (1 + vary)
    if kind is int:
        step = INT_STEP.get(key, 1)
        ilo, ihi = _int_side(value, lo, step, False), _int_side(value, hi, step, True)
        what = "whole bytes (multiple of 8)" if step == 8 else "integer"
        if ilo != lo or ihi != hi:
            notes.append(f"{what}: rounded")
        if ilo is None:
            notes.append(f"cannot go below {value:g}")
        return Move(key, value, ilo, ihi, "; ".join(notes))
    return Move(key, value, lo, hi, "; ".join(notes))


def moves(cfg: hardware.HardwareConfig, vary: float) -> tuple[list[Move], list[str]]:
    """Every numeric parameter's move, and the keys not varied (not numbers)."""
    if not 0 < vary < 1:
        raise InputError("--vary", str(vary), "expected a fraction between 0 and 1 (exclusive), e.g. 0.2")
    numeric, other = parameters(cfg)
    return [make_move(k, kind, v, auto, vary) for k, kind, v, auto in numeric], other


def _headline(row: Mapping[str, Any]) -> Headline:
    if row.get("error"):
        return Headline(math.nan, math.nan, str(row["error"]))
    return Headline(float(row["speedup"]), float(row["energy_ratio"]))


def _typed(key: str, v: float) -> Any:
    """A moved value as its field's type (ints stay ints)."""
    sec, _, name = key.partition(".")
    return int(v) if _numeric(hardware.field_types(hardware.SECTIONS[sec])[name]) is int else float(v)


def run_sensitivity(trace: str, hw: str | None, vary: float = 0.2,
                    base_overrides: Mapping[str, Any] | None = None) -> Sensitivity:
    """One-at-a-time sensitivity of ``trace``'s headline on preset or TOML ``hw`` (with ``base_overrides``).

    All points (the baseline, then low and high of every parameter) run in one multi-point engine call per view.
    """
    from accelsim.studies.sweep import evaluate_points

    base_over = dict(base_overrides or {})
    cfg = hw_load.load_hardware(hw, base_over)
    mv, not_varied = moves(cfg, vary)
    points: list[dict[str, Any]] = [dict(base_over)]
    index: list[tuple[int | None, int | None]] = []
    for m in mv:
        slots: list[int | None] = []
        for side in (m.low, m.high):
            if side is None:
                slots.append(None)
                continue
            slots.append(len(points))
            points.append({**base_over, m.key: _typed(m.key, side)})
        index.append((slots[0], slots[1]))
    rows = evaluate_points(str(trace), hw, points)
    base = _headline(rows[0])
    if base.error:
        raise InputError(str(trace), "baseline", base.error)
    out = [ParameterSensitivity(m, NOT_RUN if lo is None else _headline(rows[lo]),
                                NOT_RUN if hi is None else _headline(rows[hi]))
           for m, (lo, hi) in zip(mv, index, strict=True)]
    out.sort(key=lambda p: (-_finite(p.swing_per_vary(base, vary)), p.move.key))
    return Sensitivity(str(trace), cfg.name, vary, base, tuple(out), tuple(not_varied))


def _finite(x: float) -> float:
    return -1.0 if math.isnan(x) else x
