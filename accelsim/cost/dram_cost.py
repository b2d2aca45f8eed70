"""What a DRAM transfer costs on a packed hardware point: loads, stores and the replay gather by the banked
model's closed forms, tabulated per workload transfer (:class:`DRAMTable`). docs/model.md §4.

Units: bytes, accelerator cycles (integers), picojoules (floats).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from accelsim.base.jit import kernel
from accelsim.base.layouts import (
    HW,
    HW_PART,
    HW_PART_END,
    XFER_COST,
    XFER_KEY,
)
from accelsim.dram.closed_form import (
    O_ACT,
    O_ACTIVE_RANK_CK,
    O_CK,
    O_IDLE_RANK_CK,
    O_RD,
    O_REF,
    O_WR,
    stream_cost,
)


@kernel
def cdiv(a: int, b: int) -> int:
    return (a + b - 1) // b


#: Bits per byte, for the DRAM energy per bit.
BITS_PER_BYTE = 8.0


#: The hardware slots :func:`dram_stream` reads: points equal in all of them cost every transfer the same, so
#: the engines cost a workload's transfers once per distinct value of these (:func:`transfer_table`).
DRAM_COST_SLOTS = np.array([HW.mhz, HW.burst_bytes, HW.dram_tck_ns, HW.dram_request_bytes,
                            HW.dram_requests_in_flight, HW.dram_act_pj, HW.dram_read_pj, HW.dram_write_pj,
                            HW.dram_refresh_pj, HW.dram_active_pj_per_ck, HW.dram_idle_pj_per_ck, HW.io_pj_per_bit,
                            *range(HW_PART, HW_PART_END)], dtype=np.int64)


N_XFER_COST = len(XFER_COST)


class DRAMTable(NamedTuple):
    """What each of a workload's distinct DRAM transfers (``Workload.xfer_keys``) costs on one hardware point:
    ``cost`` (n_x, N_XFER_COST) int64 by :data:`accelsim.base.layouts.XFER_COST`, ``energy`` (n_x,) pJ.

    Made by :func:`transfer_table`, a pure function of the keys and the point; rows and activation tensors
    name their transfers by index (``ROW.xfer``, ``ACT_TENSOR.refill_xfer`` / ``spill_xfer``). Parts of them
    (a tensor partly resident, some batch rows of an activation) are costed by the closed forms on first use
    and kept in the table's memo (:func:`stream_of`): ``memo_key`` (MEMO_SLOTS,) int64 (-1: empty),
    ``memo_cost`` (MEMO_SLOTS, 3) int64 (cycles, bus bytes, row activations), ``memo_pj`` (MEMO_SLOTS,).
    Each point has its own memo (points run in parallel).
    """

    cost: np.ndarray
    energy: np.ndarray
    memo_key: np.ndarray
    memo_cost: np.ndarray
    memo_pj: np.ndarray


#: Slots of a table's memo of part transfers (a power of two).
MEMO_SLOTS = 1024
#: Probes before a memo gives up storing (a crowded memo then computes each time: slower, never wrong).
MEMO_PROBES = 16


@kernel
def new_memo() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An empty memo for a :class:`DRAMTable`: (memo_key, memo_cost, memo_pj)."""
    return (np.full(MEMO_SLOTS, -1, dtype=np.int64), np.zeros((MEMO_SLOTS, 3), dtype=np.int64),
            np.zeros(MEMO_SLOTS, dtype=np.float64))


@kernel
def figures_of(t_ck: float, n_act: float, n_rd: float, n_wr: float, n_ref: float, active_ck: float, idle_ck: float,
             bus: int, h: np.ndarray) -> tuple[int, int, int, float]:
    """A transfer's (accelerator cycles, bus bytes, row activations, energy pJ) from its DRAM cycles and
    expected command counts: cycles × tCK to accelerator cycles, rounded up; activations to the nearest whole
    one; energy the IDD model of the counts (ACTIVATE, READ, WRITE and REFRESH commands and the ranks'
    background over the transfer, as ``accelsim dram`` reports it) plus ``io_pj_per_bit`` for every bit on
    the bus."""
    cycles = math.ceil(t_ck * h[HW.dram_tck_ns] * h[HW.mhz] / 1000.0)
    acts = int(n_act + 0.5)  # the nearest whole one (counts are >= 0)
    pj = (n_act * h[HW.dram_act_pj] + n_rd * h[HW.dram_read_pj] + n_wr * h[HW.dram_write_pj]
          + n_ref * h[HW.dram_refresh_pj] + active_ck * h[HW.dram_active_pj_per_ck]
          + idle_ck * h[HW.dram_idle_pj_per_ck] + bus * BITS_PER_BYTE * h[HW.io_pj_per_bit])
    return cycles, bus, acts, pj


