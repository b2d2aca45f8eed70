"""Named result records of a simulation (no positional lists). All figures are whole-run unless named.

Units: cycles of the accelerator clock, seconds, joules, bytes (on the DRAM bus: burst round-up and
metadata included), MACs.

:class:`Counts` and :class:`EnergyBreakdown` are also the *declarations* of the engines' packed count and
energy vectors: :mod:`accelsim.base.layouts` derives the vector slots from their fields, so a figure is named
once, here, and the engines, the records and the reports cannot disagree on what slot holds what.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

#: Joules per picojoule: the engines accumulate pJ, the records hold J.
PJ = 1e-12


@dataclass(frozen=True)
class EnergyBreakdown:
    """Energy by component, in joules. ``total`` is their sum."""

    dram: float
    sram: float
    mac: float
    decode: float
    static: float

    @property
    def total(self) -> float:
        return sum(getattr(self, f.name) for f in fields(self))


@dataclass(frozen=True)
class Counts:
    """The integer figures the engines accumulate, in the order of their count vector.

    ``cycles = compute_cycles + stall_memory_cycles + stall_decode_cycles``; DRAM bytes are bus bytes.
    """

    cycles: int
    compute_cycles: int
    stall_memory_cycles: int
    stall_decode_cycles: int
    dram_read_bytes: int
    dram_write_bytes: int
    dram_row_activations: int
    macs: int
    sram_read_bytes: int
    sram_write_bytes: int


#: Field names of :class:`Counts` and :class:`EnergyBreakdown`, in vector order.
COUNT_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Counts))
ENERGY_NAMES: tuple[str, ...] = tuple(f.name for f in fields(EnergyBreakdown))


@dataclass(frozen=True)
class Totals(Counts):
    """Figures of a whole run, or of one part of it (a phase, a network, a segment): the counts plus
    what follows from them.

    ``seconds = cycles / clock``; ``energy_j = sum(energy_breakdown_j)``;
    ``dram_bytes = dram_read_bytes + dram_write_bytes``.
    """

    seconds: float
    energy_j: float
    energy_breakdown_j: EnergyBreakdown
    dram_bytes: int

    @classmethod
    def from_vectors(cls, counts: Sequence[Any], energy_pj: Sequence[Any], mhz: float) -> Totals:
        """Totals from an engine's count vector (by :data:`COUNT_NAMES`) and energy vector in pJ (by
        :data:`ENERGY_NAMES`) at clock ``mhz``."""
        c = {name: int(counts[q]) for q, name in enumerate(COUNT_NAMES)}
        e = EnergyBreakdown(**{name: float(energy_pj[q]) * PJ for q, name in enumerate(ENERGY_NAMES)})
        return cls(**c, seconds=c["cycles"] / (mhz * 1e6), energy_j=e.total, energy_breakdown_j=e,
                   dram_bytes=c["dram_read_bytes"] + c["dram_write_bytes"])

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: Flops per multiply-accumulate, the convention chips' TFLOPS and TFLOPS/W figures use.
FLOPS_PER_MAC = 2


@dataclass(frozen=True)
class Efficiency:
    """Throughput and energy efficiency of a view, counting MAC flops only (2 per MAC; the vector unit's Adam
    and Polyak flops are left out, as a chip's peak figures leave them out).

    Attributes:
        flops: FLOPS_PER_MAC × MACs done (skipped MACs are not done).
        seconds: the view's time.
        energy_j: all of its energy, chip and DRAM.
        chip_energy_j: the chip alone: ``energy_j`` less the DRAM part (bus bits, row activations) and the
            DRAM's share of the static part (its background power × time).
    """

    flops: int
    seconds: float
    energy_j: float
    chip_energy_j: float

    @classmethod
    def of(cls, t: Totals, dram_static_share: float) -> Efficiency:
        """The efficiency of totals ``t``; ``dram_static_share`` is the DRAM's fraction of the static power."""
        e = t.energy_breakdown_j
        return cls(FLOPS_PER_MAC * t.macs, t.seconds, t.energy_j, t.energy_j - e.dram - e.static * dram_static_share)

    @property
    def tflops(self) -> float:
        """1e12 flops per second."""
        return self.flops / self.seconds / 1e12 if self.seconds else 0.0

    @property
    def tflops_per_w(self) -> float:
        """1e12 flops per joule (= TFLOPS/W), all energy."""
        return self.flops / self.energy_j / 1e12 if self.energy_j else 0.0

    @property
    def chip_tflops_per_w(self) -> float:
        """1e12 flops per joule of the chip alone (no DRAM)."""
        return self.flops / self.chip_energy_j / 1e12 if self.chip_energy_j else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"flops": self.flops, "chip_energy_j": self.chip_energy_j, "tflops": self.tflops,
                "tflops_per_w": self.tflops_per_w, "chip_tflops_per_w": self.chip_tflops_per_w}


