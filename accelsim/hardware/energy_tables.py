"""Energy per operation and per SRAM access by datapath type, node and supply: the cited tables, scaled.

Two data files in ``models/tech/`` hold the numbers, each with its ``[sources]``:

* ``horowitz_45nm.toml``: a multiply and an add in fp32, fp16, int8 (and bf16, derived) and a 64-bit SRAM read
  by array size, at 45 nm and 0.9 V (Horowitz, ISSCC 2014): the reference point;
* ``stillmaker_baas_2017.toml``: per node, the fit E(V) = a·V² + b·V + c of energy per operation against supply
  (Stillmaker & Baas, Integration 2017), and the supply a node runs at unless told otherwise.

A chip at node n and supply V pays the 45 nm figure times s(n, V) = E_n(V) / E_45(0.9 V); between listed
nodes E is interpolated linearly in nm. The SRAM figure is the power law E = E₀·(S / 8 KiB)^β fitted to
Horowitz's three array sizes (least squares in log-log), evaluated at one bank's size S. See docs/model.md §7.

Pure functions of numbers; the data files are read once (:func:`tables`).
"""

from __future__ import annotations

import functools
import math
import tomllib
from dataclasses import dataclass

import numpy as np

from accelsim.base.resources import tech_dir

#: Bytes in Horowitz's 64-bit SRAM access.
SRAM_ACCESS_BYTES = 8
#: The array size the SRAM fit is anchored at (Horowitz's smallest), KiB.
SRAM_REF_KIB = 8.0


@dataclass(frozen=True)
class OpEnergy:
    """A multiply and an add in one datapath type, pJ."""

    mult_pj: float
    add_pj: float

    @property
    def mac_pj(self) -> float:
        """A multiply-accumulate: one multiply and one add."""
        return self.mult_pj + self.add_pj

    @property
    def flop_pj(self) -> float:
        """One flop of the vector unit (Adam, Polyak): the mean of a multiply and an add."""
        return (self.mult_pj + self.add_pj) / 2


@dataclass(frozen=True)
class NodeFit:
    """Stillmaker & Baas's energy fit of one node: E(V) = a·V² + b·V + c (arbitrary units, ratios only)."""

    nm: float
    vdd_v: float
    a: float
    b: float
    c: float

    def energy(self, vdd_v: float) -> float:
        return self.a * vdd_v ** 2 + self.b * vdd_v + self.c


@dataclass(frozen=True)
class SramFit:
    """64-bit SRAM read energy by array size: ``e0_pj · (kib / SRAM_REF_KIB) ** beta`` at the reference node."""

    e0_pj: float
    beta: float

    def read_pj_per_64b(self, kib: float) -> float:
        return self.e0_pj * (kib / SRAM_REF_KIB) ** self.beta


@dataclass(frozen=True)
class EnergyTables:
    """The reference energies (45 nm, 0.9 V) and the node scaling, as loaded from ``models/tech/``."""

    ref_node_nm: float
    ref_vdd_v: float
    ops: dict[str, OpEnergy]
    sram: SramFit
    nodes: tuple[NodeFit, ...]  # largest node first

    @property
    def node_range_nm(self) -> tuple[float, float]:
        return self.nodes[-1].nm, self.nodes[0].nm

    def _between(self, node_nm: float) -> tuple[NodeFit, NodeFit, float]:
        """The listed nodes around ``node_nm`` (larger, smaller) and the weight of the smaller one."""
        lo, hi = self.node_range_nm
        if not lo <= node_nm <= hi:
            raise ValueError(f"expected a node from {lo:g} to {hi:g} nm (the range of the scaling fits), "
                             f"got {node_nm:g}")
        for big, small in zip(self.nodes, self.nodes[1:], strict=False):
            if small.nm <= node_nm <= big.nm:
                return big, small, (big.nm - node_nm) / (big.nm - small.nm)
        only = self.nodes[0]
        return only, only, 0.0

    def nominal_vdd(self, node_nm: float) -> float:
        """The supply a node is evaluated at unless a preset says otherwise (interpolated between nodes)."""
        big, small, t = self._between(node_nm)
        return (1 - t) * big.vdd_v + t * small.vdd_v

    def node_energy(self, node_nm: float, vdd_v: float) -> float:
        """E(node, V), interpolated linearly in nm between listed nodes (arbitrary units)."""
        big, small, t = self._between(node_nm)
        return (1 - t) * big.energy(vdd_v) + t * small.energy(vdd_v)

    def scale(self, node_nm: float, vdd_v: float) -> float:
        """Energy at (node, V) relative to the reference point (45 nm, 0.9 V)."""
        e = self.node_energy(node_nm, vdd_v)
        if e <= 0:
            raise ValueError(f"the {node_nm:g} nm fit gives no positive energy at {vdd_v:g} V; expected a supply "
                             "in the node's working range")
        return e / self.node_energy(self.ref_node_nm, self.ref_vdd_v)


