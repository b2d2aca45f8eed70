"""A linear layer whose weight is dense, masked (pruned) or block-circulant, switchable during training.

The weight is stored ``[out, in]``. Modes:

* ``dense``: ``weight`` as is.
* ``masked``: ``weight * mask`` (unstructured, group-sparse or N:M masks). Multiplying in the forward pass
  makes the gradient of every pruned weight zero; pruning also zeroes the pruned weights and their Adam
  moments, so masks hold through optimizer steps.
* ``bc``: block-circulant with block size b: ``bc_vec`` of shape [ceil(out/b), ceil(in/b), b] stores one
  length-b vector per block, and block (p, q) is the circulant matrix C[i, j] = v[p, q, (i − j) mod b].
  The dense weight is gathered from the vectors (padding cropped), so autograd gives the exact BC gradient.
  The transpose of a circulant block is circulant (C^T[i, j] = v[(j − i) mod b]), so W^T needs no copy.

A layer leaves ``bc`` for ``masked`` by expanding its blocks into ``weight`` (a GST switch) and goes back by the
least-squares projection onto circulant blocks (a GST revert).
"""

from __future__ import annotations

import functools
import math

import torch
from torch import nn
from torch.nn import functional as F

from gst_train import circulant


@functools.lru_cache(maxsize=64)
def vector_index(out_f: int, in_f: int, block: int) -> torch.Tensor:
    """[out_f·in_f] long tensor: for each position (i, j) of the dense weight, row-major, the index of the BC
    vector entry it holds in the flattened [ob, ib, b] vectors, i.e. ((i // b)·ib + j // b)·b + (i − j) mod b.
    Cached per shape; callers must not modify it."""
    ib = -(-in_f // block)
    i = torch.arange(out_f).unsqueeze(1)
    j = torch.arange(in_f).unsqueeze(0)
    return (((i // block) * ib + j // block) * block + (i - j) % block).flatten()


@functools.lru_cache(maxsize=64)
def _stacked_index(out_f: int, in_f: int, block: int, layers: int) -> torch.Tensor:
    """:func:`vector_index` for ``layers`` layers stacked in one tensor: each layer's indices offset by the
    size of its vectors, so one gather expands them all."""
    idx = vector_index(out_f, in_f, block)
    if layers == 1:
        return idx
    n = -(-out_f // block) * -(-in_f // block) * block
    return (idx.unsqueeze(0) + torch.arange(layers).unsqueeze(1) * n).flatten()


def project_bc(dW: torch.Tensor, block: int) -> torch.Tensor:
    """Gradient w.r.t. the BC vectors [..., ob, ib, b] from the gradient w.r.t. the expanded weight ``dW``
    [..., out, in] (leading dimensions: several layers of one shape at once, e.g. the twin critics).

    The adjoint of :func:`expand_bc`: entry k of block (p, q)'s vector sums dW over the block's positions
    with (i − j) mod b = k; padding positions have none. A compiled loop (:func:`gst_train.circulant.project`,
    about 2x torch's ``index_add_`` over :func:`vector_index` here), deterministic.
    """
    return circulant.project(dW, block)


def expand_bc(vec: torch.Tensor, out_f: int, in_f: int) -> torch.Tensor:
    """Dense [..., out_f, in_f] weight from BC vectors ``vec`` [..., ob, ib, b] (leading dimensions expand
    several layers of one shape at once); differentiable when autograd records.

    Without autograd a compiled loop (:func:`gst_train.circulant.expand`, about 2.8x faster here); with it,
    one 1-D ``index_select`` over :func:`vector_index`, whose backward is the same adjoint as
    :func:`project_bc`. Both give the same weights bit for bit (the expansion only copies).
    """
    if not (vec.requires_grad and torch.is_grad_enabled()):
        return circulant.expand(vec, out_f, in_f)
    *lead, _, _, b = vec.shape
    idx = _stacked_index(out_f, in_f, b, math.prod(lead))
    return torch.index_select(vec.reshape(-1), 0, idx).view(*lead, out_f, in_f)


class CompressedLinear(nn.Module):
    """y = x W^T + bias with W dense, masked or block-circulant (see module docstring)."""

    def __init__(self, in_features: int, out_features: int, block: int = 0) -> None:
        """``block`` > 0 allocates the BC vectors now (zero until :meth:`to_bc`), so the layer's parameters
        never change identity and an optimizer built over them stays valid through every mode switch."""
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        ref = nn.Linear(in_features, out_features)  # PyTorch's default initialisation
        self.weight = nn.Parameter(ref.weight.detach().clone())
        self.bias = nn.Parameter(ref.bias.detach().clone())
        self.register_buffer("mask", torch.ones(out_features, in_features))
        self.mode = "dense"
        self.block = 0
        self.bc_vec: nn.Parameter | None = None
        self._wcache: torch.Tensor | None = None
        self._stack: tuple | None = None  # (W, b, slot, byte offsets): see stack_storage
        if block > 0:
            self._alloc_bc(block)

    def _alloc_bc(self, block: int) -> None:
        ob, ib = math.ceil(self.out_features / block), math.ceil(self.in_features / block)
        self.bc_vec = nn.Parameter(torch.zeros(ob, ib, block))
        self.block = block

    def invalidate(self) -> None:
        """Forget the cached expansion: call after the parameters change (optimizer step, Polyak, mode)."""
        # A plain attribute: skip nn.Module.__setattr__'s registry checks (called for every layer at every
        # optimizer step and Polyak update, it cost about 2 % of a GST update).
        object.__setattr__(self, "_wcache", None)

    @property
    def cached_expansion(self) -> torch.Tensor | None:
        """BC mode: the cached expanded weight [out, in] (None until first use after a change). Whoever
        moves the vectors may move it in place by the same linear map instead (TD3's Polyak update)."""
        return self._wcache if self.mode == "bc" else None

    # -- modes
    def to_bc(self, block: int) -> None:
        """Enter BC mode; vectors initialised like the dense layer (uniform ±1/sqrt(in))."""
        if self.bc_vec is None or self.block != block:
            self._alloc_bc(block)
        bound = 1.0 / math.sqrt(self.in_features)
        with torch.no_grad():
            self.bc_vec.uniform_(-bound, bound)
        self._wcache = None
        self.mode = "bc"

    def bc_to_masked(self) -> None:
        """Leave BC mode for good: the expanded blocks become the dense weight (then pruned by a mask)."""
        assert self.mode == "bc"
        with torch.no_grad():
            self.weight.copy_(expand_bc(self.bc_vec, self.out_features, self.in_features))
        self._wcache = None
        self.mode = "masked"
        self.mask.fill_(1.0)

    def masked_to_bc(self) -> None:
        """Back to BC mode: each vector entry becomes the mean of the weights on its circulant diagonal.

        That is the least-squares projection of the (masked) dense weight onto block-circulant matrices
        (padding positions, which the weight does not have, are left out of the means).
        """
        assert self.mode != "bc" and self.bc_vec is not None
        with torch.no_grad():
            w = self.weight * self.mask
            counts = project_bc(torch.ones_like(w), self.block)
            self.bc_vec.copy_(project_bc(w, self.block) / counts.clamp(min=1.0))
            self.mask.fill_(1.0)
        self._wcache = None
        self.mode = "bc"

    def set_mask(self, mask: torch.Tensor) -> None:
        """Masked mode with ``mask`` ([out, in], bool or 0/1); pruned weights are zeroed."""
        if self.mode == "bc":
            raise ValueError("call bc_to_masked() first")
        with torch.no_grad():
            self.mask.copy_(mask.to(self.mask.dtype))
            self.weight.mul_(self.mask)
        self.mode = "masked"

    # -- forward
    def dense_weight(self) -> torch.Tensor:
        if self.mode == "bc":
            # Without autograd (targets, acting) the expansion is reused until the vectors change.
            if torch.is_grad_enabled():
                return expand_bc(self.bc_vec, self.out_features, self.in_features)
            if self._wcache is None:
                self._wcache = expand_bc(self.bc_vec, self.out_features, self.in_features)
            return self._wcache
        if self.mode == "masked":
            return self.weight * self.mask
        return self.weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.dense_weight(), self.bias)

    # -- the hand-written update (gst_train.mlp) reads effective weights and hands back their gradients
    def effective_weight(self) -> torch.Tensor:
        """The dense [out, in] weight of the forward pass, without autograd.

        BC: the cached expansion. Masked: the stored weight itself, because pruned weights are exactly zero
        (``set_mask`` zeroes them and :meth:`set_grad` masks their gradient, so Adam never moves them).
        Not a ``torch.no_grad`` decorator: it runs a dozen times per update, under the update's own no_grad,
        and the decorator costs more than the call (about 1.6 us here).
        """
        if self.mode == "bc":
            if torch.is_grad_enabled():
                with torch.no_grad():
                    return self.dense_weight()
            return self.dense_weight()
        return self.weight.detach()

    def set_grad(self, dW: torch.Tensor, db: torch.Tensor) -> None:
        """Set the active parameters' gradients from dL/dW_effective ``dW`` [out, in] and dL/dbias ``db`` [out].

        The same gradients autograd gives through :meth:`dense_weight`: BC vectors get the adjoint of the
        expansion, masked weights the masked gradient.
        """
        if self.mode == "bc":
            self.bc_vec.grad = project_bc(dW, self.block)
        elif self.mode == "masked":
            self.weight.grad = dW * self.mask
        else:
            self.weight.grad = dW
        self.bias.grad = db

    def active_params(self) -> list[nn.Parameter]:
        """The parameters the forward pass uses now (for Polyak updates and optimizers)."""
        return [self.bc_vec if self.mode == "bc" else self.weight, self.bias]

    def extra_repr(self) -> str:
        return f"in={self.in_features}, out={self.out_features}, mode={self.mode}, block={self.block}"

    # -- state for checkpoints (mode and block are plain attributes)
    def structure(self) -> dict:
        return {"mode": self.mode, "block": self.block}

    def load_structure(self, s: dict) -> None:
        self._wcache = None
        if s["block"] and (self.bc_vec is None or self.block != s["block"]):
            self._alloc_bc(s["block"])
        self.mode = s["mode"]


def stack_storage(layers) -> None:
    """Give G layers of one shape one stacked storage: dense weights [G, out, in] and biases [G, out], each
    layer's ``weight`` and ``bias`` becoming views of slot g (same values, new Parameter objects: build
    optimizers after this).

    The twin critics' batched GEMMs read the stacked weights as they are, where they would otherwise copy
    both critics' weights into a fresh stack at every update (about 1 % of an update). Optimizer steps,
    Polyak, masks and checkpoint loads all write the parameters in place, so the views stay the storage;
    :func:`shared_stack` checks the sharing before it trusts it (a deep copy, for one, breaks it).
    """
    W = torch.stack([l.weight.detach() for l in layers])
    b = torch.stack([l.bias.detach() for l in layers])
    for g, l in enumerate(layers):
        l.weight = nn.Parameter(W[g])
        l.bias = nn.Parameter(b[g])
        # Byte offsets of slot g in each storage, so the check below needs no views.
        object.__setattr__(l, "_stack", (W, b, g, g * W.stride(0) * W.element_size(),
                                         g * b.stride(0) * b.element_size()))


def shared_stack(layers):
    """The (W, b) stacked storage that ``layers`` are views of, slot by slot, or None.

    Called about a dozen times per update, so it compares raw addresses: each layer's parameters must start
    where its slot of the stack does (a deep copy clones parameters and stack apart, and fails here).
    """
    st = getattr(layers[0], "_stack", None)
    if st is None:
        return None
    W, b = st[0], st[1]
    if W.shape[0] != len(layers):
        return None
    wp, bp = W.data_ptr(), b.data_ptr()
    for g, l in enumerate(layers):
        s = l._stack
        params = l._parameters  # this class's own registry (nn.Module.__getattr__ costs more than the check)
        if (s is None or s[0] is not W or s[2] != g or params["weight"].data_ptr() != wp + s[3]
                or params["bias"].data_ptr() != bp + s[4]):
            return None
    return W, b


def stacked_biases(layers) -> torch.Tensor:
    """Biases of G layers, stacked [G, out] (the shared storage itself when :func:`stack_storage` made one)."""
    if len(layers) == 1:
        return layers[0].bias.detach().unsqueeze(0)
    st = shared_stack(layers)
    if st is not None:
        return st[1]
    return torch.stack([l.bias.detach() for l in layers])


def _all_bc(layers) -> bool:
    first = layers[0]
    return all(l.mode == "bc" and l.block == first.block for l in layers)


def stacked_weights(layers) -> torch.Tensor:
    """Effective weights of G layers of one shape, stacked [G, out, in] (the twin critics' batched GEMMs).

    When every layer is block-circulant and none has a cached expansion, all are expanded in one batched
    call, and each layer keeps its slice as its cache. Without autograd (see :meth:`effective_weight`).
    """
    if torch.is_grad_enabled():
        with torch.no_grad():
            return stacked_weights(layers)
    if len(layers) > 1 and _all_bc(layers):
        caches = [l._wcache for l in layers]
        if all(c is None for c in caches):
            W = expand_bc(torch.stack([l.bc_vec for l in layers]), layers[0].out_features, layers[0].in_features)
            for l, w in zip(layers, W, strict=True):
                object.__setattr__(l, "_wcache", w)  # a plain attribute (see invalidate)
            return W
        base = caches[0]._base if caches[0] is not None else None
        if (base is not None and base.shape[0] == len(layers)
                and all(c is not None and c._base is base and c.data_ptr() == base[g].data_ptr()
                        for g, c in enumerate(caches))):
            return base  # the caches are still the slices of one batched expansion (Polyak moves them in place)
    if len(layers) == 1:
        return layers[0].effective_weight().unsqueeze(0)
    if all(l.mode != "bc" for l in layers):
        st = shared_stack(layers)
        if st is not None:
            return st[0]  # dense and masked weights are the stored weights (pruned entries exactly zero)
    return torch.stack([l.effective_weight() for l in layers])


def stacked_set_grad(layers, dW: torch.Tensor, db: torch.Tensor) -> None:
    """:meth:`CompressedLinear.set_grad` for G layers at once from dW [G, out, in] and db [G, out]; block-circulant
    layers of one block size are projected in one batched call."""
    if len(layers) > 1 and _all_bc(layers):
        dv = project_bc(dW, layers[0].block)
        for l, g, b in zip(layers, dv, db, strict=True):
            l.bc_vec.grad = g
            l.bias.grad = b
        return
    for l, w, b in zip(layers, dW, db, strict=True):
        l.set_grad(w, b)
