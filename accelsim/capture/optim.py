"""Optimizer updates as transactions: which state tensors an optimizer reads and writes per parameter, and its
element-wise work, by optimizer type (no torch here: the type's name and its hyper-parameters are enough).

Flops per element, counted as :data:`accelsim.trace.td3_step.ADAM_FLOPS_PER_ELEM` counts Adam's (the scalar
factors precomputed per step):

==================  ===========================  ===========================================================
optimizer           state (``tensor`` names)     flops per element
==================  ===========================  ===========================================================
Adam                adam_m, adam_v (+adam_vmax)  14 (+2 L2 weight decay, +1 AMSGrad's max)
AdamW               adam_m, adam_v (+adam_vmax)  14 + 2 (decoupled decay w -= lr·wd·w) (+1 AMSGrad)
SGD                 momentum if momentum > 0     2 (w -= lr·g); momentum +3; Nesterov +2; weight decay +2
RMSprop             square_avg (+momentum,       4 (v) + 2 (sqrt, +eps) + 3 (w -= lr·g/avg); centered +4;
                    grad_avg when centered)      momentum +2; weight decay +2
==================  ===========================  ===========================================================

Any other optimizer is *not modelled*: its update is recorded as read W and grad, write W with no state and no
flops, and its type is reported by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from accelsim.trace.td3_step import ADAM_FLOPS_PER_ELEM

#: The optimizer types (class names of ``torch.optim``) this table models; a subclass counts as its base.
MODELLED_OPTIMIZERS = ("Adam", "AdamW", "SGD", "RMSprop")


@dataclass(frozen=True)
class UpdateSpec:
    """What one optimizer update does to one parameter.

    Attributes:
        state: the optimizer-state tensors read and written, in order (trace ``tensor`` names).
        flops_per_elem: element-wise flops per parameter element.
        modelled: False for an optimizer type this table does not know (recorded as a plain W update).
    """

    state: tuple[str, ...]
    flops_per_elem: int
    modelled: bool = True


def update_spec(kind: str, group: Mapping[str, Any]) -> UpdateSpec:
    """The :class:`UpdateSpec` of optimizer type ``kind`` (its class name) with param-group settings ``group``."""
    wd = 2 if float(group.get("weight_decay", 0) or 0) else 0
    if kind in ("Adam", "AdamW"):
        ams = bool(group.get("amsgrad", False))
        state = ("adam_m", "adam_v", "adam_vmax") if ams else ("adam_m", "adam_v")
        decay = 2 if kind == "AdamW" and float(group.get("weight_decay", 0) or 0) else wd
        return UpdateSpec(state, ADAM_FLOPS_PER_ELEM + decay + (1 if ams else 0))
    if kind == "SGD":
        mom = float(group.get("momentum", 0) or 0)
        if not mom:
            return UpdateSpec((), 2 + wd)
        return UpdateSpec(("momentum",), 2 + 3 + (2 if group.get("nesterov") else 0) + wd)
    if kind == "RMSprop":
        centered = bool(group.get("centered", False))
        mom = float(group.get("momentum", 0) or 0)
        state = ("square_avg", *(("grad_avg",) if centered else ()), *(("momentum",) if mom else ()))
        return UpdateSpec(state, 9 + (4 if centered else 0) + (2 if mom else 0) + wd)
    return UpdateSpec((), 0, modelled=False)
