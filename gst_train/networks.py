"""TD3's actor and critics (Fujimoto et al. 2018): MLPs of :class:`CompressedLinear` layers, hidden ReLU."""

from __future__ import annotations

import torch
from torch import nn

from gst_train.layers import CompressedLinear


class MLP(nn.Module):
    """dims[0] → dims[1] → … → dims[-1]; ReLU between layers. ``layers[l]`` is trace layer ``l``."""

    def __init__(self, dims: list[int], block: int = 0) -> None:
        super().__init__()
        self.layers = nn.ModuleList(CompressedLinear(dims[i], dims[i + 1], block) for i in range(len(dims) - 1))

    def invalidate(self) -> None:
        for layer in self.layers:
            layer.invalidate()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for l, layer in enumerate(self.layers):
            x = layer(x)
            if l < len(self.layers) - 1:
                x = torch.relu(x)
        return x


class Actor(nn.Module):
    """obs [B, obs_dim] → action [B, act_dim] in [−max_action, max_action] (tanh output)."""

    def __init__(self, obs_dim: int, act_dim: int, hidden: tuple[int, ...], max_action: float, block: int = 0) -> None:
        super().__init__()
        self.net = MLP([obs_dim, *hidden, act_dim], block)
        self.max_action = max_action

    @property
    def layers(self) -> nn.ModuleList:
        return self.net.layers

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.max_action * torch.tanh(self.net(obs))


class Critic(nn.Module):
    """(obs, action) → Q [B, 1]."""

    def __init__(self, obs_dim: int, act_dim: int, hidden: tuple[int, ...], block: int = 0) -> None:
        super().__init__()
        self.net = MLP([obs_dim + act_dim, *hidden, 1], block)

    @property
    def layers(self) -> nn.ModuleList:
        return self.net.layers

    def forward(self, obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([obs, act], dim=1))
