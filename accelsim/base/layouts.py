"""The packed vectors the engines read and write, each declared once, as names; indices derive from it.

The compiled engine works on flat numeric vectors (a config as one float64 row, a transaction as one int64
row, figures as count and energy vectors). Each layout is declared here once as a ``NamedTuple`` class
whose fields name the slots (units in the names or the comments); :func:`index_of` turns the class into an
instance holding each slot's index, so code writes ``h[HW.mhz]`` and ``rows[:, ROW.bytes]``, never a
number. Numba freezes a global named tuple as a constant, so a kernel indexes by name at no cost.
:func:`pack` builds a vector from a ``{name: value}`` mapping and refuses a missing or unknown name.

The count and energy vectors are laid out by the fields of :class:`~accelsim.base.records.Counts` and
:class:`~accelsim.base.records.EnergyBreakdown`, the records the engines' figures end up in.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from accelsim.base.records import COUNT_NAMES, ENERGY_NAMES


def index_of(layout: type) -> Any:
    """The instance of NamedTuple class ``layout`` whose every field holds its own position."""
    return layout(*range(len(layout._fields)))


def names(index: Any) -> tuple[str, ...]:
    """Slot names of a layout index, in slot order."""
    return tuple(index._fields)


def pack(index: Any, values: Mapping[str, Any], dtype: type = np.float64) -> np.ndarray:
    """The vector of ``values`` laid out by ``index`` (shape (N,), or (R, N) for columns of length R).

    Every slot must be given exactly once: a missing or unknown name is a programming error.
    """
    want = names(index)
    missing, extra = set(want) - set(values), set(values) - set(want)
    if missing or extra:
        raise KeyError(f"{type(index).__name__}: missing {sorted(missing)}, unknown {sorted(extra)}")
    return np.stack([np.asarray(values[n], dtype=dtype) for n in want], axis=-1)


class HardwareSlots(NamedTuple):
    """One hardware point as the engines read it (:func:`accelsim.cost.hardware_vector.pack_hardware` fills it): the
    chip, then the DRAM as the banked model's closed forms cost it (the part itself follows, by the names of
    :class:`DRAMPartSlots` prefixed ``dram_``: see :data:`HW`)."""

    mhz: int                          # accelerator clock, MHz
    pe_rows: int                      # PE array rows R
    pe_cols: int                      # PE array columns C
    dataflow: int                     # accelsim.cost.systolic dataflow code (ws, os, is)
    skip_zeros: int                   # 1.0 if the array skips pruned structured groups
    mac_pj: int                       # pJ per MAC
    vector_flops_per_cycle: int       # vector unit throughput
    vector_flop_pj: int               # pJ per vector flop
    fuse_update: int                  # 1.0 if the optimizer update runs inside backward-weight
    weight_bytes: int                 # weight SRAM, bytes
    act_bytes: int                    # activation SRAM, bytes
    double_buffer: int                # 1.0 with double buffering
    stream_bytes: int                 # stream region of the weight buffer, bytes (tiles from DRAM land there)
    sram_read_pj_per_byte: int
    sram_write_pj_per_byte: int
    burst_bytes: int                  # bytes of one DRAM burst (READ/WRITE)
    dram_tck_ns: int                  # DRAM clock period, ns (the closed forms count DRAM cycles)
    dram_request_bytes: int           # DMA request size, bytes, whole bursts
    dram_requests_in_flight: int      # DMA requests outstanding at most (0: only the controller's queues)
    dram_act_pj: int                  # IDD energy of one ACTIVATE (+ its PRECHARGE), all devices of a rank
    dram_read_pj: int                 # IDD energy of one READ burst
    dram_write_pj: int                # IDD energy of one WRITE burst
    dram_refresh_pj: int              # IDD energy of one all-bank REFRESH of a rank
    dram_active_pj_per_ck: int        # background of a rank with a row open, per DRAM cycle
    dram_idle_pj_per_ck: int          # background of a rank with every bank closed, per DRAM cycle
    io_pj_per_bit: int                # DRAM interface (I/O) energy per bit on the bus
    decode_values_per_cycle: int
    transpose_values_per_cycle: int
    decode_pj_per_value: int
    static_mw: int                    # logic + SRAM leakage + DRAM subsystem standby, mW


class DRAMPartSlots(NamedTuple):
    """A banked DRAM part behind its controller, as the closed forms read it (float64;
    :func:`accelsim.dram.closed_form.pack_system` fills it). Timings in DRAM clock cycles (``_ck``)."""

    channels: int
    ranks: int                        # per channel
    bankgroups: int                   # per rank
    banks_per_group: int
    rows: int                         # per bank
    burst_bytes: int                  # one READ/WRITE
    burst_ck: int                     # cycles one burst holds the data bus
    cl_ck: int
    cwl_ck: int
    rcd_ck: int
    rcdwr_ck: int
    rp_ck: int
    ras_ck: int
    ccd_s_ck: int
    ccd_l_ck: int
    rrd_s_ck: int
    rrd_l_ck: int
    faw_ck: int
    wtr_s_ck: int
    wtr_l_ck: int
    rtp_ck: int
    wr_ck: int
    rtrs_ck: int
    refi_ck: int
    rfc_ck: int
    queue_depth: int                  # transaction queue per channel (reads)
    bank_queue_depth: int             # command queue per bank
    write_queue_depth: int            # write buffer per channel
    dual_command: int                 # 1.0: a row and a column command may issue in one cycle (HBM)
    refresh_simultaneous: int         # 1.0: all ranks refresh together
    capacity_bytes: int
    ppd_ck: int                       # PRECHARGE → PRECHARGE in a rank (the request-level model's; 0: none)
    row_hit_limit: int                # open-row hits served before an older conflicting request may close it
    faw32_ck: int                     # at most 32 ACTIVATEs per rank in this window (GDDR's t32AW; 0: none)
    # The address map: for each field, in this order (ch, ra, bg, ba, ro, co), the bytes between consecutive
    # values (stride) and the number of values (size).
    map_ch_stride: int
    map_ch_size: int
    map_ra_stride: int
    map_ra_size: int
    map_bg_stride: int
    map_bg_size: int
    map_ba_stride: int
    map_ba_size: int
    map_ro_stride: int
    map_ro_size: int
    map_co_stride: int
    map_co_size: int


class RowSlots(NamedTuple):
    """One transaction of a workload (:func:`accelsim.workload.build.build_workload` fills it; int64)."""

    is_read: int                      # 1 read, 0 write
    kind: int                         # a :data:`KIND` code
    m: int                            # GEMM M×K by K×N (all 0 if none)
    k: int
    n: int
    bytes: int                        # stored bytes moved (values + metadata + dense bias)
    dec_values: int                   # values the decoder expands or scatters
    trans_values: int                 # values through the W^T transposer
    vflops: int                       # vector-unit flops (Adam, Polyak)
    grad: int                         # 1 if the row moves a weight gradient
    key: int                          # segment-local residency key, -1 if none
    first: int                        # 1 on the key's first access in the period
    structured: int                   # 1 if the array may skip its pruned groups (group, N:M)
    phase: int                        # index into accelsim.trace.schema.PHASES
    net: int                          # index into the workload's networks (the trace's declared order)
    layer: int                        # layer index within the network (-1: the replay batch)
    step: int                         # step within the period
    dens_num: int                     # kept fraction of a structured weight: dens_num / dens_den
    dens_den: int
    gather_rows: int                  # the replay batch: its B rows, each read from a random place; else 0
    xfer: int                         # its DRAM transfer in Workload.xfer_keys (-1: it never crosses the bus)


class RowKinds(NamedTuple):
    """What a transaction moves, which decides where it may live."""

    weight_side: int                  # weight, grad, Adam moments: may stay resident in the weight SRAM
    activation: int                   # on chip if it fits the activation SRAM
    replay: int                       # always from DRAM


class RowCostSlots(NamedTuple):
    """Integer costs of one transaction on one hardware point (:func:`accelsim.cost.rows.row_costs`)."""

    read_cycles: int                  # DMA cycles of its DRAM read
    write_cycles: int                 # DMA cycles of its DRAM write
    decode_cycles: int
    compute_cycles: int               # PE array (GEMM) plus vector unit
    dram_read_bytes: int              # bus bytes
    dram_write_bytes: int
    dram_row_activations: int
    macs: int
    sram_read_bytes: int
    sram_write_bytes: int


class OpCostSlots(NamedTuple):
    """One op of a period on one hardware point: the sums of its rows' costs and its tiling (int64).

    An op is the rows one unit of work reads and writes (:func:`accelsim.workload.build.group_ops`); it streams
    in ``tiles`` tiles, each carrying an equal share (to the cycle) of every total below.
    """

    load_cycles: int                  # DMA cycles of its DRAM reads
    store_cycles: int                 # DMA cycles of its DRAM writes
    decode_cycles: int
    compute_cycles: int
    tiles: int                        # tiles it streams in (>= 1)


DRAM_PART = index_of(DRAMPartSlots)
#: A hardware point: :class:`HardwareSlots`, then the DRAM part (:class:`DRAMPartSlots`, names prefixed
#: ``dram_``) as one contiguous block, ``h[HW_PART:HW_PART_END]``, which the closed forms read as their ``v``.
HW = index_of(namedtuple("HardwarePointSlots",
                         HardwareSlots._fields + tuple(f"dram_{f}" for f in DRAMPartSlots._fields)))
HW_PART = len(HardwareSlots._fields)
HW_PART_END = HW_PART + len(DRAMPartSlots._fields)
ROW = index_of(RowSlots)
KIND = index_of(RowKinds)
ROW_COST = index_of(RowCostSlots)
OP_COST = index_of(OpCostSlots)
#: Count and energy vectors: the fields of accelsim.base.records.Counts and EnergyBreakdown, in order.
COUNT = index_of(namedtuple("CountSlots", COUNT_NAMES))
ENERGY = index_of(namedtuple("EnergySlots", ENERGY_NAMES))

N_HW, N_ROW, N_ROW_COST, N_COUNT, N_ENERGY = len(HW), len(ROW), len(ROW_COST), len(COUNT), len(ENERGY)
N_OP_COST = len(OP_COST)


class ActEventSlots(NamedTuple):
    """One event of an op on an activation tensor (:func:`accelsim.workload.build.activation_events`; int64)."""

    tensor: int                       # segment-local tensor index
    create: int                       # 1: the op writes the tensor; 0: the op reads it
    next_use: int                     # segment-local op that reads the tensor next after this op, -1 if none


class ActTensorSlots(NamedTuple):
    """One activation tensor of a period (int64)."""

    bytes: int                        # its bytes (dense, the trace's dtype)
    clean: int                        # 1 if a copy is in DRAM from the start (the replay batch)
    gather_rows: int                  # the replay batch: a refill gathers its B rows again; else 0
    batch_rows: int                   # batch rows it is held and moved in (>= 1, dividing its bytes)
    refill_xfer: int                  # its refill (a read of it whole) in Workload.xfer_keys
    spill_xfer: int                   # its spill (a write of it whole) in Workload.xfer_keys


ACT_EVENT = index_of(ActEventSlots)
ACT_TENSOR = index_of(ActTensorSlots)


class TransferKeySlots(NamedTuple):
    """One distinct whole-tensor DRAM transfer a workload can make (``Workload.xfer_keys``; int64)."""

    bytes: int                        # useful bytes (> 0)
    is_write: int                     # 1: a store (all writes); 0: a load
    gather_rows: int                  # > 0: the replay batch, that many row-sized reads at random places


class TransferCostSlots(NamedTuple):
    """What one DRAM transfer costs on a hardware point (:func:`accelsim.cost.dram_cost.dram_stream`; int64, its energy
    kept beside: :class:`accelsim.cost.dram_cost.DRAMTable`)."""

    cycles: int                       # accelerator cycles
    bus_bytes: int                    # bytes on the bus (whole bursts)
    row_activations: int              # ACTIVATE commands, the expectation rounded to the nearest whole one


XFER_KEY = index_of(TransferKeySlots)
XFER_COST = index_of(TransferCostSlots)
