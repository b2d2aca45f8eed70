"""The repository keeps what the studies archive: results/<study>/runs/<name>/ must not be git-ignored.

(Until 2026-11-26 a bare ``runs/`` line in .gitignore, meant for the scratch run folders at the top, also
ignored every archived run under results/, so two sessions' finished runs sat uncommitted on one disk.)
"""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs a git checkout")
@pytest.mark.parametrize("path,ignored", [
    ("results/study_300k/runs/halfcheetah_gst_s0/metrics.csv", False),
    ("results/any_study/runs/x/trace.parquet", False),
    ("runs/study_300k/halfcheetah_gst_s0/checkpoint/state.pt", True),
])
def test_archived_runs_are_tracked_and_scratch_runs_are_not(path, ignored):
    r = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT)
    assert (r.returncode == 0) == ignored, path
