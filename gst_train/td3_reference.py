"""TD3's update through autograd, step for step the algorithm of :mod:`gst_train.td3` (Fujimoto's ``TD3.py``).

The reference that the hand-written, batched update is checked against (``tests/test_td3_fused.py``), as
accelsim's SimPy engine checks its compiled one: same batch, same noise, same parameters in, the same
parameters out. Not used for training.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from gst_train.replay import Batch
from gst_train.td3 import TD3


def update_critics(agent: TD3, batch: Batch, noise: torch.Tensor) -> None:
    obs, action, next_obs, reward, not_done = batch
    ma = agent.max_action
    with torch.no_grad():
        next_action = (agent.actor_target(next_obs) + noise).clamp(-ma, ma)
        tq = torch.min(agent.critic1_target(next_obs, next_action), agent.critic2_target(next_obs, next_action))
        tq = reward + not_done * agent.cfg.discount * tq
    loss = F.mse_loss(agent.critic1(obs, action), tq) + F.mse_loss(agent.critic2(obs, action), tq)
    agent.critic_opt.zero_grad(set_to_none=True)
    loss.backward()
    agent.critic_opt.step()
    agent.critic_opt.zero_grad(set_to_none=True)
    agent.critic1.net.invalidate()
    agent.critic2.net.invalidate()


def update_actor(agent: TD3, obs: torch.Tensor) -> None:
    loss = -agent.critic1(obs, agent.actor(obs)).mean()
    agent.actor_opt.zero_grad(set_to_none=True)
    loss.backward(inputs=[p for layer in agent.actor.layers for p in layer.active_params()])
    agent.actor_opt.step()
    agent.actor_opt.zero_grad(set_to_none=True)
    agent.actor.net.invalidate()
