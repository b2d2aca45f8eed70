"""The one trace reader: parts or a packed file in, a validated :class:`~accelsim.trace.schema.Trace` out; every
problem is one line naming the file, the field and what was expected.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from accelsim.base.errors import InputError
from accelsim.trace import formats
from accelsim.trace.schema import (
    COLUMN_MAX,
    ENUMS,
    MAX_DIM,
    MAX_REPEATS,
    META_KEY,
    PART_GLOB,
    SCHEMA,
    SCHEMA_VERSION,
    TXN_COLUMNS,
    WEIGHT_SIDE,
    MaskSnapshot,
    NetworkDecl,
    Trace,
    enums,
    networks_from_json,
)

#: The only part names the writer writes.
PART_NAME = re.compile(r"part-\d{6}\.parquet")


def _parts(path: Path) -> list[Path]:
    """The parts of a trace folder, in order: exactly the names the writer writes (``part-NNNNNN.parquet``),
    contiguous from ``part-000000``; anything else matching ``part-*.parquet`` is refused, not trusted."""
    if path.is_dir():
        parts = sorted(path.glob(PART_GLOB))
        if not parts:
            # A run folder holding trace/ is accepted too.
            if (path / "trace").is_dir():
                return _parts(path / "trace")
            raise InputError(str(path), "", "no trace parts (part-*.parquet) in this folder")
        for p in parts:
            if not PART_NAME.fullmatch(p.name):
                raise InputError(str(p), "", "not a part the trace writer writes (expected part-NNNNNN.parquet, six "
                                             "digits); move it out of the trace folder")
        for i, p in enumerate(parts):
            if int(p.name[5:11]) != i:
                raise InputError(str(p), "", f"expected part-{i:06d}.parquet before it (a trace's parts run from "
                                             "part-000000 without a gap; a part is missing or does not belong)")
        return parts
    if path.is_file():
        return [path]
    raise InputError(str(path), "", "trace not found (expected a trace folder or a .parquet file)")


def _read_part(path: Path) -> tuple[dict[str, Any], pa.Table]:
    try:
        if path.stat().st_size == 0:
            raise InputError(str(path), "", "empty file; expected a Parquet trace")
        # Through a Python file: pyarrow takes a path as UTF-8 and fails on a name that is not
        # (tests/test_fuzz_contracts.py).
        with open(path, "rb") as fh:
            pf = pq.ParquetFile(fh)
            meta_raw = (pf.schema_arrow.metadata or {}).get(META_KEY)
            if meta_raw is None:
                raise InputError(str(path), "metadata", f"no '{META_KEY.decode()}' metadata; not an accelsim trace")
            try:
                meta = json.loads(meta_raw)
                version = meta["schema_version"]
            except (ValueError, KeyError, TypeError):
                raise InputError(str(path), "metadata.schema_version", "missing or unreadable") from None
            if not isinstance(version, int) or version < 1:
                raise InputError(str(path), "metadata.schema_version", f"expected an integer >= 1, got {version!r}")
            if version > SCHEMA_VERSION:
                raise InputError(str(path), "metadata.schema_version",
                                 f"version {version} is newer than this accelsim reads ({SCHEMA_VERSION}); "
                                 "upgrade accelsim")
            table = pf.read()
    except InputError:
        raise
    except (pa.ArrowException, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise InputError(str(path), "", f"unreadable Parquet ({type(exc).__name__}: {first})") from None
    return meta, _upgrade(table, version, path)


def _upgrade(table: pa.Table, version: int, path: Path) -> pa.Table:
    """Bring a table of an older schema version to the current one (v1 is the first: nothing to do)."""
    missing = [n for n in SCHEMA.names if n not in table.column_names]
    if missing:
        raise InputError(str(path), missing[0], f"required column missing (schema v{version})")
    for name in SCHEMA.names:
        got = table.schema.field(name).type
        want = SCHEMA.field(name).type
        if got != want:
            try:
                table = table.set_column(table.column_names.index(name), name, table[name].cast(want))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise InputError(str(path), name, f"expected type {want}, got {got}") from None
    return table.select(SCHEMA.names)


def _check_enums(cols: dict[str, np.ndarray], path: str, allowed_values: dict[str, tuple[str, ...]] = ENUMS) -> None:
    for name, allowed in allowed_values.items():
        vals = set(np.unique(cols[name]).tolist())
        bad = vals - set(allowed)
        if bad:
            raise InputError(path, name, f"unknown value {sorted(bad)[0]!r}; expected one of {', '.join(allowed)}")


def read_trace(path: str | os.PathLike) -> Trace:
    """Read a trace folder (``RUN_DIR/trace`` or ``RUN_DIR``) or a packed file, with full validation.

    Parts written after a kill are complete (atomic rename); temporary files are ignored. Segments split
    by part boundaries are merged. Any problem is an :class:`InputError` naming the file and the field.
    """
    path = Path(path)
    parts = _parts(path)
    metas, tables = [], []
    for p in parts:
        m, t = _read_part(p)
        metas.append(m)
        tables.append(t)
    run_meta = metas[0].get("run", {})
    for p, m in zip(parts[1:], metas[1:], strict=True):
        # A trace is one run: a part whose run metadata differs came from another run (a folder reused).
        other = m.get("run", {})
        if other != run_meta:
            diff = sorted(k for k in set(run_meta) | set(other) if run_meta.get(k) != other.get(k))
            raise InputError(str(p), "metadata.run", f"belongs to another run than {parts[0].name} (differs in "
                                                     f"{', '.join(diff[:4])}); a trace folder holds one run")
    version = min(m["schema_version"] for m in metas)
    if max(m["schema_version"] for m in metas) != version:
        raise InputError(str(parts[-1]), "metadata.schema_version", "the parts were written with different schema "
                                                                    "versions; a trace folder holds one run")
    networks = _declared_networks(parts, metas) if version >= 2 else ()
    table = pa.concat_tables(tables)
    src = str(path)
    if table.num_rows == 0:
        raise InputError(src, "", "trace has no rows")
    null_counts = {n: table[n].null_count for n in SCHEMA.names if n != "mask_bits"}
    for n, c in null_counts.items():
        if c:
            raise InputError(src, n, "null values; expected a value in every row")
    record = table["record"].to_numpy(zero_copy_only=False)
    bad = set(np.unique(record).tolist()) - {"txn", "mask"}
    if bad:
        raise InputError(src, "record", f"unknown record kind {sorted(bad)[0]!r}; expected txn or mask")
    is_txn = record == "txn"
    txn = table.filter(pa.array(is_txn))
    mask_tbl = table.filter(pa.array(~is_txn))
    if txn.num_rows == 0:
        raise InputError(src, "record", "no transaction rows")
    cols = {n: txn[n].to_numpy(zero_copy_only=False) for n in SCHEMA.names if n not in ("record", "mask_bits")}
    for n in ("network", "tensor", "phase", "direction", "dtype", "scheme"):
        cols[n] = cols[n].astype(str)
    _check_enums(cols, src, enums(version, networks))
    if networks:
        _check_declared(cols, networks, src)
    tr = _build_segments(cols, run_meta, version, src)
    masks = _read_masks(mask_tbl, src)
    _check_masks(masks, cols, src)
    return Trace(tr[0], version, *tr[1:], masks=masks, source=src, networks=networks)


def _declared_networks(parts: Sequence[Path], metas: Sequence[dict[str, Any]]) -> tuple[NetworkDecl, ...]:
    """The networks a version-2 trace declares: the last part's declaration, which every earlier part's must
    begin (a run may declare a network first seen late; it never changes or drops one)."""
    decls = []
    for p, m in zip(parts, metas, strict=True):
        try:
            decls.append(networks_from_json(m.get("networks")))
        except ValueError as exc:
            raise InputError(str(p), "metadata.networks", str(exc)) from None
    final = decls[-1]
    for p, d in zip(parts, decls, strict=True):
        if final[:len(d)] != d:
            raise InputError(str(p), "metadata.networks", f"declares networks that {parts[-1].name} does not "
                                                          "keep; a later part may only add networks")
    return final


def _check_declared(cols: dict[str, np.ndarray], networks: tuple[NetworkDecl, ...], src: str) -> None:
    """Version 2: a row's layer is one its network declares (-1 when not a layer's tensor; a data source has
    no layers), and a weight-side row has its layer's declared [rows, cols]."""
    by_name = {n.name: n for n in networks}
    weight_side = np.isin(cols["tensor"], WEIGHT_SIDE)
    keys = np.unique(np.stack([cols["network"], cols["layer"].astype(str), weight_side.astype(str),
                               cols["rows"].astype(str), cols["cols"].astype(str)], axis=1), axis=0)
    for net, layer_s, ws_s, r_s, c_s in keys:
        n, layer = by_name[str(net)], int(layer_s)
        if layer >= len(n.layers):
            raise InputError(src, "layer", f"{net} layer {layer}: the network declares {len(n.layers)} layers")
        if ws_s == "True":
            if layer < 0:
                raise InputError(src, "layer", f"{net}: a weight-side row needs a declared layer, got -1")
            decl = n.layers[layer]
            if (int(r_s), int(c_s)) != (decl.rows, decl.cols):
                raise InputError(src, "rows", f"{net} layer {layer} is {r_s}x{c_s} in a row; declared "
                                              f"{decl.rows}x{decl.cols}")


