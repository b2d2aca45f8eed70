"""Checkpoints that make ``--resume`` continue a killed run exactly as if it had never stopped.

A checkpoint (taken at an episode end, so the env needs only its per-episode reset seed) holds the six
networks with their modes and masks, both Adam optimizers, the compression state (controller, masks'
RNG, pending mask snapshots), the replay buffer, the numpy and torch RNG states, the loop counters, and the
trace writer's state (:class:`accelsim.trace.WriterState`, from ``TraceWriter.checkpoint()``). Resuming
hands that state to ``TraceWriter.resume``, which rolls the trace back to the checkpoint.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import torch

from accelsim.atomic import atomic_path, atomic_write_text
from accelsim.trace import WriterState

CKPT = "checkpoint"


def save(out: Path, agent, comp, buf, rng: np.random.Generator, loop: dict, wstate: WriterState | None) -> None:
    """Write the checkpoint into a fresh folder, then swap it in (a kill never leaves half a checkpoint).

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
    cur, old = out / CKPT, out / f"{CKPT}.old"
    shutil.rmtree(old, ignore_errors=True)
    if cur.exists():
        os.replace(cur, old)
    os.replace(new, cur)
    shutil.rmtree(old, ignore_errors=True)


def find(out: Path) -> Path | None:
    for name in (CKPT, f"{CKPT}.old"):
        if (out / name / "state.pt").is_file() and (out / name / "writer.json").is_file():
            return out / name
    return None


def load(out: Path, agent, comp, buf, rng: np.random.Generator) -> dict:
    """Restore the latest checkpoint into the given objects; returns ``{"loop": counters, "writer":
    WriterState or None}``."""
    d = find(out)
    assert d is not None
    st = torch.load(d / "state.pt", weights_only=False)
    agent.load_state_dict(st["agent"])
    comp.load_state_dict(st["comp"])
    rng.bit_generator.state = st["rng"]
    torch.set_rng_state(st["torch_rng"])
    with np.load(d / "replay.npz") as z:
        buf.load_arrays({k: z[k] for k in z.files})
    w = json.loads((d / "writer.json").read_text())
    # Checkpoints of runs without a trace hold null (or, before WriterState, {"next_part": 0}).
    writer = WriterState.from_dict(w) if isinstance(w, dict) and "open" in w else None
    return {"loop": st["loop"], "writer": writer}
