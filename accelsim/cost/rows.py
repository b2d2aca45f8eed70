"""The per-row cost kernel both engines call: one trace row's compute, decode and DRAM cycles and its energy parts
on a packed hardware point (docs/model.md §3-§6).

Units: bytes, accelerator cycles (integers), picojoules (floats).
"""

from __future__ import annotations

import numpy as np

from accelsim.base.jit import kernel
from accelsim.base.layouts import (
    ENERGY,
    HW,
    KIND,
    ROW,
    ROW_COST,
)
from accelsim.cost.dram_cost import DRAMTable, cdiv, stream_of, transfer_of
from accelsim.cost.systolic import gemm_cycles


@kernel
def streamed_bytes(nbytes: int, resident_bytes: int, key_bytes: int) -> int:
    """Bytes of an access of ``nbytes`` to a tensor of ``key_bytes`` stored bytes that cross the DRAM bus when
    ``resident_bytes`` of it stay in the weight buffer: the access's share of the part that is not resident,
    rounded up (all of it when nothing is resident, none when all is)."""
    if resident_bytes <= 0:
        return nbytes
    if resident_bytes >= key_bytes:
        return 0
    return cdiv(nbytes * (key_bytes - resident_bytes), key_bytes)


@kernel
def part_transfer(part: int, whole: int, is_write: bool, gather: bool, x: int, h: np.ndarray,
                  table: DRAMTable) -> tuple[int, int, int, float]:
    """(cycles, bus bytes, row activations, pJ) of moving ``part`` bytes of the workload's transfer ``x`` (of
    ``whole`` bytes): the table's figures when it is all of it; of a load or store, the closed forms' own
    stream of ``part`` bytes (:func:`accelsim.cost.dram_cost.stream_of`, memoised); of a gather (rows at random places,
    each costed alike), the whole gather's figures in proportion (cycles rounded up, activations to the
    nearest whole one)."""
    if part <= 0:
        return 0, 0, 0, 0.0
    if part >= whole:
        return transfer_of(table, x)
    if gather:
        cyc, bus, acts, pj = transfer_of(table, x)
        return cdiv(cyc * part, whole), bus * part // whole, (2 * acts * part + whole) // (2 * whole), pj * part / whole
    return stream_of(part, is_write, h, table)


@kernel
def row_costs(r: np.ndarray, resident_bytes: int, key_bytes: int, h: np.ndarray, table: DRAMTable,
              cost: np.ndarray, energy: np.ndarray) -> None:
    """Costs of one transaction on hardware ``h`` in a (warm) period: writes ``cost`` (slots :data:`ROW_COST`,
    int64) and ``energy`` (slots :data:`ENERGY`, pJ; the static part is the scheduler's and is left 0).

    An activation row reads or writes the activation buffer; whether the tensor is spilled or refilled is the
    activation plan's (:mod:`accelsim.engines.fast.liveness`), charged to the op, not here. The replay batch always
    comes
    from DRAM. With ``pe.fuse_update`` a gradient goes from the backward-weight GEMM straight to the
    optimizer in the same tile: its rows touch no DRAM.

    Args:
        r: the row's integer inputs (slots :data:`ROW`).
        resident_bytes, key_bytes: of the row's weight-side tensor (``key_bytes`` stored), ``resident_bytes``
            stay in the weight SRAM across steps (fetched once, by the segment's prologue: :func:`fill_costs`);
            the row moves only its share of the rest (:func:`streamed_bytes`). 0 and 1 for other rows.
        table: what the workload's DRAM transfers cost on ``h`` (:func:`transfer_table`); the row's is
            ``r[ROW.xfer]``.
    """
    nbytes = r[ROW.bytes]
    is_read = r[ROW.is_read] == 1
    kind = r[ROW.kind]
    # How many of its bytes cross the DRAM bus?
    moved = nbytes
    if kind == KIND.weight_side:
        moved = 0 if (r[ROW.grad] == 1 and h[HW.fuse_update] > 0.5) else streamed_bytes(nbytes, resident_bytes,
                                                                                      key_bytes)
    elif kind == KIND.activation:
        moved = 0
    rd_bytes = moved if is_read else 0
    wr_bytes = 0 if is_read else moved
    gather = r[ROW.gather_rows] > 0
    rd_cyc, rd_bus, rd_acts, rd_pj = part_transfer(rd_bytes, nbytes, False, gather, r[ROW.xfer], h, table)
    wr_cyc, wr_bus, wr_acts, wr_pj = part_transfer(wr_bytes, nbytes, True, gather, r[ROW.xfer], h, table)
    # Decoder: format conversion between storage and the PE array, plus the W^T transposer.
    dec_cyc = 0
    if r[ROW.dec_values] > 0:
        dec_cyc += cdiv(r[ROW.dec_values], int(h[HW.decode_values_per_cycle]))
    if r[ROW.trans_values] > 0:
        dec_cyc += cdiv(r[ROW.trans_values], int(h[HW.transpose_values_per_cycle]))
    # Compute: the GEMM on the array, or vector work.
    comp = 0
    macs = 0
    m, k, n = r[ROW.m], r[ROW.k], r[ROW.n]
    if m > 0:
        comp = gemm_cycles(m, k, n, int(h[HW.pe_rows]), int(h[HW.pe_cols]), int(h[HW.dataflow]))
        macs = m * k * n
        if h[HW.skip_zeros] > 0.5 and r[ROW.structured] == 1 and r[ROW.dens_den] > 0:
            # Structured sparsity skipped by the array: cycles and MACs scale with the kept fraction.
            comp = cdiv(comp * r[ROW.dens_num], r[ROW.dens_den])
            macs = cdiv(macs * r[ROW.dens_num], r[ROW.dens_den])
    if r[ROW.vflops] > 0:
        comp += cdiv(r[ROW.vflops], int(h[HW.vector_flops_per_cycle]))
    # SRAM: reads feed the decoder/PE, writes take results and DRAM fills.
    sram_rd = nbytes if is_read else 0
    sram_wr = (0 if is_read else nbytes) + rd_bytes
    cost[ROW_COST.read_cycles] = rd_cyc
    cost[ROW_COST.write_cycles] = wr_cyc
    cost[ROW_COST.decode_cycles] = dec_cyc
    cost[ROW_COST.compute_cycles] = comp
    cost[ROW_COST.dram_read_bytes] = rd_bus
    cost[ROW_COST.dram_write_bytes] = wr_bus
    cost[ROW_COST.dram_row_activations] = rd_acts + wr_acts
    cost[ROW_COST.macs] = macs
    cost[ROW_COST.sram_read_bytes] = sram_rd
    cost[ROW_COST.sram_write_bytes] = sram_wr
    energy[ENERGY.dram] = rd_pj + wr_pj
    energy[ENERGY.sram] = sram_rd * h[HW.sram_read_pj_per_byte] + sram_wr * h[HW.sram_write_pj_per_byte]
    energy[ENERGY.mac] = macs * h[HW.mac_pj] + r[ROW.vflops] * h[HW.vector_flop_pj]
    energy[ENERGY.decode] = (r[ROW.dec_values] + r[ROW.trans_values]) * h[HW.decode_pj_per_value]
    energy[ENERGY.static] = 0.0


