"""Steps in, a :class:`~accelsim.trace.writer.TraceWriter` out, with the step period found from the steps.

A captured loop's period is not known in advance (TD3's policy delay: 2; PPO: the minibatch updates of one
rollout; a plain loop: 1). The first steps (up to ``detect_steps``, or ``detect_s`` seconds) are held, the period
that run-length compresses them into the fewest segments is chosen (ties: the shortest), and the writer is
created with it; the held steps and masks go to it in order, and later steps go straight through. So the trace
gets the writer's parts and crash safety once detection ends: a run killed during detection leaves no part.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from accelsim.trace.schema import NetworkDecl, TxnRow
from accelsim.trace.writer import TraceWriter


def segments_with_period(ids: Sequence[int], breaks: set[int], p: int) -> int:
    """How many segments :class:`TraceWriter` makes of steps with ids ``ids`` at period ``p`` (a mask change
    before step i, ``i in breaks``, ends a segment)."""
    segs = 0
    period: list[int] = []
    steps = 0
    for i, x in enumerate(ids):
        if not period or i in breaks:
            period, steps, segs = [x], 1, segs + 1
        elif len(period) < p:
            period.append(x)
            steps += 1
        elif period[steps % p] == x:
            steps += 1
        else:
            period, steps, segs = [x], 1, segs + 1
    return segs


def best_period(ids: Sequence[int], breaks: set[int], max_period: int) -> int:
    """The period (1..max_period) giving the fewest segments of ``ids``; the shortest among equals."""
    best, best_segs = 1, None
    for p in range(1, max(1, min(max_period, len(ids) // 2)) + 1):
        s = segments_with_period(ids, breaks, p)
        if best_segs is None or s < best_segs:
            best, best_segs = p, s
    return best


class PeriodicWriter:
    """A :class:`TraceWriter` whose period is found from the first steps.

    Args:
        folder: the trace folder.
        run_meta: a function giving the run metadata when the writer is created (after detection).
        networks: a function giving the current declaration (read at creation and at every step after).
        detect_steps, detect_s: hold at most this many steps, or this many seconds.
        max_period: the longest period considered.
        flush_every_s: the writer's part interval.
    """

    def __init__(self, folder: str | os.PathLike, run_meta: Callable[[], dict[str, Any]],
                 networks: Callable[[], tuple[NetworkDecl, ...]], detect_steps: int = 1024,
                 detect_s: float = 30.0, max_period: int = 512, flush_every_s: float | None = 30.0) -> None:
        self.folder = folder
        self._run_meta = run_meta
        self._networks = networks
        self.detect_steps = detect_steps
        self.detect_s = detect_s
        self.max_period = max_period
        self.flush_every_s = flush_every_s
        self._held: list[tuple[str, Any]] = []
        self._n_held = 0
        self._started = time.monotonic()
        self.writer: TraceWriter | None = None
        self.steps = 0
        self.period = 0

    def add_mask(self, network: str, layer: int, mask: np.ndarray, scheme: str) -> None:
        """Layer ``layer`` of ``network`` uses element mask ``mask`` ([out, in]) from the next step on."""
        if self.writer is None:
            self._held.append(("mask", (network, layer, mask, scheme)))
        else:
            self.writer.add_mask(self.steps, network, layer, mask, scheme)

    def add_step(self, rows: tuple[TxnRow, ...]) -> None:
        """Append the next step's ordered rows."""
        if self.writer is None:
            self._held.append(("step", rows))
            self._n_held += 1
            if self._n_held >= self.detect_steps or time.monotonic() - self._started >= self.detect_s:
                self._start()
        else:
            nets = self._networks()
            if nets != self.writer.networks:
                self.writer.declare_networks(nets)
            self.writer.add_step(self.steps, rows)
            self.steps += 1

    def _start(self) -> None:
        ids: list[int] = []
        breaks: set[int] = set()
        seen: dict[tuple[TxnRow, ...], int] = {}
        for kind, v in self._held:
            if kind == "mask":
                breaks.add(len(ids))
            else:
                ids.append(seen.setdefault(v, len(seen)))
        self.period = best_period(ids, breaks, self.max_period)
        self.writer = TraceWriter(self.folder, self._run_meta(), period_steps=self.period,
                                  flush_every_s=self.flush_every_s, networks=self._networks())
        held, self._held = self._held, []
        for kind, v in held:
            if kind == "mask":
                self.add_mask(*v)
            else:
                self.add_step(v)

    def close(self) -> None:
        """Write everything (nothing at all if no step was recorded)."""
        if self.writer is None and self._n_held:
            self._start()
        if self.writer is not None:
            self.writer.close()
