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

#: Current schema version. Readers accept every version <= this one. Version 2 adds, over version 1, the
#: networks a run declares (:class:`NetworkDecl`, in the metadata) and the optimizer-state tensors of SGD and
#: RMSprop; a writer given no declaration writes version 1.
SCHEMA_VERSION = 2
META_KEY = b"accelsim.trace"
PART_GLOB = "part-*.parquet"
#: Largest value of a dimension column (GEMM M, K, N, tensor rows and cols, group and block sizes): 2^24.
MAX_DIM = 2**24
#: Columns that count values rather than a dimension may reach 2^40 (a 1 TB tensor).
COLUMN_MAX = {"stored_values": 2**40, "nnz_units": 2**40, "bias_values": 2**24, "vector_flops": 2**42}
#: Most repetitions of one period (2^40 steps: far beyond any training run).
MAX_REPEATS = 2**40

#: The closed network vocabulary of schema version 1 (gst_train's TD3), in the order the simulator's network
#: breakdown lists them. Version 1 has no declaration: a version-1 trace names only these, and a target is its
#: online network's name with ``_target``. Version 2 traces declare their own networks (:class:`NetworkDecl`).
NETWORKS_V1 = ("actor", "critic1", "critic2", "actor_target", "critic1_target", "critic2_target", "replay")
#: Kept for code written against version 1: the same tuple as :data:`NETWORKS_V1`.
NETWORKS = NETWORKS_V1
TENSORS_V1 = ("weight", "grad", "adam_m", "adam_v", "activation", "replay_batch")
#: Version 2 adds optimizer state beyond Adam's: ``adam_vmax`` (AMSGrad's running maximum of v), ``momentum``
#: (SGD's and RMSprop's momentum buffer), ``square_avg`` and ``grad_avg`` (RMSprop, centered).
TENSORS = (*TENSORS_V1, "adam_vmax", "momentum", "square_avg", "grad_avg")
WEIGHT_SIDE = ("weight", "grad", "adam_m", "adam_v", "adam_vmax", "momentum", "square_avg", "grad_avg")
PHASES = ("act", "replay", "forward", "backward_data", "backward_weight", "update", "polyak")
DIRECTIONS = ("read", "write")