def _check_masks(masks: Sequence[MaskSnapshot], cols: dict[str, np.ndarray], src: str) -> None:
    """Every mask snapshot names a weight the trace moves (network, layer) and has that weight's shape."""
    w = cols["tensor"] == "weight"
    shapes = {(str(n), int(l)): (int(r), int(c)) for n, l, r, c in
              zip(cols["network"][w], cols["layer"][w], cols["rows"][w], cols["cols"][w], strict=True)}
    for i, m in enumerate(masks):
        want = shapes.get((m.network, m.layer))
        if want is None:
            raise InputError(src, "mask", f"snapshot {i} (step {m.step}) names {m.network} layer {m.layer}, "
                                          "which no weight row of the trace has")
        if (m.rows, m.cols) != want:
            raise InputError(src, "mask", f"snapshot {i} ({m.network} layer {m.layer}) is {m.rows}x{m.cols}; "
                                          f"the layer's weight is {want[0]}x{want[1]}")


def _read_masks(tbl: pa.Table, src: str) -> tuple[MaskSnapshot, ...]:
    out = []
    d = tbl.to_pydict()
    for i in range(tbl.num_rows):
        bits = d["mask_bits"][i]
        r, c = d["rows"][i], d["cols"][i]
        if bits is None or len(bits) * 8 < r * c or r <= 0 or c <= 0:
            raise InputError(src, "mask_bits", f"mask snapshot {i} does not hold rows·cols = {r}·{c} bits")
        out.append(MaskSnapshot(d["seg_first_step"][i], d["network"][i], d["layer"][i], r, c, d["scheme"][i], bits))
    out.sort(key=lambda m: m.step)
    return tuple(out)


