"""The chip's area in mm²: SRAM, PE array, vector unit, decode units and DRAM interface, from cited tables.

One data file, ``models/tech/area.toml``, holds the numbers with their ``[sources]``:

* logic: a multiply and an add per datapath type at 45 nm (Horowitz, ISSCC 2014), scaled by (node / 45)²;
* SRAM: CACTI 7.0's array areas by capacity and bank count at 90-22 nm, fitted per node by
  A = a·bits + p·banks·√(bits/banks) + c·banks (cells, the periphery along each bank's edges, each bank's fixed
  part) and interpolated in log-log between nodes;
* DRAM interface: CACTI-IO's area per I/O pin at the bus clock, times the channel's pins (JEDEC pinouts).

A = SRAM(weight_kib + act_kib, banks, node) + R·C·(mult + add)(dtype) + vector lanes · (mult + add)/2
(optimizer dtype) + decode lanes · a 32-bit add + channels · pins · A_pin. It counts arrays, datapaths and I/O
only: no control, registers, on-chip network, pad ring or seal ring (docs/model.md, "Chip area", states how far
that is from a published die). Pure functions of a config; the data file is read once (:func:`tables`).
"""

from __future__ import annotations

import functools
import itertools
import math
import tomllib
from dataclasses import dataclass

import numpy as np

from accelsim.base.resources import tech_dir
from accelsim.hardware.config import HardwareConfig

#: The parts of the chip's area, in report order (``area_<part>_mm2`` in the sweep table).
AREA_PARTS = ("sram", "pe", "vector", "decode", "dram_if")
UM2_PER_MM2 = 1e6


@dataclass(frozen=True)
class ChipArea:
    """A chip's area by part, mm².

    Attributes:
        sram: weight and activation buffers (all banks).
        pe: the R×C MAC array in ``pe.dtype``.
        vector: the vector unit's lanes in ``pe.optimizer_dtype``.
        decode: the decoder's and the transposer's lanes.
        dram_if: the DRAM interface's I/O circuits.
    """

    sram: float
    pe: float
    vector: float
    decode: float
    dram_if: float

    @property
    def total_mm2(self) -> float:
        return self.sram + self.pe + self.vector + self.decode + self.dram_if

    def parts(self) -> dict[str, float]:
        """``{part: mm²}`` in :data:`AREA_PARTS` order."""
        return {p: getattr(self, p) for p in AREA_PARTS}


@dataclass(frozen=True)
class SramNodeFit:
    """A(bits, banks) = a·bits + p·banks·√(bits/banks) + c·banks in mm², fitted to CACTI at one node."""

    nm: float
    a: float
    p: float
    c: float

    def mm2(self, bits: float, banks: int) -> float:
        return self.a * bits + self.p * banks * math.sqrt(bits / banks) + self.c * banks


@dataclass(frozen=True)
class PinModel:
    """CACTI-IO's area of one DRAM I/O pin and the pins a channel of one protocol has."""

    c: float
    k0: float
    k1: float
    k2: float
    k3: float
    r_on_ohm: float
    ca_pins_per_channel: int
    pins_per_byte: int

    def pin_mm2(self, bus_mhz: float) -> float:
        f = bus_mhz
        return self.c + self.k0 / self.r_on_ohm + (self.k1 * f + self.k2 * f * f + self.k3 * f ** 3) / self.r_on_ohm

    def pins(self, channel_bits: int) -> int:
        return channel_bits + self.pins_per_byte * math.ceil(channel_bits / 8) + self.ca_pins_per_channel


@dataclass(frozen=True)
class AreaTables:
    """The area data of ``models/tech/area.toml``, fitted."""

    logic_node_nm: float
    mult_um2: dict[str, float]
    add_um2: dict[str, float]
    int32_add_um2: float
    sram: tuple[SramNodeFit, ...]  # smallest node first
    io: dict[str, PinModel]
    checks: dict[str, dict]


def fit_sram_node(nm: float, kib: list[float], banks: list[int], mm2: list[float]) -> SramNodeFit:
    """Least squares in relative error of A = a·bits + p·banks·√(bits/banks) + c·banks through CACTI's points."""
    bits = np.asarray(kib, dtype=float) * 8192
    b = np.asarray(banks, dtype=float)
    a = np.asarray(mm2, dtype=float)
    X = np.stack([bits, b * np.sqrt(bits / b), b], axis=1)
    coef, *_ = np.linalg.lstsq(X / a[:, None], np.ones_like(a), rcond=None)
    return SramNodeFit(float(nm), *map(float, coef))


