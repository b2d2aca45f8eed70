"""The weight-transaction trace: the contract between gst_train and the simulator.

One writer (:class:`TraceWriter`) and one reader (:func:`read_trace`); nothing else touches trace files.
The format is documented in ``traces/README.md`` (schema, units, version history). In short:

* A trace **step** is one gradient update (step 0 is the first update after the random start steps) plus
  the actor forward of the env step that goes with it. Each **transaction row** says *what* moved: network,
  layer, tensor, phase, direction, GEMM shape (M, K, N), storage scheme and its parameters, stored value
  count, kept units. Never *how* a chip moves it, never wall-clock times or host names.
* **Run-length compression over a period**: TD3's policy delay makes steps alternate, so a **segment** is
  (first step, period length P, repetitions R, the ordered rows of one period); it covers steps
  ``[first, first + P·R)``. A segment ends when any mask or mode changes.
* **Mask snapshots** (bit-packed, element level, ``[out, in]``) are written whenever a layer's mask changes.
* On disk a trace is a folder of Parquet **parts** (``part-000000.parquet`` …), each complete on its own
  (schema version and run metadata in every part) and written atomically, or one packed Parquet file.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from accelsim.base.atomic import atomic_path, remove_temporaries
from accelsim.base.errors import InputError
from accelsim.trace import formats
from accelsim.trace.formats import Format

#: Current schema version. Readers accept every version <= this one.
SCHEMA_VERSION = 1
META_KEY = b"accelsim.trace"
PART_GLOB = "part-*.parquet"
#: Largest value of a dimension column (GEMM M, K, N, tensor rows and cols, group and block sizes): 2^24.
MAX_DIM = 2**24
#: Columns that count values rather than a dimension may reach 2^40 (a 1 TB tensor).
COLUMN_MAX = {"stored_values": 2**40, "nnz_units": 2**40, "bias_values": 2**24, "vector_flops": 2**42}
#: Most repetitions of one period (2^40 steps: far beyond any training run).
MAX_REPEATS = 2**40

NETWORKS = ("actor", "critic1", "critic2", "actor_target", "critic1_target", "critic2_target", "replay")
TENSORS = ("weight", "grad", "adam_m", "adam_v", "activation", "replay_batch")
WEIGHT_SIDE = ("weight", "grad", "adam_m", "adam_v")
PHASES = ("act", "replay", "forward", "backward_data", "backward_weight", "update", "polyak")
DIRECTIONS = ("read", "write")


@dataclass(frozen=True, kw_only=True)
class TxnRow:
    """One transaction of a trace step, built by keyword. Comparable, so steps compare cheaply for run-length
    compression.

    Attributes:
        network: one of :data:`NETWORKS` ("replay" for the replay-batch read).
        layer: layer index in the network (0 = input layer), -1 when not a layer's tensor.
        tensor: one of :data:`TENSORS`.
        phase: one of :data:`PHASES`.
        direction: "read" or "write".
        gemm_m, gemm_k, gemm_n: the GEMM this transaction feeds (M×K by K×N), all 0 if none.
        transposed: the weight is used as W^T (backward-data).
        rows, cols: the tensor's logical shape: [out, in] for weight-side tensors, [M, N] for activations,
            [batch, fields] for the replay batch.
        dtype: value type (see :data:`accelsim.trace.formats.DTYPE_BITS`).
        format: how the tensor is stored (:class:`accelsim.trace.formats.Format`, with ``nnz_units`` resolved:
            ``Format.resolved``); activations and the replay batch are dense.
        stored_values: values held in memory, padding included.
        bias_values: dense bias values moved with a weight-side tensor (0 otherwise).
        vector_flops: element-wise flops of vector work attached to this row (Adam, Polyak), 0 if none.
    """

    network: str
    layer: int
    tensor: str
    phase: str
    direction: str
    gemm_m: int = 0
    gemm_k: int = 0
    gemm_n: int = 0
    transposed: bool = False
    rows: int = 0
    cols: int = 0
    dtype: str = "fp32"
    format: Format
    stored_values: int = 0
    bias_values: int = 0
    vector_flops: int = 0

    def __post_init__(self) -> None:
        if self.format.nnz_units < 0:
            raise ValueError("TxnRow needs a resolved format (Format.resolved(rows, cols)): nnz_units < 0")

    def columns(self) -> tuple[Any, ...]:
        """The row's values in :data:`TXN_COLUMNS` order (the format spread over its own columns)."""
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "format"}
        d.update((f.name, getattr(self.format, f.name)) for f in fields(Format))
        return tuple(d[c] for c in TXN_COLUMNS)

    @classmethod
    def from_columns(cls, values: Mapping[str, Any]) -> TxnRow:
        """The row whose columns (by :data:`TXN_COLUMNS` name) are ``values``."""
        fmt = Format(**{f.name: values[f.name] for f in fields(Format)})
        return cls(format=fmt, **{f.name: values[f.name] for f in fields(cls) if f.name != "format"})


