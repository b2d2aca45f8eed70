"""GST's reward-aware target sparsity (our documented reading of the paper; every knob is a flag).

After the random start steps, each evaluation return enters a window; the controller compares the window
mean with the best window mean so far. The tolerated drop is relative to |best| with an absolute floor, so
it works for negative and noisy returns. While reward holds, the target rises by ``step`` (up to ``s_max``);
when it drops beyond the tolerance, the target backs off by ``step`` (down to ``s_min``) and then holds,
neither rising nor backing off, for ``hold`` evaluations (hysteresis: the network gets time to recover).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class RewardAwareTarget:
    s_min: float
    s_max: float
    step: float
    window: int
    rel_tol: float
    abs_tol: float
    hold: int
    target: float = -1.0
    history: list[float] = field(default_factory=list)
    best: float = float("-inf")
    hold_left: int = 0

    def __post_init__(self) -> None:
        if self.target < 0:
            self.target = self.s_min

    def tolerance(self) -> float:
        return max(self.rel_tol * abs(self.best), self.abs_tol)

    def update(self, eval_return: float) -> float:
        """Feed one evaluation return; returns the new target sparsity."""
        self.history.append(float(eval_return))
        if len(self.history) < self.window:
            return self.target
        mean = sum(self.history[-self.window:]) / self.window
        if mean > self.best:
            self.best = mean
        if self.hold_left > 0:
            self.hold_left -= 1  # hysteresis: after a back-off the target holds, whatever the reward does
        elif mean >= self.best - self.tolerance():
            self.target = min(self.s_max, self.target + self.step)
        else:
            self.target = max(self.s_min, self.target - self.step)
            self.hold_left = self.hold
        return self.target

    def state_dict(self) -> dict:
        return asdict(self)

    def load_state_dict(self, d: dict) -> None:
        for k, v in d.items():
            setattr(self, k, v)
