"""``accelsim validate``: read a trace with every check the reader makes, and summarise it."""

from __future__ import annotations

import os

import numpy as np

from accelsim.trace.analysis import average_compression, segment_compression
from accelsim.trace.reader import read_trace
from accelsim.trace.schema import WEIGHT_SIDE


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
    for n in tr.networks:  # version 2: the declared networks
        kinds = sorted({lay.kind for lay in n.layers})
        role = f"target of {n.target_of}" if n.target_of else n.role
        lines.append(f"network          {n.name} ({role}; {len(n.layers)} layers{': ' if kinds else ''}"
                     f"{', '.join(kinds)})")
    ws = np.isin(c["tensor"], WEIGHT_SIDE) & (c["tensor"] == "weight")
    schemes = sorted(set(c["scheme"][ws].tolist()))
    lines.append(f"weight schemes   {', '.join(schemes)}")
    # Compression ratio of the six networks' weights (bytes incl. metadata, biases dense): the definition
    # training logs (accelsim.trace.formats.weight_compression).
    by_b, by_p = segment_compression(tr)
    for label, s in (("first", 0), ("last", tr.n_segments - 1)):
        lines.append(f"compression ({label} segment, step {int(tr.seg_first_step[s]):,})  "
                     f"{by_b[s] * 100:.1f}% of weight bytes saved ({by_p[s] * 100:.1f}% of parameters)")
    avg_b, avg_p = average_compression(tr)
    lines.append(f"compression (mean over steps)  {avg_b * 100:.1f}% of weight bytes saved "
                 f"({avg_p * 100:.1f}% of parameters)")
    return "\n".join(lines)
