"""TD3 (Fujimoto et al. 2018) with compressible layers: a small agent with ``train()``, as in ``TD3.py``.

One gradient update, top to bottom (:meth:`TD3.train`):

1. sample a batch and the target-policy smoothing noise;
2. critics: target Q from the target actor and both target critics, then the twin critics' forward,
   MSE gradient and backward as one batched GEMM per layer (:mod:`gst_train.mlp`), Adam;
3. every ``policy_delay`` updates: the actor's forward, critic1's forward and backward-data (dQ/da, no
   critic weight gradients), the actor's backward, Adam; then the Polyak update of the three targets.

The forward and backward passes are written by hand (no autograd graph): ``tests/test_td3_fused.py`` checks
them against the autograd reference in :mod:`gst_train.td3_reference` on dense, masked and block-circulant
layers. The agent is built in one phase: every parameter a layer may ever use (dense weight, BC vectors,
bias) exists from the start, so the optimizers built here stay valid through every mode switch.
"""

from __future__ import annotations

import copy

import numpy as np
import torch

from gst_train import mlp
from gst_train.adam import LeanAdam
from gst_train.config import TrainConfig
from gst_train.layers import stack_storage, stacked_biases, stacked_set_grad, stacked_weights
from gst_train.networks import Actor, Critic
from gst_train.replay import Batch, ReplayBuffer

NETWORKS = ("actor", "critic1", "critic2", "actor_target", "critic1_target", "critic2_target")


def _adam(params, lr: float) -> torch.optim.Adam:
    # torch's fused Adam kernel, one call per step (parameters without a gradient are skipped).
    return LeanAdam(params, lr=lr)