@dataclass(frozen=True)
class SegmentTotals:
    """One trace segment: steps [first_step, first_step + steps)."""

    first_step: int
    steps: int
    period_steps: int
    repeats: int
    totals: Totals

    @property
    def cycles_per_step(self) -> float:
        return self.totals.cycles / self.steps

    def to_dict(self) -> dict[str, Any]:
        d = self.totals.to_dict()
        d.update(first_step=self.first_step, steps=self.steps, period_steps=self.period_steps,
                 repeats=self.repeats, cycles_per_step=self.cycles_per_step)
        return d


@dataclass(frozen=True)
class ViewResult:
    """The whole run in one view ("dense" or "compressed"), with its breakdowns and its efficiency.

    ``by_layer`` is keyed by the layer's network and index, ``critic1[1]`` (the replay batch: ``replay``), in
    network order; like every breakdown it adds up to the totals exactly.
    """

    view: str
    totals: Totals
    by_phase: dict[str, Totals]
    by_network: dict[str, Totals]
    efficiency: Efficiency
    by_segment: list[SegmentTotals] = field(default_factory=list)
    by_layer: dict[str, Totals] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = self.totals.to_dict()
        d["by_phase"] = {k: v.to_dict() for k, v in self.by_phase.items()}
        d["by_network"] = {k: v.to_dict() for k, v in self.by_network.items()}
        d["by_layer"] = {k: v.to_dict() for k, v in self.by_layer.items()}
        d["by_segment"] = [s.to_dict() for s in self.by_segment]
        d["efficiency"] = self.efficiency.to_dict()
        return d


@dataclass(frozen=True)
class RunPrecision:
    """The types a trace was recorded in and the types the simulated chip trains in (its bytes follow the chip's).

    Attributes:
        trace_dtype: the trace's value type (several, if it holds several, joined by ``/``).
        dtype: the chip's datapath and storage type (weights, gradients, activations).
        optimizer_dtype: the chip's type for Adam moments and master weights.
    """

    trace_dtype: str
    dtype: str
    optimizer_dtype: str

    def sentence(self) -> str:
        """E.g. ``this fp32 run, trained on a bf16 chip (Adam moments and master weights fp32)``."""
        def a(t: str) -> str:
            return ("an " if t[0] in "aefhilmnorsx" else "a ") + t

        out = f"this {self.trace_dtype} run, trained on {a(self.dtype)} chip"
        if self.optimizer_dtype != self.dtype:
            out += f" (Adam moments and master weights {self.optimizer_dtype})"
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SimResult:
    """Compressed versus dense replay of one trace on one hardware point (in the chip's types, ``precision``).

    ``speedup = dense.seconds / compressed.seconds``; ``energy_ratio = compressed.energy_j / dense.energy_j``.
    """

    trace: str
    hardware: str
    engine: str
    steps: int
    dense: ViewResult
    compressed: ViewResult
    precision: RunPrecision

    @property
    def speedup(self) -> float:
        return self.dense.totals.seconds / self.compressed.totals.seconds

    @property
    def energy_ratio(self) -> float:
        return self.compressed.totals.energy_j / self.dense.totals.energy_j

    def to_dict(self) -> dict[str, Any]:
        return {
            "trace": self.trace,
            "hardware": self.hardware,
            "engine": self.engine,
            "steps": self.steps,
            "speedup": self.speedup,
            "energy_ratio": self.energy_ratio,
            "dense": self.dense.to_dict(),
            "compressed": self.compressed.to_dict(),
            "precision": self.precision.to_dict(),
        }