def fit_sram(kib: list[float], pj: list[float]) -> SramFit:
    """Least-squares power law through (array KiB, pJ per 64-bit read), anchored at ``SRAM_REF_KIB``."""
    x = np.log(np.asarray(kib) / SRAM_REF_KIB)
    beta, log_e0 = np.polyfit(x, np.log(np.asarray(pj)), 1)
    return SramFit(float(math.exp(log_e0)), float(beta))


@functools.lru_cache(maxsize=1)
def tables() -> EnergyTables:
    """The energy tables of ``models/tech/`` (read once)."""
    with open(tech_dir() / "horowitz_45nm.toml", "rb") as fh:
        ref = tomllib.load(fh)
    with open(tech_dir() / "stillmaker_baas_2017.toml", "rb") as fh:
        sb = tomllib.load(fh)
    ops = {name: OpEnergy(float(v["mult_pj"]), float(v["add_pj"])) for name, v in ref["ops"].items()}
    nodes = tuple(sorted((NodeFit(float(n["nm"]), float(n["vdd_v"]), *map(float, n["energy"])) for n in sb["node"]),
                         key=lambda f: -f.nm))
    return EnergyTables(float(ref["node_nm"]), float(ref["vdd_v"]), ops,
                        fit_sram(ref["sram"]["kib"], ref["sram"]["read_pj_per_64b"]), nodes)


@dataclass(frozen=True)
class ChipEnergy:
    """What a chip's per-event energies are at its node and supply, by the cited tables.

    Attributes:
        node_nm, vdd_v: the node and the supply used (``vdd_v`` is the node's nominal unless given).
        scale: energy relative to Horowitz's 45 nm, 0.9 V figures.
        mac_pj: one MAC in the datapath type.
        vector_flop_pj: one vector-unit flop in the optimizer's type (Adam and Polyak work on the master
            weights and moments).
        sram_pj_per_byte: one byte read or written in an SRAM bank of the given size.
    """

    node_nm: float
    vdd_v: float
    scale: float
    mac_pj: float
    vector_flop_pj: float
    sram_pj_per_byte: float


def chip_energy(dtype: str, vector_dtype: str, node_nm: float, vdd_v: float | None, bank_kib: float) -> ChipEnergy:
    """Per-event energies of a chip: MACs in ``dtype``, vector flops in ``vector_dtype``, SRAM banks of
    ``bank_kib``, at ``node_nm`` and ``vdd_v`` (None: the node's nominal supply). Raises ValueError outside the
    tables (an unknown type, a node outside 7-180 nm, a supply where the fit is not positive)."""
    t = tables()
    for d in (dtype, vector_dtype):
        if d not in t.ops:
            raise ValueError(f"expected one of {', '.join(t.ops)}, got {d!r}")
    v = t.nominal_vdd(node_nm) if vdd_v is None else vdd_v
    s = t.scale(node_nm, v)
    return ChipEnergy(node_nm, v, s, t.ops[dtype].mac_pj * s, t.ops[vector_dtype].flop_pj * s,
                      t.sram.read_pj_per_64b(bank_kib) / SRAM_ACCESS_BYTES * s)
