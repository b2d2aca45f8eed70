"""The packed vectors the engines read and write, each declared once, as names; indices derive from it.

The compiled engine works on flat numeric vectors (a config as one float64 row, a transaction as one int64
row, figures as count and energy vectors). Each layout is declared here once as a ``NamedTuple`` class
whose fields name the slots (units in the names or the comments); :func:`index_of` turns the class into an
instance holding each slot's index, so code writes ``h[HW.mhz]`` and ``rows[:, ROW.bytes]``, never a
number. Numba freezes a global named tuple as a constant, so a kernel indexes by name at no cost.
:func:`pack` builds a vector from a ``{name: value}`` mapping and refuses a missing or unknown name.

The count and energy vectors are laid out by the fields of :class:`~accelsim.records.Counts` and
:class:`~accelsim.records.EnergyBreakdown`, the records the engines' figures end up in.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from accelsim.records import COUNT_NAMES, ENERGY_NAMES


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
    """One hardware point as the engines read it (:func:`accelsim.model.pack_hardware` fills it)."""

    mhz: int                          # accelerator clock, MHz
    pe_rows: int                      # PE array rows R
    pe_cols: int                      # PE array columns C
    dataflow: int                     # accelsim.systolic dataflow code (ws, os, is)
    skip_zeros: int                   # 1.0 if the array skips pruned structured groups
    mac_pj: int                       # pJ per MAC
    vector_flops_per_cycle: int       # vector unit throughput
    vector_flop_pj: int               # pJ per vector flop
    weight_bytes: int                 # weight SRAM, bytes
    act_bytes: int                    # activation SRAM, bytes
    double_buffer: int                # 1.0 with double buffering
    sram_read_pj_per_byte: int
    sram_write_pj_per_byte: int
    dram_gbps: int                    # effective DRAM peak, 1e9 B/s
    burst_bytes: int                  # bytes of one DRAM burst
    channels: int                     # DRAM channels
    row_bytes: int                    # DRAM page per channel, bytes
    trcd_ns: int
    trp_ns: int
    tcl_ns: int
    trefi_ns: int
    trfc_ns: int
    turnaround_ns: int                # charged once per write transfer
    io_pj_per_bit: int                # DRAM pJ per bit moved
    act_pj: int                       # DRAM pJ per row activation
    decode_values_per_cycle: int
    transpose_values_per_cycle: int
    decode_pj_per_value: int
    static_mw: int                    # logic + SRAM leakage + DRAM background, mW


class RowSlots(NamedTuple):
    """One transaction of a workload (:func:`accelsim.workload.build_workload` fills it; int64)."""

    is_read: int                      # 1 read, 0 write
    kind: int                         # a :data:`KIND` code
    m: int                            # GEMM M×K by K×N (all 0 if none)
    k: int
    n: int
    bytes: int                        # stored bytes moved (values + metadata + dense bias)
    dec_values: int                   # values the decoder expands or scatters
    trans_values: int                 # values through the W^T transposer
    vflops: int                       # vector-unit flops (Adam, Polyak)
    key: int                          # segment-local residency key, -1 if none
    first: int                        # 1 on the key's first access in the period
    structured: int                   # 1 if the array may skip its pruned groups (group, N:M)
    phase: int                        # index into accelsim.trace.PHASES
    net: int                          # index into accelsim.trace.NETWORKS
    step: int                         # step within the period
    dens_num: int                     # kept fraction of a structured weight: dens_num / dens_den
    dens_den: int


class RowKinds(NamedTuple):
    """What a transaction moves, which decides where it may live."""

    weight_side: int                  # weight, grad, Adam moments: may stay resident in the weight SRAM
    activation: int                   # on chip if it fits the activation SRAM
    replay: int                       # always from DRAM


class RowCostSlots(NamedTuple):
    """Integer costs of one transaction on one hardware point (:func:`accelsim.model.row_costs`)."""

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


HW = index_of(HardwareSlots)
ROW = index_of(RowSlots)
KIND = index_of(RowKinds)
ROW_COST = index_of(RowCostSlots)
#: Count and energy vectors: the fields of accelsim.records.Counts and EnergyBreakdown, in order.
COUNT = index_of(namedtuple("CountSlots", COUNT_NAMES))
ENERGY = index_of(namedtuple("EnergySlots", ENERGY_NAMES))

N_HW, N_ROW, N_ROW_COST, N_COUNT, N_ENERGY = len(HW), len(ROW), len(ROW_COST), len(COUNT), len(ENERGY)