class TD3:
    """Actor, two critics (one optimizer, as the reference's twin critic) and their targets."""

    def __init__(self, cfg: TrainConfig, obs_dim: int, act_dim: int, max_action: float) -> None:
        h, blk = cfg.hidden_sizes, cfg.block_size
        self.cfg = cfg
        self.obs_dim = obs_dim
        self.actor = Actor(obs_dim, act_dim, h, max_action, blk)
        self.critic1 = Critic(obs_dim, act_dim, h, blk)
        self.critic2 = Critic(obs_dim, act_dim, h, blk)
        self.actor_target = copy.deepcopy(self.actor)
        self.critic1_target = copy.deepcopy(self.critic1)
        self.critic2_target = copy.deepcopy(self.critic2)
        # The twin critics (and their targets) keep each layer's dense weights and biases in one [2, ...]
        # storage, which their batched GEMMs read without stacking copies (gst_train.layers.stack_storage).
        for pair in ((self.critic1, self.critic2), (self.critic1_target, self.critic2_target)):
            for layers in zip(*(c.layers for c in pair), strict=True):
                stack_storage(layers)
        self.max_action = max_action
        self.total_it = 0
        self.actor_opt = _adam(self.actor.parameters(), cfg.lr)
        self.critic_opt = _adam([*self.critic1.parameters(), *self.critic2.parameters()], cfg.lr)
        self._target_weights: dict[tuple[str, ...], tuple[list, list]] = {}

    def online_layers(self) -> dict[str, list]:
        return {"actor": list(self.actor.layers), "critic1": list(self.critic1.layers),
                "critic2": list(self.critic2.layers)}

    def target_layers(self) -> dict[str, list]:
        return {"actor": list(self.actor_target.layers), "critic1": list(self.critic1_target.layers),
                "critic2": list(self.critic2_target.layers)}

    def optimizers(self) -> list[torch.optim.Optimizer]:
        return [self.actor_opt, self.critic_opt]

    def structure_changed(self) -> None:
        """Forget cached weights and stale gradients after a mode or mask change (called by the compressor).

        A parameter that has just become inactive (BC vectors after a switch to group-sparse) must not be
        stepped again with its last gradient; active ones get a new gradient at every update.
        """
        self.drop_caches()
        for opt in self.optimizers():
            opt.zero_grad(set_to_none=True)

    def drop_caches(self) -> None:
        """Forget every cached expansion, so the next use re-expands the stored BC vectors.

        :meth:`polyak` moves expanded target weights in place (see there). Where a CPU's vector and scalar
        lerp round differently, that may drift from a fresh expansion by accumulated rounding (not seen here:
        bit-identical after thousands of steps); the loop calls this after each checkpoint, so a run resumed
        from that checkpoint (which starts with no caches) continues exactly as the uninterrupted run.
        """
        for n in NETWORKS:
            getattr(self, n).net.invalidate()
        self._target_weights.clear()

    # ------------------------------------------------------------------ weights for gst_train.mlp
    def _weights(self, names: tuple[str, ...]) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Effective weights [G, out, in] and biases [G, out] per layer of the networks ``names`` (G of them)."""
        nets = [getattr(self, n) for n in names]
        W, b = [], []
        for layers in zip(*(net.layers for net in nets), strict=True):
            W.append(stacked_weights(layers))
            b.append(stacked_biases(layers))
        return W, b

    def _target(self, names: tuple[str, ...]) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """As :meth:`_weights`, cached until the next Polyak update (targets move only there)."""
        if names not in self._target_weights:
            self._target_weights[names] = self._weights(names)
        return self._target_weights[names]

    @staticmethod
    def _set_grads(nets, dW: list[torch.Tensor], db: list[torch.Tensor]) -> None:
        for layers, w, b in zip(zip(*(net.layers for net in nets), strict=True), dW, db, strict=True):
            stacked_set_grad(layers, w, b)

    # ------------------------------------------------------------------ acting and training
    @torch.no_grad()
    def act(self, obs: np.ndarray) -> np.ndarray:
        """The deterministic action for one observation [obs_dim] (matrix-vector products, once per env step)."""
        x = torch.as_tensor(obs, dtype=torch.float32)
        last = len(self.actor.layers) - 1
        for l, layer in enumerate(self.actor.layers):
            x = torch.addmv(layer.bias, layer.effective_weight(), x)
            if l < last:
                x.relu_()
        return (self.max_action * torch.tanh(x)).numpy()

    def sample_noise(self, action: torch.Tensor) -> torch.Tensor:
        """Target policy smoothing noise [B, act_dim], clipped (torch's global RNG)."""
        cfg, ma = self.cfg, self.max_action
        return (torch.randn_like(action) * cfg.policy_noise * ma).clamp(-cfg.noise_clip * ma, cfg.noise_clip * ma)

    def train(self, buf: ReplayBuffer, rng: np.random.Generator) -> bool:
        """One gradient update; returns whether the actor and targets were updated (every policy_delay)."""
        self.total_it += 1
        batch = buf.sample(rng, self.cfg.batch_size)
        self.update_critics(batch, self.sample_noise(batch.action))
        if self.total_it % self.cfg.policy_delay:
            return False
        self.update_actor(batch.obs)
        self.polyak()
        return True

    @torch.no_grad()
    def update_critics(self, batch: Batch, noise: torch.Tensor) -> None:
        """Twin critics toward r + γ·min(Q1', Q2')(s', clip(π'(s') + noise)); loss MSE(Q1) + MSE(Q2)."""
        obs, action, next_obs, reward, not_done = batch
        ma, B = self.max_action, obs.shape[0]
        a_next, _ = mlp.forward(*self._target(("actor_target",)), next_obs, keep=False)
        a_next = (ma * torch.tanh(a_next[0]) + noise).clamp_(-ma, ma)
        q_next, _ = mlp.forward(*self._target(("critic1_target", "critic2_target")),
                                torch.cat([next_obs, a_next], 1), keep=False)
        tq = reward + not_done * self.cfg.discount * torch.minimum(q_next[0], q_next[1])  # [B, 1]
        W, b = self._weights(("critic1", "critic2"))
        q, tape = mlp.forward(W, b, torch.cat([obs, action], 1))  # [2, B, 1]
        dW, db, _ = mlp.backward(W, tape, (q - tq).mul_(2.0 / B))  # d/dq of mean((q − tq)²), per critic
        self._set_grads((self.critic1, self.critic2), dW, db)
        self.critic_opt.apply()  # every active parameter's gradient is set anew next time (no zero_grad)
        self.critic1.net.invalidate()
        self.critic2.net.invalidate()

    @torch.no_grad()
    def update_actor(self, obs: torch.Tensor) -> None:
        """Actor toward argmax Q1: loss −mean Q1(s, π(s)); back-propagation through critic1 by data only."""
        ma, B = self.max_action, obs.shape[0]
        Wa, ba = self._weights(("actor",))
        pre, atape = mlp.forward(Wa, ba, obs)
        t = torch.tanh(pre)
        # Both critics' weights (one batched expansion where they are BC: Polyak needs critic2's next), critic1's
        # slice used.
        W2, b2 = self._weights(("critic1", "critic2"))
        Wc, bc = [w[:1] for w in W2], [b[:1] for b in b2]
        q, ctape = mlp.forward(Wc, bc, torch.cat([obs, ma * t[0]], 1))
        _, _, da = mlp.backward(Wc, ctape, torch.full_like(q, -1.0 / B), need_weight_grads=False,
                                need_input_grad=True, input_from=self.obs_dim)  # dQ/da only
        d_pre = da * ma * (1.0 - t * t)  # through a = max·tanh(pre)
        dW, db, _ = mlp.backward(Wa, atape, d_pre)
        self._set_grads((self.actor,), dW, db)
        self.actor_opt.apply()
        self.actor.net.invalidate()

    @torch.no_grad()
    def polyak(self) -> None:
        """target ← τ·online + (1 − τ)·target over the parameters the forward pass uses.

        Masked targets stay exactly masked: pruned online and target weights are both zero. A block-circulant
        target with a cached expansion has that expansion moved by the same lerp, from the online layer's
        expansion, instead of being re-expanded from its vectors: the expansion is linear (it copies vector
        entries), so both give the same weights, and the online expansion is needed anyway (acting, the next
        update). That halves GST's expansions per update (each costs about as much as a 256x256 copy done
        ten times over; benchmarks/bench_train.py).
        """
        tau = self.cfg.tau
        for on, tg in ((self.actor, self.actor_target), (self.critic1, self.critic1_target),
                       (self.critic2, self.critic2_target)):
            src, dst = [], []
            for lo, lt in zip(on.layers, tg.layers, strict=True):
                src += lo.active_params()
                dst += lt.active_params()
                if lt.cached_expansion is not None:
                    src.append(lo.effective_weight())  # cached by the layer for its next use
                    dst.append(lt.cached_expansion)
            torch._foreach_lerp_(dst, src, tau)
        # Stacked copies of mixed-mode twins go stale; shared storages and BC caches moved in place.
        self._target_weights.clear()

    # -- checkpoint
    def state_dict(self) -> dict:
        return {
            "nets": {n: getattr(self, n).state_dict() for n in NETWORKS},
            "structure": {n: [layer.structure() for layer in getattr(self, n).layers] for n in NETWORKS},
            "actor_opt": self.actor_opt.state_dict(),
            "critic_opt": self.critic_opt.state_dict(),
            "total_it": self.total_it,
        }

    def load_state_dict(self, d: dict) -> None:
        for n, layers in d["structure"].items():
            for layer, s in zip(getattr(self, n).layers, layers, strict=True):
                layer.load_structure(s)
        for n, sd in d["nets"].items():
            getattr(self, n).load_state_dict(sd)
        self.actor_opt.load_state_dict(d["actor_opt"])
        self.critic_opt.load_state_dict(d["critic_opt"])
        self.total_it = d["total_it"]
        self.structure_changed()
