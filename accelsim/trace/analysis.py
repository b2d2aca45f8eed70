"""Trace-level figures that need no hardware: compression ratio over training, and re-encoding from masks."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from accelsim.base.errors import InputError
from accelsim.trace import formats
from accelsim.trace.schema import WEIGHT_SIDE, Trace

REENCODE_FORMATS = ("dense", "bitmap", "csr", "group")


def segment_compression(tr: Trace) -> tuple[np.ndarray, np.ndarray]:
    """Per segment: (ratio by bytes, ratio by parameters) of all the networks' weights, biases counted dense.

    Each distinct (network, layer) weight of the segment counts once, through
    :func:`accelsim.trace.formats.weight_compression`, the one definition training logs too.
    """
    c = tr.rows
    by_b, by_p = [], []
    for s in range(tr.n_segments):
        a, b = int(tr.seg_row_start[s]), int(tr.seg_row_start[s + 1])
        seen: dict[tuple[str, int], int] = {}
        for i in range(a, b):
            if c["tensor"][i] == "weight":
                seen.setdefault((c["network"][i], int(c["layer"][i])), i)
        idx = np.array(sorted(seen.values()), dtype=np.int64)
        if idx.size == 0:
            by_b.append(0.0)
            by_p.append(0.0)
            continue
        code = np.array([formats.SCHEME_CODE[x] for x in c["scheme"][idx]])
        bits = np.array([formats.DTYPE_BITS[x] for x in c["dtype"][idx]])
        r = formats.weight_compression(code, c["rows"][idx], c["cols"][idx], c["stored_values"][idx], bits,
                                       c["group_rows"][idx], c["group_cols"][idx], c["nm_m"][idx],
                                       c["bias_values"][idx])
        by_b.append(r.bytes)
        by_p.append(r.params)
    return np.array(by_b), np.array(by_p)


def average_compression(tr: Trace) -> tuple[float, float]:
    """Mean over gradient steps of the compression ratio (by bytes, by parameters): what training logs as
    ``avg_ratio_bytes`` and ``avg_ratio_params``."""
    b, p = segment_compression(tr)
    steps = (tr.seg_period_steps * tr.seg_repeats).astype(np.float64)
    return float(np.sum(b * steps) / steps.sum()), float(np.sum(p * steps) / steps.sum())


def reencode(tr: Trace, fmt: str, group_rows: int = 1, group_cols: int = 4) -> Trace:
    """The same trace with every masked layer re-encoded as ``fmt`` from its mask snapshots.

    Layers without masks (dense, block-circulant) are unchanged; targets follow their online network's mask.
    So formats compare on the same masks.
    """
    if fmt not in REENCODE_FORMATS:
        raise InputError("--format", fmt, f"expected one of {', '.join(REENCODE_FORMATS)}")
    if not tr.masks:
        return tr  # nothing is masked: every layer keeps its recorded (dense or block-circulant) format
    c = {k: v.copy() for k, v in tr.rows.items()}
    # Active mask per (network, layer) at each segment start: the latest snapshot at or before it.
    snaps: dict[tuple[str, int], list] = {}
    for m in tr.masks:
        snaps.setdefault((m.network, m.layer), []).append(m)
    cache: dict[int, tuple[int, int]] = {}
    code_new = formats.SCHEME_CODE[fmt]
    for s in range(tr.n_segments):
        first = int(tr.seg_first_step[s])
        a, b = int(tr.seg_row_start[s]), int(tr.seg_row_start[s + 1])
        for i in range(a, b):
            if c["tensor"][i] not in WEIGHT_SIDE:
                continue
            key = (tr.online_of(str(c["network"][i])), int(c["layer"][i]))
            if key not in snaps or c["scheme"][i] in ("dense", "bc"):
                continue
            active = [m for m in snaps[key] if m.step <= first]
            if not active:
                continue
            m = active[-1]
            if id(m) not in cache:
                mask = m.mask()
                if fmt == "group":
                    g = np.pad(mask, ((0, -mask.shape[0] % group_rows), (0, -mask.shape[1] % group_cols)))
                    g = g.reshape(g.shape[0] // group_rows, group_rows, g.shape[1] // group_cols, group_cols)
                    units = int(g.any(axis=(1, 3)).sum())
                    sv = units * group_rows * group_cols
                elif fmt == "dense":
                    units = sv = mask.size
                else:
                    units = sv = int(mask.sum())
                cache[id(m)] = (sv, units)
            sv, units = cache[id(m)]
            c["scheme"][i] = fmt
            c["stored_values"][i] = sv
            c["nnz_units"][i] = units
            c["group_rows"][i] = group_rows if code_new == formats.GROUP else 0
            c["group_cols"][i] = group_cols if code_new == formats.GROUP else 0
            c["nm_n"][i] = c["nm_m"][i] = 0
    return replace(tr, rows=c, meta={**tr.meta, "reencoded_as": fmt})
