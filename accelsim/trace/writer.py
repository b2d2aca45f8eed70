"""The one trace writer: steps in, run-length-compressed Parquet parts out, atomically, with checkpoint and resume
(``traces/README.md``, Files).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from accelsim.base.atomic import atomic_path, remove_temporaries
from accelsim.base.errors import InputError
from accelsim.trace.formats import Format
from accelsim.trace.schema import (
    META_KEY,
    PART_GLOB,
    SCHEMA,
    SCHEMA_VERSION,
    TXN_COLUMNS,
    MaskSnapshot,
    NetworkDecl,
    TxnRow,
    check_networks,
    networks_to_json,
)


def _write_table(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` atomically: readers never see half a file."""
    # Through a Python file: pyarrow takes a path as UTF-8, failing on a name that is not (test_fuzz_contracts.py).
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        pq.write_table(table, fh, compression="zstd")


def _meta_bytes(run_meta: dict[str, Any], extra: dict[str, Any], networks: tuple[NetworkDecl, ...] = ()) -> bytes:
    """The key-value metadata of a part: version 2 with the declared ``networks``, version 1 without."""
    head: dict[str, Any] = {"schema_version": SCHEMA_VERSION if networks else 1, "run": run_meta}
    if networks:
        head["networks"] = networks_to_json(networks)
    return json.dumps({**head, **extra}, sort_keys=True).encode()


def _checked_networks(networks: Sequence[NetworkDecl] | None) -> tuple[NetworkDecl, ...]:
    nets = tuple(networks or ())
    check_networks(nets)
    return nets


@dataclass
class _Segment:
    first_step: int
    period: list[tuple[TxnRow, ...]] = field(default_factory=list)  # one entry per step of the period
    steps: int = 0  # steps covered so far
    continues: bool = False


def _part_path(folder: Path, index: int) -> Path:
    return folder / f"part-{index:06d}.parquet"


def _part_number(path: Path) -> int:
    return int(path.stem.split("-")[1])


@dataclass(frozen=True)
class OpenSegment:
    """The segment a writer holds open (not yet in any part): its first step, the rows of each step of its
    period, the steps it covers so far, and whether it continues a segment already written."""

    first_step: int
    period: tuple[tuple[TxnRow, ...], ...]
    steps: int
    continues: bool


@dataclass(frozen=True)
class WriterState:
    """Where a :class:`TraceWriter` stands after :meth:`TraceWriter.checkpoint`: enough to resume it.

    Attributes:
        next_part: number of the next part; parts numbered from it on were written after the checkpoint.
        next_step: the step :meth:`TraceWriter.add_step` expects next (None before the first step).
        open_segment: the segment still open, or None.
    """

    next_part: int
    next_step: int | None
    open_segment: OpenSegment | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form (rows as ``{column: value}``); :meth:`from_dict` reads it back."""
        seg = self.open_segment
        return {
            "next_part": self.next_part,
            "next_step": self.next_step,
            "open": None if seg is None else {
                "first_step": seg.first_step, "steps": seg.steps, "continues": seg.continues,
                "period": [[dict(zip(TXN_COLUMNS, r.columns(), strict=True)) for r in step] for step in seg.period],
            },
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> WriterState:
        """Read :meth:`to_dict`'s form (rows given as lists in :data:`TXN_COLUMNS` order are read too)."""
        o = d["open"]
        seg = None
        if o is not None:
            def row(r: Any) -> TxnRow:
                return TxnRow.from_columns(r if isinstance(r, Mapping) else dict(zip(TXN_COLUMNS, r, strict=True)))

            seg = OpenSegment(int(o["first_step"]), tuple(tuple(row(r) for r in step) for step in o["period"]),
                              int(o["steps"]), bool(o["continues"]))
        return cls(int(d["next_part"]), None if d["next_step"] is None else int(d["next_step"]), seg)


