"""What a DRAM standard fixes that a preset does not give: one :class:`ProtocolDefaults` per standard, each
declared by name with its sources in :mod:`accelsim.dram.standards`."""

from __future__ import annotations

from dataclasses import dataclass

from accelsim.dram.part import DRAMPower


@dataclass(frozen=True)
class ProtocolDefaults:
    """Timings a preset does not give, per protocol, and the organisation.

    Timings given as ``(ns, minimum nCK)`` pairs become ``max(ceil(ns / tCK), nCK)`` clock cycles at the
    preset's data rate; a pair ``(0, n)`` is ``n`` clocks whatever the rate.

    Attributes:
        device_bits: data width of one device (x4, x8, x16, x128).
        bankgroups, banks_per_group: banks per rank (1 bank group: none).
        rows: rows per bank.
        tras, trrd_s, trrd_l, tfaw, tccd_l, twtr_s, twtr_l, trtp, twr: (ns, minimum nCK).
        tccd_s_bursts: tCCD_S in bursts (BL/2 clocks each); the standards give it in clocks per burst length.
        cwl_over_cl: write latency as a share of the read latency where the standard ties them (0: not tied).
        tppd_ck: precharge-to-precharge delay, nCK (0: none).
        power: IDD currents and VDD of one device.
    """

    device_bits: int
    bankgroups: int
    banks_per_group: int
    rows: int
    tras: tuple[float, int]
    trrd_s: tuple[float, int]
    trrd_l: tuple[float, int]
    tfaw: tuple[float, int]
    tccd_s_bursts: float
    tccd_l: tuple[float, int]
    twtr_s: tuple[float, int]
    twtr_l: tuple[float, int]
    trtp: tuple[float, int]
    twr: tuple[float, int]
    cwl_over_cl: float
    tppd_ck: int
    power: DRAMPower
