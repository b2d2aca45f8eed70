"""PPO on a Gymnasium MuJoCo env, in the structure of CleanRL's ``ppo_continuous_action.py`` (one file; an agent
with a critic and a Gaussian actor of two 64-wide tanh layers each, a state-independent log-std, GAE, clipped
surrogate, one Adam over everything, minibatch epochs over each rollout). Written as ordinary user code: nothing
here knows about accelsim. Optional magnitude pruning with ``torch.nn.utils.prune``: ``--prune-amount 0.8``
prunes every Linear layer of the actor and the critic (L1, unstructured) along Zhu & Gupta's cubic schedule
from ``--prune-start`` to ``--prune-end`` (fractions of the run), before each rollout.

    python examples/ppo_continuous_action.py --total-timesteps 100000 --seed 0
    python examples/ppo_continuous_action.py --total-timesteps 100000 --seed 0 --prune-amount 0.8
    accelsim capture --out runs/ppo -- python examples/ppo_continuous_action.py --total-timesteps 100000

Shapes: observations [B, obs_dim] (normalised, clipped to ±10), actions [B, act_dim]; critic obs → 64 → 64 → 1,
actor obs → 64 → 64 → act_dim. Defaults are CleanRL's for one env (2,048 steps a rollout, 32 minibatches of 64,
10 epochs, lr 3e-4 annealed, gamma 0.99, GAE lambda 0.95, clip 0.2).
"""

from __future__ import annotations

import argparse
import random
import time

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from torch.distributions.normal import Normal
from torch.nn.utils import prune


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--env-id", default="HalfCheetah-v5")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--total-timesteps", type=int, default=1_000_000)
    p.add_argument("--learning-rate", type=float, default=3e-4)
    p.add_argument("--num-steps", type=int, default=2048, help="env steps per rollout")
    p.add_argument("--anneal-lr", type=int, default=1)
    p.add_argument("--gamma", type=float, default=0.99)
    p.add_argument("--gae-lambda", type=float, default=0.95)
    p.add_argument("--num-minibatches", type=int, default=32)
    p.add_argument("--update-epochs", type=int, default=10)
    p.add_argument("--clip-coef", type=float, default=0.2)
    p.add_argument("--ent-coef", type=float, default=0.0)
    p.add_argument("--vf-coef", type=float, default=0.5)
    p.add_argument("--max-grad-norm", type=float, default=0.5)
    p.add_argument("--prune-amount", type=float, default=0.0, help="final fraction of weights pruned (0: dense)")
    p.add_argument("--prune-start", type=float, default=0.2, help="pruning starts at this fraction of the run")
    p.add_argument("--prune-end", type=float, default=0.8, help="and reaches --prune-amount at this fraction")
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    return p.parse_args()


def make_env(env_id: str, gamma: float) -> gym.Env:
    env = gym.make(env_id)
    env = gym.wrappers.RecordEpisodeStatistics(env)
    env = gym.wrappers.ClipAction(env)
    env = gym.wrappers.NormalizeObservation(env)
    env = gym.wrappers.TransformObservation(env, lambda obs: np.clip(obs, -10, 10), env.observation_space)
    env = gym.wrappers.NormalizeReward(env, gamma=gamma)
    return gym.wrappers.TransformReward(env, lambda reward: np.clip(reward, -10, 10))


def layer_init(layer: nn.Linear, std: float = np.sqrt(2), bias_const: float = 0.0) -> nn.Linear:
    torch.nn.init.orthogonal_(layer.weight, std)
    torch.nn.init.constant_(layer.bias, bias_const)
    return layer


class Agent(nn.Module):
    """Critic [B, obs_dim] → [B, 1]; actor mean [B, obs_dim] → [B, act_dim] and a log-std [1, act_dim]."""

    def __init__(self, obs_dim: int, act_dim: int) -> None:
        super().__init__()
        self.critic = nn.Sequential(
            layer_init(nn.Linear(obs_dim, 64)), nn.Tanh(),
            layer_init(nn.Linear(64, 64)), nn.Tanh(),
            layer_init(nn.Linear(64, 1), std=1.0),
        )
        self.actor_mean = nn.Sequential(
            layer_init(nn.Linear(obs_dim, 64)), nn.Tanh(),
            layer_init(nn.Linear(64, 64)), nn.Tanh(),
            layer_init(nn.Linear(64, act_dim), std=0.01),
        )
        self.actor_logstd = nn.Parameter(torch.zeros(1, act_dim))

    def get_value(self, x: torch.Tensor) -> torch.Tensor:
        return self.critic(x)

    def get_action_and_value(self, x: torch.Tensor, action: torch.Tensor | None = None):
        """(action [B, act_dim], log-probability [B], entropy [B], value [B, 1])."""
        action_mean = self.actor_mean(x)
        action_logstd = self.actor_logstd.expand_as(action_mean)
        action_std = torch.exp(action_logstd)
        probs = Normal(action_mean, action_std)
        if action is None:
            action = probs.sample()
        return action, probs.log_prob(action).sum(1), probs.entropy().sum(1), self.critic(x)


