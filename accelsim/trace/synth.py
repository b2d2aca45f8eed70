"""SYNTHETIC trace generator: made-up GST-like compression schedules over the canonical TD3 step.

Nothing here comes from training: the formats follow a schedule chosen to exercise every code path of the
simulator (dense, block-circulant, group-sparse and N:M layers; mask snapshots; segments of many lengths).
Traces it writes say ``synthetic: true`` in their metadata and carry "synthetic" in their file names.
Real traces come from ``gst-train``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from accelsim.trace.formats import Format
from accelsim.trace.schema import MaskSnapshot
from accelsim.trace.td3_step import td3_networks, td3_step_rows
from accelsim.trace.writer import write_trace


@dataclass(frozen=True)
class SynthSpec:
    """What to generate.

    Attributes:
        steps: gradient steps.
        obs_dim, act_dim, hidden, batch: the TD3 problem (defaults: HalfCheetah-v5, 256-256, B=256).
        bc_block: block size of the block-circulant phase.
        group_cols: 1×g groups of the group-sparse phase.
        bc_fraction: fraction of the run in BC mode before layers switch to group-sparse.
        change_every: steps between sparsity changes in the group-sparse phase (a mask snapshot each).
        sparsity_start, sparsity_end: group sparsity at the switch and at the end.
        every_step: change some layer's mask every step (stress case: no run-length compression).
        masks: write mask snapshots (off for large benchmark traces: the engines do not read them).
        seed: RNG seed of the masks.
    """

    steps: int = 20_000
    obs_dim: int = 17
    act_dim: int = 6
    hidden: tuple[int, ...] = (256, 256)
    batch: int = 256
    bc_block: int = 8
    group_cols: int = 4
    bc_fraction: float = 0.3
    change_every: int = 2000
    sparsity_start: float = 0.5
    sparsity_end: float = 0.9
    every_step: bool = False
    masks: bool = True
    seed: int = 0


def _group_mask(rng: np.random.Generator, out_f: int, in_f: int, g: int, keep: int) -> np.ndarray:
    n_groups = out_f * (-(-in_f // g))
    kept = np.zeros(n_groups, dtype=bool)
    kept[rng.choice(n_groups, size=keep, replace=False)] = True
    m = np.repeat(kept.reshape(out_f, -1), g, axis=1)[:, :in_f]
    return m


def generate(spec: SynthSpec, path: str | os.PathLike) -> Path:
    """Write a packed synthetic trace to ``path`` and return it."""
    rng = np.random.default_rng(spec.seed)
    shapes = td3_networks(spec.obs_dim, spec.act_dim, spec.hidden)
    online = ("actor", "critic1", "critic2")
    # Hidden layers are compressed; the 17-wide input layer and the small heads stay dense, as gst_train's default.
    compressible = [(net, l) for net in online for l in range(len(shapes[net])) if 0 < l < len(shapes[net]) - 1]
    # The actor's output layer runs 2:4 to exercise N:M.
    nm_layers = [("actor", len(shapes["actor"]) - 1)]

    switch = int(spec.steps * spec.bc_fraction)
    change_points = [0, switch] if switch > 0 else [0]
    stride = 1 if spec.every_step else max(1, spec.change_every)
    change_points += list(range(switch + stride, spec.steps, stride))
    change_points = sorted(set(p for p in change_points if p < spec.steps))
    n_sparse = max(1, len([p for p in change_points if p >= switch]))

    segments, masks = [], []
    k_sparse = 0
    for idx, first in enumerate(change_points):
        end = change_points[idx + 1] if idx + 1 < len(change_points) else spec.steps
        fmt: dict[tuple[str, int], Format] = {}
        for key in nm_layers:
            fmt[key] = Format("nm", nm_n=2, nm_m=4)
        if first < switch:
            for key in compressible:
                fmt[key] = Format("bc", block_size=spec.bc_block)
        else:
            frac = k_sparse / max(1, n_sparse - 1)
            sparsity = spec.sparsity_start + (spec.sparsity_end - spec.sparsity_start) * frac
            k_sparse += 1
            for net, l in compressible:
                out_f, in_f = shapes[net][l]
                n_groups = out_f * (-(-in_f // spec.group_cols))
                keep = max(1, round(n_groups * (1 - sparsity)))
                if spec.every_step:
                    keep = max(1, keep - int(rng.integers(0, 3)))
                fmt[(net, l)] = Format("group", group_rows=1, group_cols=spec.group_cols, nnz_units=keep)
                if spec.masks:
                    masks.append(MaskSnapshot(first, net, l, out_f, in_f, "group",
                        np.packbits(_group_mask(rng, out_f, in_f, spec.group_cols, keep)).tobytes()))
        steps = end - first
        # TD3 policy delay 2: steps alternate (actor+critic, critic-only) from the segment's first step.
        period = [td3_step_rows(shapes, fmt, spec.batch, spec.obs_dim, spec.act_dim, actor_update=(first + k) % 2 == 0)
                  for k in range(min(2, steps))]
        reps, rem = divmod(steps, len(period))
        segments.append((first, reps, period))
        if rem:
            segments.append((first + reps * len(period), 1, period[:rem]))
    meta = {
        "synthetic": True,
        "generator": "accelsim.trace.synth",
        "env": f"synthetic(obs={spec.obs_dim}, act={spec.act_dim})",
        "method": "gst-like-synthetic",
        "batch": spec.batch,
        "obs_dim": spec.obs_dim,
        "act_dim": spec.act_dim,
        "hidden": list(spec.hidden),
        "policy_delay": 2,
        "seed": spec.seed,
        "steps": spec.steps,
        "dtype": "fp32",
    }
    return write_trace(path, meta, segments, masks)