@kernel
def fill_costs(r: np.ndarray, resident_bytes: int, key_bytes: int, h: np.ndarray, table: DRAMTable,
               cost: np.ndarray, energy: np.ndarray) -> None:
    """The prologue fetch of the resident part of weight-side row ``r``'s tensor (``resident_bytes`` of its
    ``key_bytes``): the row's bytes less its streamed share (:func:`streamed_bytes`), as a bare read
    (:func:`transfer_costs`); the whole row's transfer when all of the tensor is resident."""
    nbytes = r[ROW.bytes]
    transfer_costs(nbytes - streamed_bytes(nbytes, resident_bytes, key_bytes), nbytes, False, False, r[ROW.xfer],
                   h, table, cost, energy)


@kernel
def transfer_costs(nbytes: int, whole: int, is_write: bool, gather: bool, x: int, h: np.ndarray,
                   table: DRAMTable, cost: np.ndarray, energy: np.ndarray) -> None:
    """A bare DRAM transfer of ``nbytes`` with no work attached (a resident tensor's fill, a spill or refill),
    all (``nbytes`` = ``whole``) or part of transfer ``x`` of the workload's (``table``, :func:`transfer_table`;
    a part by :func:`part_transfer`; ``gather``: ``x`` is a gather): overwrites ``cost`` (slots
    :data:`ROW_COST`) and ``energy`` (slots :data:`ENERGY`, pJ, static left 0).

    A read fills SRAM (its bytes are written there); a write drains bytes whose SRAM write was counted when
    they were produced, as for any write transaction.
    """
    cyc, bus, acts, pj = part_transfer(nbytes, whole, is_write, gather, x, h, table)
    for q in range(cost.shape[0]):
        cost[q] = 0
    for q in range(energy.shape[0]):
        energy[q] = 0.0
    if is_write:
        cost[ROW_COST.write_cycles] = cyc
        cost[ROW_COST.dram_write_bytes] = bus
    else:
        cost[ROW_COST.read_cycles] = cyc
        cost[ROW_COST.dram_read_bytes] = bus
        cost[ROW_COST.sram_write_bytes] = nbytes
    cost[ROW_COST.dram_row_activations] = acts
    energy[ENERGY.dram] = pj
    energy[ENERGY.sram] = cost[ROW_COST.sram_write_bytes] * h[HW.sram_write_pj_per_byte]


@kernel
def static_pj(cycles: int, h: np.ndarray) -> float:
    """Static energy over ``cycles`` accelerator cycles (logic + SRAM leakage + DRAM background)."""
    # mW × µs = nJ = 1e3 pJ; cycles / MHz = µs.
    return h[HW.static_mw] * (cycles / h[HW.mhz]) * 1e3
