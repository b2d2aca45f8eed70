"""SAC on a Gymnasium MuJoCo env, in the structure of CleanRL's ``sac_continuous_action.py`` (one file; two Q
networks and their Polyak-averaged targets, a squashed-Gaussian actor, entropy temperature autotuned, Adam).
Written as ordinary user code: nothing here knows about accelsim. Optional magnitude pruning with
``torch.nn.utils.prune``: ``--prune-amount 0.8`` prunes every Linear layer of the actor and both Q networks
(L1, unstructured) along Zhu & Gupta's cubic schedule from ``--prune-start`` to ``--prune-end`` (fractions of
the run), every ``--prune-every`` steps.

    python examples/sac_continuous_action.py --total-timesteps 100000 --seed 0
    python examples/sac_continuous_action.py --total-timesteps 100000 --seed 0 --prune-amount 0.8
    accelsim capture --out runs/sac -- python examples/sac_continuous_action.py --total-timesteps 100000

Shapes: observations [B, obs_dim], actions [B, act_dim] in the env's bounds; Q networks (obs ++ act) → 256 →
256 → 1; the actor obs → 256 → 256 → (mean [act_dim], log_std [act_dim]). Defaults are CleanRL's (batch 256,
lr 3e-4 / 1e-3, gamma 0.99, tau 0.005, policy frequency 2, learning starts 5,000 env steps).
"""

from __future__ import annotations

import argparse
import random
import time

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.nn.utils import prune


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--env-id", default="HalfCheetah-v5")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--total-timesteps", type=int, default=1_000_000)
    p.add_argument("--buffer-size", type=int, default=1_000_000)
    p.add_argument("--gamma", type=float, default=0.99)
    p.add_argument("--tau", type=float, default=0.005)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--learning-starts", type=int, default=5_000)
    p.add_argument("--policy-lr", type=float, default=3e-4)
    p.add_argument("--q-lr", type=float, default=1e-3)
    p.add_argument("--policy-frequency", type=int, default=2)
    p.add_argument("--target-network-frequency", type=int, default=1)
    p.add_argument("--alpha", type=float, default=0.2)
    p.add_argument("--autotune", type=int, default=1, help="1: tune the entropy temperature")
    p.add_argument("--prune-amount", type=float, default=0.0, help="final fraction of weights pruned (0: dense)")
    p.add_argument("--prune-start", type=float, default=0.2, help="pruning starts at this fraction of the run")
    p.add_argument("--prune-end", type=float, default=0.8, help="and reaches --prune-amount at this fraction")
    p.add_argument("--prune-every", type=int, default=1_000, help="env steps between pruning steps")
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    return p.parse_args()


