"""stable-baselines3 TD3 on HalfCheetah-v5 with the study's settings, evaluated like gst-train (reference curve).

    .venv-bench/bin/python scripts/sb3_reference.py --steps 200000 --seed 0 \
        --out results/halfcheetah_200k/sb3_td3_s0.csv

Fujimoto's settings as in gst-train: 256-256, Adam 3e-4, batch 256, gamma 0.99, tau 0.005, policy delay 2,
target noise 0.2 clipped at 0.5, exploration noise 0.1, 25k random start steps; 10 deterministic evaluation
episodes every 5k steps on a separately seeded env. The CSV (step, return) is appended after every evaluation.
"""

from __future__ import annotations

import argparse

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3 import TD3
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.noise import NormalActionNoise


class Eval(BaseCallback):
    def __init__(self, every: int, episodes: int, seed: int, out: str) -> None:
        super().__init__()
        self.every, self.episodes, self.seed, self.out = every, episodes, seed, out
        self.env = gym.make("HalfCheetah-v5")
        self.k = 0
        with open(out, "w") as fh:
            fh.write("step,return\n")

    def _on_step(self) -> bool:
        if self.num_timesteps % self.every == 0:
            total = 0.0
            for ep in range(self.episodes):
                obs, _ = self.env.reset(seed=self.seed + 100 + 1000 * self.k + ep)
                done = False
                while not done:
                    a, _ = self.model.predict(obs, deterministic=True)
                    obs, r, term, trunc, _ = self.env.step(a)
                    total += float(r)
                    done = term or trunc
            self.k += 1
            with open(self.out, "a") as fh:
                fh.write(f"{self.num_timesteps},{total / self.episodes}\n")
        return True


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    env = gym.make("HalfCheetah-v5")
    n = env.action_space.shape[0]
    model = TD3("MlpPolicy", env, learning_rate=3e-4, buffer_size=a.steps, learning_starts=25_000, batch_size=256,
                tau=0.005, gamma=0.99, train_freq=1, gradient_steps=1, policy_delay=2, target_policy_noise=0.2,
                target_noise_clip=0.5, action_noise=NormalActionNoise(np.zeros(n), 0.1 * np.ones(n)),
                policy_kwargs={"net_arch": [256, 256]}, device="cpu", seed=a.seed, verbose=0)
    model.learn(total_timesteps=a.steps, callback=Eval(5000, 10, a.seed, a.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
