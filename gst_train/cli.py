"""``gst-train``: train TD3 with GST or a baseline on a Gymnasium MuJoCo env, writing an accelsim trace.

    gst-train --env HalfCheetah-v5 --method gst --total-steps 1000000 --seed 0 --out runs/NAME
    gst-train --resume runs/NAME

Bad flags or run folders print one line and exit 2.
"""

from __future__ import annotations

import dataclasses
import shutil
import sys
from pathlib import Path

from accelsim.base.errors import InputError, one_line
from accelsim.base.paths import check_output
from gst_train.config import ConfigError, TrainConfig, given_fields, parse_args, validate
from gst_train.extras import require
from gst_train.lock import LOCK_NAME, FolderBusy, run_lock

#: Settings a resumed run may take from the command line; every other one is the saved run's.
MAY_CHANGE_ON_RESUME = ("progress", "out")


def check_resume_flags(given: TrainConfig, saved: TrainConfig, resume: str, flags: set[str]) -> None:
    """Refuse (ConfigError, one line) a flag given beside ``--resume`` (its field in ``flags``) whose value
    contradicts the saved run: a resumed run keeps its configuration."""
    for name in sorted(flags):
        if name in MAY_CHANGE_ON_RESUME:
            continue
        mine, theirs = getattr(given, name), getattr(saved, name)
        if mine != theirs:
            flag = f"--{name.replace('_', '-')}"
            raise ConfigError(flag, f"{mine} contradicts the saved run's {theirs} (--resume {resume} continues the "
                                    "run as it was configured; start a new run to change it)")


def main(argv: list[str] | None = None) -> int:
    cfg, resume = parse_args(argv)
    code = require("gst-train")
    if code is not None:
        return code
    # Loaded only once the extras are known to be there (torch, gymnasium).
    from gst_train.train import RunError, run

    try:
        if resume:
            run_dir = Path(resume)
            if not run_dir.is_dir():
                raise RunError(f"--resume {resume}: no such run folder")
            if (run_dir / "DONE").is_file():
                print(f"{resume}: run already finished (see {run_dir / 'DONE'})")
                return 0
            with run_lock(run_dir):
                return _resume(cfg, run_dir, resume, argv)
        cfg = validate(cfg)
        out = Path(cfg.out)
        # An empty path, a file, a path under a file: one line (under a file was a traceback, and an empty path
        # trained in the current folder: tests/test_fuzz_contracts.py).
        try:
            check_output(cfg.out, "--out", folder=True)
        except InputError as exc:
            raise RunError(exc.one_line()) from None
        with run_lock(out):
            if any(p.name != LOCK_NAME for p in out.iterdir()):
                raise RunError(f"--out {cfg.out}: folder exists and is not empty (use --resume to continue it)")
            run(cfg)
        return 0
    except (ConfigError, RunError, FolderBusy) as exc:
        sys.stderr.write(f"gst-train: error: {one_line(str(exc))}\n")  # a path may hold a line break
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("gst-train: interrupted; continue with --resume\n")
        return 130


def _resume(cfg: TrainConfig, run_dir: Path, resume: str, argv: list[str] | None) -> int:
    """Continue the run in ``run_dir`` (its lock held) from its last checkpoint, or from the start if it has none."""
    from gst_train import checkpoint as ckpt
    from gst_train.train import config_of, run

    saved = config_of(run_dir)
    check_resume_flags(cfg, saved, resume, given_fields(argv))
    cfg = dataclasses.replace(saved, progress=cfg.progress)
    if ckpt.find(run_dir) is None:
        # Killed before its first checkpoint: start over in the same folder.
        for name in ("trace", "tb", "metrics.csv"):
            p = run_dir / name
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()
        run(cfg, resume=False)
    else:
        run(cfg, resume=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
