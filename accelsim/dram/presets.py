"""Today's preset ``[dram]`` tables (``models/*.toml``) as banked parts, with documented protocol defaults.

A preset gives the data rate, channels × channel width, burst length, page size, tRCD, tRP, tCL, tREFI and
tRFC. Everything else comes from the protocol's table below unless the preset (or ``--set``) names it with
one of the optional keys of :class:`~accelsim.hardware.config.DRAMConfig` (None, i.e. left out or ``auto``, = use
the standard's table: one module per standard in :mod:`accelsim.dram.standards`, every value cited beside
it). Timings are in ns (converted to whole clock cycles, rounded up, at least the nCK minimum) or nCK where the standard
gives clocks. Sources:

* **LPDDR4** — JEDEC JESD209-4: 8 banks, no bank groups; tRAS 42 ns, tRRD max(10 ns, 4 nCK), tFAW 40 ns,
  tCCD 8 nCK (BL16), tWTR max(10 ns, 8 nCK), tRTP max(7.5 ns, 8 nCK), tWR max(18 ns, 6 nCK), tPPD 4 nCK;
  WL ≈ RL/2 (write latency set A). x16 channel, 1 rank.
* **LPDDR5** — JEDEC JESD209-5 initial timings as gem5 ships them (``LPDDR5_5500/6400_1x16_BG``): 16 banks
  in 4 bank groups (BG mode above 3.2 Gb/s), tRAS 42 ns, tRRD 5 ns, tFAW 20 ns, tCCD_L 2 bursts (BL16),
  tWTR_S 6.25 ns, tWTR_L 12 ns, tRTP 7.5 ns, tWR 34 ns. The clock here is the data clock's half rate
  (tCK = 2 / data rate), so a BL16 burst takes 8 of them.
* **DDR4** — JEDEC JESD79-4 with Micron 8 Gb DDR4 (MT40A) datasheet values at the preset's speed bin:
  4 bank groups × 4 banks (x4/x8), tRAS 32 ns, tRRD_S max(4 nCK, 3.3 ns) and tRRD_L max(4 nCK, 4.9 ns)
  for a 1 KiB page (x8), tFAW 21 ns (1 KiB page at 2400), tCCD_S 4 nCK, tCCD_L max(5 nCK, 5 ns),
  tWTR_S max(2 nCK, 2.5 ns), tWTR_L max(4 nCK, 7.5 ns), tRTP max(4 nCK, 7.5 ns), tWR 15 ns, CWL 12 nCK
  (2400). x8 devices, 1 rank.
* **HBM2** — DRAMSim3's ``HBM2_8Gb_x128.ini`` (2 Gb/s/pin, JESD235 organisation): 4 bank groups × 4
  banks, tRAS 34 ns, tRRD_S 4, tRRD_L 6, tFAW 30, tCCD_S 1, tCCD_L 2, tWTR_S 6, tWTR_L 8, tRTP 5
  (DRAMSim3's default: it reads no tRTP_L/_S), tWR 16, WL 4 nCK at tCK = 1 ns.

IDD currents and VDD per protocol come from the DRAMSim3 config of that protocol (LPDDR4_8Gb_x16_2400,
HBM2_8Gb_x128; LPDDR5 reuses LPDDR4's, an assumption), per device; DDR4's per device width (x4, x8, x16) and
speed grade (2400, 3200; linear between them) from DRAMSim3's six DDR4_8Gb configs. The preset's
``io_pj_per_bit`` is the interface energy per bit, the IDD core energy being counted on top: the presets give
it interface-only (docs/model.md §7, §10.4; each preset file cites its source).
"""

from __future__ import annotations

import math

from accelsim.base.errors import InputError
from accelsim.dram.part import (
    DRAMController,
    DRAMOrganisation,
    DRAMPart,
    DRAMPower,
    DRAMTiming,
    MemorySystem,
)
from accelsim.dram.protocol import ProtocolDefaults
from accelsim.dram.standards import ddr4, hbm2, lpddr4, lpddr5

