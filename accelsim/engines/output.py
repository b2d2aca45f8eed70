"""What an engine returns: figures per segment, phase, network and layer for every hardware point, as named arrays.

Both engines (:mod:`accelsim.engines.fast.engine`, :mod:`accelsim.engines.reference.engine`) return an
:class:`EngineOutput`; :mod:`accelsim.simulation.simulate` and :mod:`accelsim.studies.sweep` turn it into records.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.base.layouts import N_COUNT, N_ENERGY
from accelsim.base.records import Totals


@dataclass(frozen=True)
class Tally:
    """Accumulated figures over leading axes ``shape``.

    Attributes:
        counts: (*shape, N_COUNT) int64, slots :data:`accelsim.base.layouts.COUNT` (cycles, bytes, MACs).
        energy_pj: (*shape, N_ENERGY) float64, slots :data:`accelsim.base.layouts.ENERGY`, picojoules.
    """

    counts: np.ndarray
    energy_pj: np.ndarray

    @classmethod
    def zeros(cls, *shape: int) -> Tally:
        return cls(np.zeros((*shape, N_COUNT), dtype=np.int64), np.zeros((*shape, N_ENERGY), dtype=np.float64))

    def totals(self, index: tuple[int, ...] | int, mhz: float) -> Totals:
        """The :class:`~accelsim.base.records.Totals` of the vectors at ``index`` (all leading axes) at clock
        ``mhz``."""
        return Totals.from_vectors(self.counts[index], self.energy_pj[index], mhz)

    def sum(self, axis: int) -> Tally:
        """Sum over leading axis ``axis``."""
        return Tally(self.counts.sum(axis=axis), self.energy_pj.sum(axis=axis))


@dataclass(frozen=True)
class EngineOutput:
    """Figures of one workload on P hardware points.

    Attributes:
        segments: (P, S, ·) per trace segment (whole segment: its prologue plus its periods).
        phases: (P, n_phase, ·) by :data:`accelsim.trace.schema.PHASES`; zeros unless run with detail.
        networks: (P, n_net, ·) by :data:`accelsim.trace.schema.NETWORKS`; zeros unless run with detail.
        layers: (P, L, ·) by the workload's ``layers`` (its (network, layer) pairs, named by ``layer_names``);
            the fast engine run without detail leaves it with no layers (L = 0).
    """

    segments: Tally
    phases: Tally
    networks: Tally
    layers: Tally

    def point_totals(self, p: int, mhz: float) -> Totals:
        """Whole-run totals of hardware point ``p``."""
        return Tally(self.segments.counts[p], self.segments.energy_pj[p]).sum(axis=0).totals((), mhz)
