"""LPDDR4: JEDEC JESD209-4 (x16 channel, one rank, 8 banks, no bank groups, BL16)."""

from accelsim.dram.part import DRAMPower
from accelsim.dram.protocol import ProtocolDefaults

#: IDD currents and VDD of one x16 device: DRAMSim3's configs/LPDDR4_8Gb_x16_2400.ini (from Micron's
#: datasheet). Also used for LPDDR5 (an assumption: DRAMSim3 ships no LPDDR5 config).
POWER = DRAMPower(vdd_v=1.2, idd0_ma=80, idd2n_ma=34, idd3n_ma=47, idd4r_ma=243, idd4w_ma=228, idd5ab_ma=280)

DEFAULTS = ProtocolDefaults(
    device_bits=16,             # JESD209-4: a channel is 16 bits wide
    bankgroups=1,               # JESD209-4: no bank groups
    banks_per_group=8,          # JESD209-4: 8 banks per channel
    rows=65536,                 # 8 Gb die, x16 channel: 64K rows of 2 KiB
    tras=(42, 3),               # JESD209-4 Table "Core timing": tRAS max(42 ns, 3 nCK)
    trrd_s=(10, 4),             # tRRD max(10 ns, 4 nCK) (no bank groups: _S and _L alike)
    trrd_l=(10, 4),
    tfaw=(40, 0),               # tFAW 40 ns
    tccd_s_bursts=1.0,          # tCCD 8 nCK = one BL16 burst
    tccd_l=(0, 8),              # tCCD 8 nCK
    twtr_s=(10, 8),             # tWTR max(10 ns, 8 nCK)
    twtr_l=(10, 8),
    trtp=(7.5, 8),              # tRTP max(7.5 ns, 8 nCK)
    twr=(18, 6),                # tWR max(18 ns, 6 nCK)
    cwl_over_cl=0.5,            # WL about RL/2 (write latency set A)
    tppd_ck=4,                  # tPPD 4 nCK
    power=POWER,
)
