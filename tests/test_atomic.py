"""The one atomic-write helper: a reader sees the old file or the whole new one, never half of it."""

import pytest

from accelsim.base.atomic import atomic_path, atomic_write_text, remove_temporaries


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out" / "report.json"
    atomic_write_text(target, "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half of the new")
        assert target.read_text() == "old"  # nothing visible until the rename
        raise RuntimeError("killed mid-write")
    assert target.read_text() == "old"
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.json"]
    atomic_write_text(target, "new")
    assert target.read_text() == "new"


def test_temporaries_are_hidden_from_globs_and_can_be_swept(tmp_path):
    with atomic_path(tmp_path / "part-000001.parquet") as tmp:
        tmp.write_bytes(b"x")
        assert not list(tmp_path.glob("part-*.parquet"))
    (tmp_path / ".part-000002.parquet.99.tmp").write_bytes(b"left by a kill")
    remove_temporaries(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["part-000001.parquet"]


def test_a_refused_write_names_the_users_path_not_the_temporary_file(tmp_path, monkeypatch):
    import errno
    import os

    from accelsim.base.errors import expected_error

    target = tmp_path / "report.json"
    target.write_text("earlier\n")

    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device", str(src), None, str(dst))

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OSError) as info:
        atomic_write_text(target, "new\n")
    line = expected_error(info.value)
    assert line.startswith(f"{target}: No space left on device") and ".tmp" not in line
    assert target.read_text() == "earlier\n" and not list(tmp_path.glob(".*.tmp"))
