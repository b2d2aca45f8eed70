"""HBM2: DRAMSim3's configs/HBM2_8Gb_x128.ini (2 Gb/s per pin, JESD235 organisation), tCK = 1 ns there."""

from accelsim.dram.part import DRAMPower
from accelsim.dram.protocol import ProtocolDefaults

#: IDD currents and VDD: DRAMSim3's HBM2_8Gb_x128.ini.
POWER = DRAMPower(vdd_v=1.2, idd0_ma=65, idd2n_ma=40, idd3n_ma=55, idd4r_ma=390, idd4w_ma=500, idd5ab_ma=250)

DEFAULTS = ProtocolDefaults(
    device_bits=128,            # a 128-bit channel
    bankgroups=4,               # JESD235: 4 bank groups
    banks_per_group=4,          # of 4 banks
    rows=32768,                 # DRAMSim3 HBM2_8Gb_x128: rows = 32768
    tras=(34, 0),               # tRAS 34 (nCK at tCK 1 ns)
    trrd_s=(4, 0),              # tRRD_S 4
    trrd_l=(6, 0),              # tRRD_L 6
    tfaw=(30, 0),               # tFAW 30
    tccd_s_bursts=0.5,          # tCCD_S 1 nCK: half a BL4 burst's 2 clocks
    tccd_l=(2, 0),              # tCCD_L 2
    twtr_s=(6, 0),              # tWTR_S 6
    twtr_l=(8, 0),              # tWTR_L 8
    trtp=(5, 0),                # tRTP 5 (DRAMSim3's default: it reads no tRTP_L/_S)
    twr=(16, 0),                # tWR 16
    cwl_over_cl=0.0,            # WL 4 nCK (set where the part is built)
    tppd_ck=0,
    power=POWER,
)
