"""TD3 (Fujimoto et al. 2018) with compressible layers: a small agent with ``train()``, as in ``TD3.py``."""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch.nn import functional as F

from gst_train.config import TrainConfig
from gst_train.networks import Actor, Critic
from gst_train.replay import ReplayBuffer


class TD3:
    """Actor, two critics (separate modules, one optimizer, as the reference's twin critic) and targets."""

    def __init__(self, cfg: TrainConfig, obs_dim: int, act_dim: int, max_action: float) -> None:
        h = cfg.hidden_sizes
        self.cfg = cfg
        self.actor = Actor(obs_dim, act_dim, h, max_action)
        self.critic1 = Critic(obs_dim, act_dim, h)
        self.critic2 = Critic(obs_dim, act_dim, h)
        self.actor_target = copy.deepcopy(self.actor)
        self.critic1_target = copy.deepcopy(self.critic1)
        self.critic2_target = copy.deepcopy(self.critic2)
        self.max_action = max_action
        self.total_it = 0
        self.actor_opt: torch.optim.Optimizer | None = None
        self.critic_opt: torch.optim.Optimizer | None = None

    def make_optimizers(self) -> None:
        """Adam over every parameter (BC vectors and dense weights alike; unused ones get no gradient)."""
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=self.cfg.lr)
        self.critic_opt = torch.optim.Adam([*self.critic1.parameters(), *self.critic2.parameters()], lr=self.cfg.lr)

    def online_layers(self) -> dict[str, list]:
        return {"actor": list(self.actor.layers), "critic1": list(self.critic1.layers),
                "critic2": list(self.critic2.layers)}

    def target_layers(self) -> dict[str, list]:
        return {"actor": list(self.actor_target.layers), "critic1": list(self.critic1_target.layers),
                "critic2": list(self.critic2_target.layers)}

    @torch.no_grad()
    def act(self, obs: np.ndarray) -> np.ndarray:
        return self.actor(torch.as_tensor(obs, dtype=torch.float32).unsqueeze(0)).squeeze(0).numpy()

    def train(self, buf: ReplayBuffer, rng: np.random.Generator) -> bool:
        """One gradient update; returns whether the actor and targets were updated (every policy_delay)."""
        cfg = self.cfg
        self.total_it += 1
        obs, action, next_obs, reward, not_done = buf.sample(rng, cfg.batch_size)
        with torch.no_grad():
            noise = (torch.randn_like(action) * cfg.policy_noise * self.max_action).clamp(
                -cfg.noise_clip * self.max_action, cfg.noise_clip * self.max_action)
            next_action = (self.actor_target(next_obs) + noise).clamp(-self.max_action, self.max_action)
            tq = torch.min(self.critic1_target(next_obs, next_action), self.critic2_target(next_obs, next_action))
            tq = reward + not_done * cfg.discount * tq
        q1 = self.critic1(obs, action)
        q2 = self.critic2(obs, action)
        critic_loss = F.mse_loss(q1, tq) + F.mse_loss(q2, tq)
        self.critic_opt.zero_grad(set_to_none=True)
        critic_loss.backward()
        self.critic_opt.step()
        self.critic1.net.invalidate()
        self.critic2.net.invalidate()
        if self.total_it % cfg.policy_delay:
            return False
        actor_loss = -self.critic1(obs, self.actor(obs)).mean()
        self.actor_opt.zero_grad(set_to_none=True)
        # Only the actor's gradients: back-propagation runs through critic1 (dQ/da, backward-data) but skips
        # critic1's weight gradients, which the actor update does not use (the trace's step does the same).
        actor_loss.backward(inputs=[p for layer in self.actor.layers for p in layer.active_params()])
        self.actor_opt.step()
        self.actor.net.invalidate()
        self.polyak()
        return True

    @torch.no_grad()
    def polyak(self) -> None:
        """target ← τ·online + (1 − τ)·target over the parameters the forward pass uses.

        Masked targets stay exactly masked: pruned online and target weights are both zero.
        """
        tau = self.cfg.tau
        for on, tg in ((self.actor, self.actor_target), (self.critic1, self.critic1_target),
                       (self.critic2, self.critic2_target)):
            src = [p for layer in on.layers for p in layer.active_params()]
            dst = [p for layer in tg.layers for p in layer.active_params()]
            torch._foreach_lerp_(dst, src, tau)
            tg.net.invalidate()

    # -- checkpoint
    def state_dict(self) -> dict:
        nets = ("actor", "critic1", "critic2", "actor_target", "critic1_target", "critic2_target")
        return {
            "nets": {n: getattr(self, n).state_dict() for n in nets},
            "structure": {n: [layer.structure() for layer in getattr(self, n).layers] for n in nets},
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
        self.make_optimizers()
        self.actor_opt.load_state_dict(d["actor_opt"])
        self.critic_opt.load_state_dict(d["critic_opt"])
        self.total_it = d["total_it"]
