"""Which weight-side tensors stay resident in the weight buffer: a knapsack by value (compiled).

The reference engine decides the same in plain Python (:func:`accelsim.engines.reference.placement.resident_keys`);
both follow
``docs/model.md`` §3. Each residency key (a weight-side tensor of one segment) is an item: its *weight* is
its stored bytes (its largest transaction), its *value* the bytes it moves per period when it streams (every
read and every write of it; a fused gradient moves none and is not stored at all). The knapsack's capacity is the weight
buffer less what streaming needs (the stream region's tiles). If every stored key fits, all stay. Otherwise
the greedy solution (by value per byte, highest first, ties by first appearance; each key taken if it still
fits) competes with the single most valuable key that fits, and the better of the two is kept: the classic
2-approximation of the 0/1 knapsack (Dantzig's greedy with its known fix), in O(K^2) for a few dozen keys.
"""

from __future__ import annotations

import numpy as np

from accelsim.base.jit import kernel
from accelsim.base.layouts import HW
from accelsim.cost.policy import stream_slots, tile_bytes


@kernel
def residency_budget(h: np.ndarray) -> int:
    """Bytes of the weight buffer residency may use: all of it but what streaming needs, the stream region's
    tiles (:func:`accelsim.cost.policy.stream_slots` × :func:`accelsim.cost.policy.tile_bytes`)."""
    return max(0, int(h[HW.weight_bytes]) - stream_slots(h) * tile_bytes(h))


@kernel
def select_resident(key_bytes: np.ndarray, key_traffic: np.ndarray, key_grad: np.ndarray, h: np.ndarray,
                    out: np.ndarray) -> None:
    """Set ``out[k] = 1`` for the keys of one segment that stay resident, 0 for the rest.

    Args:
        key_bytes, key_traffic, key_grad: (K,) each key's stored bytes, bytes moved per period, gradient flag
            (:class:`accelsim.workload.build.Workload`).
        h: the packed hardware point.
    """
    n = key_bytes.shape[0]
    budget = residency_budget(h)
    skip_grads = h[HW.fuse_update] > 0.5
    value = np.zeros(n, dtype=np.int64)
    total = 0
    for k in range(n):
        out[k] = 0
        if not (skip_grads and key_grad[k] == 1):
            value[k] = key_traffic[k]
            total += key_bytes[k]
    if total <= budget:
        for k in range(n):
            out[k] = 1 if value[k] > 0 else 0
        return
    # Greedy by value per byte: an insertion sort of the keys, highest density first, stable.
    density = np.empty(n, dtype=np.float64)
    for k in range(n):
        density[k] = value[k] / max(key_bytes[k], 1)
    order = np.arange(n)
    for i in range(1, n):
        k = order[i]
        d = density[k]
        j = i - 1
        while j >= 0 and density[order[j]] < d:
            order[j + 1] = order[j]
            j -= 1
        order[j + 1] = k
    used = 0
    greedy = 0
    for i in range(n):
        k = order[i]
        if value[k] > 0 and used + key_bytes[k] <= budget:
            out[k] = 1
            used += key_bytes[k]
            greedy += value[k]
    best = -1
    for k in range(n):
        if key_bytes[k] <= budget and value[k] > 0 and (best < 0 or value[k] > value[best]):
            best = k
    if best >= 0 and value[best] > greedy:
        for k in range(n):
            out[k] = 0
        out[best] = 1
