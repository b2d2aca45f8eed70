"""Forward and backward of TD3's MLPs by hand, G networks at once (the twin critics as one batched GEMM).

TD3's update is a handful of small GEMMs; autograd adds a graph node, an allocation and a dispatch per op,
which at these sizes costs about as much as the arithmetic. Here each layer is one batched GEMM over the
stacked weights of G networks of the same shape ([G, out, in]; G = 2 for the twin critics, 1 otherwise), and
the backward pass is written out: per layer one GEMM for the weight gradient and one for the input gradient.
``tests/test_td3_fused.py`` checks every gradient against autograd on the same weights.

Shapes: B = batch, G = networks stacked. Hidden layers are ReLU; the last layer is linear (the caller
applies the actor's tanh). Weights are the *effective* dense weights the forward pass uses (block-circulant
layers expanded, masked layers with their pruned entries zero): see
:meth:`gst_train.layers.CompressedLinear.effective_weight` and ``set_grad``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Tape:
    """What the backward pass needs: the input of every layer, [G, B, in] (the first may be a broadcast view).

    The input of layer l > 0 is the ReLU output of layer l − 1, so it also gives the ReLU's gradient mask.
    """

    inputs: tuple[torch.Tensor, ...]


def forward(W: list[torch.Tensor], b: list[torch.Tensor], x: torch.Tensor, keep: bool = True):
    """y = MLP(x) for G stacked networks.

    Args:
        W: per layer [G, out, in]; b: per layer [G, out].
        x: [B, in], the same input for all G networks (critics read one (obs, action) batch), or [G, B, in].
        keep: record a :class:`Tape` for :func:`backward`.

    Returns:
        (y [G, B, out_last], tape or None).
    """
    inputs = []
    # A shared input is broadcast over the G networks (a stride-0 view, no copy); outputs stay contiguous
    # [G, B, out], which the next layer's GEMM and the backward pass read fastest.
    h = x.expand(W[0].shape[0], *x.shape) if x.dim() == 2 else x
    last = len(W) - 1
    for l, (w, bias) in enumerate(zip(W, b, strict=True)):
        inputs.append(h)
        z = torch.bmm(h, w.transpose(1, 2)).add_(bias.unsqueeze(1))
        h = z.relu_() if l < last else z
    return h, (Tape(tuple(inputs)) if keep else None)


def backward(W: list[torch.Tensor], tape: Tape, dy: torch.Tensor, need_weight_grads: bool = True,
             need_input_grad: bool = False, input_from: int = 0):
    """Gradients of a loss L given dL/dy ([G, B, out_last]).

    Args:
        input_from: with ``need_input_grad``, dL/dx only for the inputs from this column on (the actor's
            update needs dQ/da, the action columns of the critic's input, not dQ/ds: on Humanoid that skips
            348 of the first layer's 365 columns, about 3 % of an update's FLOPs).

    Returns:
        (dW, db, dx): dW per layer [G, out, in] and db per layer [G, out] (empty lists without
        ``need_weight_grads``: the actor's loss flows through critic1 but updates only the actor), and dL/dx
        ([G, B, in − input_from], or None without ``need_input_grad``).
    """
    L = len(W)
    dW: list[torch.Tensor] = [None] * L  # type: ignore[list-item]
    db: list[torch.Tensor] = [None] * L  # type: ignore[list-item]
    dz = dy
    dx = None
    for l in range(L - 1, -1, -1):
        h = tape.inputs[l]
        if need_weight_grads:
            dW[l] = torch.bmm(dz.transpose(1, 2), h)
            db[l] = dz.sum(dim=1)
        if l > 0:
            dz = torch.ops.aten.threshold_backward(torch.bmm(dz, W[l]), h, 0.0)  # ReLU: pass where output > 0
        elif need_input_grad:
            dx = torch.bmm(dz, W[0][:, :, input_from:] if input_from else W[0])
    return (dW, db, dx) if need_weight_grads else ([], [], dx)