_TXN_TYPES: dict[str, pa.DataType] = {
    "network": pa.string(), "layer": pa.int32(), "tensor": pa.string(), "phase": pa.string(),
    "direction": pa.string(), "gemm_m": pa.int64(), "gemm_k": pa.int64(), "gemm_n": pa.int64(),
    "transposed": pa.bool_(), "rows": pa.int64(), "cols": pa.int64(), "dtype": pa.string(),
    "scheme": pa.string(), "block_size": pa.int32(), "group_rows": pa.int32(), "group_cols": pa.int32(),
    "nm_n": pa.int32(), "nm_m": pa.int32(), "stored_values": pa.int64(), "nnz_units": pa.int64(),
    "bias_values": pa.int64(), "vector_flops": pa.int64(),
}
#: Columns of a transaction row, in schema order: TxnRow's fields with its format's fields in place.
TXN_COLUMNS: tuple[str, ...] = tuple(_TXN_TYPES)
assert set(TXN_COLUMNS) == ({f.name for f in fields(TxnRow)} - {"format"}) | {f.name for f in fields(Format)}

#: The Parquet schema of version 1. ``record`` is "txn" or "mask"; segment columns hold the segment
#: (for a mask row, ``seg_first_step`` is the step from which the mask holds).
SCHEMA = pa.schema(
    [
        ("record", pa.string()),
        ("seg_first_step", pa.int64()),
        ("seg_period_steps", pa.int32()),
        ("seg_repeats", pa.int64()),
        ("seg_continues", pa.bool_()),
        ("step_in_period", pa.int32()),
        *_TXN_TYPES.items(),
        ("mask_bits", pa.binary()),
    ]
)

_ENUMS = {"network": NETWORKS, "tensor": TENSORS, "phase": PHASES, "direction": DIRECTIONS,
          "dtype": tuple(formats.DTYPE_BITS), "scheme": formats.SCHEMES}


@dataclass(frozen=True)
class MaskSnapshot:
    """A layer's element mask from ``step`` on. ``bits``: np.packbits of the bool [rows, cols] mask."""

    step: int
    network: str
    layer: int
    rows: int
    cols: int
    scheme: str
    bits: bytes

    def mask(self) -> np.ndarray:
        """The bool mask, shape [rows, cols] ([out, in])."""
        flat = np.unpackbits(np.frombuffer(self.bits, dtype=np.uint8), count=self.rows * self.cols)
        return flat.astype(bool).reshape(self.rows, self.cols)


@dataclass(frozen=True)
class Trace:
    """A trace in memory.

    Attributes:
        meta: run metadata (env, method, seed, batch, ..., ``synthetic`` for generated traces).
        schema_version: version the file was written with.
        seg_first_step, seg_period_steps, seg_repeats: shape (S,) per segment.
        seg_row_start: shape (S+1,); the rows of segment s are ``rows[c][seg_row_start[s]:seg_row_start[s+1]]``.
        rows: column name → array of shape (R,) over the period rows of all segments, in order.
        masks: mask snapshots in step order.
        source: the path it was read from.
    """

    meta: dict[str, Any]
    schema_version: int
    seg_first_step: np.ndarray
    seg_period_steps: np.ndarray
    seg_repeats: np.ndarray
    seg_row_start: np.ndarray
    rows: dict[str, np.ndarray]
    masks: tuple[MaskSnapshot, ...] = ()
    source: str = ""

    @property
    def n_segments(self) -> int:
        return int(self.seg_first_step.shape[0])

    @property
    def n_steps(self) -> int:
        return int(np.sum(self.seg_period_steps.astype(np.int64) * self.seg_repeats))

    @property
    def first_step(self) -> int:
        return int(self.seg_first_step[0]) if self.n_segments else 0

    def segment_rows(self, s: int) -> list[TxnRow]:
        """The ordered rows of one period of segment ``s`` as :class:`TxnRow`."""
        a, b = int(self.seg_row_start[s]), int(self.seg_row_start[s + 1])
        cols = {name: self.rows[name][a:b] for name in TXN_COLUMNS}
        return [TxnRow.from_columns({k: v[i].item() for k, v in cols.items()}) for i in range(b - a)]


