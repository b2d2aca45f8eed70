"""The trace contract: writer, reader, run-length compression, masks, parts, bad input."""

import json
import os
import random

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import make_random_trace

from accelsim.base.errors import InputError
from accelsim.trace.formats import Format
from accelsim.trace.pack import pack
from accelsim.trace.reader import read_trace
from accelsim.trace.schema import META_KEY, SCHEMA_VERSION, TXN_COLUMNS
from accelsim.trace.td3_step import td3_networks, td3_step_rows
from accelsim.trace.writer import TraceWriter, WriterState

SHAPES = td3_networks(5, 2, (16, 16))


def _rows(step, nnz=-1):
    fmt = {("critic1", 1): Format("group", group_rows=1, group_cols=4, nnz_units=nnz)}
    return td3_step_rows(SHAPES, fmt, 8, 5, 2, actor_update=step % 2 == 0)


def _write_run(folder, n_steps, change_at=(), flush_every_s=None, flush_at=()):
    w = TraceWriter(folder, {"env": "test", "seed": 1}, period_steps=2, flush_every_s=flush_every_s)
    nnz = 64
    for s in range(n_steps):
        if s in change_at:
            nnz -= 8
            w.add_mask(s, "critic1", 1, np.ones((16, 16), bool), "group")
        w.add_step(s, _rows(s, nnz))
        if s in flush_at:
            w.flush()
    w.close()
    return folder


def test_run_length_compression_and_masks(tmp_path):
    tr = read_trace(_write_run(tmp_path / "t", 101, change_at=(40,)))
    assert tr.n_steps == 101 and tr.first_step == 0
    # Steps 0-39 (20 periods), 40-99 (30 periods), step 100 (a partial period).
    assert tr.seg_first_step.tolist() == [0, 40, 100]
    assert tr.seg_repeats.tolist() == [20, 30, 1]
    assert tr.seg_period_steps.tolist() == [2, 2, 1]
    assert len(tr.masks) == 1 and tr.masks[0].step == 40 and tr.masks[0].mask().all()
    assert tr.meta == {"env": "test", "seed": 1}
    # Period rows come back exactly as written.
    assert tr.segment_rows(0)[: len(_rows(0, 64))] == list(_rows(0, 64))


def test_part_boundaries_do_not_change_the_trace(tmp_path):
    a = read_trace(_write_run(tmp_path / "a", 60))
    b = read_trace(_write_run(tmp_path / "b", 60, flush_at=(0, 7, 8, 31)))
    assert len(list((tmp_path / "b").glob("part-*.parquet"))) >= 4
    for f in ("seg_first_step", "seg_period_steps", "seg_repeats", "seg_row_start"):
        assert np.array_equal(getattr(a, f), getattr(b, f))
    for k in a.rows:
        assert np.array_equal(a.rows[k], b.rows[k])


def test_first_part_lands_at_first_step_and_every_part_is_complete(tmp_path):
    folder = tmp_path / "run"
    w = TraceWriter(folder, {"env": "test"}, flush_every_s=3600)
    w.add_step(0, _rows(0))
    w.add_step(1, _rows(1))  # one whole period (policy delay 2): the first part is written now
    parts = sorted(folder.glob("part-*.parquet"))
    assert len(parts) == 1
    meta = json.loads(pq.ParquetFile(parts[0]).schema_arrow.metadata[META_KEY])
    # A writer given no network declaration writes version 1 (TD3's fixed names); with one, the current version.
    assert meta["schema_version"] == 1 and SCHEMA_VERSION == 2 and meta["run"] == {"env": "test"}
    assert read_trace(folder).n_steps == 2


def test_killed_run_reads_up_to_last_part(tmp_path):
    folder = tmp_path / "run"
    w = TraceWriter(folder, {"env": "test"}, flush_every_s=None)
    for s in range(30):
        w.add_step(s, _rows(s))
        if s == 19:
            w.flush()
    # Killed here: no close(). A half-written temporary file is left behind as a kill would leave it.
    (folder / ".part-000099.parquet.tmp").write_bytes(b"PAR1 half")
    tr = read_trace(folder)
    assert tr.n_steps == 20


def test_packed_equals_folder(tmp_path):
    folder = _write_run(tmp_path / "f", 50, change_at=(10, 30), flush_at=(5, 22))
    packed = pack(folder, tmp_path / "p.parquet")
    a, b = read_trace(folder), read_trace(packed)
    assert a.n_steps == b.n_steps and len(a.masks) == len(b.masks)
    for k in a.rows:
        assert np.array_equal(a.rows[k], b.rows[k])


def test_run_folder_with_trace_subfolder_is_accepted(tmp_path):
    _write_run(tmp_path / "run" / "trace", 4)
    assert read_trace(tmp_path / "run").n_steps == 4


def test_consecutive_steps_required(tmp_path):
    w = TraceWriter(tmp_path / "x", {})
    w.add_step(0, _rows(0))
    with pytest.raises(ValueError, match="consecutive"):
        w.add_step(2, _rows(2))


# ---------------------------------------------------------------------------------------- bad input

def _table_of(path):
    return pq.read_table(path)


def _rewrite(src, dst, fn=None, meta=None):
    t = pq.read_table(src)
    if fn is not None:
        t = fn(t)
    md = dict(t.schema.metadata or {})
    if meta is not None:
        md[META_KEY] = json.dumps(meta).encode()
    pq.write_table(t.replace_schema_metadata(md), dst)
    return dst


