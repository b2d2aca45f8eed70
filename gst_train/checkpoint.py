"""Checkpoints that make ``--resume`` continue a killed run exactly as if it had never stopped.

A checkpoint (taken at an episode end, so the env needs only its per-episode reset seed) holds the six
networks with their modes and masks, both Adam optimizers, the compression state (controller, masks'
RNG, pending mask snapshots), the replay buffer, the numpy and torch RNG states, the loop counters, and the
trace writer's open segment with the number of trace parts written. Resuming deletes trace parts written
after the checkpoint and reopens the writer where it was.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import torch

from accelsim.trace import PART_GLOB, TraceWriter, TxnRow, _Segment

CKPT = "checkpoint"


def writer_state(writer: TraceWriter) -> dict:
    """Flush the writer and describe what it holds open (JSON-serialisable)."""
    writer.flush()
    seg = writer._open
    return {
        "next_part": writer._part_index,
        "next_step": writer._next_step,
        "open": None if seg is None else {"first_step": seg.first_step,
                                          "period": [list(map(list, s)) for s in seg.period],
                                          "steps": seg.steps, "continues": seg.continues},
    }


def restore_writer(writer: TraceWriter, st: dict) -> None:
    writer._part_index = st["next_part"]
    writer._next_step = st["next_step"]
    writer._wrote_any = True
    o = st["open"]
    if o is not None:
        period = [tuple(TxnRow(*r) for r in step) for step in o["period"]]
        writer._open = _Segment(o["first_step"], period, o["steps"], o["continues"])


def rollback_trace(folder: Path, next_part: int) -> None:
    """Delete parts numbered >= ``next_part`` and temporary files (written after the checkpoint)."""
    if not folder.is_dir():
        return
    for p in folder.glob(PART_GLOB):
        if int(p.stem.split("-")[1]) >= next_part:
            p.unlink()
    for p in folder.glob(".*.tmp"):
        p.unlink()


def save(out: Path, agent, comp, buf, rng: np.random.Generator, loop: dict, wstate: dict) -> None:
    """Write the checkpoint into a fresh folder, then swap it in (a kill never leaves half a checkpoint)."""
    new = out / f"{CKPT}.new"
    shutil.rmtree(new, ignore_errors=True)
    new.mkdir(parents=True)
    torch.save({"agent": agent.state_dict(), "comp": comp.state_dict(), "rng": rng.bit_generator.state,
                "torch_rng": torch.get_rng_state(), "loop": loop}, new / "state.pt")
    np.savez(new / "replay.npz", **buf.state_arrays())
    (new / "writer.json").write_text(json.dumps(wstate))
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
    d = find(out)
    assert d is not None
    st = torch.load(d / "state.pt", weights_only=False)
    agent.load_state_dict(st["agent"])
    comp.load_state_dict(st["comp"])
    rng.bit_generator.state = st["rng"]
    torch.set_rng_state(st["torch_rng"])
    with np.load(d / "replay.npz") as z:
        buf.load_arrays({k: z[k] for k in z.files})
    return {"loop": st["loop"], "writer": json.loads((d / "writer.json").read_text())}
