"""Shared fixtures: small real traces written through the real writer, and hardware points."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from accelsim.trace.formats import Format
from accelsim.trace.td3_step import td3_networks, td3_step_rows
from accelsim.trace.writer import write_trace

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "data" / "synthetic_gst_halfcheetah.parquet"
REAL = ROOT / "traces" / "halfcheetah_gst_s0.parquet"


def random_formats(rng: random.Random, shapes, allow=("dense", "bc", "group", "bitmap", "csr", "nm")):
    """A random Format for every online layer."""
    fmt = {}
    for net in ("actor", "critic1", "critic2"):
        for l, (o, i) in enumerate(shapes[net]):
            s = rng.choice(allow)
            if s == "bc":
                fmt[(net, l)] = Format("bc", block_size=rng.choice([2, 4, 8]))
            elif s == "group":
                gr, gc = rng.choice([(1, 4), (1, 2), (2, 2)])
                n_groups = -(-o // gr) * -(-i // gc)
                fmt[(net, l)] = Format("group", group_rows=gr, group_cols=gc, nnz_units=rng.randint(1, n_groups))
            elif s in ("bitmap", "csr"):
                fmt[(net, l)] = Format(s, nnz_units=rng.randint(1, o * i))
            elif s == "nm":
                fmt[(net, l)] = Format("nm", nm_n=rng.choice([1, 2]), nm_m=4)
            else:
                fmt[(net, l)] = Format()
    return fmt


def make_random_trace(path: Path, seed: int, n_segments: int = 3, obs: int = 5, act: int = 2,
                      hidden=(16, 16), batch: int = 8) -> Path:
    """A packed trace of random segments (random formats, periods 1-2, repetitions 1-50)."""
    rng = random.Random(seed)
    shapes = td3_networks(obs, act, hidden)
    segs, step = [], 0
    for _ in range(n_segments):
        fmt = random_formats(rng, shapes)
        p = rng.choice([1, 2])
        reps = rng.randint(1, 50)
        period = [td3_step_rows(shapes, fmt, batch, obs, act, actor_update=(step + k) % 2 == 0) for k in range(p)]
        segs.append((step, reps, period))
        step += p * reps
    return write_trace(path, {"synthetic": True, "seed": seed, "batch": batch}, segs)


@pytest.fixture
def sample_trace() -> Path:
    return SAMPLE


CONTRACTS = ROOT / "docs" / "contracts.md"


def contract_sections(path: Path = CONTRACTS) -> dict[str, tuple[int | None, list[list[str]]]]:
    """docs/contracts.md by ``##``/``###`` heading: (version or None, the names in the first column of each
    of its tables, in order). Backticks mark names; a cell with several names gives them all."""
    out: dict[str, tuple[int | None, list[list[str]]]] = {}
    title, version, tables, in_table = None, None, [], False
    for line in path.read_text().splitlines():
        head = re.match(r"^#{2,3} (.+?)(?: \(version (\d+)\))?$", line)
        if head:
            if title is not None:
                out[title] = (version, tables)
            title = head.group(1).strip("`")
            version = int(head.group(2)) if head.group(2) else None
            tables, in_table = [], False
            continue
        if line.startswith("|"):
            cell = line.split("|")[1]
            if re.fullmatch(r"[\s:-]+", cell):
                continue
            if not in_table:
                tables.append([])
                in_table = True
                continue  # the header row
            tables[-1].extend(re.findall(r"`([^`]+)`", cell))
        else:
            in_table = False
    if title is not None:
        out[title] = (version, tables)
    return out
