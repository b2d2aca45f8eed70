"""Trace → workload: the hardware-independent numbers the engines consume, for one *view* of a trace.

Two views of the same transactions:

* ``compressed``: every weight-side tensor (weight, grad, Adam moments) in its recorded format (values +
  metadata), decoded on its way to and from the PE array.
* ``dense``: the same transactions with every weight-side tensor dense (BC layers count their expanded
  values), no decode, no transposer.

Values are stored in the chip's types (a :class:`~accelsim.formats.Precision`: the datapath type for weights,
gradients, activations and the replay batch; the optimizer's type for Adam moments and master weights, with
the working copy written beside each master-weight write), whatever type the trace was recorded in; without a
precision, in the trace's own types.

Per row (shape (R,) over the period rows of all segments) the workload holds the int64 matrix
``rows[R, N_ROW]`` (columns named by :data:`accelsim.layouts.ROW`); per segment, the residency keys (one per
distinct weight-side tensor: network, layer, tensor) with their stored bytes and their priority order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim import formats
from accelsim.layouts import KIND, ROW, pack
from accelsim.trace import NETWORKS, PHASES, WEIGHT_SIDE, Trace

VIEWS = ("compressed", "dense")


@dataclass(frozen=True)
class Workload:
    """Engine input for one view of a trace.

    Attributes:
        view: "compressed" or "dense".
        seg_first_step, seg_period_steps, seg_repeats: (S,) per segment.
        seg_row_start: (S+1,) row offsets of each segment's period.
        rows: (R, N_ROW) int64 per-row inputs, columns :data:`accelsim.layouts.ROW`; ``ROW.key`` is the
            segment-local residency key (-1 none).
        seg_key_start: (S+1,) offsets into ``key_bytes`` / ``key_order``.
        key_bytes: (K,) stored bytes of each key (a tensor of one segment).
        key_order: (K,) segment-local key indices in residency priority order, per segment.
        seg_rep: (S,) the first segment whose period (rows, residency keys) is identical to this one's; a
            segment with ``seg_rep[s] == s`` is its own representative. Identical periods cost the same, so
            engines may evaluate each representative once (in the dense view every segment of a run is alike).
    """

    view: str
    seg_first_step: np.ndarray
    seg_period_steps: np.ndarray
    seg_repeats: np.ndarray
    seg_row_start: np.ndarray
    rows: np.ndarray
    seg_key_start: np.ndarray
    key_bytes: np.ndarray
    key_order: np.ndarray
    seg_rep: np.ndarray

    @property
    def n_segments(self) -> int:
        return int(self.seg_first_step.shape[0])

    @property
    def n_steps(self) -> int:
        return int(np.sum(self.seg_period_steps * self.seg_repeats))


def rebatch(trace: Trace, batch: int) -> dict[str, np.ndarray]:
    """The trace's rows with the training batch B replaced by ``batch`` (the act step keeps its batch).

    Forward and backward-data GEMMs have M = B, backward-weight GEMMs K = B; activations and the replay batch
    have B rows. The trace's batch comes from its metadata (``batch``).
    """
    old = int(trace.meta.get("batch", 0) or 0)
    if old <= 0:
        raise ValueError("the trace's metadata has no batch size; cannot re-batch it")
    c = dict(trace.rows)
    train = c["phase"] != "act"
    for col, phases in (("gemm_m", ("forward", "backward_data")), ("gemm_k", ("backward_weight",))):
        sel = train & np.isin(c["phase"], phases) & (c[col] == old)
        c[col] = np.where(sel, batch, c[col])
    sel = train & np.isin(c["tensor"], ("activation", "replay_batch")) & (c["rows"] == old)
    c["rows"] = np.where(sel, batch, c["rows"])
    c["stored_values"] = np.where(sel, batch * c["cols"], c["stored_values"])
    c["nnz_units"] = np.where(sel, batch * c["cols"], c["nnz_units"])
    return c


def build_workload(trace: Trace, view: str = "compressed", batch: int | None = None,
                   precision: formats.Precision | None = None) -> Workload:
    """Derive the engine input of ``view`` from a trace (see the module docstring).

    ``batch`` re-sizes the training GEMMs to another replay batch (see :func:`rebatch`). ``precision`` is the
    chip's types (None: the trace's own).
    """
    if view not in VIEWS:
        raise ValueError(f"view must be one of {VIEWS}")
    c = trace.rows if batch is None else rebatch(trace, batch)
    n = c["network"].shape[0]
    code = np.array([formats.SCHEME_CODE[s] for s in c["scheme"]], dtype=np.int64)
    tensor = c["tensor"]
    if precision is None:
        bits = np.array([formats.DTYPE_BITS[d] for d in c["dtype"]], dtype=np.int64)
        cast = np.zeros(n, dtype=np.int64)
    else:
        bits = precision.value_bits(tensor, c["phase"])
        cast = precision.cast_bits(tensor, c["phase"], c["direction"])
    weight_side = np.isin(tensor, WEIGHT_SIDE)
    rows_, cols_ = c["rows"].astype(np.int64), c["cols"].astype(np.int64)
    sv = c["stored_values"].astype(np.int64)
    bias_values = c["bias_values"].astype(np.int64)
    dense_view = view == "dense"
    if dense_view:
        code = np.where(weight_side, formats.DENSE, code)
        sv = np.where(weight_side, rows_ * cols_, sv)
    nbytes = formats.stored_bytes(code, rows_, cols_, sv, bits, c["group_rows"].astype(np.int64),
                                  c["group_cols"].astype(np.int64), c["nm_m"].astype(np.int64))
    # Biases are dense; a master-weight write also writes its working copy (values only: the metadata is shared).
    extra = formats.value_bytes(bias_values, bits) + formats.value_bytes(sv + bias_values, cast)
    nbytes = np.where(weight_side, nbytes + extra, formats.dense_bytes(rows_, cols_, bits))
    gemm = c["gemm_m"] > 0
    # Format conversion happens for weight-side rows that meet the PE array (GEMM rows).
    block = c["block_size"].astype(np.int64)
    dec = np.where(weight_side & gemm, formats.decoded_values(code, rows_, cols_, sv, block), 0)
    sparse = (code != formats.DENSE) & (code != formats.BC)
    trans = np.where(weight_side & gemm & c["transposed"] & sparse, sv, 0)
    structured = weight_side & gemm & ((code == formats.GROUP) | (code == formats.NM))
    kind = np.where(weight_side, KIND.weight_side, np.where(tensor == "activation", KIND.activation, KIND.replay))

    # Residency keys per segment: a distinct (network, layer, tensor) among weight-side rows.
    S = trace.n_segments
    starts = trace.seg_row_start
    key_start = np.zeros(S + 1, dtype=np.int64)
    key_bytes_l, key_order_l = [], []
    key = np.full(n, -1, dtype=np.int64)
    first = np.zeros(n, dtype=np.int64)
    net = c["network"]
    layer = c["layer"]
    for s in range(S):
        a, b = int(starts[s]), int(starts[s + 1])
        ids: dict[tuple[str, int, str], int] = {}
        counts: list[int] = []
        kb: list[int] = []
        for i in range(a, b):
            if not weight_side[i]:
                continue
            k = (net[i], int(layer[i]), tensor[i])
            j = ids.get(k)
            if j is None:
                j = len(ids)
                ids[k] = j
                counts.append(0)
                kb.append(0)
                first[i] = 1
            counts[j] += 1
            # A tensor's footprint is its largest transaction: a weight with a wider master copy is the write
            # that carries both (in one type, every transaction of a tensor moves the same bytes).
            kb[j] = max(kb[j], int(nbytes[i]))
            key[i] = j
        # Priority: most accesses per period first; ties by first appearance (stable sort).
        order = np.argsort(-np.asarray(counts, dtype=np.int64), kind="stable") if counts else np.zeros(0, np.int64)
        key_bytes_l.append(np.asarray(kb, dtype=np.int64))
        key_order_l.append(order.astype(np.int64))
        key_start[s + 1] = key_start[s] + len(kb)
    key_bytes = np.concatenate(key_bytes_l) if key_bytes_l else np.zeros(0, np.int64)
    key_order = np.concatenate(key_order_l) if key_order_l else np.zeros(0, np.int64)

    net_code = {name: i for i, name in enumerate(NETWORKS)}
    phase_code = {name: i for i, name in enumerate(PHASES)}
    R = pack(ROW, {
        "is_read": c["direction"] == "read",
        "kind": kind,
        "m": c["gemm_m"],
        "k": c["gemm_k"],
        "n": c["gemm_n"],
        "bytes": nbytes,
        "dec_values": dec,
        "trans_values": trans,
        "vflops": c["vector_flops"],
        "key": key,
        "first": first,
        "structured": structured,
        "phase": [phase_code[p] for p in c["phase"]],
        "net": [net_code[x] for x in c["network"]],
        "step": c["step_in_period"],
        "dens_num": np.where(structured, sv, 0),
        "dens_den": np.where(structured, rows_ * cols_, 0),
    }, np.int64).reshape(n, -1)
    R = np.ascontiguousarray(R)
    rep = np.arange(S, dtype=np.int64)
    seen: dict[bytes, int] = {}
    for s in range(S):
        a, b = int(starts[s]), int(starts[s + 1])
        k0, k1 = int(key_start[s]), int(key_start[s + 1])
        sig = R[a:b].tobytes() + b"|" + key_bytes[k0:k1].tobytes() + b"|" + key_order[k0:k1].tobytes()
        rep[s] = seen.setdefault(sig, s)
    return Workload(view, trace.seg_first_step.astype(np.int64), trace.seg_period_steps.astype(np.int64),
                    trace.seg_repeats.astype(np.int64), trace.seg_row_start.astype(np.int64), R,
                    key_start, key_bytes, key_order, rep)
