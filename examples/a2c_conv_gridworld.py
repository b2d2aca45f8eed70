"""A small convolutional actor-critic (A2C) learning from pixels: a synthetic Gymnasium env, "reach the goal" on
a 10×10 grid seen as a 3-channel image (agent, goal, walls), 4 moves. Written as ordinary user code: nothing
here knows about accelsim. It shows convolutions in a captured trace (each an im2col GEMM). Optional magnitude
pruning with ``torch.nn.utils.prune``: ``--prune-amount 0.8`` prunes every Conv2d and Linear layer (L1,
unstructured) at ``--prune-at`` (a fraction of the run), once.

    python examples/a2c_conv_gridworld.py --total-timesteps 50000 --seed 0
    accelsim capture --out runs/a2c_conv -- python examples/a2c_conv_gridworld.py --total-timesteps 50000

Shapes: observations [B, 3, 10, 10] (float, 0/1); the network Conv2d(3→16, 3×3, pad 1) → ReLU →
Conv2d(16→32, 3×3, stride 2, pad 1) → ReLU → flatten [B, 32·5·5] → Linear(800→128) → ReLU → policy head
Linear(128→4) (logits) and value head Linear(128→1). ``--num-envs`` envs step together; an update every
``--num-steps`` steps of them (n-step returns, gamma 0.99), RMSprop as in the A2C paper (``--optimizer adam``:
Adam).
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
from torch.nn.utils import prune

SIZE = 10
MOVES = np.array([(-1, 0), (1, 0), (0, -1), (0, 1)])


class GridReach(gym.Env):
    """Reach the goal on a walled SIZE×SIZE grid; reward 1 at the goal, −0.01 a step, 50 steps at most.

    Observation: float32 [3, SIZE, SIZE] (channel 0 the agent, 1 the goal, 2 the walls); action: 0..3
    (up, down, left, right)."""

    def __init__(self) -> None:
        self.observation_space = gym.spaces.Box(0.0, 1.0, (3, SIZE, SIZE), np.float32)
        self.action_space = gym.spaces.Discrete(4)
        self.walls = np.zeros((SIZE, SIZE), bool)
        self.walls[[0, -1], :] = self.walls[:, [0, -1]] = True
        self.walls[SIZE // 2, 2:SIZE - 3] = True

    def _obs(self) -> np.ndarray:
        img = np.zeros((3, SIZE, SIZE), np.float32)
        img[0][tuple(self.pos)] = 1.0
        img[1][tuple(self.goal)] = 1.0
        img[2] = self.walls
        return img

    def _free_cell(self) -> np.ndarray:
        while True:
            cell = self.np_random.integers(1, SIZE - 1, 2)
            if not self.walls[tuple(cell)]:
                return cell

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.pos, self.goal, self.t = self._free_cell(), self._free_cell(), 0
        while (self.goal == self.pos).all():
            self.goal = self._free_cell()
        return self._obs(), {}

    def step(self, action: int):
        nxt = self.pos + MOVES[int(action)]
        if not self.walls[tuple(nxt)]:
            self.pos = nxt
        self.t += 1
        reached = bool((self.pos == self.goal).all())
        return self._obs(), (1.0 if reached else -0.01), reached, self.t >= 50, {}


class ConvActorCritic(nn.Module):
    """[B, 3, SIZE, SIZE] → (logits [B, 4], value [B, 1])."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.fc = nn.Linear(32 * (SIZE // 2) ** 2, 128)
        self.pi = nn.Linear(128, 4)
        self.v = nn.Linear(128, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.relu(self.fc(x.flatten(1)))
        return self.pi(x), self.v(x)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--total-timesteps", type=int, default=200_000, help="env steps, all envs together")
    p.add_argument("--num-envs", type=int, default=8)
    p.add_argument("--num-steps", type=int, default=5)
    p.add_argument("--gamma", type=float, default=0.99)
    p.add_argument("--lr", type=float, default=7e-4)
    p.add_argument("--ent-coef", type=float, default=0.01)
    p.add_argument("--vf-coef", type=float, default=0.5)
    p.add_argument("--optimizer", choices=("rmsprop", "adam"), default="rmsprop")
    p.add_argument("--prune-amount", type=float, default=0.0, help="fraction of weights pruned (0: dense)")
    p.add_argument("--prune-at", type=float, default=0.5, help="when, as a fraction of the run")
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    return p.parse_args()


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    envs = [GridReach() for _ in range(args.num_envs)]
    obs = np.stack([e.reset(seed=args.seed + i)[0] for i, e in enumerate(envs)])
    model = ConvActorCritic()
    if args.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    else:
        opt = torch.optim.RMSprop(model.parameters(), lr=args.lr, alpha=0.99, eps=1e-5)
    updates = max(1, args.total_timesteps // (args.num_envs * args.num_steps))
    prune_update = int(args.prune_at * updates) if args.prune_amount > 0 else -1
    returns, ep_ret = [], np.zeros(args.num_envs)
    start = time.time()
    for update in range(updates):
        if update == prune_update:
            for m in model.modules():
                if isinstance(m, nn.Conv2d | nn.Linear):
                    prune.l1_unstructured(m, "weight", amount=args.prune_amount)
        b_obs, b_act, b_rew, b_done = [], [], [], []
        for _ in range(args.num_steps):
            with torch.no_grad():
                logits, _ = model(torch.as_tensor(obs))
            act = torch.distributions.Categorical(logits=logits).sample().numpy()
            b_obs.append(obs)
            b_act.append(act)
            rew, done, nxt = np.zeros(args.num_envs), np.zeros(args.num_envs), []
            for i, e in enumerate(envs):
                o, r, term, trunc, _ = e.step(act[i])
                ep_ret[i] += r
                if term or trunc:
                    returns.append(ep_ret[i])
                    ep_ret[i] = 0.0
                    o, _ = e.reset()
                rew[i], done[i] = r, float(term or trunc)
                nxt.append(o)
            obs = np.stack(nxt)
            b_rew.append(rew)
            b_done.append(done)
        with torch.no_grad():
            _, last_v = model(torch.as_tensor(obs))
        ret = last_v.squeeze(1).numpy()
        targets = []
        for t in reversed(range(args.num_steps)):
            ret = b_rew[t] + args.gamma * ret * (1.0 - b_done[t])
            targets.append(ret)
        targets = torch.as_tensor(np.concatenate(targets[::-1]), dtype=torch.float32)
        x = torch.as_tensor(np.concatenate(b_obs))
        a = torch.as_tensor(np.concatenate(b_act))
        logits, v = model(x)
        dist = torch.distributions.Categorical(logits=logits)
        adv = targets - v.squeeze(1)
        loss = (-(dist.log_prob(a) * adv.detach()).mean() + args.vf_coef * adv.pow(2).mean()
                - args.ent_coef * dist.entropy().mean())
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        opt.step()
        if (update + 1) % 500 == 0:
            print(f"update {update + 1}/{updates}: return {np.mean(returns[-50:]):.3f}, "
                  f"SPS {int((update + 1) * args.num_envs * args.num_steps / (time.time() - start))}", flush=True)
    print(f"done: {updates} updates in {time.time() - start:.1f} s, mean return {np.mean(returns[-50:]):.3f}")


if __name__ == "__main__":
    main()
