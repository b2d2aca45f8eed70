"""Read a DRAMSim3 ``.ini`` config as a :class:`MemorySystem`, with DRAMSim3's own defaults and conventions.

So a DRAMSim3 user's config runs unchanged: every key DRAMSim3 reads (``src/configuration.cc`` at commit
2981759) is read here with the same default, and derived the same way:

* ranks per channel from ``channel_size`` (MB per channel) and the device organisation;
* HBM columns count twice (2n prefetch), GDDR columns BL times; ``bankgroup_enable = false`` folds the bank
  groups into one, and one bank group uses the ``_S`` timings for ``_L``;
* RL = AL + CL, WL = AL + CWL, tRCD − AL (HBM/GDDR: tRCDRD / tRCDWR), tRTP + AL; tPPD only on LPDDR4/GDDR;
  t32AW (32 ACTIVATEs per rank per window) only on GDDR5/5X/6 — every constraint DRAMSim3's ``timing.cc`` and
  ``channel_state.cc`` enforce for the protocols read here;
* the trace queue (``trans_queue_size``) is each channel's read queue and its write buffer, the command
  queues hold ``cmd_queue_size`` per bank; HBM issues a row and a column command per cycle (``hbm_dual_cmd``).

Numbers are read as inih reads them for DRAMSim3 (strtol/strtod: the leading number counts, an empty value
is the default); a value with no number at all, which DRAMSim3 would silently replace by its default, is
refused. What the model does not cover is refused with an :class:`InputError` naming the key: HMC, CLOSE_PAGE,
PER_RANK queues, BANK_LEVEL_STAGGERED refresh, a unified queue. DRAMSim3 configs carry no interface
energy: ``io_pj_per_bit`` is 0 unless the file (``[power] io_pj_per_bit``, which DRAMSim3 ignores) or
``--set power.io_pj_per_bit=...`` gives one.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from accelsim.base.errors import InputError
from accelsim.dram.part import (
    BEATS_PER_CLOCK,
    DRAMController,
    DRAMOrganisation,
    DRAMPart,
    DRAMPower,
    DRAMTiming,
    MemorySystem,
    parse_address_map,
)

#: The keys DRAMSim3 reads (``src/configuration.cc``), by section; ``--set SECTION.KEY=V`` may override them.
#: ``power.io_pj_per_bit`` is ours (interface energy, which DRAMSim3 does not model; it ignores the key).
KNOWN_KEYS = {
    "dram_structure": ("protocol", "bankgroups", "banks_per_group", "bankgroup_enable", "rows", "columns",
                       "device_width", "BL", "num_dies", "hbm_dual_cmd"),
    "timing": ("tCK", "AL", "CL", "CWL", "tCCD_L", "tCCD_S", "tRTRS", "tRTP", "tWTR_L", "tWTR_S", "tWR", "tRP",
               "tRRD_L", "tRRD_S", "tRAS", "tRCD", "tRFC", "tRFCb", "tREFI", "tREFIb", "tFAW", "tRPRE", "tWPRE",
               "tPPD", "t32AW", "tRCDRD", "tRCDWR", "tCKE", "tCKESR", "tXS", "tXP", "tRTP_L", "tRTP_S", "tRFC2",
               "tRFC4", "tCKSRE"),
    "power": ("VDD", "IDD0", "IPP0", "IDD2P", "IDD2N", "IDD3P", "IDD3N", "IDD4W", "IDD4R", "IDD5AB", "IDD5PB",
              "IDD6x", "io_pj_per_bit"),
    "system": ("channel_size", "channels", "bus_width", "address_mapping", "queue_structure", "refresh_policy",
               "row_buf_policy", "cmd_queue_size", "trans_queue_size", "unified_queue", "write_buf_size",
               "enable_self_refresh", "sref_threshold", "aggressive_precharging_enabled"),
    "other": ("epoch_period", "output_level", "output_prefix"),
}


class _Ini:
    """Typed look-ups with DRAMSim3's defaults; a malformed value is an InputError naming section.key."""

    def __init__(self, path: Path, overrides: dict[str, str] | None = None) -> None:
        self.path = str(path)
        cp = configparser.ConfigParser(inline_comment_prefixes=(";", "#"), comment_prefixes=(";", "#"),
                                       strict=False, interpolation=None)
        cp.optionxform = str  # keys are case-sensitive (tRCD vs trcd)
        try:
            with open(path) as fh:
                cp.read_file(fh)
        except FileNotFoundError:
            raise InputError(self.path, "", "file not found") from None
        except (configparser.Error, UnicodeDecodeError) as exc:
            raise InputError(self.path, "", f"malformed INI ({str(exc).splitlines()[0]})") from None
        except OSError as exc:
            raise InputError(self.path, "", f"cannot read ({exc.strerror})") from None
        for key, value in (overrides or {}).items():
            sec, _, opt = key.partition(".")
            if sec not in KNOWN_KEYS or opt not in KNOWN_KEYS[sec]:
                raise InputError("--set", key, "unknown key; expected SECTION.KEY of the DRAMSim3 config, e.g. "
                                               "timing.tRCD=20 or system.channels=2")
            if not cp.has_section(sec):
                cp.add_section(sec)
            cp.set(sec, opt, str(value))
        self.cp = cp

    def has(self, sec: str, key: str) -> bool:
        return self.cp.has_option(sec, key)

    def str(self, sec: str, key: str, default: str) -> str:
        return self.cp.get(sec, key, fallback=default).strip()

    # DRAMSim3 reads numbers with inih, i.e. strtol/strtod: the leading number counts ("0.666 (1/1.5)" is
    # 0.666) and an empty value means the default. A value with no leading number, which DRAMSim3 would
    # silently replace by its default, is refused here.
    _INT = re.compile(r"[+-]?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")
    _REAL = re.compile(r"[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)")

    def int(self, sec: str, key: str, default: int) -> int:
        if not self.cp.has_option(sec, key) or not self.cp.get(sec, key).strip():
            return default
        raw = self.cp.get(sec, key).strip()
        m = self._INT.match(raw)
        if not m:
            raise InputError(self.path, f"{sec}.{key}", f"expected an integer, got {raw!r}")
        digits = m.group(1)
        octal = digits.startswith("0") and len(digits) > 1 and digits[1] not in "xX"  # strtol base 0: 010 is 8
        return int(m.group(0), 8 if octal else 0)

    def real(self, sec: str, key: str, default: float) -> float:
        if not self.cp.has_option(sec, key) or not self.cp.get(sec, key).strip():
            return default
        raw = self.cp.get(sec, key).strip()
        m = self._REAL.match(raw)
        if not m:
            raise InputError(self.path, f"{sec}.{key}", f"expected a number, got {raw!r}")
        return float(m.group(0))

    def bool(self, sec: str, key: str, default: bool) -> bool:
        if not self.cp.has_option(sec, key):
            return default
        raw = self.cp.get(sec, key).strip().lower()
        if raw in ("true", "yes", "on", "1"):
            return True
        if raw in ("false", "no", "off", "0"):
            return False
        raise InputError(self.path, f"{sec}.{key}", f"expected true or false, got {raw!r}")


