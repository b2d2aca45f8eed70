"""The hardware model's configuration: a frozen, validated dataclass tree loaded from TOML presets.

A preset file mirrors the tree: ``[dram] gbps = 12.8`` is the field ``HardwareConfig.dram.gbps`` and the
CLI override ``--set dram.gbps=12.8``. Units are in the field names: ``gbps`` = 1e9 bytes/s, ``kib`` =
1024 bytes, ``mhz`` = 1e6 cycles/s, ``ns``, ``pj`` (picojoules), ``mw`` (milliwatts). Every size must be
positive (zero is refused like any other bad size); any positive value is accepted (a model, not a
catalogue of parts). Energies, latencies and static powers may be zero. A field typed ``float | None``
also takes ``auto`` (or is left out): "derive it from the rest of the config" — ``dram.gbps`` from the DRAM
part, the chip's energies (``pe.mac_pj``, ``pe.vector_flop_pj``, ``sram.read_pj_per_byte``,
``sram.write_pj_per_byte``) from the cited tables at the chip's datapath type, node and supply
(:mod:`accelsim.hardware.energy_tables`), ``tech.vdd_v`` from the node. :func:`effective` gives any key's value in use.

Presets live in ``models/*.toml`` at the project root; see ``models/README.md`` for their sources.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from dataclasses import dataclass, field, fields, replace
from typing import Any

from accelsim.base.errors import InputError
from accelsim.hardware import limits
from accelsim.trace.formats import DTYPE_BITS, Precision

DATAFLOWS = ("ws", "os", "is")


@dataclass(frozen=True)
class ClockConfig:
    """Accelerator clock. ``mhz``: cycles per microsecond of the PE array, decoder and DMA engine."""

    mhz: float = 200.0


@dataclass(frozen=True)
class PEConfig:
    """Systolic PE array.

    Attributes:
        rows, cols: array shape R×C (PEs).
        dataflow: "ws" (weight stationary), "os" (output stationary) or "is" (input stationary).
        skip_zeros: whether the array skips pruned structured groups (group-sparse, N:M). Off by default:
            compression then saves bytes, not MACs.
        mac_pj: energy of one multiply-accumulate; None (auto): a multiply and an add in ``dtype`` at the
            chip's node and supply.
        vector_flops_per_cycle: throughput of the vector unit doing Adam and Polyak updates.
        vector_flop_pj: energy of one vector-unit flop; None (auto): the mean of a multiply and an add in
            ``optimizer_dtype`` at the chip's node and supply.
        dtype: the datapath and storage type (one of :data:`DTYPES`) of weights, gradients, activations and
            the replay batch: their bytes, and the energy of a MAC, follow it whatever type the trace was
            recorded in.
        optimizer_dtype: the type of Adam's moments and the master weights (their bytes, and the vector unit's
            flops on them).
        fuse_update: whether the optimizer update of a layer runs inside its backward-weight GEMM, tile by
            tile, so its gradient never goes to DRAM or waits in a buffer. On by default: a training
            accelerator that can keep a gradient tile and its W, m, v tiles together does (docs/model.md §6).
    """

    rows: int = 16
    cols: int = 16
    dataflow: str = "ws"
    skip_zeros: bool = False
    mac_pj: float | None = None
    vector_flops_per_cycle: int = 16
    vector_flop_pj: float | None = None
    dtype: str = "fp32"
    optimizer_dtype: str = "fp32"
    fuse_update: bool = True


@dataclass(frozen=True)
class SRAMConfig:
    """On-chip SRAM.

    Attributes:
        weight_kib: bytes for weights and their training state (grads, Adam moments), any compression.
            Less the stream region, it holds the tensors that save the most DRAM traffic per byte across
            steps (a knapsack); the rest stream through the stream region.
        act_kib: activation buffer: holds the live activations (and gradients with respect to them); when
            they do not fit, the one read again furthest in the future is spilled to DRAM and refilled.
        banks: SRAM banks (documented for the energy/area tables; the model assumes conflict-free access).
        double_buffer: whether loading the next tile overlaps decode and compute of this one (the stream
            region holds two tiles), or not (one tile: load, then decode and compute).
        stream_kib: the stream region of the weight buffer, where tiles read from DRAM land (at most half
            the weight buffer); split into two tiles with double buffering.
        read_pj_per_byte, write_pj_per_byte: access energy; None (auto): a read of one bank, (weight_kib +
            act_kib) / banks, by the cited SRAM fit at the chip's node and supply (a write costs a read).
        leakage_mw: static power of the arrays.
    """

    weight_kib: float = 128.0
    act_kib: float = 64.0
    banks: int = 4
    double_buffer: bool = True
    stream_kib: float = 32.0
    read_pj_per_byte: float | None = None
    write_pj_per_byte: float | None = None
    leakage_mw: float = 5.0


@dataclass(frozen=True)
class DRAMConfig:
    """Off-chip DRAM: one part, ``channels`` channels of ``channel_bits`` each.

    Attributes:
        part: the part's name (for reports).
        data_rate_mtps: transfers per second per pin, in 1e6/s (e.g. 3200 for LPDDR4-3200).
        channels, channel_bits, burst_length: a transfer rounds up to whole bursts of
            ``channel_bits/8 · burst_length`` bytes.
        gbps: total peak bandwidth in 1e9 B/s, overriding the part's derived peak; None (the key left out,
            or ``auto``) uses the derived peak, channels · channel_bits/8 · data_rate_mtps · 1e6.
        row_bytes: bytes of one open row (page) per channel.
        trcd_ns, trp_ns, tcl_ns: activate-to-read, precharge and CAS latency.
        trefi_ns, trfc_ns: refresh interval and refresh cycle time.
        io_pj_per_bit: interface (I/O) energy per bit on the bus; the banked model's IDD energy counts the
            core (activations, reads, writes, refresh, background during a transfer) on top.
        static_mw: background power of the part over the whole run.
        turnaround_ns, act_pj: the first build's write turnaround and activation energy; not read since the
            engines cost transfers on the banked model (tWTR/tRTW at direction switches, IDD energies), kept so
            that configs naming them still load.

    The engines cost every DRAM transfer on the banked part this table maps to
    (:func:`accelsim.dram.presets.from_dram_config`); its optional keys, None (left out, or ``auto``) meaning
    the protocol's documented default (``accelsim/dram/standards/``):
        protocol: "LPDDR4", "LPDDR5", "DDR4" or "HBM2" (auto: named in ``part``).
        ranks, bank_groups, banks_per_group, device_bits: organisation per channel.
        address_map: six two-letter fields, most significant first (auto: ``rorababgcoch``; DDR4 ``rorabacobgch``).
        tras_ns, trrd_s_ns, trrd_l_ns, tfaw_ns, twtr_s_ns, twtr_l_ns, trtp_ns, twr_ns, tcwl_ns: timings.
        tccd_s_ck, tccd_l_ck: column-to-column spacing in DRAM clock cycles (tCK = 2000 / data_rate_mtps ns).
        request_bytes: DMA request size (auto: one burst). requests_in_flight: DMA requests outstanding
            (auto: only the controller's queues limit them).
        queue_depth, write_queue_depth, bank_queue_depth: the controller's transaction queue and write buffer
            per channel and command queue per bank (auto: 32, 32, 8, DRAMSim3's configs' trans_queue_size and
            cmd_queue_size); row_hit_limit: open-row hits served before an older conflicting request may close
            the row (auto: 4, DRAMSim3's command queue).
    """

    part: str = "LPDDR4-3200"
    data_rate_mtps: float = 3200.0
    channels: int = 1
    channel_bits: int = 16
    burst_length: int = 16
    gbps: float | None = None
    row_bytes: int = 2048
    trcd_ns: float = 18.0
    trp_ns: float = 18.0
    tcl_ns: float = 17.5
    trefi_ns: float = 3904.0
    trfc_ns: float = 180.0
    turnaround_ns: float = 10.0
    io_pj_per_bit: float = 8.0
    act_pj: float = 1000.0
    static_mw: float = 20.0
    protocol: str | None = None
    ranks: int | None = None
    bank_groups: int | None = None
    banks_per_group: int | None = None
    device_bits: int | None = None
    address_map: str | None = None
    tras_ns: float | None = None
    trrd_s_ns: float | None = None
    trrd_l_ns: float | None = None
    tfaw_ns: float | None = None
    twtr_s_ns: float | None = None
    twtr_l_ns: float | None = None
    trtp_ns: float | None = None
    twr_ns: float | None = None
    tcwl_ns: float | None = None
    tccd_s_ck: int | None = None
    tccd_l_ck: int | None = None
    request_bytes: int | None = None
    requests_in_flight: int | None = None
    queue_depth: int | None = None
    write_queue_depth: int | None = None
    bank_queue_depth: int | None = None
    row_hit_limit: int | None = None

    @property
    def peak_gbps(self) -> float:
        """Peak bandwidth in 1e9 B/s: ``gbps`` if set, else derived from the part."""
        if self.gbps is not None:
            return self.gbps
        return self.channels * self.channel_bits / 8 * self.data_rate_mtps * 1e6 / 1e9

    @property
    def burst_bytes(self) -> int:
        return self.channel_bits // 8 * self.burst_length


@dataclass(frozen=True)
class DecodeConfig:
    """Decompression unit between SRAM and the PE array.

    Attributes:
        values_per_cycle: values produced per cycle expanding BC blocks or scattering sparse values.
        transpose_values_per_cycle: throughput of the on-chip transposer that builds W^T of sparse
            weights (BC needs none: the transpose of a circulant block is circulant).
        pj_per_value: energy per decoded or transposed value.
    """

    values_per_cycle: int = 16
    transpose_values_per_cycle: int = 16
    pj_per_value: float = 0.5


@dataclass(frozen=True)
class PowerConfig:
    """Static power of the logic (PE array, decoder, control), in mW."""

    static_mw: float = 50.0


@dataclass(frozen=True)
class TechConfig:
    """The chip's process, to which the cited 45 nm energies are scaled (:mod:`accelsim.hardware.energy_tables`).

    Attributes:
        node_nm: CMOS node, from 7 to 180 nm (the range of the scaling fits).
        vdd_v: supply voltage; None (auto): the node's nominal supply in the scaling table.
    """

    node_nm: float = 45.0
    vdd_v: float | None = None


@dataclass(frozen=True)
class HardwareConfig:
    """A whole accelerator. Build with :func:`load_preset`, :func:`load_hardware` or :func:`from_dict`."""

    name: str = "custom"
    description: str = ""
    clock: ClockConfig = field(default_factory=ClockConfig)
    pe: PEConfig = field(default_factory=PEConfig)
    sram: SRAMConfig = field(default_factory=SRAMConfig)
    dram: DRAMConfig = field(default_factory=DRAMConfig)
    decode: DecodeConfig = field(default_factory=DecodeConfig)
    power: PowerConfig = field(default_factory=PowerConfig)
    tech: TechConfig = field(default_factory=TechConfig)

    @property
    def precision(self) -> Precision:
        """The chip's storage types (``pe.dtype``, ``pe.optimizer_dtype``), which a workload's bytes follow."""
        return Precision(self.pe.dtype, self.pe.optimizer_dtype)

    def with_overrides(self, overrides: dict[str, Any], source: str = "--set") -> HardwareConfig:
        """A copy with dotted-key overrides (``{"dram.gbps": 12.8}``), validated."""
        return apply_overrides(self, overrides, source)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


SECTIONS: dict[str, type] = {
    "clock": ClockConfig,
    "pe": PEConfig,
    "sram": SRAMConfig,
    "dram": DRAMConfig,
    "decode": DecodeConfig,
    "power": PowerConfig,
    "tech": TechConfig,
}

#: Datapath types a chip may have (the value widths of :data:`accelsim.trace.formats.DTYPE_BITS`).
DTYPES = tuple(DTYPE_BITS)

# Fields that may be zero: energies, latencies and static powers. Sizes, rates and counts may not.
_NON_NEGATIVE_SUFFIXES = ("_pj", "_mw", "_pj_per_bit", "_pj_per_byte", "_pj_per_value", "_ns")
#: What a ``float | None`` field takes for None ("derive it"), in TOML and on the command line.
AUTO = "auto"


@functools.cache
def field_types(cls: type) -> dict[str, Any]:
    """Field name → declared type of a config section class (cached: resolving the hints for every field a
    config validates took most of a sweep's time). Read-only."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in fields(cls)}


def sram_bank_kib(cfg: HardwareConfig) -> float:
    """KiB of one SRAM bank, the array size the SRAM energy fit is read at: (weight + act) / banks."""
    return (cfg.sram.weight_kib + cfg.sram.act_kib) / cfg.sram.banks


def keys() -> list[str]:
    """Every overridable dotted key, e.g. ``dram.gbps``."""
    out = []
    for sec, cls in SECTIONS.items():
        out.extend(f"{sec}.{name}" for name in field_types(cls))
    return out


def parse_value(key: str, value: Any, source: str = "--set") -> Any:
    """A dotted key's value (a TOML value or a command-line string) as its field's type; the value's range
    is checked when the config is built. An unknown key is an InputError."""
    sec, _, name = key.partition(".")
    if sec not in SECTIONS or not name:
        raise InputError(source, key, f"unknown key; expected section.field with section one of "
                                      f"{', '.join(SECTIONS)}")
    ftypes = field_types(SECTIONS[sec])
    if name not in ftypes:
        raise InputError(source, key, f"unknown key; {sec} has {', '.join(ftypes)}")
    return _coerce(value, ftypes[name], source, key)


def _coerce(value: Any, typ: Any, source: str, key: str) -> Any:
    """Convert a TOML value or a --set string to the field's type, or raise InputError."""
    if isinstance(typ, types.UnionType):  # ``float | None``: None is spelled "auto"
        if value is None or (isinstance(value, str) and value.strip().lower() == AUTO):
            return None
        (typ,) = (t for t in typing.get_args(typ) if t is not type(None))
        if typ is float and isinstance(value, str):
            try:
                float(value)
            except ValueError:
                raise InputError(source, key, f"expected a number or {AUTO}, got {value!r}") from None
    if typ is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on"):
            return True
        if isinstance(value, str) and value.lower() in ("false", "0", "no", "off"):
            return False
        raise InputError(source, key, f"expected true or false, got {value!r}")
    if typ is int:
        if isinstance(value, bool):
            raise InputError(source, key, f"expected an integer, got {value!r}")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value, 0)
            except ValueError:
                try:
                    f = float(value)
                except ValueError:
                    f = math.nan
                if f.is_integer():
                    return int(f)
        raise InputError(source, key, f"expected an integer, got {value!r}")
    if typ is float:
        if isinstance(value, bool):
            raise InputError(source, key, f"expected a number, got {value!r}")
        if isinstance(value, int | float):
            out = float(value)
        else:
            try:
                out = float(str(value))
            except ValueError:
                raise InputError(source, key, f"expected a number, got {value!r}") from None
        if not math.isfinite(out):
            raise InputError(source, key, f"expected a finite number, got {value!r}")
        return out
    if typ is str:
        if not isinstance(value, str):
            raise InputError(source, key, f"expected a string, got {value!r}")
        return value
    raise AssertionError(f"unsupported field type {typ}")  # pragma: no cover


def _validate_field(sec: str, name: str, value: Any, source: str) -> None:
    key = f"{sec}.{name}"
    if value is None:
        return  # "auto": derived from the rest of the config
    if isinstance(value, bool | str):
        if key == "pe.dataflow" and value not in DATAFLOWS:
            raise InputError(source, key, f"expected one of {', '.join(DATAFLOWS)}, got {value!r}")
        if key in ("pe.dtype", "pe.optimizer_dtype") and value not in DTYPES:
            raise InputError(source, key, f"expected one of {', '.join(DTYPES)}, got {value!r}")
        return
    if name.endswith(_NON_NEGATIVE_SUFFIXES):
        if value < 0:
            raise InputError(source, key, f"expected a value >= 0, got {value!r}")
    elif value <= 0:
        auto = isinstance(field_types(SECTIONS[sec])[name], types.UnionType)
        hint = f" or {AUTO} (derived from the part)" if auto else ""
        raise InputError(source, key, f"expected a positive value{hint}, got {value!r}")
    # Ranges, not just signs (accelsim.hardware.limits): keeps every figure finite and inside the engines' int64.
    typ = field_types(SECTIONS[sec])[name]
    limits.check_field(key, value, int if typ is int else float, source)


#: What the banked part (:meth:`accelsim.dram.part.DRAMPart.validate`) calls the things the ``dram.*`` keys set:
#: a refusal of the part names the keys, the first the one it is about.
_PART_KEYS: dict[str, tuple[str, ...]] = {
    "channels": ("dram.channels",),
    "ranks": ("dram.ranks",),
    "bankgroups": ("dram.bank_groups",),
    "banks_per_group": ("dram.banks_per_group",),
    "burst_length": ("dram.burst_length",),
    "bus_width": ("dram.channel_bits", "dram.device_bits"),
    "bus_width_bits": ("dram.channel_bits",),
    "device_width_bits": ("dram.device_bits", "dram.channel_bits"),
    "columns": ("dram.row_bytes", "dram.channel_bits", "dram.burst_length"),
    "tCK": ("dram.data_rate_mtps",),
    "tRFC": ("dram.trfc_ns", "dram.trefi_ns", "dram.trp_ns", "dram.trcd_ns", "dram.tcl_ns", "dram.trtp_ns",
             "dram.twr_ns", "dram.tcwl_ns", "dram.burst_length", "dram.data_rate_mtps"),
}


def _validate(cfg: HardwareConfig, source: str) -> HardwareConfig:
    for sec in SECTIONS:
        obj = getattr(cfg, sec)
        for f in fields(obj):
            _validate_field(sec, f.name, getattr(obj, f.name), source)
    if cfg.dram.channel_bits % 8:
        raise InputError(source, "dram.channel_bits", f"expected a multiple of 8, got {cfg.dram.channel_bits}")
    if cfg.dram.trfc_ns >= cfg.dram.trefi_ns:
        raise InputError(source, "dram.trfc_ns", "expected trfc_ns < trefi_ns (refresh must leave time to work)")
    if cfg.dram.address_map is not None:
        from accelsim.dram.part import parse_address_map

        parse_address_map(cfg.dram.address_map, source, "dram.address_map")
    if cfg.dram.protocol is not None and cfg.dram.protocol.upper() not in ("LPDDR4", "LPDDR5", "DDR4", "HBM2"):
        raise InputError(source, "dram.protocol", f"expected LPDDR4, LPDDR5, DDR4 or HBM2, got {cfg.dram.protocol!r}")
    # The engines cost DRAM transfers on the banked part this table describes: it must be one.
    from accelsim.dram.presets import from_dram_config

    try:
        from_dram_config(cfg.dram, source)
    except InputError as exc:
        named = _PART_KEYS.get(exc.field, ())
        if cfg.dram.gbps is None or (named and "dram.data_rate_mtps" not in named):
            if not named:
                raise
            # The part's refusal in the keys that set what it names (``--set dram.channel_bits=24`` was refused
            # as "bus_width": tests/test_fuzz_contracts.py).
            raise InputError(source, named[0], f"{exc.expected} (the banked part's {exc.field}, set by "
                                               f"{', '.join(named)})") from None
        # dram.gbps runs the same part at the data rate that gives it: a very low one slows its clock past
        # its refresh interval. Say so under the key the user set.
        rate = cfg.dram.gbps * 1e3 / (cfg.dram.channels * cfg.dram.channel_bits / 8)
        raise InputError(source, "dram.gbps", f"{cfg.dram.gbps:g} GB/s runs the part at {rate:.4g} MT/s (tCK "
                                              f"{2000 / rate:.4g} ns), where it is no working DRAM: {exc.field}: "
                                              f"{exc.expected}") from None
    from accelsim.hardware import energy_tables

    t = energy_tables.tables()
    try:
        t.nominal_vdd(cfg.tech.node_nm)
    except ValueError as exc:
        raise InputError(source, "tech.node_nm", str(exc)) from None
    try:
        energy_tables.chip_energy(cfg.pe.dtype, cfg.pe.optimizer_dtype, cfg.tech.node_nm, cfg.tech.vdd_v,
                                  sram_bank_kib(cfg))
    except ValueError as exc:
        raise InputError(source, "tech.vdd_v", str(exc)) from None
    return cfg


#: Tables of a preset file that are not config: sources, assumptions, and the peak the chip cites.
DOC_TABLES = ("sources", "assumptions", "peak")


def from_dict(data: dict[str, Any], source: str = "<dict>") -> HardwareConfig:
    """Build and validate a config from a nested dict (a parsed TOML preset)."""
    if not isinstance(data, dict):
        raise InputError(source, "", "expected a table of sections")
    top: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("name", "description"):
            top[key] = _coerce(value, str, source, key)
            continue
        if key in DOC_TABLES:
            continue  # documentation tables, kept in the file for readers (and the peak check)
        if key not in SECTIONS:
            raise InputError(source, key, f"unknown section; expected one of {', '.join(SECTIONS)}")
        if not isinstance(value, dict):
            raise InputError(source, key, "expected a table")
        cls = SECTIONS[key]
        ftypes = field_types(cls)
        kwargs = {}
        for name, v in value.items():
            if name not in ftypes:
                raise InputError(source, f"{key}.{name}", f"unknown key; expected one of {', '.join(ftypes)}")
            kwargs[name] = _coerce(v, ftypes[name], source, f"{key}.{name}")
        top[key] = cls(**kwargs)
    return _validate(HardwareConfig(**top), source)


def apply_overrides(cfg: HardwareConfig, overrides: dict[str, Any], source: str = "--set") -> HardwareConfig:
    """Apply dotted-key overrides; strings are parsed to the field's type."""
    sections: dict[str, dict[str, Any]] = {}
    for key, value in overrides.items():
        sec, _, name = key.partition(".")
        sections.setdefault(sec, {})[name] = parse_value(key, value, source)
    new = cfg
    for sec, kw in sections.items():
        new = replace(new, **{sec: replace(getattr(new, sec), **kw)})
    return _validate(new, source)


def parse_set_args(items: list[str] | None) -> dict[str, str]:
    """``["dram.gbps=12.8", ...]`` → ``{"dram.gbps": "12.8"}``; malformed items are InputErrors."""
    out: dict[str, str] = {}
    for item in items or []:
        key, eq, value = item.partition("=")
        if not eq or not key.strip() or not value.strip():
            raise InputError("--set", item, "expected KEY=VALUE, e.g. dram.gbps=12.8")
        out[key.strip()] = value.strip()
    return out