#: The standards the banked model knows, each a named, cited table (one module per standard).
PROTOCOL_DEFAULTS: dict[str, ProtocolDefaults] = {
    "LPDDR4": lpddr4.DEFAULTS,
    "LPDDR5": lpddr5.DEFAULTS,
    "DDR4": ddr4.DEFAULTS,
    "HBM2": hbm2.DEFAULTS,
}
#: DDR4 write latency (CWL, nCK) by data rate, JESD79-4 (first CWL set).
_DDR4_CWL = ddr4.CWL_BY_RATE


def protocol_of(part_name: str, explicit: str = "") -> str:
    """The protocol a preset names: ``dram.protocol`` if set, else the first known name in ``dram.part``."""
    if explicit:
        return explicit.upper()
    name = part_name.upper()
    for p in ("LPDDR5", "LPDDR4", "HBM2", "DDR4"):
        if p in name:
            return p
    raise InputError("dram.part", part_name, f"names no protocol the banked model knows "
                                             f"({', '.join(PROTOCOL_DEFAULTS)}); set dram.protocol")


def _ck(ns: float, min_ck: int, tck: float) -> int:
    """ns → whole clock cycles (rounded up, tolerant of float noise), at least ``min_ck``."""
    return max(int(min_ck), math.ceil(ns / tck - 1e-6))


def run_at_rate(power: DRAMPower, k: float, timing: DRAMTiming) -> DRAMPower:
    """The currents of a part rated at some data rate run at ``k`` times it (``dram.gbps`` set off the part's
    peak): the clocked currents — standby (IDD2N, IDD3N) and burst (IDD4R, IDD4W) — scale with the clock, as
    Micron's TN-41-01 scales background and read/write power by f_used / f_spec, so a burst, and a cycle's
    standby per bit moved, cost the same energy at any rate. IDD0 and IDD5AB move by the standby they include,
    so an activation and a refresh (fixed in ns) also cost the same up to the rounding of tRC and tRFC to whole
    cycles of the new clock (a few per cent; ``timing``: the part's at the new rate).
    Raising the number alone never makes a bit cheaper. ``k`` = 1: ``power`` unchanged."""
    if k == 1.0:
        return power
    t = timing
    act_standby = (power.idd3n_ma * t.tras_ck + power.idd2n_ma * t.trp_ck) / t.trc_ck  # as command_energies_pj
    return DRAMPower(vdd_v=power.vdd_v, idd0_ma=power.idd0_ma + (k - 1.0) * act_standby,
                     idd2n_ma=k * power.idd2n_ma, idd3n_ma=k * power.idd3n_ma, idd4r_ma=k * power.idd4r_ma,
                     idd4w_ma=k * power.idd4w_ma, idd5ab_ma=power.idd5ab_ma + (k - 1.0) * power.idd3n_ma,
                     io_pj_per_bit=power.io_pj_per_bit)


