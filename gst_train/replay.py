"""A preallocated ring buffer of transitions (Fujimoto's ``utils.ReplayBuffer``, with a seeded sampler)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch


class Batch(NamedTuple):
    """A sampled minibatch: obs, action, next_obs [B, dim]; reward, not_done [B, 1] (float32 tensors)."""

    obs: torch.Tensor
    action: torch.Tensor
    next_obs: torch.Tensor
    reward: torch.Tensor
    not_done: torch.Tensor


class ReplayBuffer:
    """obs, action, next_obs [capacity, dim] float32; reward, not_done [capacity, 1] float32."""

    def __init__(self, obs_dim: int, act_dim: int, capacity: int) -> None:
        self.capacity = capacity
        self.ptr = 0
        self.size = 0
        self.obs = np.zeros((capacity, obs_dim), dtype=np.float32)
        self.action = np.zeros((capacity, act_dim), dtype=np.float32)
        self.next_obs = np.zeros((capacity, obs_dim), dtype=np.float32)
        self.reward = np.zeros((capacity, 1), dtype=np.float32)
        self.not_done = np.zeros((capacity, 1), dtype=np.float32)

    def add(self, obs, action, next_obs, reward: float, terminated: bool) -> None:
        """Store one transition. ``terminated`` (not truncation) stops bootstrapping."""
        i = self.ptr
        self.obs[i] = obs
        self.action[i] = action
        self.next_obs[i] = next_obs
        self.reward[i] = reward
        self.not_done[i] = 0.0 if terminated else 1.0
        self.ptr = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, rng: np.random.Generator, batch: int) -> Batch:
        idx = rng.integers(0, self.size, size=batch)
        return Batch(*(torch.from_numpy(a[idx]) for a in (self.obs, self.action, self.next_obs, self.reward,
                                                           self.not_done)))

    _FIELDS = ("obs", "action", "next_obs", "reward", "not_done")

    def state_arrays(self) -> dict[str, np.ndarray]:
        n = self.size
        d = {k: getattr(self, k)[:n] for k in self._FIELDS}
        d["meta"] = np.array([self.ptr, self.size], dtype=np.int64)
        return d

    def load_arrays(self, d: dict[str, np.ndarray]) -> None:
        self.ptr, self.size = (int(x) for x in d["meta"])
        for k in self._FIELDS:
            getattr(self, k)[: self.size] = d[k]
