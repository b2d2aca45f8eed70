"""A trace (a folder of parts or a file) packed into one Parquet file, as the shipped samples are."""

from __future__ import annotations

import os
from pathlib import Path

from accelsim.trace.reader import read_trace
from accelsim.trace.writer import write_trace


def pack(src: str | os.PathLike, dst: str | os.PathLike) -> Path:
    """Pack a trace (folder or file) into one Parquet file ``dst``."""
    tr = read_trace(src)
    segs = []
    for s in range(tr.n_segments):
        rows = tr.segment_rows(s)
        p = int(tr.seg_period_steps[s])
        steps = tr.rows["step_in_period"][tr.seg_row_start[s]:tr.seg_row_start[s + 1]]
        period = [[r for r, k in zip(rows, steps, strict=True) if k == j] for j in range(p)]
        segs.append((int(tr.seg_first_step[s]), int(tr.seg_repeats[s]), period))
    return write_trace(dst, tr.meta, segs, tr.masks, networks=tr.networks or None)