def _build_segments(cols: dict[str, np.ndarray], meta: dict[str, Any], version: int, src: str):
    first = cols["seg_first_step"]
    n = first.shape[0]
    # Segment starts: where (first step, period, repeats, continues) changes between consecutive rows.
    key_change = np.ones(n, dtype=bool)
    key_change[1:] = (
        (first[1:] != first[:-1])
        | (cols["seg_period_steps"][1:] != cols["seg_period_steps"][:-1])
        | (cols["seg_repeats"][1:] != cols["seg_repeats"][:-1])
    )
    starts = np.flatnonzero(key_change)
    bounds = np.append(starts, n)
    seg_first = first[starts].astype(np.int64)
    seg_period = cols["seg_period_steps"][starts].astype(np.int64)
    seg_reps = cols["seg_repeats"][starts].astype(np.int64)
    seg_cont = cols["seg_continues"][starts]
    if np.any(seg_period < 1) or np.any(seg_reps < 1):
        raise InputError(src, "seg_period_steps", "expected period >= 1 and repeats >= 1 in every segment")
    # A trace starts at gradient step 0 (the writer's first step) and its steps are contiguous.
    if n and seg_first[0] != 0:
        raise InputError(src, "seg_first_step", f"the first segment starts at step {int(seg_first[0])}, expected 0 "
                                                "(a trace starts at its first gradient step; parts missing?)")
    ends = seg_first + seg_period * seg_reps
    gaps = np.flatnonzero(seg_first[1:] != ends[:-1])
    if gaps.size:
        k = int(gaps[0]) + 1
        raise InputError(src, "seg_first_step", f"segment {k} starts at step {int(seg_first[k])}, expected "
                                                f"{int(ends[k - 1])} (steps must be contiguous; truncated or "
                                                "reordered trace?)")
    sip = cols["step_in_period"]
    for name in ("layer",):
        if np.any(cols[name] < -1):
            raise InputError(src, name, "expected >= -1")
    for name in ("gemm_m", "gemm_k", "gemm_n", "rows", "cols", "stored_values", "nnz_units", "bias_values",
                 "vector_flops", "block_size", "group_rows", "group_cols", "nm_n", "nm_m"):
        if np.any(cols[name] < 0):
            raise InputError(src, name, "expected values >= 0")
        # Ranges, not just signs: one transaction's dimensions stay far inside int64 once multiplied
        # (the whole run's totals are checked against the hardware point by accelsim.hardware.limits.check_fits).
        top = COLUMN_MAX.get(name, MAX_DIM)
        if np.any(cols[name] > top):
            raise InputError(src, name, f"expected values <= {top:,} (got {int(cols[name].max()):,})")
    if np.any(seg_reps > MAX_REPEATS):
        raise InputError(src, "seg_repeats", f"expected at most {MAX_REPEATS:,} repetitions of a period")
    seg_of_row = np.repeat(np.arange(starts.size), np.diff(bounds))
    if np.any(sip < 0) or np.any(sip >= seg_period[seg_of_row]):
        raise InputError(src, "step_in_period", "expected 0 <= step_in_period < seg_period_steps")
    _check_formats(cols, src)
    # Merge pieces that a part boundary split (seg_continues) when they repeat the same period rows.
    keep = np.ones(starts.size, dtype=bool)
    for s in range(1, starts.size):
        if not seg_cont[s]:
            continue
        prev = s - 1
        while not keep[prev]:
            prev -= 1
        if seg_period[prev] == seg_period[s] and _same_rows(cols, bounds, prev, s):
            seg_reps[prev] += seg_reps[s]
            keep[s] = False
    idx = np.flatnonzero(keep)
    row_keep = keep[seg_of_row]
    new_cols = {k: v[row_keep] for k, v in cols.items()}
    lengths = np.diff(bounds)[idx]
    row_start = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    for k in ("seg_first_step", "seg_period_steps", "seg_repeats", "seg_continues"):
        new_cols.pop(k)
    return meta, seg_first[idx], seg_period[idx], seg_reps[idx], row_start, new_cols