class SoftQNetwork(nn.Module):
    """Q(s, a): [B, obs_dim] × [B, act_dim] → [B, 1]."""

    def __init__(self, obs_dim: int, act_dim: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(obs_dim + act_dim, 256)
        self.fc2 = nn.Linear(256, 256)
        self.fc3 = nn.Linear(256, 1)

    def forward(self, x: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        x = torch.cat([x, a], 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


LOG_STD_MAX = 2
LOG_STD_MIN = -5


class Actor(nn.Module):
    """The squashed-Gaussian policy: [B, obs_dim] → (mean, log_std), each [B, act_dim]."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__()
        obs_dim = int(np.prod(env.observation_space.shape))
        act_dim = int(np.prod(env.action_space.shape))
        self.fc1 = nn.Linear(obs_dim, 256)
        self.fc2 = nn.Linear(256, 256)
        self.fc_mean = nn.Linear(256, act_dim)
        self.fc_logstd = nn.Linear(256, act_dim)
        high, low = env.action_space.high, env.action_space.low
        self.register_buffer("action_scale", torch.tensor((high - low) / 2.0, dtype=torch.float32))
        self.register_buffer("action_bias", torch.tensor((high + low) / 2.0, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        mean = self.fc_mean(x)
        log_std = torch.tanh(self.fc_logstd(x))
        log_std = LOG_STD_MIN + 0.5 * (LOG_STD_MAX - LOG_STD_MIN) * (log_std + 1)
        return mean, log_std

    def get_action(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(action [B, act_dim], log-probability [B, 1], deterministic action [B, act_dim])."""
        mean, log_std = self(x)
        std = log_std.exp()
        normal = torch.distributions.Normal(mean, std)
        x_t = normal.rsample()
        y_t = torch.tanh(x_t)
        action = y_t * self.action_scale + self.action_bias
        log_prob = normal.log_prob(x_t)
        log_prob -= torch.log(self.action_scale * (1 - y_t.pow(2)) + 1e-6)
        log_prob = log_prob.sum(1, keepdim=True)
        mean = torch.tanh(mean) * self.action_scale + self.action_bias
        return action, log_prob, mean


class ReplayBuffer:
    """A ring buffer of transitions (numpy, float32)."""

    def __init__(self, size: int, obs_dim: int, act_dim: int) -> None:
        self.obs = np.zeros((size, obs_dim), np.float32)
        self.next_obs = np.zeros((size, obs_dim), np.float32)
        self.actions = np.zeros((size, act_dim), np.float32)
        self.rewards = np.zeros((size, 1), np.float32)
        self.dones = np.zeros((size, 1), np.float32)
        self.size, self.pos, self.full = size, 0, False

    def add(self, obs, next_obs, action, reward, done) -> None:
        i = self.pos
        self.obs[i], self.next_obs[i], self.actions[i] = obs, next_obs, action
        self.rewards[i], self.dones[i] = reward, done
        self.pos = (i + 1) % self.size
        self.full = self.full or self.pos == 0

    def sample(self, batch: int, rng: np.random.Generator) -> tuple[torch.Tensor, ...]:
        idx = rng.integers(0, self.size if self.full else self.pos, batch)
        return tuple(torch.as_tensor(a[idx]) for a in (self.obs, self.actions, self.next_obs, self.rewards,
                                                       self.dones))


def prunable(*nets: nn.Module) -> list[nn.Linear]:
    return [m for net in nets for m in net.modules() if isinstance(m, nn.Linear)]


def prune_to(layers: list[nn.Linear], sparsity: float) -> None:
    """Prune each layer (L1 magnitude, unstructured) until ``sparsity`` of its weights are zero."""
    for m in layers:
        have = float((m.weight_mask == 0).float().mean()) if hasattr(m, "weight_mask") else 0.0
        if sparsity <= have:
            continue
        amount = round((sparsity - have) * m.weight.numel())
        prune.l1_unstructured(m, "weight", amount=amount)


def polyak(net: nn.Module, target: nn.Module, tau: float) -> None:
    """target ← tau·net + (1 − tau)·target, by parameter name (a pruned ``weight_orig`` feeds ``weight``)."""
    src = {n.replace("_orig", ""): p for n, p in net.named_parameters()}
    for n, tp in target.named_parameters():
        tp.data.copy_(tau * src[n].data + (1 - tau) * tp.data)


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    env = gym.wrappers.RecordEpisodeStatistics(gym.make(args.env_id))
    env.action_space.seed(args.seed)
    obs_dim = int(np.prod(env.observation_space.shape))
    act_dim = int(np.prod(env.action_space.shape))

    actor = Actor(env)
    qf1 = SoftQNetwork(obs_dim, act_dim)
    qf2 = SoftQNetwork(obs_dim, act_dim)
    qf1_target = SoftQNetwork(obs_dim, act_dim)
    qf2_target = SoftQNetwork(obs_dim, act_dim)
    qf1_target.load_state_dict(qf1.state_dict())
    qf2_target.load_state_dict(qf2.state_dict())
    q_optimizer = optim.Adam(list(qf1.parameters()) + list(qf2.parameters()), lr=args.q_lr)
    actor_optimizer = optim.Adam(list(actor.parameters()), lr=args.policy_lr)

    if args.autotune:
        target_entropy = -float(act_dim)
        log_alpha = torch.zeros(1, requires_grad=True)
        alpha = log_alpha.exp().item()
        a_optimizer = optim.Adam([log_alpha], lr=args.q_lr)
    else:
        alpha = args.alpha

    rb = ReplayBuffer(min(args.buffer_size, args.total_timesteps), obs_dim, act_dim)
    layers = prunable(actor, qf1, qf2) if args.prune_amount > 0 else []
    p0, p1 = args.prune_start * args.total_timesteps, args.prune_end * args.total_timesteps
    start_time = time.time()
    returns: list[float] = []

    obs, _ = env.reset(seed=args.seed)
    for global_step in range(args.total_timesteps):
        if global_step < args.learning_starts:
            action = env.action_space.sample()
        else:
            action, _, _ = actor.get_action(torch.as_tensor(obs, dtype=torch.float32)[None])
            action = action.detach().numpy()[0]
        next_obs, reward, terminated, truncated, info = env.step(action)
        if "episode" in info:
            returns.append(float(info["episode"]["r"]))
        rb.add(obs, next_obs, action, reward, terminated)
        obs = next_obs
        if terminated or truncated:
            obs, _ = env.reset()

        if layers and global_step % args.prune_every == 0 and p0 <= global_step:
            frac = min(1.0, (global_step - p0) / max(1.0, p1 - p0))
            prune_to(layers, args.prune_amount * (1 - (1 - frac) ** 3))

        if global_step > args.learning_starts:
            obs_b, act_b, next_obs_b, rew_b, done_b = rb.sample(args.batch_size, rng)
            with torch.no_grad():
                next_state_actions, next_state_log_pi, _ = actor.get_action(next_obs_b)
                qf1_next_target = qf1_target(next_obs_b, next_state_actions)
                qf2_next_target = qf2_target(next_obs_b, next_state_actions)
                min_qf_next_target = torch.min(qf1_next_target, qf2_next_target) - alpha * next_state_log_pi
                next_q_value = rew_b.flatten() + (1 - done_b.flatten()) * args.gamma * min_qf_next_target.view(-1)

            qf1_a_values = qf1(obs_b, act_b).view(-1)
            qf2_a_values = qf2(obs_b, act_b).view(-1)
            qf_loss = F.mse_loss(qf1_a_values, next_q_value) + F.mse_loss(qf2_a_values, next_q_value)
            q_optimizer.zero_grad()
            qf_loss.backward()
            q_optimizer.step()

            if global_step % args.policy_frequency == 0:  # TD3-style delayed update, compensated
                for _ in range(args.policy_frequency):
                    pi, log_pi, _ = actor.get_action(obs_b)
                    min_qf_pi = torch.min(qf1(obs_b, pi), qf2(obs_b, pi))
                    actor_loss = ((alpha * log_pi) - min_qf_pi).mean()
                    actor_optimizer.zero_grad()
                    actor_loss.backward()
                    actor_optimizer.step()
                    if args.autotune:
                        with torch.no_grad():
                            _, log_pi, _ = actor.get_action(obs_b)
                        alpha_loss = (-log_alpha.exp() * (log_pi + target_entropy)).mean()
                        a_optimizer.zero_grad()
                        alpha_loss.backward()
                        a_optimizer.step()
                        alpha = log_alpha.exp().item()

            if global_step % args.target_network_frequency == 0:
                polyak(qf1, qf1_target, args.tau)
                polyak(qf2, qf2_target, args.tau)

        if (global_step + 1) % 10_000 == 0:
            recent = np.mean(returns[-5:]) if returns else float("nan")
            sps = int((global_step + 1) / (time.time() - start_time))
            print(f"step {global_step + 1}: return {recent:.1f}, alpha {alpha:.3f}, SPS {sps}", flush=True)
    env.close()
    recent = np.mean(returns[-5:]) if returns else float("nan")
    print(f"done: {args.total_timesteps} steps in {time.time() - start_time:.1f} s, last returns {recent:.1f}")


if __name__ == "__main__":
    main()