def read_dramsim3_ini(path: str | Path, overrides: dict[str, str] | None = None) -> MemorySystem:
    """Parse a DRAMSim3 config into a validated :class:`MemorySystem`.

    ``overrides``: ``{"timing.tRCD": "20", ...}`` replace the file's values (keys DRAMSim3 reads, plus
    ``power.io_pj_per_bit``).
    """
    ini = _Ini(Path(path), overrides)
    src = ini.path
    protocol = ini.str("dram_structure", "protocol", "DDR3")
    if protocol == "HMC":
        raise InputError(src, "dram_structure.protocol", "HMC is not modelled (expected a JEDEC DRAM protocol)")
    if protocol not in BEATS_PER_CLOCK:
        raise InputError(src, "dram_structure.protocol", f"expected one of {', '.join(BEATS_PER_CLOCK)}, "
                                                         f"got {protocol!r}")
    org = organisation_of(ini, protocol)
    ctrl = controller_of(ini, protocol)
    part = DRAMPart(name=Path(path).stem, protocol=protocol, org=org, timing=timing_of(ini, protocol, org.bankgroups),
                    power=power_of(ini))
    return MemorySystem(part=part, controller=ctrl).validate(src)


def organisation_of(ini: _Ini, protocol: str) -> DRAMOrganisation:
    """``[dram_structure]`` and ``[system]``'s sizes, with ranks derived as DRAMSim3's CalculateSize does."""
    src = ini.path
    bankgroups = ini.int("dram_structure", "bankgroups", 2)
    banks_per_group = ini.int("dram_structure", "banks_per_group", 2)
    if not ini.bool("dram_structure", "bankgroup_enable", True):
        banks_per_group, bankgroups = banks_per_group * bankgroups, 1
    rows = ini.int("dram_structure", "rows", 1 << 16)
    columns = ini.int("dram_structure", "columns", 1 << 10)
    device_width = ini.int("dram_structure", "device_width", 8)
    bl = ini.int("dram_structure", "BL", 8)
    if bl <= 0:
        raise InputError(src, "dram_structure.BL", f"expected a positive burst length, got {bl}")
    if protocol.startswith("GDDR"):
        columns *= bl
    elif protocol in ("HBM", "HBM2"):
        columns *= 2
    channel_mb = ini.int("system", "channel_size", 1024)
    channels = ini.int("system", "channels", 1)
    bus_width = ini.int("system", "bus_width", 64)
    if device_width <= 0 or bus_width <= 0 or bus_width % device_width:
        raise InputError(src, "system.bus_width", f"expected a positive multiple of device_width "
                                                  f"({device_width}), got {bus_width}")
    # DRAMSim3's CalculateSize: ranks that fit channel_size MB (integer arithmetic, as in C++).
    devices = bus_width // device_width
    page = columns * device_width // 8
    megs_per_rank = page * (rows // 1024) // 1024 * bankgroups * banks_per_group * devices
    ranks = 1 if megs_per_rank <= 0 or megs_per_rank > channel_mb else channel_mb // megs_per_rank
    return DRAMOrganisation(channels=channels, ranks=ranks, bankgroups=bankgroups, banks_per_group=banks_per_group,
                            rows=rows, columns=columns, device_width_bits=device_width, bus_width_bits=bus_width,
                            burst_length=bl)


def controller_of(ini: _Ini, protocol: str) -> DRAMController:
    """``[system]``'s controller: the policies modelled are checked (anything else is refused in one line)."""
    src = ini.path
    for key, ok, what in (("row_buf_policy", "OPEN_PAGE", "only OPEN_PAGE is modelled"),
                          ("queue_structure", "PER_BANK", "only PER_BANK command queues are modelled")):
        val = ini.str("system", key, ok)
        if val != ok:
            raise InputError(src, f"system.{key}", f"{what}, got {val!r}")
    ref = ini.str("system", "refresh_policy", "RANK_LEVEL_STAGGERED")
    refresh = {"RANK_LEVEL_STAGGERED": "rank_staggered", "RANK_LEVEL_SIMULTANEOUS": "rank_simultaneous"}.get(ref)
    if refresh is None:
        raise InputError(src, "system.refresh_policy", f"expected RANK_LEVEL_STAGGERED or RANK_LEVEL_SIMULTANEOUS "
                                                       f"(per-bank refresh is not modelled), got {ref!r}")
    if ini.bool("system", "unified_queue", False):
        raise InputError(src, "system.unified_queue", "a unified read/write queue is not modelled (expected False)")
    ctrl = DRAMController(
        address_map=ini.str("system", "address_mapping", "chrobabgraco"),
        queue_depth=ini.int("system", "trans_queue_size", 32),
        bank_queue_depth=ini.int("system", "cmd_queue_size", 16),
        write_queue_depth=ini.int("system", "trans_queue_size", 32),
        refresh=refresh,
        dual_command=protocol in ("HBM", "HBM2") and ini.bool("dram_structure", "hbm_dual_cmd", True),
    )
    parse_address_map(ctrl.address_map, src, "system.address_mapping")
    return ctrl


def timing_of(ini: _Ini, protocol: str, bankgroups: int) -> DRAMTiming:
    """``[timing]`` in clock cycles, as DRAMSim3 reads it (defaults are DRAMSim3's)."""
    is_hbm = protocol in ("HBM", "HBM2")
    is_gddr = protocol.startswith("GDDR")
    al = ini.int("timing", "AL", 0)
    tccd_s, tccd_l = ini.int("timing", "tCCD_S", 4), ini.int("timing", "tCCD_L", 6)
    trrd_s, trrd_l = ini.int("timing", "tRRD_S", 4), ini.int("timing", "tRRD_L", 4)
    twtr_s, twtr_l = ini.int("timing", "tWTR_S", 5), ini.int("timing", "tWTR_L", 5)
    if bankgroups == 1:  # as DRAMSim3: without bank groups the _S timings apply
        tccd_l, trrd_l, twtr_l = tccd_s, trrd_s, twtr_s
    if is_hbm or is_gddr:
        trcd, trcdwr = ini.int("timing", "tRCDRD", 24), ini.int("timing", "tRCDWR", 20)
    else:
        trcd = trcdwr = ini.int("timing", "tRCD", 10) - al
    # DRAMSim3 reads tRTP only (HBM configs also list tRTP_L/_S, which it ignores).
    return DRAMTiming(
        tck_ns=ini.real("timing", "tCK", 1.0),
        cl_ck=al + ini.int("timing", "CL", 12), cwl_ck=al + ini.int("timing", "CWL", 12),
        trcd_ck=trcd, trcdwr_ck=trcdwr, trp_ck=ini.int("timing", "tRP", 10), tras_ck=ini.int("timing", "tRAS", 24),
        tccd_s_ck=tccd_s, tccd_l_ck=tccd_l, trrd_s_ck=trrd_s, trrd_l_ck=trrd_l, tfaw_ck=ini.int("timing", "tFAW", 50),
        twtr_s_ck=twtr_s, twtr_l_ck=twtr_l, trtp_ck=al + ini.int("timing", "tRTP", 5),
        twr_ck=ini.int("timing", "tWR", 10), trtrs_ck=ini.int("timing", "tRTRS", 2),
        trefi_ck=ini.int("timing", "tREFI", 7800), trfc_ck=ini.int("timing", "tRFC", 74),
        tppd_ck=ini.int("timing", "tPPD", 0) if (is_gddr or protocol == "LPDDR4") else 0,
        # DRAMSim3 enforces the 32-activation window on GDDR only (channel_state.cc ActivationWindowOk), with
        # its default 330 where the file gives none
        t32aw_ck=ini.int("timing", "t32AW", 330) if is_gddr else 0,
    )


def power_of(ini: _Ini) -> DRAMPower:
    """``[power]``: IDD currents (mA) and VDD per device, plus our ``io_pj_per_bit`` (default 0)."""
    return DRAMPower(
        vdd_v=ini.real("power", "VDD", 1.2), idd0_ma=ini.real("power", "IDD0", 48),
        idd2n_ma=ini.real("power", "IDD2N", 34), idd3n_ma=ini.real("power", "IDD3N", 43),
        idd4r_ma=ini.real("power", "IDD4R", 135), idd4w_ma=ini.real("power", "IDD4W", 123),
        idd5ab_ma=ini.real("power", "IDD5AB", 250), io_pj_per_bit=ini.real("power", "io_pj_per_bit", 0.0),
    )