@pytest.fixture
def good(tmp_path):
    return make_random_trace(tmp_path / "good.parquet", seed=3)


def test_missing_empty_truncated_corrupt(tmp_path, good):
    with pytest.raises(InputError, match="not found"):
        read_trace(tmp_path / "nope.parquet")
    empty = tmp_path / "empty.parquet"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_trace(empty)
    trunc = tmp_path / "trunc.parquet"
    trunc.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(InputError, match="unreadable Parquet") as ei:
        read_trace(trunc)
    assert str(trunc) in str(ei.value)
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(os.urandom(5000))
    with pytest.raises(InputError, match="unreadable Parquet"):
        read_trace(junk)
    (tmp_path / "emptydir").mkdir()
    with pytest.raises(InputError, match="no trace parts"):
        read_trace(tmp_path / "emptydir")


def test_future_and_bad_schema_version(tmp_path, good):
    meta = json.loads(pq.ParquetFile(good).schema_arrow.metadata[META_KEY])
    fut = _rewrite(good, tmp_path / "fut.parquet", meta={**meta, "schema_version": SCHEMA_VERSION + 1})
    with pytest.raises(InputError, match=r"schema_version.*newer"):
        read_trace(fut)
    bad = _rewrite(good, tmp_path / "bad.parquet", meta={**meta, "schema_version": "one"})
    with pytest.raises(InputError, match="schema_version"):
        read_trace(bad)
    plain = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"x": [1, 2]}), plain)
    with pytest.raises(InputError, match="not an accelsim trace"):
        read_trace(plain)


def _set(col, value):
    def fn(t):
        arr = t[col].to_pylist()
        arr[0] = value
        return t.set_column(t.column_names.index(col), col, pa.array(arr, type=t.schema.field(col).type))
    return fn


@pytest.mark.parametrize("col,value,msg", [
    ("scheme", "zip", "scheme: unknown value 'zip'"),
    ("network", "policy", "network: unknown value"),
    ("stored_values", 123456789, "stored_values"),
    ("seg_first_step", 5, "seg_first_step"),
    ("gemm_m", -1, "gemm_m"),
])
def test_bad_fields_name_file_and_field(tmp_path, good, col, value, msg):
    p = _rewrite(good, tmp_path / "bad.parquet", fn=_set(col, value))
    with pytest.raises(InputError, match=msg) as ei:
        read_trace(p)
    assert str(p) in str(ei.value)


def test_missing_column(tmp_path, good):
    p = _rewrite(good, tmp_path / "nocol.parquet", fn=lambda t: t.drop(["nnz_units"]))
    with pytest.raises(InputError, match="nnz_units: required column missing"):
        read_trace(p)


def test_random_traces_roundtrip(tmp_path):
    for seed in range(5):
        tr = read_trace(make_random_trace(tmp_path / f"r{seed}.parquet", seed=seed, n_segments=4))
        assert tr.n_segments == 4
        assert tr.n_steps == int((tr.seg_period_steps * tr.seg_repeats).sum())
    random.seed(0)


def test_checkpoint_and_resume_roll_back_later_parts_and_continue_exactly(tmp_path):
    """Resume from a checkpoint (through JSON, as gst_train stores it) after a kill that wrote more parts."""
    full = read_trace(_write_run(tmp_path / "full", 90, change_at=(30, 61)))
    folder = tmp_path / "killed"
    w = TraceWriter(folder, {"env": "test", "seed": 1}, period_steps=2, flush_every_s=None)
    nnz = 64

    def step(writer, s):
        nonlocal nnz
        if s in (30, 61):
            nnz -= 8
            writer.add_mask(s, "critic1", 1, np.ones((16, 16), bool), "group")
        writer.add_step(s, _rows(s, nnz))

    for s in range(45):
        step(w, s)
    saved = json.loads(json.dumps(w.checkpoint().to_dict()))
    nnz_at_checkpoint = nnz
    for s in range(45, 70):  # work after the checkpoint, then a kill: parts and a temporary file are left
        step(w, s)
        if s % 7 == 0:
            w.flush()
    (folder / ".part-000099.parquet.123.tmp").write_bytes(b"half")
    assert len(list(folder.glob("part-*.parquet"))) > WriterState.from_dict(saved).next_part
    nnz = nnz_at_checkpoint
    w2 = TraceWriter.resume(folder, {"env": "test", "seed": 1}, WriterState.from_dict(saved), period_steps=2,
                            flush_every_s=None)
    assert not list(folder.glob(".*.tmp"))
    for s in range(45, 90):
        step(w2, s)
    w2.close()
    got = read_trace(folder)
    for f in ("seg_first_step", "seg_period_steps", "seg_repeats", "seg_row_start"):
        assert np.array_equal(getattr(full, f), getattr(got, f))
    for k in full.rows:
        assert np.array_equal(full.rows[k], got.rows[k])
    assert [m.step for m in got.masks] == [m.step for m in full.masks]


def test_writer_state_reads_rows_stored_as_column_lists():
    """Checkpoints written before rows were stored by column name hold them as lists in column order."""
    row = _rows(0)[0]
    new = {"next_part": 3, "next_step": 8, "open": {"first_step": 6, "steps": 2, "continues": True,
                                                     "period": [[dict(zip(TXN_COLUMNS, row.columns(), strict=True))]]}}
    old = {**new, "open": {**new["open"], "period": [[list(row.columns())]]}}
    assert WriterState.from_dict(old) == WriterState.from_dict(new)
    assert WriterState.from_dict(new).open_segment.period[0][0] == row
