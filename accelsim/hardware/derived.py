"""What the ``auto`` keys of a config stand for: the chip's energies by the cited tables, the DRAM's peak."""

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
    e = chip_energy(cfg)
    return {"dram.gbps": cfg.dram.peak_gbps, "pe.mac_pj": e.mac_pj, "pe.vector_flop_pj": e.vector_flop_pj,
            "sram.read_pj_per_byte": e.sram_pj_per_byte, "sram.write_pj_per_byte": e.sram_pj_per_byte,
            "tech.vdd_v": e.vdd_v}


def effective(cfg: HardwareConfig, key: str) -> Any:
    """The value of dotted ``key`` in use: the field's own, or its derived value if it is ``auto``."""
    sec, _, name = key.partition(".")
    value = getattr(getattr(cfg, sec), name)
    return derived_values(cfg)[key] if value is None else value
