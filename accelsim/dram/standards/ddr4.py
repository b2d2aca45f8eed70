"""DDR4: JEDEC JESD79-4 with Micron 8 Gb DDR4 (MT40A) datasheet values (x8 devices, 1 KiB page, one rank)."""

from accelsim.dram.part import DRAMPower
from accelsim.dram.protocol import ProtocolDefaults

#: IDD currents (mA, one device) and VDD per device width and speed grade: DRAMSim3's configs
#: DDR4_8Gb_x{4,8,16}_{2400,3200}.ini (Micron 8 Gb DDR4 datasheet values). A device of another rate takes
#: them linearly in the rate between the two grades, the nearest grade's outside (ProtocolDefaults.power_for).
POWER_GRADES = (
    (4, 2400.0, DRAMPower(vdd_v=1.2, idd0_ma=43, idd2n_ma=34, idd3n_ma=38, idd4r_ma=110, idd4w_ma=103,
                          idd5ab_ma=250)),
    (4, 3200.0, DRAMPower(vdd_v=1.2, idd0_ma=52, idd2n_ma=37, idd3n_ma=47, idd4r_ma=143, idd4w_ma=130,
                          idd5ab_ma=250)),
    (8, 2400.0, DRAMPower(vdd_v=1.2, idd0_ma=48, idd2n_ma=34, idd3n_ma=43, idd4r_ma=135, idd4w_ma=123,
                          idd5ab_ma=250)),
    (8, 3200.0, DRAMPower(vdd_v=1.2, idd0_ma=57, idd2n_ma=37, idd3n_ma=52, idd4r_ma=168, idd4w_ma=150,
                          idd5ab_ma=250)),
    (16, 2400.0, DRAMPower(vdd_v=1.2, idd0_ma=80, idd2n_ma=34, idd3n_ma=47, idd4r_ma=243, idd4w_ma=228,
                           idd5ab_ma=280)),
    (16, 3200.0, DRAMPower(vdd_v=1.2, idd0_ma=95, idd2n_ma=37, idd3n_ma=56, idd4r_ma=302, idd4w_ma=278,
                           idd5ab_ma=280)),
)
#: A width with no grade above (none of JESD79-4's): the x8 2400 part's.
POWER = POWER_GRADES[2][2]

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
    power_grades=POWER_GRADES,
    # Bank groups interleaved per burst within a channel (below the column), as DDR4 controllers do: consecutive
    # bursts alternate bank groups and are spaced by tCCD_S (one BL8 burst), never tCCD_L (5 ns, 6-8 nCK), which
    # would cap a sequential stream at 4/6-4/8 of the bus and, rounded up in clocks, make a faster part slower.
    address_map="rorabacobgch",
)

#: Write latency (CWL, nCK) by data rate (MT/s), JESD79-4, the first CWL set.
CWL_BY_RATE = ((1600, 9), (1866, 10), (2133, 11), (2400, 12), (2666, 14), (2933, 16), (3200, 16))