@kernel
def dram_stream(nbytes: int, is_write: bool, gather_rows: int, h: np.ndarray) -> tuple[int, int, int, float]:
    """One whole-tensor DRAM transfer of ``nbytes`` on the banked model: (accelerator cycles, bus bytes, row
    activations, energy pJ; :func:`_figures`).

    A load or store is a sequential stream of DMA requests (``dram.request_bytes``, whole bursts; a store all
    writes). The replay batch (``gather_rows`` = B > 0) is B reads of one row (⌈nbytes / B⌉ bytes, each rounded
    up to whole bursts) at random row-aligned addresses. Both are costed by the closed forms
    (:func:`accelsim.dram.closed_form.stream_cost`: DRAM cycles and command counts, expected over the refresh
    schedule and, for the gather, over where its rows fall: docs/model.md §10.6), so a sweep over DRAM keys
    costs each point in microseconds.
    """
    if nbytes <= 0:
        return 0, 0, 0, 0.0
    burst = int(h[HW.burst_bytes])
    if gather_rows > 0:
        row = cdiv(nbytes, gather_rows)
        o = stream_cost(h[HW_PART:HW_PART_END], 2, float(gather_rows * row), float(row), 0.0, 0.0,
                        h[HW.dram_requests_in_flight])
        return figures_of(o[O_CK], o[O_ACT], o[O_RD], o[O_WR], o[O_REF], o[O_ACTIVE_RANK_CK], o[O_IDLE_RANK_CK],
                          gather_rows * cdiv(row, burst) * burst, h)
    o = stream_cost(h[HW_PART:HW_PART_END], 0, float(nbytes), h[HW.dram_request_bytes], 0.0,
                    1.0 if is_write else 0.0, h[HW.dram_requests_in_flight])
    return figures_of(o[O_CK], o[O_ACT], o[O_RD], o[O_WR], o[O_REF], o[O_ACTIVE_RANK_CK], o[O_IDLE_RANK_CK],
                    cdiv(nbytes, burst) * burst, h)


@kernel
def stream_of(nbytes: int, is_write: bool, h: np.ndarray, table: DRAMTable) -> tuple[int, int, int, float]:
    """:func:`dram_stream` of a load or store of ``nbytes`` (not a gather) on ``h``, kept in ``table``'s memo:
    a sweep point meets the same part sizes in many segments and periods."""
    key = nbytes * 2 + (1 if is_write else 0)
    start = ((key * 2654435761) >> 5) & (MEMO_SLOTS - 1)
    for probe in range(MEMO_PROBES):
        j = (start + probe) & (MEMO_SLOTS - 1)
        k = table.memo_key[j]
        if k == key:
            return table.memo_cost[j, 0], table.memo_cost[j, 1], table.memo_cost[j, 2], table.memo_pj[j]
        if k == -1:
            cyc, bus, acts, pj = dram_stream(nbytes, is_write, 0, h)
            table.memo_cost[j, 0] = cyc
            table.memo_cost[j, 1] = bus
            table.memo_cost[j, 2] = acts
            table.memo_pj[j] = pj
            table.memo_key[j] = key
            return cyc, bus, acts, pj
    return dram_stream(nbytes, is_write, 0, h)


@kernel
def transfer_table_of(keys: np.ndarray, h: np.ndarray) -> DRAMTable:
    """The :class:`DRAMTable` of transfers ``keys`` ((n_x, N_XFER_KEY), by :data:`accelsim.base.layouts.XFER_KEY`)
    on hardware point ``h``: :func:`dram_stream` of each."""
    n = keys.shape[0]
    mk, mc, mp = new_memo()
    table = DRAMTable(np.zeros((n, N_XFER_COST), dtype=np.int64), np.zeros(n, dtype=np.float64), mk, mc, mp)
    for x in range(n):
        cyc, bus, acts, pj = dram_stream(keys[x, XFER_KEY.bytes], keys[x, XFER_KEY.is_write] == 1,
                                         keys[x, XFER_KEY.gather_rows], h)
        table.cost[x, XFER_COST.cycles] = cyc
        table.cost[x, XFER_COST.bus_bytes] = bus
        table.cost[x, XFER_COST.row_activations] = acts
        table.energy[x] = pj
    return table


def transfer_table(keys: np.ndarray, h: np.ndarray) -> DRAMTable:
    """The :class:`DRAMTable` of transfers ``keys`` on hardware point ``h`` (:func:`transfer_table_of`): a pure
    function of the keys and the point."""
    return transfer_table_of(np.ascontiguousarray(keys, dtype=np.int64), np.ascontiguousarray(h, dtype=np.float64))


@kernel(inline=True)
def transfer_of(table: DRAMTable, x: int) -> tuple[int, int, int, float]:
    """(cycles, bus bytes, row activations, pJ) of transfer ``x`` of ``table``; nothing for ``x`` < 0."""
    if x < 0:
        return 0, 0, 0, 0.0
    c = table.cost[x]
    return c[XFER_COST.cycles], c[XFER_COST.bus_bytes], c[XFER_COST.row_activations], table.energy[x]
