"""The canonical TD3 training step as a list of transactions, shared by every trace writer.

gst_train calls :func:`td3_step_rows` with the current per-layer formats; the synthetic generator calls it
with made-up ones. For batch B and a layer with W: out×in,

* forward: GEMM M=B, K=in, N=out (batch 1 for the act step);
* backward-data (needs W^T): M=B, K=out, N=in;
* backward-weight: M=out, K=B, N=in (writes the gradient);
* Adam: read W, grad, m, v; write W, m, v (vector work on the W write row);
* Polyak (every policy-delay steps): read online and target W, write target W.

A step is: act (actor forward, batch 1), replay-batch read, target forwards (actor_target, both critic
targets), both critics' forward, backward-data (all layers but the first), backward-weight and Adam, and on
actor steps: actor forward, critic1 forward on (obs, actor(obs)), critic1 backward-data through *all* layers
(dQ/da), actor backward-data (all but first) and backward-weight, actor Adam, Polyak of the three targets.
"""

from __future__ import annotations

from collections.abc import Mapping

from accelsim.trace.formats import DENSE_FORMAT, Format
from accelsim.trace.schema import LayerDecl, NetworkDecl, TxnRow

#: Element-wise flops of one Adam update (Kingma & Ba 2015, Algorithm 1, the scalar factors precomputed per
#: step): m = b1*m + (1-b1)*g: 3; v = b2*v + (1-b2)*g*g: 4; m_hat = m/(1-b1^t): 1; v_hat = v/(1-b2^t): 1;
#: sqrt(v_hat): 1; + eps: 1; m_hat / (sqrt + eps): 1; * lr: 1; w - step: 1. Total 14.
ADAM_FLOPS_PER_ELEM = 14
#: Polyak blend of a target weight: tau*w + (1-tau)*w_target: 2 multiplies and 1 add.
POLYAK_FLOPS_PER_ELEM = 3


def td3_networks(obs_dim: int, act_dim: int, hidden: tuple[int, ...] = (256, 256)) -> dict[str, list[tuple[int, int]]]:
    """Layer shapes [(out, in), ...] of TD3's actor and critic (targets share them)."""
    def mlp(n_in: int, n_out: int) -> list[tuple[int, int]]:
        dims = [n_in, *hidden, n_out]
        return [(dims[i + 1], dims[i]) for i in range(len(dims) - 1)]

    actor = mlp(obs_dim, act_dim)
    critic = mlp(obs_dim + act_dim, 1)
    return {"actor": actor, "critic1": critic, "critic2": critic,
            "actor_target": actor, "critic1_target": critic, "critic2_target": critic}


def td3_declaration(shapes: Mapping[str, list[tuple[int, int]]]) -> tuple[NetworkDecl, ...]:
    """TD3's networks declared for schema version 2, in version 1's order: the online networks, their targets
    and the replay batch (a data source). A trace written with it simulates as its version-1 form does."""
    def layers(net: str) -> tuple[LayerDecl, ...]:
        return tuple(LayerDecl(index=l, name=f"l{l}", kind="linear", rows=o, cols=i)
                     for l, (o, i) in enumerate(shapes[net]))

    nets = [NetworkDecl(name=n, role="target" if n != online_of(n) else "online",
                        target_of=online_of(n) if n != online_of(n) else "", layers=layers(n))
            for n in ("actor", "critic1", "critic2", "actor_target", "critic1_target", "critic2_target")]
    return (*nets, NetworkDecl(name="replay", role="data"))


def online_of(net: str) -> str:
    return net.removesuffix("_target")


