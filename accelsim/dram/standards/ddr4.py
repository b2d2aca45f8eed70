"""DDR4: JEDEC JESD79-4 with Micron 8 Gb DDR4 (MT40A) datasheet values (x8 devices, 1 KiB page, one rank)."""

from accelsim.dram.part import DRAMPower
from accelsim.dram.protocol import ProtocolDefaults

#: IDD currents and VDD: DRAMSim3's configs/DDR4_8Gb_x16_3200.ini, an x16 part's (applied to the x8 devices
#: of the presets; a known approximation, see docs/model.md §10.4).
POWER = DRAMPower(vdd_v=1.2, idd0_ma=95, idd2n_ma=37, idd3n_ma=56, idd4r_ma=302, idd4w_ma=278, idd5ab_ma=280)

DEFAULTS = ProtocolDefaults(
    device_bits=8,              # x8 devices
    bankgroups=4,               # JESD79-4: 4 bank groups (x4/x8)
    banks_per_group=4,          # of 4 banks
    rows=65536,                 # 8 Gb x8: 64K rows
    tras=(32, 0),               # MT40A: tRAS 32 ns
    trrd_s=(3.3, 4),            # tRRD_S max(4 nCK, 3.3 ns), 1 KiB page
    trrd_l=(4.9, 4),            # tRRD_L max(4 nCK, 4.9 ns), 1 KiB page
    tfaw=(21, 0),               # tFAW 21 ns (1 KiB page at 2400)
    tccd_s_bursts=1.0,          # tCCD_S 4 nCK = one BL8 burst
    tccd_l=(5, 5),              # tCCD_L max(5 nCK, 5 ns)
    twtr_s=(2.5, 2),            # tWTR_S max(2 nCK, 2.5 ns)
    twtr_l=(7.5, 4),            # tWTR_L max(4 nCK, 7.5 ns)
    trtp=(7.5, 4),              # tRTP max(4 nCK, 7.5 ns)
    twr=(15, 0),                # tWR 15 ns
    cwl_over_cl=0.0,            # CWL by speed bin instead (CWL_BY_RATE)
    tppd_ck=0,
    power=POWER,
)

#: Write latency (CWL, nCK) by data rate (MT/s), JESD79-4, the first CWL set.
CWL_BY_RATE = ((1600, 9), (1866, 10), (2133, 11), (2400, 12), (2666, 14), (2933, 16), (3200, 16))