@functools.lru_cache(maxsize=1)
def tables() -> AreaTables:
    """The area tables of ``models/tech/area.toml`` (read and fitted once)."""
    with open(tech_dir() / "area.toml", "rb") as fh:
        d = tomllib.load(fh)
    logic = d["logic"]
    types = {k: v for k, v in logic.items() if isinstance(v, dict)}
    sram = tuple(sorted((fit_sram_node(n["nm"], n["kib"], n["banks"], n["mm2"]) for n in d["sram"]["node"]),
                        key=lambda f: f.nm))
    io = {}
    for proto, v in d["io"].items():
        k = d["io_coeffs"][v["coeffs"]]
        io[proto] = PinModel(k["c"], k["k0"], k["k1"], k["k2"], k["k3"], k["r_on_ohm"], v["ca_pins_per_channel"],
                             v["pins_per_byte"])
    return AreaTables(float(logic["node_nm"]), {t: float(v["mult_um2"]) for t, v in types.items()},
                      {t: float(v["add_um2"]) for t, v in types.items()}, float(logic["int32_add_um2"]), sram, io,
                      d.get("check", {}))


def sram_mm2(kib: float, banks: int, node_nm: float) -> float:
    """Area of ``kib`` KiB of SRAM in ``banks`` banks at ``node_nm``: CACTI's fit at the nodes around it, log-log
    interpolated; outside CACTI's nodes the nearest one's area scaled by the square of the node."""
    fits = tables().sram
    bits = kib * 8192
    if node_nm <= fits[0].nm:
        return fits[0].mm2(bits, banks) * (node_nm / fits[0].nm) ** 2
    if node_nm >= fits[-1].nm:
        return fits[-1].mm2(bits, banks) * (node_nm / fits[-1].nm) ** 2
    for small, big in itertools.pairwise(fits):
        if small.nm <= node_nm <= big.nm:
            t = math.log(node_nm / small.nm) / math.log(big.nm / small.nm)
            return math.exp((1 - t) * math.log(small.mm2(bits, banks)) + t * math.log(big.mm2(bits, banks)))
    raise AssertionError("unreachable: the nodes cover every value")  # pragma: no cover


def dram_interface_mm2(protocol: str, channels: int, channel_bits: int, data_rate_mtps: float) -> float:
    """I/O area of ``channels`` channels of ``channel_bits`` of ``protocol`` at ``data_rate_mtps`` (bus clock half
    the data rate). Does not scale with the chip's node (I/O devices are thick-oxide)."""
    m = tables().io[protocol]
    return channels * m.pins(channel_bits) * m.pin_mm2(data_rate_mtps / 2)


def chip_area(cfg: HardwareConfig) -> ChipArea:
    """The area of a hardware point by part (:class:`ChipArea`), mm²."""
    from accelsim.dram.presets import protocol_of

    t = tables()
    node = cfg.tech.node_nm
    logic = (node / t.logic_node_nm) ** 2 / UM2_PER_MM2  # um² at 45 nm -> mm² at the node
    dt, ot = cfg.pe.dtype, cfg.pe.optimizer_dtype
    pe = cfg.pe.rows * cfg.pe.cols * (t.mult_um2[dt] + t.add_um2[dt]) * logic
    vector = cfg.pe.vector_flops_per_cycle * (t.mult_um2[ot] + t.add_um2[ot]) / 2 * logic
    decode = (cfg.decode.values_per_cycle + cfg.decode.transpose_values_per_cycle) * t.int32_add_um2 * logic
    sram = sram_mm2(cfg.sram.weight_kib + cfg.sram.act_kib, cfg.sram.banks, node)
    proto = protocol_of(cfg.dram.part, cfg.dram.protocol or "")
    # dram.gbps, when set, runs the same part at the data rate that gives it (as the engines do).
    rate = (cfg.dram.gbps * 1e3 / (cfg.dram.channels * cfg.dram.channel_bits / 8) if cfg.dram.gbps is not None
            else cfg.dram.data_rate_mtps)
    dram_if = dram_interface_mm2(proto, cfg.dram.channels, cfg.dram.channel_bits, rate)
    return ChipArea(sram, pe, vector, decode, dram_if)


def published_die_mm2(preset: str) -> tuple[float, str] | None:
    """A published die area of a preset's namesake and its source, or None if the data file names none."""
    c = tables().checks.get(preset)
    return (float(c["die_mm2"]), str(c["source"])) if c else None