def _same_rows(cols: dict[str, np.ndarray], bounds: np.ndarray, a: int, b: int) -> bool:
    la, lb = bounds[a + 1] - bounds[a], bounds[b + 1] - bounds[b]
    if la != lb:
        return False
    for name in ("step_in_period", *TXN_COLUMNS):
        if not np.array_equal(cols[name][bounds[a]:bounds[a + 1]], cols[name][bounds[b]:bounds[b + 1]]):
            return False
    return True


def _check_formats(cols: dict[str, np.ndarray], src: str) -> None:
    """Stored value counts must be what the scheme implies, and never exceed the dense count (+padding)."""
    code = np.array([formats.SCHEME_CODE[s] for s in cols["scheme"]], dtype=np.int64)
    weight_side = np.isin(cols["tensor"], WEIGHT_SIDE)
    need_block = weight_side & (code == formats.BC) & (cols["block_size"] < 1)
    if np.any(need_block):
        raise InputError(src, "block_size", "expected >= 1 for scheme bc")
    need_group = weight_side & (code == formats.GROUP) & ((cols["group_rows"] < 1) | (cols["group_cols"] < 1))
    if np.any(need_group):
        raise InputError(src, "group_rows", "expected group_rows, group_cols >= 1 for scheme group")
    bad_nm = (cols["nm_m"] < 1) | (cols["nm_n"] < 1) | (cols["nm_n"] > cols["nm_m"])
    need_nm = weight_side & (code == formats.NM) & bad_nm
    if np.any(need_nm):
        raise InputError(src, "nm_n", "expected 1 <= nm_n <= nm_m for scheme nm")
    exp = formats.expected_stored_values(code, cols["rows"], cols["cols"], cols["nnz_units"], cols["block_size"],
                                         cols["group_rows"], cols["group_cols"], cols["nm_n"], cols["nm_m"])
    bad = np.flatnonzero(weight_side & (exp != cols["stored_values"]))
    if bad.size:
        i = int(bad[0])
        raise InputError(src, "stored_values", f"row {i}: {int(cols['stored_values'][i])} stored values, but scheme "
                                               f"{cols['scheme'][i]} with {int(cols['nnz_units'][i])} kept units "
                                               f"implies {int(exp[i])}")
    if np.any(~weight_side & (code != formats.DENSE)):
        raise InputError(src, "scheme", "activation and replay-batch rows must be dense")
