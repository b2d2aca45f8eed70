"""``accelsim capture --out DIR -- python SCRIPT.py [ARGS...]``: run an unmodified PyTorch training script and
record its weight transactions as a run folder (``DIR/trace``, schema version 2; ``DIR/capture.json``) that
``accelsim run DIR`` and ``accelsim validate DIR`` take.

The script runs in a child interpreter (``python`` and ``python3`` mean the interpreter running accelsim; any
other path is used as given) under :mod:`accelsim.capture.launch`. Refused, one line and exit 2: torch missing;
an output folder that already holds a run (a trace or a ``capture.json``); a script that exits non-zero (its
trace is kept up to its last part); a run in which no optimizer stepped.

``ACCELSIM_CAPTURE_FLOPS=1`` in the environment also counts the run's FLOPs with torch's ``FlopCounterMode``
into ``DIR/flop_count.json`` (:mod:`accelsim.capture.launch`), to check the trace's MACs against.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

from accelsim.base.errors import InputError

HELP = "run a PyTorch training script unmodified and capture its weight transactions as a trace"

INPUTS = ()
OUTPUTS = (("out", "--out", True),)

PYTHONS = ("python", "python3", Path(sys.executable).name)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="the run folder to write (DIR/trace, DIR/capture.json)")
    p.add_argument("command", nargs=argparse.REMAINDER,
                   help="after --: the training command, python SCRIPT.py [ARGS...]")


def _script_of(command: list[str]) -> tuple[str, list[str]]:
    """(interpreter, [script, args...]) of the command after ``--``."""
    cmd = command[1:] if command and command[0] == "--" else list(command)
    if not cmd:
        raise InputError("capture", "", "expected a command after --: python SCRIPT.py [ARGS...]")
    if cmd[0].endswith(".py"):
        return sys.executable, cmd
    python = sys.executable if cmd[0] in PYTHONS else cmd[0]
    if len(cmd) < 2 or not cmd[1].endswith(".py"):
        raise InputError("capture", " ".join(cmd[:2]), "expected python SCRIPT.py [ARGS...] (a script file; -m and "
                                                       "-c are not supported)")
    return python, cmd[1:]


def derived_inputs(args: argparse.Namespace) -> list[str]:
    """The script is an input: the output folder may not be it or hold it."""
    try:
        return [_script_of(args.command)[1][0]]
    except InputError:
        return []


def main(args: argparse.Namespace) -> int:
    python, script_args = _script_of(args.command)
    script = Path(script_args[0])
    if not script.is_file():
        raise InputError(str(script), "", "script not found")
    out = Path(args.out)
    held = [out / "capture.json", *(out / "trace").glob("part-*.parquet"), *out.glob("part-*.parquet")]
    if any(p.exists() for p in held):
        raise InputError("--out", str(out), "already holds a run (a trace or capture.json); choose a new folder")
    if python == sys.executable and importlib.util.find_spec("torch") is None:
        raise InputError("capture", "torch", "torch is not installed; capture needs it: pip install 'accelsim[train]'")
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    from accelsim.capture.launch import NO_TORCH

    rc = subprocess.call([python, "-m", "accelsim.capture.launch", str(out), *script_args], env=env)
    if rc == NO_TORCH:
        raise InputError("capture", "torch", f"torch is not installed for {python}; capture needs it: "
                                             "pip install 'accelsim[train]'")
    summary_path = out / "capture.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {"steps": 0}
    if rc != 0:
        raise InputError(str(script), "", f"the script exited with status {rc}; the trace in {out / 'trace'} holds "
                                          f"the {summary.get('steps', 0):,} steps written before it stopped")
    if not summary.get("steps"):
        raise InputError(str(script), "", "no optimizer step was recorded (no torch.optim optimizer stepped): "
                                          "nothing to capture")
    nets = ", ".join(n["name"] for n in summary.get("networks", []))
    print(f"captured {summary['steps']:,} steps (period {summary.get('period')}) of {nets} into {out / 'trace'}")
    return 0