class TraceWriter:
    """Writes a run's trace into a folder of atomically written Parquet parts, run-length compressing steps.

    Call :meth:`add_mask` for every layer whose mask changes (before the step it first applies to), then
    :meth:`add_step` once per gradient step with that step's ordered rows. A part is written every
    ``flush_every_s`` seconds (the first one as soon as one whole period is recorded), on :meth:`flush` and
    on :meth:`close`.
    A flush does not end the open segment: the next part continues it (``seg_continues``), and the reader
    merges the pieces, so where parts fall never changes what a trace says.

    Args:
        folder: the trace folder (created); existing parts are kept and numbering continues after them.
        run_meta: JSON-serialisable run metadata stored in every part.
        period_steps: the step period to compress over (TD3's policy delay).
        flush_every_s: seconds between parts (None: only on flush/close).
        networks: the networks the run declares (schema version 2: rows may name only these); None writes
            version 1 (TD3's fixed names, ``accelsim.trace.schema.NETWORKS_V1``).
    """

    def __init__(self, folder: str | os.PathLike, run_meta: dict[str, Any], period_steps: int = 2,
                 flush_every_s: float | None = 30.0, networks: Sequence[NetworkDecl] | None = None) -> None:
        if period_steps < 1:
            raise ValueError("period_steps must be >= 1")
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.run_meta = dict(run_meta)
        json.dumps(self.run_meta)  # fail early on non-serialisable metadata
        self.period_steps = period_steps
        self.flush_every_s = flush_every_s
        self.networks = _checked_networks(networks)
        existing = sorted(self.folder.glob(PART_GLOB))
        self._part_index = (_part_number(existing[-1]) + 1) if existing else 0
        self._open: _Segment | None = None
        self._closed: list[_Segment] = []
        self._masks: list[MaskSnapshot] = []
        self._next_step: int | None = None
        self._last_flush = time.monotonic()
        self._wrote_any = False

    # -- input
    def declare_networks(self, networks: Sequence[NetworkDecl]) -> None:
        """Extend the declaration (version 2) with networks first seen later in the run: ``networks`` must start
        with the networks already declared, unchanged. Parts written from now on carry it."""
        nets = _checked_networks(networks)
        if not self.networks or nets[:len(self.networks)] != self.networks:
            raise ValueError("a declaration may only be extended: keep the declared networks, in order, first")
        self.networks = nets

    def add_mask(self, step: int, network: str, layer: int, mask: np.ndarray, scheme: str) -> None:
        """Record that ``network``'s ``layer`` uses element mask ``mask`` ([out, in], bool) from ``step`` on."""
        m = np.asarray(mask, dtype=bool)
        if m.ndim != 2:
            raise ValueError("mask must be 2-D [out, in]")
        self._end_segment()
        self._masks.append(MaskSnapshot(step, network, int(layer), int(m.shape[0]), int(m.shape[1]), scheme,
                                        np.packbits(m.ravel()).tobytes()))

    def add_step(self, step: int, rows: Sequence[TxnRow]) -> None:
        """Append gradient step ``step`` (consecutive) with its ordered transaction rows."""
        if self._next_step is not None and step != self._next_step:
            raise ValueError(f"steps must be consecutive: expected {self._next_step}, got {step}")
        key = tuple(rows)
        seg = self._open
        if seg is not None:
            if len(seg.period) < self.period_steps:
                seg.period.append(key)
                seg.steps += 1
            elif seg.period[seg.steps % self.period_steps] == key:
                seg.steps += 1
            else:
                self._end_segment()
                seg = None
        if seg is None:
            self._open = _Segment(first_step=step, period=[key], steps=1)
        self._next_step = step + 1
        # The first part lands as soon as one whole period exists (the second step for TD3), then on the timer.
        first_ready = not self._wrote_any and (self._closed or len(self._open.period) == self.period_steps)
        timer = self.flush_every_s is not None and time.monotonic() - self._last_flush >= self.flush_every_s
        if first_ready or timer:
            self.flush()

    # -- segment bookkeeping
    @staticmethod
    def _split(seg: _Segment) -> list[_Segment]:
        """Whole periods as one segment, a trailing partial period as its own."""
        p = len(seg.period)
        full, rem = divmod(seg.steps, p) if seg.steps >= p else (0, seg.steps)
        out = []
        if full:
            out.append(_Segment(seg.first_step, seg.period, full * p, seg.continues))
        if rem:
            out.append(_Segment(seg.first_step + full * p, seg.period[:rem], rem, seg.continues and not full))
        return out

    def _end_segment(self) -> None:
        if self._open is not None:
            self._closed.extend(self._split(self._open))
            self._open = None

    # -- output
    def flush(self) -> None:
        """Write everything recorded so far as one part (nothing if there is nothing new)."""
        seg = self._open
        if seg is not None and len(seg.period) == self.period_steps and seg.steps >= self.period_steps:
            # Emit the whole periods; the rest of the segment stays open and continues in the next part.
            p = self.period_steps
            full = seg.steps // p
            self._closed.append(_Segment(seg.first_step, seg.period, full * p, seg.continues))
            self._open = _Segment(seg.first_step + full * p, seg.period, seg.steps - full * p, True)
        if not self._closed and not self._masks:
            return
        table = self._to_table(self._closed, self._masks)
        steps = [s.first_step for s in self._closed]
        extra = {"part_index": self._part_index, "first_step": min(steps) if steps else None}
        table = table.replace_schema_metadata({META_KEY: _meta_bytes(self.run_meta, extra, self.networks)})
        _write_table(table, _part_path(self.folder, self._part_index))
        self._part_index += 1
        self._closed = []
        self._masks = []
        self._last_flush = time.monotonic()
        self._wrote_any = True

    def close(self) -> None:
        """End the open segment and write the last part."""
        if self._open is not None and self._open.steps == 0:
            self._open = None
        self._end_segment()
        self.flush()

    # -- checkpoint and resume
    def checkpoint(self) -> WriterState:
        """Flush, then describe what this writer holds: :meth:`resume` continues from it exactly."""
        self.flush()
        seg = self._open
        open_seg = None if seg is None else OpenSegment(seg.first_step, tuple(seg.period), seg.steps, seg.continues)
        return WriterState(self._part_index, self._next_step, open_seg)

    @classmethod
    def resume(cls, folder: str | os.PathLike, run_meta: dict[str, Any], state: WriterState, period_steps: int = 2,
               flush_every_s: float | None = 30.0, networks: Sequence[NetworkDecl] | None = None) -> TraceWriter:
        """A writer that continues from ``state``: parts written after it (numbered ``state.next_part`` on)
        and temporary files a kill left behind are deleted first, so the trace rolls back to the checkpoint."""
        folder = Path(folder)
        # Every part the checkpoint counts on must still be there and readable, or the resumed trace would
        # be silently broken: refuse, naming the part.
        for k in range(state.next_part):
            part = _part_path(folder, k)
            try:
                with open(part, "rb") as fh:  # a Python file: pyarrow fails on a path that is not UTF-8
                    pq.read_metadata(fh)
            except (OSError, pa.ArrowException) as exc:
                raise InputError(str(part), "", f"trace part {k} written before the checkpoint is missing or "
                                                f"unreadable ({type(exc).__name__}); the run cannot resume") from None
        if folder.is_dir():
            for p in folder.glob(PART_GLOB):
                if _part_number(p) >= state.next_part:
                    p.unlink()
            remove_temporaries(folder)
        w = cls(folder, run_meta, period_steps=period_steps, flush_every_s=flush_every_s, networks=networks)
        w._part_index = state.next_part
        w._next_step = state.next_step
        w._wrote_any = state.next_part > 0
        seg = state.open_segment
        if seg is not None:
            w._open = _Segment(seg.first_step, list(seg.period), seg.steps, seg.continues)
        return w

    def __enter__(self) -> TraceWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def _to_table(segments: Iterable[_Segment], masks: Iterable[MaskSnapshot]) -> pa.Table:
        cols: dict[str, list[Any]] = {name: [] for name in SCHEMA.names}
        for seg in segments:
            p = len(seg.period)
            reps = seg.steps // p
            for k, step_rows in enumerate(seg.period):
                for r in step_rows:
                    cols["record"].append("txn")
                    cols["seg_first_step"].append(seg.first_step)
                    cols["seg_period_steps"].append(p)
                    cols["seg_repeats"].append(reps)
                    cols["seg_continues"].append(seg.continues)
                    cols["step_in_period"].append(k)
                    for name, v in zip(TXN_COLUMNS, r.columns(), strict=True):
                        cols[name].append(v)
                    cols["mask_bits"].append(None)
        for m in masks:
            cols["record"].append("mask")
            cols["seg_first_step"].append(m.step)
            cols["seg_period_steps"].append(0)
            cols["seg_repeats"].append(0)
            cols["seg_continues"].append(False)
            cols["step_in_period"].append(0)
            defaults = TxnRow(network=m.network, layer=m.layer, tensor="weight", phase="update", direction="write",
                              rows=m.rows, cols=m.cols, format=Format(m.scheme, nnz_units=0))
            for name, v in zip(TXN_COLUMNS, defaults.columns(), strict=True):
                cols[name].append(v)
            cols["mask_bits"].append(m.bits)
        return pa.Table.from_pydict(cols, schema=SCHEMA)


def write_trace(path: str | os.PathLike, run_meta: dict[str, Any],
                segments: Iterable[tuple[int, int, Sequence[Sequence[TxnRow]]]],
                masks: Iterable[MaskSnapshot] = (), networks: Sequence[NetworkDecl] | None = None) -> Path:
    """Write a packed single-file trace from explicit segments ``(first_step, repeats, period_rows)``.

    ``period_rows`` is a list of P steps, each a list of rows. Used by generators and :func:`pack`. ``networks``:
    as for :class:`TraceWriter` (None: version 1).
    """
    segs = []
    for first, reps, period in segments:
        p = len(period)
        segs.append(_Segment(int(first), [tuple(s) for s in period], int(reps) * p))
    table = TraceWriter._to_table(segs, masks)
    table = table.replace_schema_metadata({META_KEY: _meta_bytes(run_meta, {"part_index": "packed"},
                                                                 _checked_networks(networks))})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_table(table, path)
    return path
