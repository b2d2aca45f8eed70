"""Adam for the training loop: torch's fused Adam, stepped with less Python per call.

``torch.optim.Adam(fused=True)`` spends about as long in Python (hooks, grouping by device and dtype, one
scalar op per step counter) as its kernel takes on TD3's few small tensors. :class:`LeanAdam` keeps torch's
class (state layout, ``state_dict``, the same update) and replaces ``step`` with the direct call: parameters
without a gradient are skipped, as torch does; state is created the way torch's fused path creates it.
``tests/test_td3_fused.py`` checks it against ``torch.optim.Adam`` step for step.
"""

from __future__ import annotations

import torch


class LeanAdam(torch.optim.Adam):
    """``torch.optim.Adam(params, lr, fused=True)`` with a direct single-device ``step`` (CPU, no amsgrad)."""

    def __init__(self, params, lr: float) -> None:
        super().__init__(params, lr=lr, fused=True)

    def step(self, closure=None):  # the optimizer interface; TD3 calls apply() directly
        if closure is not None:
            raise ValueError("LeanAdam.step takes no closure")
        with torch.no_grad():
            self.apply()

    def apply(self) -> None:
        """The update of :meth:`step`, called directly: torch wraps every ``step`` in a profiler record and
        its hook machinery (about 10 us a call here, more than this step's own Python); TD3 registers no
        optimizer hooks. The caller holds ``torch.no_grad()``."""
        for group in self.param_groups:
            params, grads, m, v, steps = [], [], [], [], []
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state[p]
                if not st:
                    st["step"] = torch.zeros((), dtype=torch.float32)
                    st["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    st["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                params.append(p)
                grads.append(p.grad)
                m.append(st["exp_avg"])
                v.append(st["exp_avg_sq"])
                steps.append(st["step"])
            if not params:
                continue
            beta1, beta2 = group["betas"]
            torch._foreach_add_(steps, 1)
            torch._fused_adam_(params, grads, m, v, [], steps, amsgrad=False, lr=group["lr"], beta1=beta1,
                               beta2=beta2, weight_decay=group["weight_decay"], eps=group["eps"], maximize=False)
