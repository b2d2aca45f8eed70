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

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pyarrow as pa

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

ENUMS = {"network": NETWORKS, "tensor": TENSORS, "phase": PHASES, "direction": DIRECTIONS,
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
