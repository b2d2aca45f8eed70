"""What the ``auto`` keys of a config stand for: the chip's energies by the cited tables, the DRAM's peak, and the
banked DRAM part's timings and controller."""

from __future__ import annotations

from typing import Any

from accelsim.hardware import energy_tables
from accelsim.hardware.config import HardwareConfig, sram_bank_kib


def chip_energy(cfg: HardwareConfig):
    """The chip's per-event energies by the cited tables (:class:`accelsim.hardware.energy_tables.ChipEnergy`): what
    its ``auto`` energy keys stand for."""
    return energy_tables.chip_energy(cfg.pe.dtype, cfg.pe.optimizer_dtype, cfg.tech.node_nm, cfg.tech.vdd_v,
                                     sram_bank_kib(cfg))


def derived_values(cfg: HardwareConfig) -> dict[str, float]:
    """What each field that may be ``auto`` stands for in ``cfg``, by dotted key (its derived value)."""
    return {**chip_values(cfg), **dram_derived(cfg)}


def chip_values(cfg: HardwareConfig) -> dict[str, float]:
    """The chip's auto keys and the DRAM's peak (what the engines' hardware vector needs; no DRAM part built)."""
    e = chip_energy(cfg)
    return {"dram.gbps": cfg.dram.peak_gbps, "pe.mac_pj": e.mac_pj, "pe.vector_flop_pj": e.vector_flop_pj,
            "sram.read_pj_per_byte": e.sram_pj_per_byte, "sram.write_pj_per_byte": e.sram_pj_per_byte,
            "tech.vdd_v": e.vdd_v}


def dram_derived(cfg: HardwareConfig) -> dict[str, float]:
    """The banked part's values behind the ``dram.*`` keys left ``auto``: its timings in ns at the clock it runs at
    (whole cycles of it, so setting them gives the same part), tCCD in clocks, the DMA request size and the
    controller's depths. The same-bank-group keys are left out where the part has one bank group (they are
    the other-group ones then, and moving them moves nothing)."""
    from accelsim.dram.presets import from_dram_config

    mem = from_dram_config(cfg.dram, "derived")
    t, c = mem.part.timing, mem.controller
    ns = {"tras_ns": t.tras_ck, "trrd_s_ns": t.trrd_s_ck, "trrd_l_ns": t.trrd_l_ck, "tfaw_ns": t.tfaw_ck,
          "twtr_s_ns": t.twtr_s_ck, "twtr_l_ns": t.twtr_l_ck, "trtp_ns": t.trtp_ck, "twr_ns": t.twr_ck,
          "tcwl_ns": t.cwl_ck}
    out = {f"dram.{k}": ck * t.tck_ns for k, ck in ns.items()}
    out.update({"dram.tccd_s_ck": t.tccd_s_ck, "dram.tccd_l_ck": t.tccd_l_ck,
                "dram.request_bytes": cfg.dram.request_bytes or mem.part.org.burst_bytes,
                "dram.queue_depth": c.queue_depth, "dram.write_queue_depth": c.write_queue_depth,
                "dram.bank_queue_depth": c.bank_queue_depth, "dram.row_hit_limit": c.row_hit_limit})
    if mem.part.org.bankgroups == 1:
        for key in ("dram.trrd_l_ns", "dram.twtr_l_ns", "dram.tccd_l_ck"):
            del out[key]
    return out


def effective(cfg: HardwareConfig, key: str) -> Any:
    """The value of dotted ``key`` in use: the field's own, or its derived value if it is ``auto``."""
    sec, _, name = key.partition(".")
    value = getattr(getattr(cfg, sec), name)
    return derived_values(cfg)[key] if value is None else value
