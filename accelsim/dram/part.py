"""A DRAM part and the controller in front of it, as frozen typed records.

A *part* is what a datasheet gives: organisation (channels × ranks × bank groups × banks, rows, columns,
device and bus widths, burst length), timings and IDD currents. Timings are in DRAM clock cycles (``_ck``,
one cycle = ``tck_ns``), as JEDEC tables and DRAMSim3 configs state most of them; data moves on both clock
edges, so a burst of BL beats occupies the data bus for ``burst_ck = BL/2`` cycles (GDDR5/5X/6 move 4/8/16
beats per clock; see :func:`burst_cycles`).

The *controller* is ours to choose: the address map (which address bits select channel, rank, bank group,
bank, row and column), the page policy, the depth of its queues and its refresh policy.

Sizes are bytes unless named; ``row_bytes`` is what one ACTIVATE opens across a rank (all devices side by
side), ``burst_bytes`` is what one READ/WRITE moves (bus_width/8 × BL, DRAMSim3's request size).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from accelsim.base.errors import InputError

#: Protocols the model knows, with the data beats moved per clock (DDR: 2).
BEATS_PER_CLOCK = {"DDR3": 2, "DDR4": 2, "DDR5": 2, "LPDDR": 2, "LPDDR3": 2, "LPDDR4": 2, "LPDDR5": 2,
                   "HBM": 2, "HBM2": 2, "GDDR5": 4, "GDDR5X": 8, "GDDR6": 16}
PROTOCOLS = tuple(BEATS_PER_CLOCK)


def burst_cycles(protocol: str, burst_length: int) -> int:
    """Clock cycles one burst occupies the data bus (BL / beats per clock; at least 1)."""
    return max(1, burst_length // BEATS_PER_CLOCK[protocol])


@dataclass(frozen=True)
class DRAMOrganisation:
    """How the part is built, per channel.

    Attributes:
        channels: independent channels (own command and data bus, own controller queue).
        ranks: ranks per channel (share the channel's buses; each has its own banks and tFAW window).
        bankgroups, banks_per_group: banks per rank = bankgroups × banks_per_group.
        rows: rows per bank.
        columns: columns per row of one device, each ``device_width_bits`` wide.
        device_width_bits: data pins of one device (x8, x16, ...; HBM: 128 per channel).
        bus_width_bits: data pins of the channel; devices per rank = bus / device width.
        burst_length: beats per READ/WRITE (BL).
    """

    channels: int = 1
    ranks: int = 1
    bankgroups: int = 1
    banks_per_group: int = 8
    rows: int = 65536
    columns: int = 1024
    device_width_bits: int = 16
    bus_width_bits: int = 16
    burst_length: int = 16

    @property
    def banks(self) -> int:
        """Banks per rank."""
        return self.bankgroups * self.banks_per_group

    @property
    def devices_per_rank(self) -> int:
        return max(1, self.bus_width_bits // self.device_width_bits)

    @property
    def burst_bytes(self) -> int:
        """Bytes one READ/WRITE moves: bus_width/8 × BL."""
        return self.bus_width_bits // 8 * self.burst_length

    @property
    def row_bytes(self) -> int:
        """Bytes one ACTIVATE opens across the rank: columns × device width × devices per rank."""
        return self.columns * self.device_width_bits // 8 * self.devices_per_rank

    @property
    def bursts_per_row(self) -> int:
        return max(1, self.row_bytes // self.burst_bytes)

    @property
    def capacity_bytes(self) -> int:
        return self.channels * self.ranks * self.banks * self.rows * self.row_bytes


@dataclass(frozen=True)
class DRAMTiming:
    """Timings in DRAM clock cycles (``_ck``) of ``tck_ns`` each; names follow JEDEC.

    Attributes:
        tck_ns: clock period (data rate = 2/tck per pin for DDR protocols).
        cl_ck, cwl_ck: read and write latency (command to first data beat).
        trcd_ck, trcdwr_ck: ACTIVATE to READ and to WRITE (equal except on HBM/GDDR).
        trp_ck: PRECHARGE to ACTIVATE. tras_ck: ACTIVATE to PRECHARGE. tRC = tRAS + tRP.
        tccd_s_ck, tccd_l_ck: READ→READ (WRITE→WRITE) to another / the same bank group.
        trrd_s_ck, trrd_l_ck: ACTIVATE→ACTIVATE to another / the same bank group.
        tfaw_ck: at most four ACTIVATEs per rank in any tFAW window.
        t32aw_ck: at most 32 ACTIVATEs per rank in any t32AW window (GDDR5/5X/6, JESD212/232/250; 0: no such
            window, as on every other protocol).
        twtr_s_ck, twtr_l_ck: end of write data → READ, another / the same bank group.
        trtp_ck: READ → PRECHARGE. twr_ck: end of write data → PRECHARGE (write recovery).
        trtrs_ck: rank-to-rank (and read→write) bus switch gap.
        trefi_ck, trfc_ck: refresh interval per rank and all-bank refresh time.
        tppd_ck: PRECHARGE → PRECHARGE (LPDDR4, GDDR).
    """

    tck_ns: float = 0.625
    cl_ck: int = 28
    cwl_ck: int = 14
    trcd_ck: int = 29
    trcdwr_ck: int = 29
    trp_ck: int = 29
    tras_ck: int = 68
    tccd_s_ck: int = 8
    tccd_l_ck: int = 8
    trrd_s_ck: int = 16
    trrd_l_ck: int = 16
    tfaw_ck: int = 64
    twtr_s_ck: int = 16
    twtr_l_ck: int = 16
    trtp_ck: int = 12
    twr_ck: int = 29
    trtrs_ck: int = 1
    trefi_ck: int = 6246
    trfc_ck: int = 448
    tppd_ck: int = 0
    t32aw_ck: int = 0

    @property
    def trc_ck(self) -> int:
        return self.tras_ck + self.trp_ck


@dataclass(frozen=True)
class DRAMPower:
    """Currents (mA, per device) and supply for the IDD energy model (Micron TN-41-01, as DRAMSim3 uses).

    Attributes:
        vdd_v: supply voltage.
        idd0_ma: one bank activate–precharge cycling. idd2n_ma, idd3n_ma: precharge / active standby.
        idd4r_ma, idd4w_ma: burst read / write. idd5ab_ma: all-bank refresh.
        io_pj_per_bit: interface (PHY + termination) energy per bit moved, *not* in the IDD figures;
            DRAMSim3 counts none.
    """

    vdd_v: float = 1.1
    idd0_ma: float = 80.0
    idd2n_ma: float = 34.0
    idd3n_ma: float = 47.0
    idd4r_ma: float = 243.0
    idd4w_ma: float = 228.0
    idd5ab_ma: float = 280.0
    io_pj_per_bit: float = 0.0


@dataclass(frozen=True)
class DRAMPart:
    """One DRAM part (a memory system of identical channels)."""

    name: str = "LPDDR4-3200 x16"
    protocol: str = "LPDDR4"
    org: DRAMOrganisation = field(default_factory=DRAMOrganisation)
    timing: DRAMTiming = field(default_factory=DRAMTiming)
    power: DRAMPower = field(default_factory=DRAMPower)

    @property
    def burst_ck(self) -> int:
        """Cycles one burst occupies the data bus."""
        return burst_cycles(self.protocol, self.org.burst_length)

    @property
    def refresh_stop_ck(self) -> int:
        """Cycles a refresh stops a stream in its rank: the precharge before it (reads tRTP + tRP; writes WL +
        burst + tWR + tRP), tRFC, and the activate after (tRCD); the larger of the two directions."""
        t = self.timing
        read = t.trtp_ck + t.trp_ck + t.trfc_ck + t.trcd_ck
        write = t.cwl_ck + self.burst_ck + t.twr_ck + t.trp_ck + t.trfc_ck + t.trcdwr_ck
        return max(read, write)

    @property
    def peak_gbps(self) -> float:
        """Data-bus peak over all channels, 1e9 B/s."""
        return self.org.channels * self.org.burst_bytes / (self.burst_ck * self.timing.tck_ns)

    def validate(self, source: str) -> DRAMPart:
        """Raise :class:`InputError` (naming ``source`` and the field) unless the part is usable."""
        if self.protocol not in BEATS_PER_CLOCK:
            raise InputError(source, "protocol", f"expected one of {', '.join(PROTOCOLS)}, got {self.protocol!r}")
        for name in ("channels", "ranks", "bankgroups", "banks_per_group", "rows", "columns",
                     "device_width_bits", "bus_width_bits", "burst_length"):
            v = getattr(self.org, name)
            if not isinstance(v, int) or v <= 0:
                raise InputError(source, name, f"expected a positive integer, got {v!r}")
        for name in ("channels", "ranks", "bankgroups", "banks_per_group", "rows"):
            v = getattr(self.org, name)
            if v & (v - 1):
                raise InputError(source, name, f"expected a power of two (address bits select it), got {v}")
        if self.org.bus_width_bits % 8 or self.org.bus_width_bits % self.org.device_width_bits:
            raise InputError(source, "bus_width", f"expected a multiple of 8 and of the device width "
                                                  f"({self.org.device_width_bits}), got {self.org.bus_width_bits}")
        if self.org.row_bytes % self.org.burst_bytes or self.org.bursts_per_row & (self.org.bursts_per_row - 1):
            raise InputError(source, "columns", f"a row ({self.org.row_bytes} B) must hold a power-of-two number "
                                                f"of bursts ({self.org.burst_bytes} B)")
        if not (self.timing.tck_ns > 0 and math.isfinite(self.timing.tck_ns)):
            raise InputError(source, "tCK", f"expected a positive clock period in ns, got {self.timing.tck_ns}")
        for name, v in vars(self.timing).items():
            if name != "tck_ns" and (not isinstance(v, int) or v < 0):
                raise InputError(source, name, f"expected a whole number of cycles >= 0, got {v!r}")
        if self.timing.trfc_ck >= self.timing.trefi_ck:
            raise InputError(source, "tRFC", "expected tRFC < tREFI (refresh must leave time to work)")
        if self.refresh_stop_ck >= self.timing.trefi_ck:
            raise InputError(source, "tRFC", f"a refresh stops a stream for {self.refresh_stop_ck} cycles (tRFC "
                                             f"with the precharge before and the activate after), not less than "
                                             f"tREFI ({self.timing.trefi_ck}): refresh must leave time to work")
        for name, v in vars(self.power).items():
            if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
                raise InputError(source, name, f"expected a number >= 0, got {v!r}")
        return self


#: Address-map fields, two letters each as DRAMSim3 spells them.
MAP_FIELDS = ("ch", "ra", "bg", "ba", "ro", "co")
#: Our default: row on top; then rank, bank, bank group, column; channel lowest. Consecutive bursts go round
#: the channels (fine-grained channel interleave, as SoC memory controllers do); in each channel a stream
#: fills one row of one bank, then moves to the next bank group, bank and rank, so a row activation can hide
#: behind the previous row's data in another bank. With the channel above the column instead, a stream on
#: many narrow channels waits on the in-order front end (a channel's row outgrows its queue).
DEFAULT_ADDRESS_MAP = "rorababgcoch"


@dataclass(frozen=True)
class DRAMController:
    """The memory controller: our choices, not the part's.

    Attributes:
        address_map: six two-letter fields, most significant first (DRAMSim3's notation, e.g.
            ``rochrababgco``; ``ro:ra:ba:bg:ch:co`` is accepted too). Bits below the burst size are
            dropped first; the column field counts bursts within a row.
        page_policy: "open" (a row stays open until a request for another row of its bank, or refresh).
        queue_depth: transaction queue per channel (reads; writes have ``write_queue_depth``).
        bank_queue_depth: commands per bank queue the scheduler looks at (DRAMSim3's cmd_queue_size).
        write_queue_depth: write buffer per channel; it drains when full (or when no read waits).
        refresh: "rank_staggered" (each rank every tREFI, ranks spread evenly) or "rank_simultaneous".
        dual_command: a row and a column command may issue in the same cycle (HBM).
        row_hit_limit: open-row hits served before an older conflicting request may close the row.

    The depths and the row-hit cap are DRAMSim3's (its configs' trans_queue_size 32, which also sizes its write
    buffer, and cmd_queue_size 8; the cap of 4 hard-coded in its command queue), varied by ``accelsim
    sensitivity`` through the ``dram.*`` keys of the same names.
    """

    address_map: str = DEFAULT_ADDRESS_MAP
    page_policy: str = "open"
    queue_depth: int = 32
    bank_queue_depth: int = 8
    write_queue_depth: int = 32
    refresh: str = "rank_staggered"
    dual_command: bool = False
    row_hit_limit: int = 4

    def validate(self, source: str) -> DRAMController:
        parse_address_map(self.address_map, source)
        if self.page_policy != "open":
            raise InputError(source, "page_policy", f"only the open-page policy is modelled, got {self.page_policy!r}")
        for name in ("queue_depth", "bank_queue_depth", "write_queue_depth", "row_hit_limit"):
            v = getattr(self, name)
            if not isinstance(v, int) or v <= 0:
                raise InputError(source, name, f"expected a positive integer, got {v!r}")
        if self.refresh not in ("rank_staggered", "rank_simultaneous"):
            raise InputError(source, "refresh", f"expected rank_staggered or rank_simultaneous, got {self.refresh!r}")
        return self


def parse_address_map(spec: str, source: str = "address_map", field: str = "address_map") -> tuple[str, ...]:
    """``"rochrababgco"`` or ``"ro:ch:ra:ba:bg:co"`` → ("ro", "ch", "ra", "ba", "bg", "co"), most significant first."""
    s = spec.replace(":", "").replace(" ", "").lower()
    parts = tuple(s[i:i + 2] for i in range(0, len(s), 2))
    if len(s) != 12 or sorted(parts) != sorted(MAP_FIELDS):
        raise InputError(source, field, f"expected the six fields {', '.join(MAP_FIELDS)} once each, most "
                                                f"significant first (e.g. {DEFAULT_ADDRESS_MAP}), got {spec!r}")
    return parts


@dataclass(frozen=True)
class MemorySystem:
    """A part behind a controller: what the DRAM models take."""

    part: DRAMPart = field(default_factory=DRAMPart)
    controller: DRAMController = field(default_factory=DRAMController)

    def validate(self, source: str) -> MemorySystem:
        self.part.validate(source)
        self.controller.validate(source)
        return self
