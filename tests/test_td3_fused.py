"""The hand-written, batched TD3 update equals the autograd reference, on every layer mode.

Two agents start from the same parameters and optimizer state; one updates with gst_train.td3 (gst_train.mlp:
twin critics as batched GEMMs, backward written out), the other with gst_train.td3_reference (autograd through
the modules). Same batch and noise in, the same parameters and Adam moments out, to float32 rounding.
"""

import copy

import numpy as np
import pytest
import torch

from gst_train import masks as M
from gst_train import td3_reference
from gst_train.config import TrainConfig
from gst_train.replay import ReplayBuffer
from gst_train.td3 import NETWORKS, TD3


def _agent(modes: dict[tuple[str, int], str]) -> TD3:
    torch.manual_seed(0)
    cfg = TrainConfig(hidden="32,24", batch_size=64, block_size=4)
    ag = TD3(cfg, 7, 3, 2.0)
    online, targets = ag.online_layers(), ag.target_layers()
    for (net, l), mode in modes.items():
        for layer in (online[net][l], targets[net][l]):
            if mode in ("bc", "bc_masked"):
                layer.to_bc(4)
        with torch.no_grad():
            if mode in ("bc", "bc_masked"):
                targets[net][l].bc_vec.copy_(online[net][l].bc_vec)
        if mode in ("masked", "bc_masked"):
            on = online[net][l]
            if mode == "bc_masked":
                on.bc_to_masked()
                targets[net][l].bc_to_masked()
            mask = M.group_mask(on.dense_weight().detach(), 1, 4, 0.5)
            on.set_mask(mask)
            targets[net][l].set_mask(mask)
    ag.structure_changed()
    return ag


def _buffer() -> ReplayBuffer:
    rng = np.random.default_rng(1)
    buf = ReplayBuffer(7, 3, 400)
    for _ in range(400):
        buf.add(rng.normal(size=7), rng.uniform(-2, 2, size=3), rng.normal(size=7), float(rng.normal()),
                bool(rng.random() < 0.05))
    return buf


MODES = {
    "dense": {},
    "bc everywhere": {(n, l): "bc" for n in ("actor", "critic1", "critic2") for l in range(2)},
    "masked everywhere": {(n, l): "masked" for n in ("actor", "critic1", "critic2") for l in range(3)},
    # Twin critics in different modes on the same layer (GST switches layers one at a time).
    "mixed twins": {("critic1", 0): "bc", ("critic2", 0): "masked", ("critic1", 1): "bc_masked",
                    ("critic2", 1): "bc", ("actor", 0): "bc", ("actor", 1): "masked"},
}


@pytest.mark.parametrize("case", list(MODES))
def test_fused_update_equals_autograd(case):
    fast = _agent(MODES[case])
    ref = copy.deepcopy(fast)
    ref.actor_opt = torch.optim.Adam(ref.actor.parameters(), lr=fast.cfg.lr)
    ref.critic_opt = torch.optim.Adam([*ref.critic1.parameters(), *ref.critic2.parameters()], lr=fast.cfg.lr)
    buf, rng = _buffer(), np.random.default_rng(2)
    for it in range(1, 7):
        batch = buf.sample(rng, 64)
        noise = fast.sample_noise(batch.action)
        fast.update_critics(batch, noise)
        td3_reference.update_critics(ref, batch, noise)
        if it % 2 == 0:
            fast.update_actor(batch.obs)
            td3_reference.update_actor(ref, batch.obs)
            fast.polyak()
            ref.polyak()
    for name in NETWORKS:
        for (k, a), (_, b) in zip(getattr(fast, name).named_parameters(), getattr(ref, name).named_parameters(),
                                  strict=True):
            assert torch.allclose(a, b, rtol=1e-4, atol=1e-6), (case, name, k, (a - b).abs().max())
    for fo, ro in ((fast.critic_opt, ref.critic_opt), (fast.actor_opt, ref.actor_opt)):
        for pf, pr in zip(fo.param_groups[0]["params"], ro.param_groups[0]["params"], strict=True):
            assert (pf in fo.state) == (pr in ro.state)  # the same parameters were trained
            if pf in fo.state:
                assert torch.allclose(fo.state[pf]["exp_avg"], ro.state[pr]["exp_avg"], rtol=1e-3, atol=1e-7)


def test_act_equals_module_forward():
    ag = _agent(MODES["mixed twins"])
    obs = np.random.default_rng(3).normal(size=7).astype(np.float32)
    with torch.no_grad():
        want = ag.actor(torch.as_tensor(obs).unsqueeze(0))[0].numpy()
    assert np.allclose(ag.act(obs), want, atol=1e-6)


