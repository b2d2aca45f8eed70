"""What a DRAM standard fixes that a preset does not give: one :class:`ProtocolDefaults` per standard, each
declared by name with its sources in :mod:`accelsim.dram.standards`."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from accelsim.dram.part import DEFAULT_ADDRESS_MAP, DRAMPower


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
        address_map: the controller's default address map for the standard (``dram.address_map`` overrides it).
        power_grades: ``(device_bits, data_rate_mtps, power)`` of the speed grades the sources give currents for,
            by device width; where the preset's width has some, :meth:`power_for` takes the currents from them
            instead of ``power``.
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
    power_grades: tuple[tuple[int, float, DRAMPower], ...] = ()
    address_map: str = DEFAULT_ADDRESS_MAP

    def power_for(self, device_bits: int, data_rate_mtps: float) -> DRAMPower:
        """The currents of a ``device_bits``-wide device rated at ``data_rate_mtps``: linear in the data rate between
        the two nearest grades of that width, the nearest grade's outside their range (no extrapolation);
        ``power`` where the width has no grade."""
        grades = sorted(((rate, pw) for bits, rate, pw in self.power_grades if bits == device_bits), key=lambda g: g[0])
        if not grades:
            return self.power
        if data_rate_mtps <= grades[0][0]:
            return grades[0][1]
        if data_rate_mtps >= grades[-1][0]:
            return grades[-1][1]
        for (r0, p0), (r1, p1) in itertools.pairwise(grades):
            if r0 <= data_rate_mtps <= r1:
                w = (data_rate_mtps - r0) / (r1 - r0)
                return DRAMPower(**{k: (1 - w) * v + w * getattr(p1, k) for k, v in vars(p0).items()})
        return grades[-1][1]  # unreachable: the rate lies in one interval
