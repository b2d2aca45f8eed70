"""GST's reward-aware target sparsity (our documented reading of the paper; every knob is a flag).

After the random start steps, each evaluation return enters a window; the controller compares the window
mean with the best window mean so far. The tolerated drop is the largest of: a fraction of |best|, an
absolute floor (so it works for negative returns), and ``noise_z`` standard errors of the difference of two
window means, with the evaluation noise σ measured from the spread of recent evaluations (successive
differences, which remove the learning trend: var(r_t − r_{t−1}) = 2σ² for noise around a slow trend). A
drop inside evaluation noise is not a drop. While reward holds, the target rises by ``step`` (up to ``s_max``);
when it drops beyond the tolerance, the target backs off by ``step`` (down to ``s_min``) and then holds,
neither rising nor backing off, for ``hold`` evaluations (hysteresis: the network gets time to recover).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass, field

NOISE_EVALS = 10  # evaluations whose successive differences measure the noise


@dataclass
class RewardAwareTarget:
    s_min: float
    s_max: float
    step: float
    window: int
    rel_tol: float
    abs_tol: float
    hold: int
    noise_z: float = 0.0
    target: float = -1.0
    history: list[float] = field(default_factory=list)
    best: float = float("-inf")
    hold_left: int = 0
    last_mean: float | None = None  # the latest window mean (None until a window is full)

    def __post_init__(self) -> None:
        if self.target < 0:
            self.target = self.s_min

    def noise(self) -> float:
        """σ of one evaluation return, from the successive differences of the last evaluations (0 if < 3)."""
        h = self.history[-NOISE_EVALS:]
        if len(h) < 3:
            return 0.0
        d = [b - a for a, b in itertools.pairwise(h)]
        m = sum(d) / len(d)
        return math.sqrt(sum((x - m) ** 2 for x in d) / (len(d) - 1) / 2.0)

    def tolerance(self) -> float:
        noise = self.noise_z * self.noise() * math.sqrt(2.0 / self.window)
        return max(self.rel_tol * abs(self.best), self.abs_tol, noise)

    def update(self, eval_return: float) -> float:
        """Feed one evaluation return; returns the new target sparsity."""
        self.history.append(float(eval_return))
        if len(self.history) < self.window:
            return self.target
        mean = sum(self.history[-self.window:]) / self.window
        self.last_mean = mean
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