def test_lean_adam_equals_torch_adam_with_late_parameters():
    from gst_train.adam import LeanAdam

    torch.manual_seed(4)
    init = [torch.randn(5, 3), torch.randn(3)]
    a = [torch.nn.Parameter(x.clone()) for x in init]
    b = [torch.nn.Parameter(x.clone()) for x in init]
    oa, ob = LeanAdam(a, lr=1e-2), torch.optim.Adam(b, lr=1e-2)
    for it in range(6):
        g = [torch.randn(5, 3), torch.randn(3)]
        for params in (a, b):
            params[0].grad = g[0].clone()
            params[1].grad = g[1].clone() if it >= 3 else None  # a parameter that starts training late
        oa.step()
        ob.step()
    for pa, pb in zip(a, b, strict=True):
        assert torch.allclose(pa, pb, atol=1e-6)
        assert float(oa.state[pa]["step"]) == float(ob.state[pb]["step"])


def test_polyak_moves_cached_target_expansions_as_their_vectors():
    """polyak() lerps a BC target's cached expansion in place; it must stay the expansion of the target's
    vectors (to float32 rounding) through many updates."""
    from gst_train.layers import expand_bc

    ag = _agent(MODES["bc everywhere"])
    buf, rng = _buffer(), np.random.default_rng(3)
    for _ in range(40):
        ag.train(buf, rng)
    lerped = 0
    for layers in ag.target_layers().values():
        for layer in layers:
            if layer.cached_expansion is not None:
                fresh = expand_bc(layer.bc_vec.detach(), layer.out_features, layer.in_features)
                assert torch.allclose(layer.cached_expansion, fresh, rtol=1e-6, atol=1e-7)
                lerped += 1
    assert lerped > 0, "no target kept a cached expansion: the in-place path was not exercised"


def test_twin_critics_share_one_storage_through_updates_masks_and_checkpoints():
    """The twin critics' weights and biases are views of one [2, ...] storage per layer, which the batched
    GEMMs read as is. An agent whose sharing a deep copy broke (it stacks copies instead) must train to the
    same parameters, and the sharing must survive updates, masks and a checkpoint round trip."""
    from gst_train.layers import shared_stack

    ag = _agent(MODES["masked everywhere"])
    unshared = copy.deepcopy(ag)
    assert shared_stack(tuple(l for l in (unshared.critic1.layers[1], unshared.critic2.layers[1]))) is None
    for agent in (ag, unshared):
        buf, rng = _buffer(), np.random.default_rng(4)
        torch.manual_seed(5)
        for _ in range(10):
            agent.train(buf, rng)
    for n in NETWORKS:
        for a, b in zip(getattr(ag, n).parameters(), getattr(unshared, n).parameters(), strict=True):
            assert torch.equal(a, b), n
    fresh = _agent(MODES["masked everywhere"])
    fresh.load_state_dict(ag.state_dict())
    for agent in (ag, fresh):
        for pair in ((agent.critic1, agent.critic2), (agent.critic1_target, agent.critic2_target)):
            for layers in zip(*(c.layers for c in pair), strict=True):
                assert shared_stack(layers) is not None


def test_drop_caches_forgets_every_expansion():
    """What the loop calls after a checkpoint: no cached expansion survives it."""
    ag = _agent(MODES["bc everywhere"])
    buf, rng = _buffer(), np.random.default_rng(6)
    for _ in range(4):
        ag.train(buf, rng)
    assert any(l.cached_expansion is not None for n in NETWORKS for l in getattr(ag, n).layers)
    ag.drop_caches()
    assert all(l.cached_expansion is None for n in NETWORKS for l in getattr(ag, n).layers)


def test_backward_input_grad_from_a_column_equals_autograd():
    """mlp.backward(input_from=k): dL/dx for the input columns k.. only (the actor's dQ/da), as autograd gives."""
    from gst_train import mlp

    g = torch.Generator().manual_seed(3)
    W = [torch.randn(2, 8, 11, generator=g), torch.randn(2, 1, 8, generator=g)]
    b = [torch.randn(2, 8, generator=g), torch.randn(2, 1, generator=g)]
    x = torch.randn(5, 11, generator=g)
    _, tape = mlp.forward(W, b, x)
    dy = torch.randn(2, 5, 1, generator=g)
    _, _, dx = mlp.backward(W, tape, dy, need_weight_grads=False, need_input_grad=True, input_from=7)
    xr = x.expand(2, 5, 11).clone().requires_grad_(True)
    h = torch.relu(torch.bmm(xr, W[0].transpose(1, 2)) + b[0].unsqueeze(1))
    (torch.bmm(h, W[1].transpose(1, 2)) + b[1].unsqueeze(1)).backward(dy)
    assert dx.shape == (2, 5, 4)
    torch.testing.assert_close(dx, xr.grad[:, :, 7:])