def td3_step_rows(shapes: Mapping[str, list[tuple[int, int]]], fmt: Mapping[tuple[str, int], Format],
                  batch: int, obs_dim: int, act_dim: int, actor_update: bool, dtype: str = "fp32",
                  act_batch: int = 1) -> list[TxnRow]:
    """The ordered transactions of one TD3 gradient step.

    Args:
        shapes: :func:`td3_networks` output.
        fmt: (online network, layer) → its :class:`~accelsim.trace.formats.Format`; targets use their online
            network's format (online masks are re-applied to the targets). Missing entries are dense.
        batch: replay batch size B.
        actor_update: whether this step updates the actor and the targets (every policy-delay steps).
        act_batch: batch of the act-step forward (1: one env step).
    """
    rows: list[TxnRow] = []

    def weight(net: str, l: int, tensor: str, phase: str, direction: str, mkn=(0, 0, 0), transposed=False,
               flops=0) -> None:
        out_f, in_f = shapes[net][l]
        f = fmt.get((online_of(net), l), DENSE_FORMAT).resolved(out_f, in_f)
        sv, _ = f.resolve(out_f, in_f)
        rows.append(TxnRow(network=net, layer=l, tensor=tensor, phase=phase, direction=direction, gemm_m=mkn[0],
                           gemm_k=mkn[1], gemm_n=mkn[2], transposed=transposed, rows=out_f, cols=in_f, dtype=dtype,
                           format=f, stored_values=sv, bias_values=out_f, vector_flops=flops))

    def act(net: str, l: int, phase: str, direction: str, m: int, n: int) -> None:
        rows.append(TxnRow(network=net, layer=l, tensor="activation", phase=phase, direction=direction, rows=m,
                           cols=n, dtype=dtype, format=Format(nnz_units=m * n), stored_values=m * n))

    def forward(net: str, b: int, phase: str = "forward") -> None:
        for l, (o, i) in enumerate(shapes[net]):
            weight(net, l, "weight", phase, "read", (b, i, o))
            act(net, l, phase, "write", b, o)

    def backward(net: str, include_first: bool, weight_grads: bool) -> None:
        layers = list(enumerate(shapes[net]))
        for l, (o, i) in reversed(layers):
            act(net, l, "backward_data" if (l > 0 or include_first) else "backward_weight", "read", batch, i)
            if l > 0 or include_first:
                weight(net, l, "weight", "backward_data", "read", (batch, o, i), transposed=True)
                act(net, l, "backward_data", "write", batch, i)
            if weight_grads:
                weight(net, l, "grad", "backward_weight", "write", (o, batch, i))

    def adam(net: str) -> None:
        for l, (o, i) in enumerate(shapes[net]):
            for t in ("weight", "grad", "adam_m", "adam_v"):
                weight(net, l, t, "update", "read")
            weight(net, l, "weight", "update", "write", flops=ADAM_FLOPS_PER_ELEM * (o * i + o))
            weight(net, l, "adam_m", "update", "write")
            weight(net, l, "adam_v", "update", "write")

    # 1. act: one env step's actor forward.
    forward("actor", act_batch, "act")
    # 2. replay batch: obs, action, reward, next obs, done.
    width = 2 * obs_dim + act_dim + 2
    rows.append(TxnRow(network="replay", layer=-1, tensor="replay_batch", phase="replay", direction="read",
                       rows=batch, cols=width, dtype=dtype, format=Format(nnz_units=batch * width),
                       stored_values=batch * width))
    # 3. targets.
    for net in ("actor_target", "critic1_target", "critic2_target"):
        forward(net, batch)
    # 4. critics.
    for net in ("critic1", "critic2"):
        forward(net, batch)
        backward(net, include_first=False, weight_grads=True)
        adam(net)
    # 5. actor and targets.
    if actor_update:
        forward("actor", batch)
        forward("critic1", batch)
        backward("critic1", include_first=True, weight_grads=False)
        backward("actor", include_first=False, weight_grads=True)
        adam("actor")
        for net in ("actor_target", "critic1_target", "critic2_target"):
            for l, (o, i) in enumerate(shapes[net]):
                weight(online_of(net), l, "weight", "polyak", "read")
                weight(net, l, "weight", "polyak", "read")
                weight(net, l, "weight", "polyak", "write", flops=POLYAK_FLOPS_PER_ELEM * (o * i + o))
    return rows
