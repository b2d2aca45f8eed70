"""Checkpoints that make ``--resume`` continue a killed run exactly as if it had never stopped.

A checkpoint (taken at an episode end, so the env needs only its per-episode reset seed) holds the six
networks with their modes and masks, both Adam optimizers, the compression state (controller, GST policy,
masks' RNG, pending mask snapshots), the replay buffer, the numpy and torch RNG states, the loop counters,
and the trace writer's state (:class:`accelsim.trace.writer.WriterState`, from ``TraceWriter.checkpoint()``).
Resuming hands that state to ``TraceWriter.resume``, which rolls the trace back to the checkpoint (and
refuses if a part written before it is missing).

Trust, but verify: every file of a checkpoint is listed with its SHA-256 in ``manifest.json``, written last.
A new checkpoint is built in ``checkpoint.new`` and swapped in; the previous good one stays as
``checkpoint.prev`` until the next one is complete. :func:`load` verifies the newest checkpoint (manifest,
checksums, then loading every object) and falls back to the previous one with a one-line warning.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import torch

from accelsim.base.atomic import atomic_path, atomic_write_text
from accelsim.trace.writer import WriterState

CKPT = "checkpoint"
PREV = f"{CKPT}.prev"
FILES = ("state.pt", "replay.npz", "writer.json")


class CheckpointError(ValueError):
    """No usable checkpoint: one line naming the folder and why."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save(out: Path, agent, comp, buf, rng: np.random.Generator, loop: dict, wstate: WriterState | None) -> None:
    """Write a checkpoint into a fresh folder, then swap it in; the previous one is kept as a fallback.

    ``wstate``: the trace writer's state, None when the run writes no trace."""
    new = out / f"{CKPT}.new"
    shutil.rmtree(new, ignore_errors=True)
    new.mkdir(parents=True)
    with atomic_path(new / "state.pt") as tmp:
        torch.save({"agent": agent.state_dict(), "comp": comp.state_dict(), "rng": rng.bit_generator.state,
                    "torch_rng": torch.get_rng_state(), "loop": loop}, tmp)
    with atomic_path(new / "replay.npz") as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **buf.state_arrays())
    atomic_write_text(new / "writer.json", json.dumps(None if wstate is None else wstate.to_dict()))
    atomic_write_text(new / "manifest.json", json.dumps({f: _sha256(new / f) for f in FILES}, indent=1))
    cur, prev = out / CKPT, out / PREV
    if cur.exists():
        # The current checkpoint becomes the fallback; the older fallback goes only now.
        shutil.rmtree(prev, ignore_errors=True)
        os.replace(cur, prev)
    os.replace(new, cur)


def candidates(out: Path) -> list[Path]:
    """Checkpoint folders present, newest first (a kill between the two renames leaves only ``.prev``;
    ``checkpoint.old`` is the name the first build used for the same moment)."""
    return [out / n for n in (CKPT, PREV, f"{CKPT}.old") if (out / n).is_dir()]


def find(out: Path) -> Path | None:
    c = candidates(out)
    return c[0] if c else None


def _verify(d: Path) -> None:
    """Raise CheckpointError unless every file of ``d`` matches its manifest checksum.

    A checkpoint written before manifests existed (no manifest.json, all files present) is verified only
    by reading it back (:func:`_read`)."""
    if not (d / "manifest.json").exists() and all((d / f).is_file() for f in FILES):
        return
    try:
        manifest = json.loads((d / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{d}: manifest.json missing or unreadable ({type(exc).__name__})") from None
    for f in FILES:
        p = d / f
        if not p.is_file():
            raise CheckpointError(f"{p}: missing")
        if _sha256(p) != manifest.get(f):
            raise CheckpointError(f"{p}: checksum does not match the manifest (truncated or corrupt)")


def _read(d: Path) -> dict:
    """Verify ``d`` and read its contents into memory (nothing of the run is touched yet)."""
    _verify(d)
    try:
        st = torch.load(d / "state.pt", weights_only=False)
        with np.load(d / "replay.npz") as z:
            replay = {k: z[k] for k in z.files}
        w = json.loads((d / "writer.json").read_text())
    except Exception as exc:  # checksums matched what was written, but it does not read back
        raise CheckpointError(f"{d}: unreadable ({type(exc).__name__}: {exc})") from None
    return {"state": st, "replay": replay, "writer": w}


def load(out: Path, agent, comp, buf, rng: np.random.Generator) -> dict:
    """Restore the newest good checkpoint; returns ``{"loop", "writer": WriterState or None, "folder"}``.

    A damaged newest checkpoint is reported in one line on stderr and the previous one is used; if none is
    usable, CheckpointError.
    """
    errors: list[str] = []
    for d in candidates(out):
        try:
            data = _read(d)
        except CheckpointError as exc:
            errors.append(str(exc))
            continue
        if errors:
            sys.stderr.write(f"gst-train: warning: {errors[-1]}; resuming from {d.name} instead\n")
        st = data["state"]
        try:
            agent.load_state_dict(st["agent"])
            comp.load_state_dict(st["comp"])
            rng.bit_generator.state = st["rng"]
            torch.set_rng_state(st["torch_rng"])
            buf.load_arrays(data["replay"])
        except Exception as exc:  # intact, but not this run's (e.g. another --hidden)
            raise CheckpointError(f"{d}: does not fit this run ({type(exc).__name__}: {exc})") from None
        w = data["writer"]
        writer = WriterState.from_dict(w) if isinstance(w, dict) and "open" in w else None
        return {"loop": st["loop"], "writer": writer, "folder": d}
    raise CheckpointError(f"{out}: no usable checkpoint" + (f" ({'; '.join(errors)})" if errors else ""))
