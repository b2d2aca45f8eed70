"""Trace → workload: the hardware-independent numbers the engines consume, for one *view* of a trace.

Two views of the same transactions:

* ``compressed``: every weight-side tensor (weight, grad, Adam moments) in its recorded format (values +
  metadata), decoded on its way to and from the PE array.
* ``dense``: the same transactions with every weight-side tensor dense (BC layers count their expanded
  values), no decode, no transposer.

Values are stored in the chip's types (a :class:`~accelsim.trace.formats.Precision`: the datapath type for weights,
gradients, activations and the replay batch; the optimizer's type for Adam moments and master weights, with
the working copy written beside each master-weight write), whatever type the trace was recorded in; without a
precision, in the trace's own types.

Per row (shape (R,) over the period rows of all segments) the workload holds the int64 matrix
``rows[R, N_ROW]`` (columns named by :data:`accelsim.base.layouts.ROW`); per segment, the residency keys (one per
distinct weight-side tensor: network, layer, tensor) with their stored bytes and their priority order.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from accelsim.base.layouts import ACT_EVENT, ACT_TENSOR, KIND, ROW, XFER_KEY, names, pack
from accelsim.trace import formats
from accelsim.trace.schema import PHASES, WEIGHT_SIDE, Trace

VIEWS = ("compressed", "dense")
#: Columns of :data:`accelsim.base.layouts.ROW` that say where a row sits (segment key, period position, phase,
#: network), not what it costs: rows equal in every other column cost the same.
PLACE_COLUMNS = ("key", "first", "phase", "net", "layer", "step")


@dataclass(frozen=True)
class Workload:
    """Engine input for one view of a trace.

    Attributes:
        view: "compressed" or "dense".
        seg_first_step, seg_period_steps, seg_repeats: (S,) per segment.
        seg_row_start: (S+1,) row offsets of each segment's period.
        rows: (R, N_ROW) int64 per-row inputs, columns :data:`accelsim.base.layouts.ROW`; ``ROW.key`` is the
            segment-local residency key (-1 none).
        seg_key_start: (S+1,) offsets into ``key_bytes`` / ``key_traffic``.
        key_bytes: (K,) stored bytes of each key (a tensor of one segment).
        key_traffic: (K,) the bytes a period's rows move of each key (its DRAM traffic per period when it
            is not resident; the knapsack's value).
        seg_rep: (S,) the first segment whose period (rows, residency keys) is identical to this one's; a
            segment with ``seg_rep[s] == s`` is its own representative. Identical periods cost the same, so
            engines may evaluate each representative once (in the dense view every segment of a run is alike).
        key_grad: (K,) 1 where the key is a weight gradient (never stored with ``pe.fuse_update``).
        seg_op_start: (2, S+1) offsets of each segment's ops into ``op_start`` / ``op_attr``, for the two op
            variants: [0] as the trace orders them (:func:`group_ops`), [1] with each optimizer update fused
            into its backward-weight op (:func:`fuse_updates`, for ``pe.fuse_update``).
        op_start: (N_ops+1,) offsets of each op's rows into ``op_rows`` (both variants' ops, one after the other).
        op_rows: (2R,) row indices (into ``rows``) in op order: op o is rows ``op_rows[op_start[o]:op_start[o+1]]``.
        op_attr: (N_ops,) the row an op's stalls are attributed to: its first compute row, else its first row.
        seg_tensor_start: (2, S+1) offsets of each segment's activation tensors into ``act_tensors``, per variant.
        act_tensors: (N_t, N_ACT_TENSOR) each period's activation tensors (:func:`activation_events`), by
            :data:`accelsim.base.layouts.ACT_TENSOR`.
        op_event_start: (N_ops+1,) offsets of each op's events into ``act_events``.
        act_events: (N_e, N_ACT_EVENT) the ops' events on activation tensors, by
            :data:`accelsim.base.layouts.ACT_EVENT` (tensor and next-use indices are segment-local).
        seg_act_rep: (2, S) per variant, the first segment whose ops and activation events are identical to
            this one's (activation placement depends on nothing else, so engines may plan it once per
            representative).
        row_uid: (R,) an index shared by rows whose costs are the same on every hardware point (equal in every
            column but :data:`PLACE_COLUMNS`); engines may cost each distinct row once per point.
        n_uid: how many distinct rows there are (``row_uid`` < ``n_uid``).
        xfer_keys: (n_x, N_XFER_KEY) the distinct whole-tensor DRAM transfers the workload can make, by
            :data:`accelsim.base.layouts.XFER_KEY` (:func:`transfer_keys`); rows and activation tensors name theirs by
            index (``ROW.xfer``, ``ACT_TENSOR.refill_xfer`` / ``spill_xfer``), so an engine costs each once per
            point (:func:`accelsim.cost.dram_cost.transfer_table`).
        layers: (L, 2) the distinct (network code into ``networks``, layer) pairs of the
            rows, sorted (network order, then layer; the replay batch's layer is -1); :attr:`layer_names` names
            them.
        row_layer: (R,) each row's index into ``layers``: the group the layer breakdown adds the row to.
        networks: the network names ``ROW.net`` indexes (the trace's declared order,
            :attr:`accelsim.trace.schema.Trace.network_names`): the network breakdown's entries.
    """

    view: str
    seg_first_step: np.ndarray
    seg_period_steps: np.ndarray
    seg_repeats: np.ndarray
    seg_row_start: np.ndarray
    rows: np.ndarray
    seg_key_start: np.ndarray
    key_bytes: np.ndarray
    key_traffic: np.ndarray
    seg_rep: np.ndarray
    key_grad: np.ndarray
    seg_op_start: np.ndarray
    op_start: np.ndarray
    op_rows: np.ndarray
    op_attr: np.ndarray
    seg_tensor_start: np.ndarray
    act_tensors: np.ndarray
    op_event_start: np.ndarray
    act_events: np.ndarray
    seg_act_rep: np.ndarray
    row_uid: np.ndarray
    n_uid: int
    xfer_keys: np.ndarray
    layers: np.ndarray
    row_layer: np.ndarray
    networks: tuple[str, ...] = ()

    @property
    def layer_names(self) -> tuple[str, ...]:
        """The name of each entry of ``layers`` (:func:`layer_name`), in order."""
        return tuple(layer_name(self.networks[int(net)], int(layer)) for net, layer in self.layers)

    @property
    def n_segments(self) -> int:
        return int(self.seg_first_step.shape[0])

    @property
    def n_steps(self) -> int:
        return int(np.sum(self.seg_period_steps * self.seg_repeats))


def layer_name(network: str, layer: int) -> str:
    """A layer's name in breakdowns: ``critic1[1]`` is critic1's second layer; the replay batch (layer -1) is
    its network's name alone, ``replay``."""
    return network if layer < 0 else f"{network}[{layer}]"


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


def group_ops(rows: np.ndarray) -> list[list[int]]:
    """The ops of one period: its rows (shape (n, N_ROW), in trace order) grouped into units of work.

    An op is what the chip runs as one tiled loop: the operands it reads, the work it does (one GEMM or
    one vector update) and the results it writes. Scanning in order, a row starts a new op when its phase
    differs from the previous row's, or when the current op already has its work (a GEMM or vector flops)
    and the row is a read or has work of its own; otherwise it joins the current op. So a forward layer is
    (weight read + GEMM, activation write); a backward-data layer (activation read, Wᵀ read + GEMM, input
    gradient write); backward-weight (gradient write + GEMM); Adam (W, grad, m, v reads, W write + flops,
    m and v writes); Polyak (online and target reads, target write + flops); the replay read alone.

    Returns the row indices (0-based in ``rows``) of each op, in order.
    """
    ops: list[list[int]] = []
    has_work = False
    for i in range(rows.shape[0]):
        r = rows[i]
        work = bool(r[ROW.m] > 0 or r[ROW.vflops] > 0)
        new = not ops or r[ROW.phase] != rows[i - 1, ROW.phase] or (has_work and (r[ROW.is_read] == 1 or work))
        if new:
            ops.append([])
            has_work = False
        ops[-1].append(i)
        has_work = has_work or work
    return ops


def op_attribution(rows: np.ndarray, op: list[int]) -> int:
    """The row (index into ``rows``) an op's stalls go to: its first row with work, else its first row."""
    for i in op:
        if rows[i, ROW.m] > 0 or rows[i, ROW.vflops] > 0:
            return i
    return op[0]


def fuse_updates(rows: np.ndarray, ops: list[list[int]]) -> list[list[int]]:
    """``ops`` (from :func:`group_ops`) with each layer's optimizer update merged into that layer's
    backward-weight op, where it goes for ``pe.fuse_update``: the fused op computes a gradient tile and
    updates the matching tiles of W, m and v at once (its rows: the gradient write, then the update's)."""
    update = PHASES.index("update")
    backward_weight = PHASES.index("backward_weight")
    pending: dict[tuple[int, int], list[int]] = {}
    for k, op in enumerate(ops):
        r = rows[op_attribution(rows, op)]
        if r[ROW.phase] == update:
            pending.setdefault((int(r[ROW.net]), int(r[ROW.layer])), []).append(k)
    out, merged = [], set()
    for k, op in enumerate(ops):
        if k in merged:
            continue
        r = rows[op_attribution(rows, op)]
        if r[ROW.phase] == backward_weight and r[ROW.m] > 0 and r[ROW.grad] == 1:
            later = [u for u in pending.get((int(r[ROW.net]), int(r[ROW.layer])), []) if u > k and u not in merged]
            if later:
                merged.add(later[0])
                out.append(op + ops[later[0]])
                continue
        out.append(op)
    return out


def activation_events(rows: np.ndarray, ops: list[list[int]]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The activation tensors of one period and, per op, the events on them (hardware-independent).

    Tensors: the replay batch (made by its read; a copy stays in DRAM, so it is *clean*), each forward
    output Y(net, l) (made by the forward op that writes it) and each input gradient G(net, l) = dL/dX_l
    (made by the backward-data op that writes it). Uses, besides the activation reads the trace records:

    * a forward GEMM of layer l reads its input: Y(net, l-1), or the replay batch for l = 0 (not on the act
      step, whose input is one environment observation);
    * a backward-data or backward-weight GEMM of layer l reads the gradient of its output, G(net, l+1); at
      the top layer it is the loss gradient (no tensor), except when another network's input gradient
      G(·, 0) was made since this network's forward (dQ/da feeding the actor's backward);
    * a backward-weight GEMM of layer l also reads its input, Y(net, l-1) or the replay batch;
    * a recorded activation read of layer l reads Y(net, l-1), or the replay batch for l = 0.

    The small tensors passed between networks (a target actor's actions into the target critics, B ×
    act_dim) are not tracked. In an op, reads come before writes.

    Args:
        rows: the period's rows (n, N_ROW).
        ops: :func:`group_ops` of them.

    Returns:
        tensors (N_t, N_ACT_TENSOR) by :data:`accelsim.base.layouts.ACT_TENSOR`; for each op an (n_e, N_ACT_EVENT)
        array by :data:`accelsim.base.layouts.ACT_EVENT`, its events in order.
    """
    ph = {name: i for i, name in enumerate(PHASES)}
    tensors: list[tuple[int, int, int, int]] = []
    made_at: list[int] = []
    y: dict[tuple[int, int], int] = {}       # (net, layer) -> latest forward output
    g: dict[tuple[int, int], int] = {}       # (net, layer) -> latest input gradient
    replay = -1
    forward_at: dict[int, int] = {}          # net -> its latest forward op
    events: list[list[tuple[int, int]]] = []

    def make(nbytes: int, clean: int, o: int, batch_rows: int, gather: int = 0) -> int:
        # Held and moved in batch rows when its bytes split evenly among them (B x width x dtype), else whole.
        tensors.append((nbytes, clean, gather, batch_rows if batch_rows > 0 and nbytes % batch_rows == 0 else 1))
        made_at.append(o)
        return len(tensors) - 1

    def input_of(net: int, layer: int) -> int:
        return y.get((net, layer - 1), -1) if layer > 0 else replay

    def output_grad(net: int, layer: int) -> int:
        since = forward_at.get(net, -1)
        t = g.get((net, layer + 1), -1)
        if t >= 0 and made_at[t] > since:
            return t
        # dQ/da: the latest input gradient of another network made since this network's forward.
        best = -1
        for (other, lay), u in g.items():
            if other != net and lay == 0 and made_at[u] > since and u > best:
                best = u
        return best

    for o, op in enumerate(ops):
        uses: list[int] = []
        makes: list[int] = []
        batch = 1  # the op's batch rows: its GEMM's M (forward and backward-data GEMMs are M = batch)
        for i in op:
            r = rows[i]
            net, layer, phase = int(r[ROW.net]), int(r[ROW.layer]), int(r[ROW.phase])
            if r[ROW.m] > 0:  # the op's GEMM
                batch = int(r[ROW.m])
                if phase in (ph["forward"], ph["act"]):
                    if layer > 0 or phase != ph["act"]:
                        uses.append(input_of(net, layer))
                    forward_at[net] = o
                elif phase == ph["backward_data"]:
                    uses.append(output_grad(net, layer))
                elif phase == ph["backward_weight"]:
                    uses += [input_of(net, layer), output_grad(net, layer)]
            if r[ROW.kind] == KIND.activation:
                if r[ROW.is_read] == 1:
                    uses.append(input_of(net, layer))
                else:  # a written activation (forward) or activation gradient (backward_data) is made here
                    makes.append(i)
            elif r[ROW.kind] == KIND.replay:
                makes.append(i)
        evs = [(t, 0) for k, t in enumerate(uses) if t >= 0 and t not in uses[:k]]
        for i in makes:
            r = rows[i]
            net, layer, phase = int(r[ROW.net]), int(r[ROW.layer]), int(r[ROW.phase])
            if r[ROW.kind] == KIND.replay:
                t = replay = make(int(r[ROW.bytes]), 1, o, int(r[ROW.gather_rows]), int(r[ROW.gather_rows]))
            elif phase == ph["backward_data"]:
                t = g[(net, layer)] = make(int(r[ROW.bytes]), 0, o, batch)
            else:
                t = y[(net, layer)] = make(int(r[ROW.bytes]), 0, o, batch)
            evs.append((t, 1))
        events.append(evs)
    # Each event's next use: the first later op that reads the tensor.
    reads: list[list[int]] = [[] for _ in tensors]
    for o, evs in enumerate(events):
        for t, create in evs:
            if not create:
                reads[t].append(o)
    out = []
    for o, evs in enumerate(events):
        # reads[t] is in op order: the next use after op o is found by bisection (one packed array per op: packing
        # event by event took most of a warm `accelsim run`).
        nxt = []
        for t, _ in evs:
            j = bisect.bisect_right(reads[t], o)
            nxt.append(reads[t][j] if j < len(reads[t]) else -1)
        out.append(pack(ACT_EVENT, {"tensor": [t for t, _ in evs], "create": [c for _, c in evs], "next_use": nxt},
                        np.int64).reshape(len(evs), len(ACT_EVENT)))
    cols = list(zip(*tensors, strict=True)) if tensors else [(), (), (), ()]
    tens = pack(ACT_TENSOR, {"bytes": cols[0], "clean": cols[1], "gather_rows": cols[2], "batch_rows": cols[3],
                             "refill_xfer": [-1] * len(tensors), "spill_xfer": [-1] * len(tensors)},
                np.int64).reshape(len(tensors), len(ACT_TENSOR))
    return tens, out


@dataclass(frozen=True)
class RowFigures:
    """What each trace row moves and does in one view, all (n,) int64 (bool for the masks).

    Attributes:
        nbytes: bytes on the DRAM bus (values, metadata, dense bias, a master weight's working copy).
        vflops: vector flops (Adam, Polyak): per element dense, per stored value compressed.
        dec_values, trans_values: values the decoder expands, and transposes, for the PE array.
        structured: a group-sparse or N:M weight meeting the PE array (skip_zeros may use its density).
        stored_values: values stored (rows x cols in the dense view).
        kind: :data:`~accelsim.base.layouts.KIND` of the row.
        weight_side: the row is a weight, gradient or optimizer state.
    """

    nbytes: np.ndarray
    vflops: np.ndarray
    dec_values: np.ndarray
    trans_values: np.ndarray
    structured: np.ndarray
    stored_values: np.ndarray
    kind: np.ndarray
    weight_side: np.ndarray


def row_figures(c: dict[str, np.ndarray], view: str, precision: formats.Precision | None) -> RowFigures:
    """Per-row bytes, vector work and decode work of trace columns ``c`` in ``view``, in the chip's types
    ``precision`` (None: the trace's own)."""
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
    # Vector work (Adam, Polyak) is per element the trace records it for, dense; in the compressed view it
    # runs on the stored values (and the dense bias) in place: per stored value.
    vflops = c["vector_flops"].astype(np.int64)
    if not dense_view:
        elems = rows_ * cols_ + bias_values
        kept = np.where(weight_side, sv + bias_values, elems)
        vflops = np.where(vflops > 0, -(-vflops * kept // np.maximum(elems, 1)), 0)
    gemm = c["gemm_m"] > 0
    # Format conversion happens for weight-side rows that meet the PE array (GEMM rows).
    block = c["block_size"].astype(np.int64)
    dec = np.where(weight_side & gemm, formats.decoded_values(code, rows_, cols_, sv, block), 0)
    sparse = (code != formats.DENSE) & (code != formats.BC)
    trans = np.where(weight_side & gemm & c["transposed"] & sparse, sv, 0)
    structured = weight_side & gemm & ((code == formats.GROUP) | (code == formats.NM))
    kind = np.where(weight_side, KIND.weight_side, np.where(tensor == "activation", KIND.activation, KIND.replay))
    return RowFigures(nbytes, vflops, dec, trans, structured, sv, kind, weight_side)


@dataclass(frozen=True)
class ResidencyKeys:
    """The weight-side tensors each segment may keep on chip: a distinct (network, layer, tensor) is a key.

    Attributes:
        key: (n,) the row's key within its segment (-1: not weight-side).
        first: (n,) 1 on the first row of each key in its segment.
        seg_key_start: (S + 1,) where each segment's keys start.
        key_bytes: (K,) a key's footprint: its largest transaction.
        key_traffic: (K,) bytes a key moves per period when it streams.
        key_grad: (K,) 1 where the key is a gradient.
    """

    key: np.ndarray
    first: np.ndarray
    seg_key_start: np.ndarray
    key_bytes: np.ndarray
    key_traffic: np.ndarray
    key_grad: np.ndarray


def residency_keys(trace: Trace, c: dict[str, np.ndarray], f: RowFigures) -> ResidencyKeys:
    """The :class:`ResidencyKeys` of trace columns ``c`` (segments as in ``trace``) with row figures ``f``."""
    n = c["network"].shape[0]
    S = trace.n_segments
    starts = trace.seg_row_start
    key_start = np.zeros(S + 1, dtype=np.int64)
    key_bytes_l, key_traffic_l, key_grad_l = [], [], []
    key = np.full(n, -1, dtype=np.int64)
    first = np.zeros(n, dtype=np.int64)
    net, layer, tensor = c["network"], c["layer"], c["tensor"]
    for s in range(S):
        a, b = int(starts[s]), int(starts[s + 1])
        ids: dict[tuple[str, int, str], int] = {}
        traffic: list[int] = []
        kb: list[int] = []
        for i in range(a, b):
            if not f.weight_side[i]:
                continue
            k = (net[i], int(layer[i]), tensor[i])
            j = ids.get(k)
            if j is None:
                j = len(ids)
                ids[k] = j
                kb.append(0)
                traffic.append(0)
                key_grad_l.append(tensor[i] == "grad")
                first[i] = 1
            traffic[j] += int(f.nbytes[i])
            # A tensor's footprint is its largest transaction: a weight with a wider master copy is the write
            # that carries both (in one type, every transaction of a tensor moves the same bytes).
            kb[j] = max(kb[j], int(f.nbytes[i]))
            key[i] = j
        key_bytes_l.append(np.asarray(kb, dtype=np.int64))
        key_traffic_l.append(np.asarray(traffic, dtype=np.int64))
        key_start[s + 1] = key_start[s] + len(kb)
    key_bytes = np.concatenate(key_bytes_l) if key_bytes_l else np.zeros(0, np.int64)
    key_traffic = np.concatenate(key_traffic_l) if key_traffic_l else np.zeros(0, np.int64)
    return ResidencyKeys(key, first, key_start, key_bytes, key_traffic,
                         np.asarray(key_grad_l, dtype=np.int64).reshape(-1))


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
    f = row_figures(c, view, precision)
    keys = residency_keys(trace, c, f)
    rows_, cols_ = c["rows"].astype(np.int64), c["cols"].astype(np.int64)
    net_code = {name: i for i, name in enumerate(trace.network_names)}
    phase_code = {name: i for i, name in enumerate(PHASES)}
    R = pack(ROW, {
        "is_read": c["direction"] == "read",
        "kind": f.kind,
        "m": c["gemm_m"],
        "k": c["gemm_k"],
        "n": c["gemm_n"],
        "bytes": f.nbytes,
        "dec_values": f.dec_values,
        "trans_values": f.trans_values,
        "vflops": f.vflops,
        "grad": c["tensor"] == "grad",
        "key": keys.key,
        "first": keys.first,
        "structured": f.structured,
        "phase": [phase_code[p] for p in c["phase"]],
        "net": [net_code[x] for x in c["network"]],
        "layer": c["layer"],
        "step": c["step_in_period"],
        "dens_num": np.where(f.structured, f.stored_values, 0),
        "dens_den": np.where(f.structured, rows_ * cols_, 0),
        "gather_rows": np.where(c["tensor"] == "replay_batch", rows_, 0),
        "xfer": np.full(n, -1),  # set by from_packed (transfer_keys)
    }, np.int64).reshape(n, -1)
    return from_packed(view, trace.seg_first_step, trace.seg_period_steps, trace.seg_repeats, trace.seg_row_start,
                       R, keys.seg_key_start, keys.key_bytes, keys.key_traffic, keys.key_grad, trace.network_names)


def from_packed(view: str, seg_first_step: np.ndarray, seg_period_steps: np.ndarray, seg_repeats: np.ndarray,
                seg_row_start: np.ndarray, rows: np.ndarray, seg_key_start: np.ndarray, key_bytes: np.ndarray,
                key_traffic: np.ndarray, key_grad: np.ndarray, networks: tuple[str, ...] = ()) -> Workload:
    """A :class:`Workload` from packed rows (by :data:`accelsim.base.layouts.ROW`) and residency keys (``networks``
    names the rows' network codes): derives its
    ops (both variants), activation events, representative segments and distinct rows. :func:`build_workload`
    ends here; so does a workload made up without a trace (``accelsim.simulation.peak``)."""
    R = np.array(rows, dtype=np.int64, order="C")  # a copy: its transfer indices are written below
    n = R.shape[0]
    S = int(seg_first_step.shape[0])
    starts = seg_row_start
    key_start = np.asarray(seg_key_start, dtype=np.int64)
    key_bytes = np.asarray(key_bytes, dtype=np.int64)
    key_traffic = np.asarray(key_traffic, dtype=np.int64)
    seg_op_start = np.zeros((2, S + 1), dtype=np.int64)
    seg_tensor_start = np.zeros((2, S + 1), dtype=np.int64)
    op_start_l, op_rows_l, op_attr_l = [0], [], []
    tensors_l, events_l, op_event_start_l = [], [], [0]
    act_rep = np.tile(np.arange(S, dtype=np.int64), (2, 1))
    n_tensors = 0
    for v in (0, 1):  # the two op variants: as traced, and with optimizer updates fused into backward-weight
        seg_op_start[v, 0] = len(op_attr_l)
        seg_tensor_start[v, 0] = n_tensors
        act_seen: dict[bytes, int] = {}
        for s in range(S):
            a, b = int(starts[s]), int(starts[s + 1])
            ops = group_ops(R[a:b])
            if v == 1:
                ops = fuse_updates(R[a:b], ops)
            for op in ops:
                op_rows_l.extend(a + i for i in op)
                op_start_l.append(len(op_rows_l))
                op_attr_l.append(a + op_attribution(R[a:b], op))
            seg_op_start[v, s + 1] = len(op_attr_l)
            tens, evs = activation_events(R[a:b], ops)
            tensors_l.append(tens)
            n_tensors += tens.shape[0]
            for e in evs:
                events_l.append(e)
                op_event_start_l.append(op_event_start_l[-1] + e.shape[0])
            seg_tensor_start[v, s + 1] = n_tensors
            sig = tens.tobytes() + b"|" + b"|".join(e.tobytes() for e in evs)
            act_rep[v, s] = act_seen.setdefault(sig, s)
    tensors = _stack(tensors_l, len(ACT_TENSOR))
    xfer_keys = transfer_keys(R, tensors)
    rep = np.arange(S, dtype=np.int64)
    seen: dict[bytes, int] = {}
    for s in range(S):
        a, b = int(starts[s]), int(starts[s + 1])
        k0, k1 = int(key_start[s]), int(key_start[s + 1])
        sig = R[a:b].tobytes() + b"|" + key_bytes[k0:k1].tobytes() + b"|" + key_traffic[k0:k1].tobytes()
        rep[s] = seen.setdefault(sig, s)
    cost_cols = [q for q, name in enumerate(names(ROW)) if name not in PLACE_COLUMNS]
    if n:
        uniq, uid = np.unique(R[:, cost_cols], axis=0, return_inverse=True)
        n_uid = int(uniq.shape[0])
    else:
        uid, n_uid = np.zeros(0, np.int64), 0
    # The layer breakdown's groups: each distinct (network, layer), in network order.
    layers, row_layer = np.unique(R[:, [ROW.net, ROW.layer]], axis=0, return_inverse=True)
    return Workload(view, np.asarray(seg_first_step, dtype=np.int64), np.asarray(seg_period_steps, dtype=np.int64),
                    np.asarray(seg_repeats, dtype=np.int64), np.asarray(starts, dtype=np.int64), R,
                    key_start, key_bytes, key_traffic, rep, np.asarray(key_grad, dtype=np.int64),
                    seg_op_start, np.asarray(op_start_l, dtype=np.int64),
                    np.asarray(op_rows_l, dtype=np.int64), np.asarray(op_attr_l, dtype=np.int64),
                    seg_tensor_start, tensors,
                    np.asarray(op_event_start_l, dtype=np.int64), _stack(events_l, len(ACT_EVENT)), act_rep,
                    np.ascontiguousarray(uid.reshape(-1), dtype=np.int64), n_uid, xfer_keys,
                    np.ascontiguousarray(layers.reshape(-1, 2), dtype=np.int64),
                    np.ascontiguousarray(row_layer.reshape(-1), dtype=np.int64), tuple(networks))


def transfer_keys(rows: np.ndarray, tensors: np.ndarray) -> np.ndarray:
    """The distinct whole-tensor DRAM transfers of packed ``rows`` and activation ``tensors``, (n_x, N_XFER_KEY)
    by :data:`accelsim.base.layouts.XFER_KEY`, sorted; writes each one's index into ``rows[:, ROW.xfer]`` and
    ``tensors[:, ACT_TENSOR.refill_xfer / spill_xfer]`` (in place; -1 where there is none).

    A weight-side row moves its bytes in its direction (its prologue fill, a read, is the same transfer); a
    replay row gathers its ``gather_rows`` rows; an activation row touches only SRAM. An activation tensor's
    refill reads it whole (the replay batch: gathered again), its spill writes it whole.
    """
    n_x = len(XFER_KEY)
    offchip = (rows[:, ROW.kind] != KIND.activation) & (rows[:, ROW.bytes] > 0)
    row_keys = np.zeros((rows.shape[0], n_x), dtype=np.int64)
    row_keys[:, XFER_KEY.bytes] = rows[:, ROW.bytes]
    row_keys[:, XFER_KEY.is_write] = 1 - rows[:, ROW.is_read]
    row_keys[:, XFER_KEY.gather_rows] = np.where(rows[:, ROW.kind] == KIND.replay, rows[:, ROW.gather_rows], 0)
    refill = np.zeros((tensors.shape[0], n_x), dtype=np.int64)
    refill[:, XFER_KEY.bytes] = tensors[:, ACT_TENSOR.bytes]
    refill[:, XFER_KEY.gather_rows] = tensors[:, ACT_TENSOR.gather_rows]
    spill = np.zeros((tensors.shape[0], n_x), dtype=np.int64)
    spill[:, XFER_KEY.bytes] = tensors[:, ACT_TENSOR.bytes]
    spill[:, XFER_KEY.is_write] = 1
    has_refill = tensors[:, ACT_TENSOR.bytes] > 0
    has_spill = has_refill
    every = np.concatenate([row_keys[offchip], refill[has_refill], spill[has_spill]])
    if every.shape[0] == 0:
        keys, index = every, np.zeros(0, dtype=np.int64)
    else:
        keys, index = np.unique(every, axis=0, return_inverse=True)
        index = index.reshape(-1)
    n_r, n_f = int(offchip.sum()), int(has_refill.sum())
    rows[:, ROW.xfer] = -1
    rows[offchip, ROW.xfer] = index[:n_r]
    tensors[:, ACT_TENSOR.refill_xfer] = -1
    tensors[has_refill, ACT_TENSOR.refill_xfer] = index[n_r:n_r + n_f]
    tensors[:, ACT_TENSOR.spill_xfer] = -1
    tensors[has_spill, ACT_TENSOR.spill_xfer] = index[n_r + n_f:]
    return np.ascontiguousarray(keys.reshape(-1, n_x), dtype=np.int64)




def _stack(parts: list[np.ndarray], width: int) -> np.ndarray:
    """Row-wise concatenation of (n_k, width) int64 arrays, (0, width) if none."""
    return np.ascontiguousarray(np.concatenate(parts) if parts else np.zeros((0, width)), dtype=np.int64)
