"""What a recorder sees during one training step, and the trace rows it makes (no torch here).

A recorder appends events in the order they happen: :class:`Forward` (a layer's forward GEMM), :class:`Backward`
(the backward that autograd actually ran through that forward: backward-data only where the layer's input needed
a gradient, backward-weight only where its weight did), :class:`Update` (one optimizer step), :class:`TargetUpdate`
(a target network changed in place outside any optimizer) and :class:`BatchRead` (a declared data read).
:func:`step_rows` turns one step's events into the ordered :class:`~accelsim.trace.schema.TxnRow` of the canonical
step (``accelsim/trace/td3_step.py``): the same rows, in the same order, for the same work.

Shapes: a layer's weight is ``[rows, cols] = [out, in]`` (conv: ``[C_out, C_in/groups·prod(kernel)]``); its forward
GEMM is M×K by K×N with K = cols, N = rows; backward-data M×N by N×K (Wᵀ); backward-weight N×M by M×K.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from accelsim.trace.formats import DENSE_FORMAT, Format
from accelsim.trace.schema import TxnRow
from accelsim.trace.td3_step import POLYAK_FLOPS_PER_ELEM


@dataclass(eq=False)
class Forward:
    """One forward of a layer.

    Attributes:
        network, layer: the layer (a declared network's name and its layer index).
        m, k, n: its GEMM (M×K by K×N), elements.
        in_shape, out_shape: its input and output activations as [rows, cols] (rows: the samples, or M for a
            linear layer applied along leading dimensions).
        samples: the batch (leading dimension) of the input.
        dtype: the activations' type.
        backward: set once a backward ran through this forward.
    """

    network: str
    layer: int
    m: int
    k: int
    n: int
    in_shape: tuple[int, int]
    out_shape: tuple[int, int]
    samples: int
    dtype: str = "fp32"
    backward: bool = False


@dataclass(frozen=True, eq=False)
class Backward:
    """The backward through one :class:`Forward`: ``data`` (the input's gradient was computed), ``weight`` (the
    weight's)."""

    forward: Forward
    data: bool
    weight: bool


@dataclass(frozen=True)
class Update:
    """One optimizer step: per updated layer ``(network, layer)``, the state it reads and writes and its flops per
    element. ``pacing``: the optimizer whose steps count the trace's steps."""

    layers: tuple[tuple[str, int], ...]
    state: tuple[tuple[str, ...], ...]
    flops_per_elem: tuple[int, ...]
    pacing: bool = False


@dataclass(frozen=True)
class TargetUpdate:
    """Target network ``target`` changed in place from ``online``: a Polyak blend, or a plain copy."""

    target: str
    online: str
    copy: bool = False


@dataclass(frozen=True)
class BatchRead:
    """A declared read of a training batch: ``rows`` samples of ``cols`` values from data source ``network``."""

    network: str
    rows: int
    cols: int
    dtype: str = "fp32"


Event = Forward | Backward | Update | TargetUpdate | BatchRead


@dataclass(frozen=True)
class LayerInfo:
    """What the rows need of a layer: its weight ``[rows, cols]``, bias values, type and stored format."""

    rows: int
    cols: int
    bias: int
    dtype: str = "fp32"
    format: Format = DENSE_FORMAT


@dataclass
class RowBuilder:
    """Builds rows, interning equal ones (so equal steps compare by identity, cheaply).

    Attributes:
        layer_info: (network, layer) → :class:`LayerInfo` for the step being built.
        is_target: whether a network is a target (its no-grad forwards are training work, never acting).
        n_layers: how many layers a network has.
    """

    layer_info: Callable[[str, int], LayerInfo]
    is_target: Callable[[str], bool]
    n_layers: Callable[[str], int]
    _interned: dict[TxnRow, TxnRow] = field(default_factory=dict)
    _memo: dict[tuple, Any] = field(default_factory=dict)  # (what a row is made of) -> the row, made once

    def _row(self, **kw) -> TxnRow:
        r = TxnRow(**kw)
        return self._interned.setdefault(r, r)

    def weight(self, out: list[TxnRow], net: str, layer: int, tensor: str, phase: str, direction: str,
               mkn: tuple[int, int, int] = (0, 0, 0), transposed: bool = False, flops_per_elem: int = 0) -> None:
        info = self.layer_info(net, layer)
        key = (net, layer, tensor, phase, direction, mkn, transposed, flops_per_elem)
        got = self._memo.get(key)
        if got is not None and (got[0] is info or got[0] == info):  # the layer's info, unchanged
            out.append(got[1])
            return
        f = info.format.resolved(info.rows, info.cols)
        sv, _ = f.resolve(info.rows, info.cols)
        row = self._row(network=net, layer=layer, tensor=tensor, phase=phase, direction=direction, gemm_m=mkn[0],
                        gemm_k=mkn[1], gemm_n=mkn[2], transposed=transposed, rows=info.rows, cols=info.cols,
                        dtype=info.dtype, format=f, stored_values=sv, bias_values=info.bias,
                        vector_flops=flops_per_elem * (info.rows * info.cols + info.bias))
        self._memo[key] = (info, row)
        out.append(row)

    def activation(self, out: list[TxnRow], net: str, layer: int, phase: str, direction: str,
                   shape: tuple[int, int], dtype: str) -> None:
        key = (net, layer, phase, direction, shape, dtype)
        row = self._memo.get(key)
        if row is None:
            r, c = shape
            row = self._memo[key] = self._row(network=net, layer=layer, tensor="activation", phase=phase,
                                              direction=direction, rows=r, cols=c, dtype=dtype,
                                              format=Format(nnz_units=r * c), stored_values=r * c)
        out.append(row)

    def step_rows(self, events: Sequence[Event]) -> tuple[TxnRow, ...]:
        """The ordered rows of one step's ``events``.

        A forward is *acting* (phase ``act``) when nothing was back-propagated through it, its network is not a
        target, and its batch is smaller than the step's training batch (the largest batch a backward ran
        through); every other forward is phase ``forward``.
        """
        train_batch = max((e.samples for e in events if isinstance(e, Forward) and e.backward), default=0)
        out: list[TxnRow] = []
        for e in events:
            if isinstance(e, Forward):
                acting = (not e.backward and not self.is_target(e.network)
                          and (train_batch == 0 or e.samples < train_batch))
                phase = "act" if acting else "forward"
                self.weight(out, e.network, e.layer, "weight", phase, "read", (e.m, e.k, e.n))
                self.activation(out, e.network, e.layer, phase, "write", e.out_shape, e.dtype)
            elif isinstance(e, Backward):
                f = e.forward
                if not (e.data or e.weight):
                    continue
                self.activation(out, f.network, f.layer, "backward_data" if e.data else "backward_weight", "read",
                                f.in_shape, f.dtype)
                if e.data:
                    self.weight(out, f.network, f.layer, "weight", "backward_data", "read", (f.m, f.n, f.k),
                                transposed=True)
                    self.activation(out, f.network, f.layer, "backward_data", "write", f.in_shape, f.dtype)
                if e.weight:
                    self.weight(out, f.network, f.layer, "grad", "backward_weight", "write", (f.n, f.m, f.k))
            elif isinstance(e, Update):
                for (net, layer), state, fpe in zip(e.layers, e.state, e.flops_per_elem, strict=True):
                    for t in ("weight", "grad", *state):
                        self.weight(out, net, layer, t, "update", "read")
                    self.weight(out, net, layer, "weight", "update", "write", flops_per_elem=fpe)
                    for t in state:
                        self.weight(out, net, layer, t, "update", "write")
            elif isinstance(e, TargetUpdate):
                n_layers = self.n_layers(e.target)
                for layer in range(n_layers):
                    self.weight(out, e.online, layer, "weight", "polyak", "read")
                    if not e.copy:
                        self.weight(out, e.target, layer, "weight", "polyak", "read")
                    self.weight(out, e.target, layer, "weight", "polyak", "write",
                                flops_per_elem=0 if e.copy else POLYAK_FLOPS_PER_ELEM)
            elif isinstance(e, BatchRead):
                out.append(self._row(network=e.network, layer=-1, tensor="replay_batch", phase="replay",
                                     direction="read", rows=e.rows, cols=e.cols, dtype=e.dtype,
                                     format=Format(nnz_units=e.rows * e.cols), stored_values=e.rows * e.cols))
        return tuple(out)


def split_point(events: Sequence[Event], last_pacing: int) -> int:
    """Where the step that ended with the pacing update at ``events[last_pacing]`` really ends, once the next
    pacing update is the last event: just after the last optimizer update or target update between the two
    (the previous step's actor update and Polyak), else right after ``last_pacing``. Returns the index of the
    first event of the new step."""
    for i in range(len(events) - 2, last_pacing, -1):
        if isinstance(events[i], Update | TargetUpdate):
            return i + 1
    return last_pacing + 1


def gemm_macs(rows: Sequence[TxnRow]) -> int:
    """Multiply-accumulates of the GEMMs among ``rows``."""
    return sum(r.gemm_m * r.gemm_k * r.gemm_n for r in rows)


def layer_table(infos: Mapping[tuple[str, int], LayerInfo]) -> Callable[[str, int], LayerInfo]:
    """A :attr:`RowBuilder.layer_info` over a fixed table."""
    return lambda net, layer: infos[(net, layer)]