@dataclass(frozen=True, kw_only=True)
class TxnRow:
    """One transaction of a trace step, built by keyword. Comparable, so steps compare cheaply for run-length
    compression.

    Attributes:
        network: a declared network's name (version 1: one of :data:`NETWORKS_V1`, "replay" for the
            replay-batch read).
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

ENUMS = {"network": NETWORKS_V1, "tensor": TENSORS, "phase": PHASES, "direction": DIRECTIONS,
          "dtype": tuple(formats.DTYPE_BITS), "scheme": formats.SCHEMES}


def enums(version: int, networks: tuple[NetworkDecl, ...]) -> dict[str, tuple[str, ...]]:
    """The allowed values of each enumerated column in a trace of schema ``version`` declaring ``networks``
    (version 1: :data:`NETWORKS_V1` and :data:`TENSORS_V1`; version 2: the declared names, every tensor)."""
    if version < 2:
        return {**ENUMS, "network": NETWORKS_V1, "tensor": TENSORS_V1}
    return {**ENUMS, "network": tuple(n.name for n in networks)}


#: Kinds of a declared layer: a linear layer (``W: [out, in]``); a convolution as its im2col GEMM (``W`` stored
#: ``[C_out, C_in/groups · prod(kernel)]``, GEMM M = batch · output positions, K = the row width, N = C_out); a
#: batched matmul of ``groups`` independent ``[out, in]`` matrices stacked as ``[groups · out, in]`` (an ensemble
#: of critics run as one bmm: GEMM M = batch, K = in, N = groups · out).
LAYER_KINDS = ("linear", "conv", "bmm")
#: Roles of a declared network: trained by an optimizer (or used as is); a target copy of an online network,
#: updated in place outside the optimizer (Polyak, or copied); a data source with no layers (a replay batch).
ROLES = ("online", "target", "data")


@dataclass(frozen=True)
class LayerDecl:
    """One declared layer of a network (schema version 2).

    Attributes:
        index: the layer's index in its network: the trace's ``layer`` column (0 = the first).
        name: a free label (the module's path in the model, ``q.0``).
        kind: one of :data:`LAYER_KINDS`.
        rows, cols: the weight as stored, ``[out, in]`` (conv: ``[C_out, C_in/groups · prod(kernel)]``; bmm:
            ``[groups · out, in]``), elements.
        kernel: conv only: the kernel's shape ``(C_out, C_in/groups, k_1, ..., k_d)``.
        stride, padding, dilation: conv only: per spatial dimension.
        groups: conv: its groups; bmm: how many matrices; 1 otherwise.
    """

    index: int
    name: str
    kind: str
    rows: int
    cols: int
    kernel: tuple[int, ...] = ()
    stride: tuple[int, ...] = ()
    padding: tuple[int, ...] = ()
    dilation: tuple[int, ...] = ()
    groups: int = 1

    def __post_init__(self) -> None:
        if self.kind not in LAYER_KINDS:
            raise ValueError(f"layer {self.index}: kind {self.kind!r}; expected one of {', '.join(LAYER_KINDS)}")
        if not (0 < self.rows <= MAX_DIM and 0 < self.cols <= MAX_DIM) or self.index < 0 or self.groups < 1:
            raise ValueError(f"layer {self.index}: expected index >= 0, 1 <= rows, cols <= 2^24, groups >= 1")
        if self.kind == "conv":
            k = self.kernel
            if len(k) < 3 or k[0] != self.rows or int(np.prod(k[1:])) != self.cols or self.rows % self.groups:
                raise ValueError(f"layer {self.index}: a conv's kernel (C_out, C_in/groups, k...) must give its "
                                 f"[rows, cols] = [C_out, C_in/groups * prod(k)]; got kernel {k} for "
                                 f"[{self.rows}, {self.cols}]")
            d = len(k) - 2
            if any(len(t) not in (0, d) for t in (self.stride, self.padding, self.dilation)):
                raise ValueError(f"layer {self.index}: stride, padding and dilation need {d} entries")
        elif self.kernel or self.stride or self.padding or self.dilation:
            raise ValueError(f"layer {self.index}: kernel, stride, padding and dilation are for conv layers only")
        if self.kind == "linear" and self.groups != 1:
            raise ValueError(f"layer {self.index}: a linear layer has groups = 1")
        if self.kind == "bmm" and self.rows % self.groups:
            raise ValueError(f"layer {self.index}: a bmm layer's rows are groups * out")

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"index": self.index, "name": self.name, "kind": self.kind, "rows": self.rows,
                             "cols": self.cols}
        if self.kind == "conv":
            d.update(kernel=list(self.kernel), stride=list(self.stride), padding=list(self.padding),
                     dilation=list(self.dilation))
        if self.groups != 1:
            d["groups"] = self.groups
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LayerDecl:
        tup = {k: tuple(int(x) for x in d.get(k, ())) for k in ("kernel", "stride", "padding", "dilation")}
        return cls(index=int(d["index"]), name=str(d.get("name", "")), kind=str(d["kind"]), rows=int(d["rows"]),
                   cols=int(d["cols"]), groups=int(d.get("groups", 1)), **tup)


@dataclass(frozen=True)
class NetworkDecl:
    """One network a run declares (schema version 2): its name (the trace's ``network`` column), role and layers.

    Attributes:
        name: any non-empty name without brackets.
        role: one of :data:`ROLES`.
        target_of: for a target, the online network it follows (same layer shapes); "" otherwise.
        layers: the layers, ``layers[i].index == i``; none for a data source.
    """

    name: str
    role: str = "online"
    target_of: str = ""
    layers: tuple[LayerDecl, ...] = ()

    def __post_init__(self) -> None:
        if not self.name or any(ch in self.name for ch in "[]") or self.name != self.name.strip():
            raise ValueError(f"network name {self.name!r}: expected a non-empty name without brackets or "
                             "surrounding spaces")
        if self.role not in ROLES:
            raise ValueError(f"network {self.name}: role {self.role!r}; expected one of {', '.join(ROLES)}")
        if (self.role == "target") != bool(self.target_of):
            raise ValueError(f"network {self.name}: a target names its online network (target_of), and only a "
                             "target does")
        if self.role == "data" and self.layers:
            raise ValueError(f"network {self.name}: a data source has no layers")
        if [lay.index for lay in self.layers] != list(range(len(self.layers))):
            raise ValueError(f"network {self.name}: layer indices must run 0, 1, ... in order")

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "role": self.role, "layers": [lay.to_dict() for lay in self.layers]}
        if self.target_of:
            d["target_of"] = self.target_of
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> NetworkDecl:
        return cls(name=str(d["name"]), role=str(d.get("role", "online")), target_of=str(d.get("target_of", "")),
                   layers=tuple(LayerDecl.from_dict(x) for x in d.get("layers", ())))


def check_networks(networks: tuple[NetworkDecl, ...]) -> None:
    """A declaration as a whole: unique names, and each target follows a declared online network with the same
    layers (kind and shape). Raises ValueError naming the network."""
    by_name: dict[str, NetworkDecl] = {}
    for n in networks:
        if n.name in by_name:
            raise ValueError(f"network {n.name} is declared twice")
        by_name[n.name] = n
    for n in networks:
        if n.role != "target":
            continue
        online = by_name.get(n.target_of)
        if online is None or online.role != "online":
            raise ValueError(f"network {n.name}: target_of {n.target_of!r} is not a declared online network")
        shape = [(lay.kind, lay.rows, lay.cols) for lay in n.layers]
        if shape != [(lay.kind, lay.rows, lay.cols) for lay in online.layers]:
            raise ValueError(f"network {n.name}: its layers differ from those of {n.target_of}, the online "
                             "network it follows")


def networks_to_json(networks: tuple[NetworkDecl, ...]) -> list[dict[str, Any]]:
    """The declaration as stored in the metadata (``networks``)."""
    return [n.to_dict() for n in networks]


def networks_from_json(raw: Any) -> tuple[NetworkDecl, ...]:
    """Read :func:`networks_to_json`'s form, checked (ValueError on any problem)."""
    if not isinstance(raw, list) or not raw:
        raise ValueError("expected a non-empty list of networks")
    try:
        nets = tuple(NetworkDecl.from_dict(x) for x in raw)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"a network or layer misses a field or has a wrong type ({type(exc).__name__}: {exc})") \
            from None
    check_networks(nets)
    return nets


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
        networks: the declared networks (schema version 2; empty for version 1).
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
    networks: tuple[NetworkDecl, ...] = ()

    @property
    def network_names(self) -> tuple[str, ...]:
        """The networks in their declared order (version 1: :data:`NETWORKS_V1`): the order of the simulator's
        network breakdown and of the workload's network codes."""
        return tuple(n.name for n in self.networks) if self.networks else NETWORKS_V1

    def online_of(self, network: str) -> str:
        """The online network a target follows; any other network is its own."""
        for n in self.networks:
            if n.name == network:
                return n.target_of or network
        return network.removesuffix("_target") if not self.networks else network

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
