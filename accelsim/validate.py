"""``accelsim validate``: read a trace with every check the reader makes, and summarise it."""

from __future__ import annotations

import os

import numpy as np

from accelsim import formats
from accelsim.trace import WEIGHT_SIDE, read_trace


def summarize(path: str | os.PathLike) -> str:
    """Validate ``path`` (raises InputError on any problem) and return a multi-line summary."""
    tr = read_trace(path)
    c = tr.rows
    steps = tr.n_steps
    lines = [f"OK  {tr.source}", f"schema version   {tr.schema_version}"]
    meta = tr.meta
    if meta.get("synthetic"):
        lines.append("SYNTHETIC        yes (generated, not from training)")
    for k in ("env", "method", "seed", "batch", "policy_delay"):
        if k in meta:
            lines.append(f"{k:<16} {meta[k]}")
    lines.append(f"steps            {tr.first_step:,} .. {tr.first_step + steps - 1:,}  ({steps:,} gradient steps)")
    lines.append(f"segments         {tr.n_segments:,}  (period rows stored: {c['network'].shape[0]:,}; "
                 f"compression {steps * 1.0 / max(tr.n_segments, 1):,.0f} steps/segment)")
    lines.append(f"mask snapshots   {len(tr.masks):,}")
    ws = np.isin(c["tensor"], WEIGHT_SIDE) & (c["tensor"] == "weight")
    schemes = sorted(set(c["scheme"][ws].tolist()))
    lines.append(f"weight schemes   {', '.join(schemes)}")
    # Compression ratio of the weights at the first and last segment (bytes incl. metadata).
    for label, s in (("first", 0), ("last", tr.n_segments - 1)):
        a, b = tr.seg_row_start[s], tr.seg_row_start[s + 1]
        sel = np.zeros(c["network"].shape[0], dtype=bool)
        sel[a:b] = True
        sel &= (c["tensor"] == "weight") & (c["phase"] == "forward")
        seen = {}
        for i in np.flatnonzero(sel):
            seen[(c["network"][i], int(c["layer"][i]))] = i
        idx = np.array(sorted(seen.values()), dtype=np.int64)
        if idx.size == 0:
            continue
        code = np.array([formats.SCHEME_CODE[x] for x in c["scheme"][idx]])
        bits = np.array([formats.DTYPE_BITS[x] for x in c["dtype"][idx]])
        st = formats.stored_bytes(code, c["rows"][idx], c["cols"][idx], c["stored_values"][idx], bits,
                                  c["group_rows"][idx], c["group_cols"][idx], c["nm_m"][idx])
        de = formats.dense_bytes(c["rows"][idx], c["cols"][idx], bits)
        lines.append(f"compression ({label} segment, step {int(tr.seg_first_step[s]):,})  "
                     f"{formats.compression_ratio(st, de) * 100:.1f}% of weight bytes saved")
    return "\n".join(lines)
