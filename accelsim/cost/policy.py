"""The on-chip buffering policy both engines follow: how many tiles stream at once, how large a tile is, and which
variant of an op's schedule a point takes (docs/model.md §3).

Units: bytes, accelerator cycles (integers), picojoules (floats).
"""

from __future__ import annotations

import numpy as np

from accelsim.base.jit import kernel
from accelsim.base.layouts import (
    HW,
)


@kernel
def stream_slots(h: np.ndarray) -> int:
    """Tiles the stream region holds at once: 2 with double buffering (load the next while this one is
    decoded and computed), else 1."""
    return 2 if h[HW.double_buffer] > 0.5 else 1


@kernel
def tile_bytes(h: np.ndarray) -> int:
    """Bytes of one tile: the stream region (``sram.stream_kib``, at most half the weight buffer) over
    :func:`stream_slots`, and never less than one DRAM burst (the smallest transfer there is)."""
    stream = min(int(h[HW.stream_bytes]), int(h[HW.weight_bytes]) // 2)
    return max(int(h[HW.burst_bytes]), stream // stream_slots(h))


@kernel
def op_variant(h: np.ndarray) -> int:
    """Which of a workload's op variants runs on ``h``: 1 with ``pe.fuse_update`` (updates fused into
    backward-weight), else 0 (:attr:`accelsim.workload.build.Workload.seg_op_start`)."""
    return 1 if h[HW.fuse_update] > 0.5 else 0
