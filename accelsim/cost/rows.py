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
from accelsim.cost.dram_cost import DRAMTable, cdiv, transfer_of
from accelsim.cost.systolic import gemm_cycles


@kernel
def row_costs(r: np.ndarray, resident: bool, h: np.ndarray, table: DRAMTable, cost: np.ndarray,
              energy: np.ndarray) -> None:
    """Costs of one transaction on hardware ``h`` in a (warm) period: writes ``cost`` (slots :data:`ROW_COST`,
    int64) and ``energy`` (slots :data:`ENERGY`, pJ; the static part is the scheduler's and is left 0).

    An activation row reads or writes the activation buffer; whether the tensor is spilled or refilled is the
    activation plan's (:mod:`accelsim.engines.fast.liveness`), charged to the op, not here. The replay batch always
    comes
    from DRAM. With ``pe.fuse_update`` a gradient goes from the backward-weight GEMM straight to the
    optimizer in the same tile: its rows touch no DRAM.

    Args:
        r: the row's integer inputs (slots :data:`ROW`).
        resident: the row's weight-side tensor stays in the weight SRAM across steps (it was fetched once, by
            the segment's prologue: :func:`transfer_costs`), so it moves no DRAM bytes here.
        table: what the workload's DRAM transfers cost on ``h`` (:func:`transfer_table`); the row's is
            ``r[ROW.xfer]``.
    """
    nbytes = r[ROW.bytes]
    is_read = r[ROW.is_read] == 1
    kind = r[ROW.kind]
    # Off-chip or on-chip?
    offchip = True
    if kind == KIND.weight_side:
        offchip = not resident and not (r[ROW.grad] == 1 and h[HW.fuse_update] > 0.5)
    elif kind == KIND.activation:
        offchip = False
    rd_bytes = nbytes if (offchip and is_read) else 0
    wr_bytes = nbytes if (offchip and not is_read) else 0
    rd_cyc, rd_bus, rd_acts, rd_pj = transfer_of(table, r[ROW.xfer] if rd_bytes > 0 else -1)
    wr_cyc, wr_bus, wr_acts, wr_pj = transfer_of(table, r[ROW.xfer] if wr_bytes > 0 else -1)
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
def transfer_costs(nbytes: int, is_write: bool, x: int, h: np.ndarray, table: DRAMTable, cost: np.ndarray,
                   energy: np.ndarray) -> None:
    """A bare DRAM transfer of ``nbytes`` with no work attached (a resident tensor's fill, a spill or refill),
    transfer ``x`` of the workload's (``table``, :func:`transfer_table`): overwrites ``cost`` (slots
    :data:`ROW_COST`) and ``energy`` (slots :data:`ENERGY`, pJ, static left 0).

    A read fills SRAM (its bytes are written there); a write drains bytes whose SRAM write was counted when
    they were produced, as for any write transaction.
    """
    cyc, bus, acts, pj = transfer_of(table, x if nbytes > 0 else -1)
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
