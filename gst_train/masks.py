"""Mask builders (pure functions of a weight [out, in]) and sparsity schedules."""

from __future__ import annotations

import math

import numpy as np
import torch


def _pad_to(w: torch.Tensor, gr: int, gc: int) -> torch.Tensor:
    out_f, in_f = w.shape
    po, pi = -out_f % gr, -in_f % gc
    return torch.nn.functional.pad(w, (0, pi, 0, po)) if (po or pi) else w


def group_norms(w: torch.Tensor, gr: int, gc: int) -> torch.Tensor:
    """L2 norm of every gr×gc group: [ceil(out/gr), ceil(in/gc)]."""
    p = _pad_to(w, gr, gc)
    o, i = p.shape
    return p.reshape(o // gr, gr, i // gc, gc).pow(2).sum(dim=(1, 3)).sqrt()


def expand_groups(kept: torch.Tensor, gr: int, gc: int, out_f: int, in_f: int) -> torch.Tensor:
    """Group keep-map [go, gi] → element mask [out_f, in_f]."""
    return kept.repeat_interleave(gr, 0).repeat_interleave(gc, 1)[:out_f, :in_f]


def n_keep(n_units: int, sparsity: float) -> int:
    """Units kept at ``sparsity`` (at least one)."""
    return max(1, round(n_units * (1.0 - sparsity)))


def group_mask(w: torch.Tensor, gr: int, gc: int, sparsity: float) -> torch.Tensor:
    """Keep the groups of largest L2 norm: bool [out, in]."""
    norms = group_norms(w, gr, gc)
    k = n_keep(norms.numel(), sparsity)
    kept = torch.zeros(norms.numel(), dtype=torch.bool)
    kept[torch.topk(norms.flatten(), k, sorted=False).indices] = True
    return expand_groups(kept.reshape(norms.shape), gr, gc, *w.shape)


def magnitude_mask(w: torch.Tensor, sparsity: float) -> torch.Tensor:
    """Unstructured: keep the weights of largest magnitude."""
    k = n_keep(w.numel(), sparsity)
    m = torch.zeros(w.numel(), dtype=torch.bool)
    m[torch.topk(w.abs().flatten(), k, sorted=False).indices] = True
    return m.reshape(w.shape)


def nm_mask(w: torch.Tensor, n: int, m: int) -> torch.Tensor:
    """N:M: in every M consecutive input weights of a row keep the N largest."""
    out_f, in_f = w.shape
    p = _pad_to(w.abs(), 1, m).reshape(out_f, -1, m)
    idx = torch.topk(p, n, dim=2).indices
    keep = torch.zeros_like(p, dtype=torch.bool).scatter_(2, idx, True)
    return keep.reshape(out_f, -1)[:, :in_f]


def cubic_sparsity(t: float, t0: float, t1: float, s_i: float, s_f: float) -> float:
    """Zhu & Gupta 2017: s_t = s_f + (s_i − s_f)(1 − (t − t0)/(t1 − t0))^3, clamped to [t0, t1]."""
    if t <= t0:
        return s_i
    if t >= t1:
        return s_f
    return s_f + (s_i - s_f) * (1.0 - (t - t0) / (t1 - t0)) ** 3


def linear_sparsity(t: float, t0: float, t1: float, s_i: float, s_f: float) -> float:
    """A straight ramp from s_i at t0 to s_f at t1, clamped outside [t0, t1]."""
    if t <= t0:
        return s_i
    if t >= t1:
        return s_f
    return s_i + (s_f - s_i) * (t - t0) / (t1 - t0)


IP_SCHEDULES = {"cubic": cubic_sparsity, "ramp": linear_sparsity}


def erdos_renyi_densities(shapes: list[tuple[int, int]], sparsity: float) -> list[float]:
    """Per-layer densities ∝ (in + out)/(in·out), scaled so the total density is 1 − sparsity (Sokar et al.).

    Layers whose scaled density would exceed 1 are kept dense and the rest rescaled (RigL's procedure).
    """
    total = sum(o * i for o, i in shapes)
    target = (1.0 - sparsity) * total
    dense: set[int] = set()
    while True:
        raw = [(o + i) / (o * i) for o, i in shapes]
        budget = target - sum(shapes[j][0] * shapes[j][1] for j in dense)
        denom = sum(raw[j] * shapes[j][0] * shapes[j][1] for j in range(len(shapes)) if j not in dense)
        eps = budget / denom if denom > 0 else 0.0
        over = [j for j in range(len(shapes)) if j not in dense and eps * raw[j] > 1.0]
        if not over:
            return [1.0 if j in dense else eps * raw[j] for j in range(len(shapes))]
        dense.update(over)


def random_mask(rng: np.random.Generator, shape: tuple[int, int], density: float) -> torch.Tensor:
    n = shape[0] * shape[1]
    k = max(1, min(n, math.floor(n * density + 0.5)))
    flat = np.zeros(n, dtype=bool)
    flat[rng.choice(n, size=k, replace=False)] = True
    return torch.from_numpy(flat.reshape(shape))
