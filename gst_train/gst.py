"""GST's selection policy: which layer leaves block-circulant (BC) for group-sparse, when, and how far it prunes.

Pure decisions over numbers (no tensors): :class:`gst_train.compression.Compressor` carries them out. Our
reading of the paper (docs/gst.md says why each rule exists; every rule is a flag):

* **Break-even per layer.** Group-sparse (1×g groups, values + a bitmap) stores fewer bytes than BC(b) only
  above a sparsity ``s_be`` that depends on the layer's shape (padding) and format; about 88.3 % for b = 8
  and 1×4 fp32 groups, 75.8 % for b = 4. Below it a layer stays BC, whatever the target.
* **Staggered switching** (``--gst-switch staggered``): at most one layer switches per evaluation, the one
  that saves the most bytes at the current target; it enters group-sparse *at its break-even sparsity* (no
  jump in stored bytes) and ramps to the reward-aware target over ``--gst-ramp-steps`` env steps. The next
  layer waits until the window's return has recovered to what it was before the switch (within tolerance).
  ``--gst-switch all`` is the first build's rule (every layer past break-even switches at once, at the
  target): kept as an ablation.
* **Revert** (``--gst-revert-evals``): if the return has not recovered that many evaluations after a switch,
  the layer goes back to BC (least-squares projection onto circulant blocks) and is not switched again.
* **Reward-aware target** (:class:`gst_train.controller.RewardAwareTarget`), whose tolerance scales with the
  measured spread of recent evaluations.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

Key = tuple[str, int]


@dataclass
class LayerPlan:
    """One compressible layer's GST state. Sparsities are fractions of the layer's weights."""

    break_even: float
    bytes_saved_per_sparsity: float  # bytes saved at full sparsity vs BC, to rank candidates
    mode: str = "bc"  # "bc" or "group"
    switched_at: int = -1  # env step of the switch to group-sparse
    reverted: bool = False


@dataclass
class Action:
    """What the compressor must do now: ``switch`` (to group-sparse at ``sparsity``) or ``revert`` (to BC)."""

    kind: str
    key: Key
    sparsity: float = 0.0


@dataclass
class GSTPolicy:
    """Per-layer switching decisions; see the module docstring. Env steps throughout."""

    layers: dict[Key, LayerPlan]
    switch: str = "staggered"
    window: int = 3  # evaluations per window mean (the controller's); recovery is judged on a whole new window
    ramp_steps: int = 20_000
    revert_evals: int = 4
    s_max: float = 0.95
    pending: Key | None = None  # the last switched layer, until the return recovers
    reference: float = float("nan")  # window mean just before that switch
    evals_since_switch: int = 0
    log: list[str] = field(default_factory=list)

    def on_eval(self, target: float, window_mean: float | None, tolerance: float, env_step: int) -> list[Action]:
        """Decide after an evaluation. ``window_mean`` is None until the controller's window is full."""
        if self.switch == "all":
            return self._all_at_once(target, env_step)
        actions: list[Action] = []
        if self.pending is not None and window_mean is not None:
            self.evals_since_switch += 1
            if self.evals_since_switch < self.window:
                return actions  # the window still holds evaluations from before the switch
            if window_mean >= self.reference - tolerance:
                self.log.append(f"{env_step}: {self.pending} recovered ({window_mean:.0f} vs {self.reference:.0f})")
                self.pending = None
            elif self.revert_evals and self.evals_since_switch >= self.revert_evals:
                key = self.pending
                plan = self.layers[key]
                plan.mode, plan.reverted, plan.switched_at = "bc", True, -1
                self.pending = None
                self.log.append(f"{env_step}: {key} reverted to BC ({window_mean:.0f} vs {self.reference:.0f})")
                actions.append(Action("revert", key))
        if self.pending is None and window_mean is not None:
            cands = [(p.bytes_saved_per_sparsity, k) for k, p in self.layers.items()
                     if p.mode == "bc" and not p.reverted and target > p.break_even]
            if cands:
                key = max(cands)[1]
                plan = self.layers[key]
                plan.mode, plan.switched_at = "group", env_step
                self.pending, self.reference, self.evals_since_switch = key, window_mean, 0
                self.log.append(f"{env_step}: {key} switched to group-sparse at {plan.break_even:.4f}")
                actions.append(Action("switch", key, plan.break_even))
        return actions

    def _all_at_once(self, target: float, env_step: int) -> list[Action]:
        actions = []
        for key, p in self.layers.items():
            if p.mode == "bc" and target > p.break_even:
                p.mode, p.switched_at = "group", env_step
                actions.append(Action("switch", key, target))
        return actions

    def sparsity(self, key: Key, target: float, env_step: int) -> float:
        """The sparsity a group-sparse layer should have now: from break-even toward the target over the ramp.

        Never below break-even (BC would be smaller) nor above ``s_max``.
        """
        p = self.layers[key]
        goal = min(self.s_max, max(target, p.break_even))
        if self.switch == "all" or self.ramp_steps <= 0:
            return goal
        frac = min(1.0, max(0.0, (env_step - p.switched_at) / self.ramp_steps))
        return p.break_even + (goal - p.break_even) * frac

    def state_dict(self) -> dict:
        d = asdict(self)
        d["layers"] = [[list(k), asdict(v)] for k, v in self.layers.items()]
        d["pending"] = list(self.pending) if self.pending is not None else None
        return d

    def load_state_dict(self, d: dict) -> None:
        self.layers = {(k[0], int(k[1])): LayerPlan(**v) for k, v in d["layers"]}
        for name in ("switch", "window", "ramp_steps", "revert_evals", "s_max", "reference", "evals_since_switch",
                     "log"):
            setattr(self, name, d[name])
        self.pending = (d["pending"][0], int(d["pending"][1])) if d["pending"] is not None else None
