"""LPDDR5: JEDEC JESD209-5 initial timings as gem5 ships them (``LPDDR5_5500/6400_1x16_BG``), BG mode.

The clock here is the data clock's half rate (tCK = 2 / data rate), so a BL16 burst takes 8 of them.
"""

from accelsim.dram.protocol import ProtocolDefaults
from accelsim.dram.standards.lpddr4 import POWER as LPDDR4_POWER

DEFAULTS = ProtocolDefaults(
    device_bits=16,             # x16 channel
    bankgroups=4,               # BG mode above 3.2 Gb/s: 4 bank groups
    banks_per_group=4,          # of 4 banks (16 in all)
    rows=65536,
    tras=(42, 3),               # gem5 LPDDR5: tRAS 42 ns
    trrd_s=(5, 2),              # tRRD 5 ns
    trrd_l=(5, 2),
    tfaw=(20, 0),               # tFAW 20 ns
    tccd_s_bursts=1.0,          # one BL16 burst
    tccd_l=(0, 16),             # tCCD_L 2 bursts
    twtr_s=(6.25, 4),           # tWTR_S 6.25 ns
    twtr_l=(12, 4),             # tWTR_L 12 ns
    trtp=(7.5, 2),              # tRTP 7.5 ns
    twr=(34, 3),                # tWR 34 ns
    cwl_over_cl=0.5,            # WL about RL/2
    tppd_ck=2,
    power=LPDDR4_POWER,         # assumption: no LPDDR5 IDD table in DRAMSim3; LPDDR4's
)