def from_dram_config(dram, source: str = "--hw") -> MemorySystem:
    """A :class:`MemorySystem` from an ``accelsim.hardware.config.DRAMConfig`` (today's preset table)."""
    proto = protocol_of(dram.part, getattr(dram, "protocol", None) or "")
    if proto not in PROTOCOL_DEFAULTS:
        raise InputError(source, "dram.protocol", f"expected one of {', '.join(PROTOCOL_DEFAULTS)}, got {proto!r}")
    d = PROTOCOL_DEFAULTS[proto]
    # dram.gbps, where set, overrides the part's peak: the same part at the data rate that gives it
    # (timings in ns stay; in clock cycles they scale)
    rate_mtps = dram.peak_gbps * 1e3 / (dram.channels * dram.channel_bits / 8)
    tck = 2000.0 / rate_mtps
    def opt(key: str, default):
        """An optional DRAMConfig key, or the protocol's default where it is None ("auto")."""
        value = getattr(dram, key, None)
        return default if value is None else value

    device = min(opt("device_bits", d.device_bits), dram.channel_bits)
    devices = max(1, dram.channel_bits // device)
    columns = dram.row_bytes * 8 // (device * devices)
    org = DRAMOrganisation(channels=dram.channels, ranks=opt("ranks", 1), bankgroups=opt("bank_groups", d.bankgroups),
                           banks_per_group=opt("banks_per_group", d.banks_per_group), rows=d.rows, columns=columns,
                           device_width_bits=device, bus_width_bits=dram.channel_bits, burst_length=dram.burst_length)
    burst_ck = max(1, dram.burst_length // 2)

    def t(key: str, pair: tuple[float, int]) -> int:
        ns = getattr(dram, key, None)
        return _ck(pair[0], pair[1], tck) if ns is None else _ck(ns, 0, tck)

    cl = _ck(dram.tcl_ns, 1, tck)
    if proto == "DDR4":
        cwl = next((c for rate, c in _DDR4_CWL if rate_mtps <= rate + 1), _DDR4_CWL[-1][1])
    elif proto == "HBM2":
        cwl = 4
    else:
        cwl = max(1, round(cl * d.cwl_over_cl))
    if getattr(dram, "tcwl_ns", None) is not None:
        cwl = _ck(dram.tcwl_ns, 1, tck)
    tccd_s = max(1, round(burst_ck * d.tccd_s_bursts)) if proto != "LPDDR4" else burst_ck
    tccd_l = max(tccd_s, _ck(*d.tccd_l, tck)) if proto != "LPDDR4" else burst_ck
    if proto == "LPDDR5":
        tccd_l = 2 * burst_ck  # BL16 in BG mode: 4 CK = two bursts of the half-rate data clock
    tccd_l = opt("tccd_l_ck", tccd_l)
    tccd_s = opt("tccd_s_ck", tccd_s)
    trcd = _ck(dram.trcd_ns, 1, tck)
    timing = DRAMTiming(
        tck_ns=tck, cl_ck=cl, cwl_ck=cwl, trcd_ck=trcd, trcdwr_ck=trcd, trp_ck=_ck(dram.trp_ns, 1, tck),
        tras_ck=t("tras_ns", d.tras), tccd_s_ck=tccd_s, tccd_l_ck=tccd_l,
        trrd_s_ck=t("trrd_s_ns", d.trrd_s), trrd_l_ck=t("trrd_l_ns", d.trrd_l), tfaw_ck=t("tfaw_ns", d.tfaw),
        twtr_s_ck=t("twtr_s_ns", d.twtr_s), twtr_l_ck=t("twtr_l_ns", d.twtr_l), trtp_ck=t("trtp_ns", d.trtp),
        twr_ck=t("twr_ns", d.twr), trtrs_ck=1, trefi_ck=_ck(dram.trefi_ns, 1, tck), trfc_ck=_ck(dram.trfc_ns, 1, tck),
        tppd_ck=d.tppd_ck,
    )
    if org.bankgroups == 1:
        timing = DRAMTiming(**{**vars(timing), "tccd_l_ck": timing.tccd_s_ck, "trrd_l_ck": timing.trrd_s_ck,
                               "twtr_l_ck": timing.twtr_s_ck})
    # currents of the preset's own device width and rated speed grade (dram.data_rate_mtps; a dram.gbps
    # override runs this part at another rate, it does not choose another grade)
    power = DRAMPower(**{**vars(d.power_for(device, dram.data_rate_mtps)), "io_pj_per_bit": dram.io_pj_per_bit})
    power = run_at_rate(power, rate_mtps / dram.data_rate_mtps, timing)
    ctrl = DRAMController(address_map=opt("address_map", d.address_map), dual_command=proto == "HBM2",
                          queue_depth=opt("queue_depth", DRAMController.queue_depth),
                          write_queue_depth=opt("write_queue_depth", DRAMController.write_queue_depth),
                          bank_queue_depth=opt("bank_queue_depth", DRAMController.bank_queue_depth),
                          row_hit_limit=opt("row_hit_limit", DRAMController.row_hit_limit))
    part = DRAMPart(name=dram.part, protocol=proto, org=org, timing=timing, power=power)
    return MemorySystem(part=part, controller=ctrl).validate(source)