def prune_to(layers: list[nn.Linear], sparsity: float) -> None:
    """Prune each layer (L1 magnitude, unstructured) until ``sparsity`` of its weights are zero."""
    for m in layers:
        have = float((m.weight_mask == 0).float().mean()) if hasattr(m, "weight_mask") else 0.0
        if sparsity <= have:
            continue
        prune.l1_unstructured(m, "weight", amount=round((sparsity - have) * m.weight.numel()))


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    batch_size = args.num_steps
    minibatch_size = batch_size // args.num_minibatches
    num_iterations = max(1, args.total_timesteps // batch_size)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)

    env = make_env(args.env_id, args.gamma)
    env.action_space.seed(args.seed)
    obs_dim = int(np.prod(env.observation_space.shape))
    act_dim = int(np.prod(env.action_space.shape))
    agent = Agent(obs_dim, act_dim)
    optimizer = optim.Adam(agent.parameters(), lr=args.learning_rate, eps=1e-5)
    layers = [m for m in agent.modules() if isinstance(m, nn.Linear)] if args.prune_amount > 0 else []
    p0, p1 = args.prune_start * num_iterations, args.prune_end * num_iterations

    obs = torch.zeros((args.num_steps, obs_dim))
    actions = torch.zeros((args.num_steps, act_dim))
    logprobs = torch.zeros(args.num_steps)
    rewards = torch.zeros(args.num_steps)
    dones = torch.zeros(args.num_steps)
    values = torch.zeros(args.num_steps)

    global_step = 0
    start_time = time.time()
    returns: list[float] = []
    next_obs = torch.as_tensor(env.reset(seed=args.seed)[0], dtype=torch.float32)
    next_done = torch.zeros(1)

    for iteration in range(1, num_iterations + 1):
        if args.anneal_lr:
            optimizer.param_groups[0]["lr"] = (1.0 - (iteration - 1.0) / num_iterations) * args.learning_rate
        if layers and iteration >= p0:
            frac = min(1.0, (iteration - p0) / max(1.0, p1 - p0))
            prune_to(layers, args.prune_amount * (1 - (1 - frac) ** 3))

        for step in range(args.num_steps):
            global_step += 1
            obs[step] = next_obs
            dones[step] = next_done
            with torch.no_grad():
                action, logprob, _, value = agent.get_action_and_value(next_obs[None])
                values[step] = value.flatten()
            actions[step] = action[0]
            logprobs[step] = logprob[0]
            o, reward, terminated, truncated, info = env.step(action[0].numpy())
            if "episode" in info:
                returns.append(float(info["episode"]["r"]))
            if terminated or truncated:
                o, _ = env.reset()
            rewards[step] = float(reward)
            next_obs = torch.as_tensor(o, dtype=torch.float32)
            next_done = torch.tensor([float(terminated or truncated)])

        with torch.no_grad():  # bootstrap value, GAE
            next_value = agent.get_value(next_obs[None]).reshape(1)
            advantages = torch.zeros_like(rewards)
            lastgaelam = 0.0
            for t in reversed(range(args.num_steps)):
                if t == args.num_steps - 1:
                    nextnonterminal, nextvalues = 1.0 - next_done, next_value
                else:
                    nextnonterminal, nextvalues = 1.0 - dones[t + 1], values[t + 1]
                delta = rewards[t] + args.gamma * nextvalues * nextnonterminal - values[t]
                advantages[t] = lastgaelam = delta + args.gamma * args.gae_lambda * nextnonterminal * lastgaelam
            b_returns = advantages + values

        b_inds = np.arange(batch_size)
        for _epoch in range(args.update_epochs):
            np.random.shuffle(b_inds)
            for start in range(0, batch_size, minibatch_size):
                mb = b_inds[start:start + minibatch_size]
                _, newlogprob, entropy, newvalue = agent.get_action_and_value(obs[mb], actions[mb])
                logratio = newlogprob - logprobs[mb]
                ratio = logratio.exp()
                mb_adv = advantages[mb]
                mb_adv = (mb_adv - mb_adv.mean()) / (mb_adv.std() + 1e-8)
                pg_loss = torch.max(-mb_adv * ratio,
                                    -mb_adv * torch.clamp(ratio, 1 - args.clip_coef, 1 + args.clip_coef)).mean()
                v_loss = 0.5 * ((newvalue.view(-1) - b_returns[mb]) ** 2).mean()
                loss = pg_loss - args.ent_coef * entropy.mean() + v_loss * args.vf_coef
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(agent.parameters(), args.max_grad_norm)
                optimizer.step()

        recent = np.mean(returns[-5:]) if returns else float("nan")
        sps = int(global_step / (time.time() - start_time))
        print(f"iteration {iteration}/{num_iterations}, step {global_step}: return {recent:.1f}, SPS {sps}",
              flush=True)
    env.close()


if __name__ == "__main__":
    main()
