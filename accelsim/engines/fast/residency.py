"""How much of each weight-side tensor stays resident in the weight buffer: a knapsack in tiles (compiled).

The reference engine decides the same in plain Python (:func:`accelsim.engines.reference.placement.resident_keys`);
both follow ``docs/model.md`` §3. Each residency key (a weight-side tensor of one segment) is split into tiles of
the stream tile's size (:func:`accelsim.cost.policy.tile_bytes`; its last tile the remainder), each an item: its
*weight* its bytes, its *value* the bytes it moves per period when it streams (every read and every write of the
key, a fused gradient moving none and not stored at all) in proportion. The knapsack's capacity is the weight
buffer less what streaming needs (the stream region's tiles). If every stored key fits, all stay. Otherwise the
keys by value per byte, highest first (ties by first appearance), each whole while it fits, else as many whole
tiles of it as the room left holds: the greedy fractional knapsack, rounded down to whole tiles, so it saves
at least the fractional optimum less one tile of the densest key cut short (tested against brute force) — and
residency grows with the buffer by tiles, not by whole tensors.
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
    """Set ``out[k]`` to the bytes of key k of one segment that stay resident (0 to ``key_bytes[k]``).

    Args:
        key_bytes, key_traffic, key_grad: (K,) each key's stored bytes, bytes moved per period, gradient flag
            (:class:`accelsim.workload.build.Workload`).
        h: the packed hardware point.
        out: (K,) int64, overwritten.
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
            out[k] = key_bytes[k] if value[k] > 0 else 0
        return
    # By value per byte: an insertion sort of the keys, highest density first, stable.
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
    tile = tile_bytes(h)
    room = budget
    for i in range(n):
        k = order[i]
        if value[k] > 0:
            part = key_bytes[k] if key_bytes[k] <= room else room // tile * tile
            out[k] = part
            room -= part