# ----------------------------------------------------------------------------------------------- writer


def _write_table(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` atomically: readers never see half a file."""
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def _meta_bytes(run_meta: dict[str, Any], extra: dict[str, Any]) -> bytes:
    return json.dumps({"schema_version": SCHEMA_VERSION, "run": run_meta, **extra}, sort_keys=True).encode()


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
    """

    def __init__(self, folder: str | os.PathLike, run_meta: dict[str, Any], period_steps: int = 2,
                 flush_every_s: float | None = 30.0) -> None:
        if period_steps < 1:
            raise ValueError("period_steps must be >= 1")
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.run_meta = dict(run_meta)
        json.dumps(self.run_meta)  # fail early on non-serialisable metadata
        self.period_steps = period_steps
        self.flush_every_s = flush_every_s
        existing = sorted(self.folder.glob(PART_GLOB))
        self._part_index = (_part_number(existing[-1]) + 1) if existing else 0
        self._open: _Segment | None = None
        self._closed: list[_Segment] = []
        self._masks: list[MaskSnapshot] = []
        self._next_step: int | None = None
        self._last_flush = time.monotonic()
        self._wrote_any = False

    # -- input
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
        table = table.replace_schema_metadata({META_KEY: _meta_bytes(self.run_meta, extra)})
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
               flush_every_s: float | None = 30.0) -> TraceWriter:
        """A writer that continues from ``state``: parts written after it (numbered ``state.next_part`` on)
        and temporary files a kill left behind are deleted first, so the trace rolls back to the checkpoint."""
        folder = Path(folder)
        # Every part the checkpoint counts on must still be there and readable, or the resumed trace would
        # be silently broken: refuse, naming the part.
        for k in range(state.next_part):
            part = _part_path(folder, k)
            try:
                pq.read_metadata(part)
            except (OSError, pa.ArrowException) as exc:
                raise InputError(str(part), "", f"trace part {k} written before the checkpoint is missing or "
                                                f"unreadable ({type(exc).__name__}); the run cannot resume") from None
        if folder.is_dir():
            for p in folder.glob(PART_GLOB):
                if _part_number(p) >= state.next_part:
                    p.unlink()
            remove_temporaries(folder)
        w = cls(folder, run_meta, period_steps=period_steps, flush_every_s=flush_every_s)
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
                masks: Iterable[MaskSnapshot] = ()) -> Path:
    """Write a packed single-file trace from explicit segments ``(first_step, repeats, period_rows)``.

    ``period_rows`` is a list of P steps, each a list of rows. Used by generators and :func:`pack`.
    """
    segs = []
    for first, reps, period in segments:
        p = len(period)
        segs.append(_Segment(int(first), [tuple(s) for s in period], int(reps) * p))
    table = TraceWriter._to_table(segs, masks)
    table = table.replace_schema_metadata({META_KEY: _meta_bytes(run_meta, {"part_index": "packed"})})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_table(table, path)
    return path


def pack(src: str | os.PathLike, dst: str | os.PathLike) -> Path:
    """Pack a trace (folder or file) into one Parquet file ``dst``."""
    tr = read_trace(src)
    segs = []
    for s in range(tr.n_segments):
        rows = tr.segment_rows(s)
        p = int(tr.seg_period_steps[s])
        steps = tr.rows["step_in_period"][tr.seg_row_start[s]:tr.seg_row_start[s + 1]]
        period = [[r for r, k in zip(rows, steps, strict=True) if k == j] for j in range(p)]
        segs.append((int(tr.seg_first_step[s]), int(tr.seg_repeats[s]), period))
    return write_trace(dst, tr.meta, segs, tr.masks)


# ----------------------------------------------------------------------------------------------- reader


def _parts(path: Path) -> list[Path]:
    if path.is_dir():
        parts = sorted(path.glob(PART_GLOB))
        if not parts:
            # A run folder holding trace/ is accepted too.
            if (path / "trace").is_dir():
                return _parts(path / "trace")
            raise InputError(str(path), "", "no trace parts (part-*.parquet) in this folder")
        return parts
    if path.is_file():
        return [path]
    raise InputError(str(path), "", "trace not found (expected a trace folder or a .parquet file)")


def _read_part(path: Path) -> tuple[dict[str, Any], pa.Table]:
    try:
        if path.stat().st_size == 0:
            raise InputError(str(path), "", "empty file; expected a Parquet trace")
        pf = pq.ParquetFile(path)
        meta_raw = (pf.schema_arrow.metadata or {}).get(META_KEY)
        if meta_raw is None:
            raise InputError(str(path), "metadata", f"no '{META_KEY.decode()}' metadata; not an accelsim trace")
        try:
            meta = json.loads(meta_raw)
            version = meta["schema_version"]
        except (ValueError, KeyError, TypeError):
            raise InputError(str(path), "metadata.schema_version", "missing or unreadable") from None
        if not isinstance(version, int) or version < 1:
            raise InputError(str(path), "metadata.schema_version", f"expected an integer >= 1, got {version!r}")
        if version > SCHEMA_VERSION:
            raise InputError(str(path), "metadata.schema_version",
                             f"version {version} is newer than this accelsim reads ({SCHEMA_VERSION}); "
                             "upgrade accelsim")
        table = pf.read()
    except InputError:
        raise
    except (pa.ArrowException, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise InputError(str(path), "", f"unreadable Parquet ({type(exc).__name__}: {first})") from None
    return meta, _upgrade(table, version, path)


def _upgrade(table: pa.Table, version: int, path: Path) -> pa.Table:
    """Bring a table of an older schema version to the current one (v1 is the first: nothing to do)."""
    missing = [n for n in SCHEMA.names if n not in table.column_names]
    if missing:
        raise InputError(str(path), missing[0], f"required column missing (schema v{version})")
    for name in SCHEMA.names:
        got = table.schema.field(name).type
        want = SCHEMA.field(name).type
        if got != want:
            try:
                table = table.set_column(table.column_names.index(name), name, table[name].cast(want))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise InputError(str(path), name, f"expected type {want}, got {got}") from None
    return table.select(SCHEMA.names)


def _check_enums(cols: dict[str, np.ndarray], path: str) -> None:
    for name, allowed in _ENUMS.items():
        vals = set(np.unique(cols[name]).tolist())
        bad = vals - set(allowed)
        if bad:
            raise InputError(path, name, f"unknown value {sorted(bad)[0]!r}; expected one of {', '.join(allowed)}")


def read_trace(path: str | os.PathLike) -> Trace:
    """Read a trace folder (``RUN_DIR/trace`` or ``RUN_DIR``) or a packed file, with full validation.

    Parts written after a kill are complete (atomic rename); temporary files are ignored. Segments split
    by part boundaries are merged. Any problem is an :class:`InputError` naming the file and the field.
    """
    path = Path(path)
    parts = _parts(path)
    metas, tables = [], []
    for p in parts:
        m, t = _read_part(p)
        metas.append(m)
        tables.append(t)
    run_meta = metas[0].get("run", {})
    for p, m in zip(parts[1:], metas[1:], strict=True):
        # A trace is one run: a part whose run metadata differs came from another run (a folder reused).
        other = m.get("run", {})
        if other != run_meta:
            diff = sorted(k for k in set(run_meta) | set(other) if run_meta.get(k) != other.get(k))
            raise InputError(str(p), "metadata.run", f"belongs to another run than {parts[0].name} (differs in "
                                                     f"{', '.join(diff[:4])}); a trace folder holds one run")
    version = min(m["schema_version"] for m in metas)
    table = pa.concat_tables(tables)
    src = str(path)
    if table.num_rows == 0:
        raise InputError(src, "", "trace has no rows")
    null_counts = {n: table[n].null_count for n in SCHEMA.names if n != "mask_bits"}
    for n, c in null_counts.items():
        if c:
            raise InputError(src, n, "null values; expected a value in every row")
    record = table["record"].to_numpy(zero_copy_only=False)
    bad = set(np.unique(record).tolist()) - {"txn", "mask"}
    if bad:
        raise InputError(src, "record", f"unknown record kind {sorted(bad)[0]!r}; expected txn or mask")
    is_txn = record == "txn"
    txn = table.filter(pa.array(is_txn))
    mask_tbl = table.filter(pa.array(~is_txn))
    if txn.num_rows == 0:
        raise InputError(src, "record", "no transaction rows")
    cols = {n: txn[n].to_numpy(zero_copy_only=False) for n in SCHEMA.names if n not in ("record", "mask_bits")}
    for n in ("network", "tensor", "phase", "direction", "dtype", "scheme"):
        cols[n] = cols[n].astype(str)
    _check_enums(cols, src)
    tr = _build_segments(cols, run_meta, version, src)
    masks = _read_masks(mask_tbl, src)
    _check_masks(masks, cols, src)
    return Trace(tr[0], version, *tr[1:], masks=masks, source=src)


def _check_masks(masks: Sequence[MaskSnapshot], cols: dict[str, np.ndarray], src: str) -> None:
    """Every mask snapshot names a weight the trace moves (network, layer) and has that weight's shape."""
    w = cols["tensor"] == "weight"
    shapes = {(str(n), int(l)): (int(r), int(c)) for n, l, r, c in
              zip(cols["network"][w], cols["layer"][w], cols["rows"][w], cols["cols"][w], strict=True)}
    for i, m in enumerate(masks):
        want = shapes.get((m.network, m.layer))
        if want is None:
            raise InputError(src, "mask", f"snapshot {i} (step {m.step}) names {m.network} layer {m.layer}, "
                                          "which no weight row of the trace has")
        if (m.rows, m.cols) != want:
            raise InputError(src, "mask", f"snapshot {i} ({m.network} layer {m.layer}) is {m.rows}x{m.cols}; "
                                          f"the layer's weight is {want[0]}x{want[1]}")


def _read_masks(tbl: pa.Table, src: str) -> tuple[MaskSnapshot, ...]:
    out = []
    d = tbl.to_pydict()
    for i in range(tbl.num_rows):
        bits = d["mask_bits"][i]
        r, c = d["rows"][i], d["cols"][i]
        if bits is None or len(bits) * 8 < r * c or r <= 0 or c <= 0:
            raise InputError(src, "mask_bits", f"mask snapshot {i} does not hold rows·cols = {r}·{c} bits")
        out.append(MaskSnapshot(d["seg_first_step"][i], d["network"][i], d["layer"][i], r, c, d["scheme"][i], bits))
    out.sort(key=lambda m: m.step)
    return tuple(out)


def _build_segments(cols: dict[str, np.ndarray], meta: dict[str, Any], version: int, src: str):
    first = cols["seg_first_step"]
    n = first.shape[0]
    # Segment starts: where (first step, period, repeats, continues) changes between consecutive rows.
    key_change = np.ones(n, dtype=bool)
    key_change[1:] = (
        (first[1:] != first[:-1])
        | (cols["seg_period_steps"][1:] != cols["seg_period_steps"][:-1])
        | (cols["seg_repeats"][1:] != cols["seg_repeats"][:-1])
    )
    starts = np.flatnonzero(key_change)
    bounds = np.append(starts, n)
    seg_first = first[starts].astype(np.int64)
    seg_period = cols["seg_period_steps"][starts].astype(np.int64)
    seg_reps = cols["seg_repeats"][starts].astype(np.int64)
    seg_cont = cols["seg_continues"][starts]
    if np.any(seg_period < 1) or np.any(seg_reps < 1):
        raise InputError(src, "seg_period_steps", "expected period >= 1 and repeats >= 1 in every segment")
    # Steps are contiguous from segment to segment.
    ends = seg_first + seg_period * seg_reps
    gaps = np.flatnonzero(seg_first[1:] != ends[:-1])
    if gaps.size:
        k = int(gaps[0]) + 1
        raise InputError(src, "seg_first_step", f"segment {k} starts at step {int(seg_first[k])}, expected "
                                                f"{int(ends[k - 1])} (steps must be contiguous; truncated or "
                                                "reordered trace?)")
    sip = cols["step_in_period"]
    for name in ("layer",):
        if np.any(cols[name] < -1):
            raise InputError(src, name, "expected >= -1")
    for name in ("gemm_m", "gemm_k", "gemm_n", "rows", "cols", "stored_values", "nnz_units", "bias_values",
                 "vector_flops", "block_size", "group_rows", "group_cols", "nm_n", "nm_m"):
        if np.any(cols[name] < 0):
            raise InputError(src, name, "expected values >= 0")
        # Ranges, not just signs: one transaction's dimensions stay far inside int64 once multiplied
        # (the whole run's totals are checked against the hardware point by accelsim.hardware.limits.check_fits).
        top = COLUMN_MAX.get(name, MAX_DIM)
        if np.any(cols[name] > top):
            raise InputError(src, name, f"expected values <= {top:,} (got {int(cols[name].max()):,})")
    if np.any(seg_reps > MAX_REPEATS):
        raise InputError(src, "seg_repeats", f"expected at most {MAX_REPEATS:,} repetitions of a period")
    seg_of_row = np.repeat(np.arange(starts.size), np.diff(bounds))
    if np.any(sip < 0) or np.any(sip >= seg_period[seg_of_row]):
        raise InputError(src, "step_in_period", "expected 0 <= step_in_period < seg_period_steps")
    _check_formats(cols, src)
    # Merge pieces that a part boundary split (seg_continues) when they repeat the same period rows.
    keep = np.ones(starts.size, dtype=bool)
    for s in range(1, starts.size):
        if not seg_cont[s]:
            continue
        prev = s - 1
        while not keep[prev]:
            prev -= 1
        if seg_period[prev] == seg_period[s] and _same_rows(cols, bounds, prev, s):
            seg_reps[prev] += seg_reps[s]
            keep[s] = False
    idx = np.flatnonzero(keep)
    row_keep = keep[seg_of_row]
    new_cols = {k: v[row_keep] for k, v in cols.items()}
    lengths = np.diff(bounds)[idx]
    row_start = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    for k in ("seg_first_step", "seg_period_steps", "seg_repeats", "seg_continues"):
        new_cols.pop(k)
    return meta, seg_first[idx], seg_period[idx], seg_reps[idx], row_start, new_cols


def _same_rows(cols: dict[str, np.ndarray], bounds: np.ndarray, a: int, b: int) -> bool:
    la, lb = bounds[a + 1] - bounds[a], bounds[b + 1] - bounds[b]
    if la != lb:
        return False
    for name in ("step_in_period", *TXN_COLUMNS):
        if not np.array_equal(cols[name][bounds[a]:bounds[a + 1]], cols[name][bounds[b]:bounds[b + 1]]):
            return False
    return True


def _check_formats(cols: dict[str, np.ndarray], src: str) -> None:
    """Stored value counts must be what the scheme implies, and never exceed the dense count (+padding)."""
    code = np.array([formats.SCHEME_CODE[s] for s in cols["scheme"]], dtype=np.int64)
    weight_side = np.isin(cols["tensor"], WEIGHT_SIDE)
    need_block = weight_side & (code == formats.BC) & (cols["block_size"] < 1)
    if np.any(need_block):
        raise InputError(src, "block_size", "expected >= 1 for scheme bc")
    need_group = weight_side & (code == formats.GROUP) & ((cols["group_rows"] < 1) | (cols["group_cols"] < 1))
    if np.any(need_group):
        raise InputError(src, "group_rows", "expected group_rows, group_cols >= 1 for scheme group")
    bad_nm = (cols["nm_m"] < 1) | (cols["nm_n"] < 1) | (cols["nm_n"] > cols["nm_m"])
    need_nm = weight_side & (code == formats.NM) & bad_nm
    if np.any(need_nm):
        raise InputError(src, "nm_n", "expected 1 <= nm_n <= nm_m for scheme nm")
    exp = formats.expected_stored_values(code, cols["rows"], cols["cols"], cols["nnz_units"], cols["block_size"],
                                         cols["group_rows"], cols["group_cols"], cols["nm_n"], cols["nm_m"])
    bad = np.flatnonzero(weight_side & (exp != cols["stored_values"]))
    if bad.size:
        i = int(bad[0])
        raise InputError(src, "stored_values", f"row {i}: {int(cols['stored_values'][i])} stored values, but scheme "
                                               f"{cols['scheme'][i]} with {int(cols['nnz_units'][i])} kept units "
                                               f"implies {int(exp[i])}")
    if np.any(~weight_side & (code != formats.DENSE)):
        raise InputError(src, "scheme", "activation and replay-batch rows must be dense")
