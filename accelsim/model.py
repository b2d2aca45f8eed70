"""The per-transaction cost model shared by both engines: DRAM transfers, decode, compute, energy.

Everything here is a pure function of numbers. A
:class:`~accelsim.hardware.HardwareConfig` is packed into a flat float64 vector (:func:`pack_hardware`, slots
:data:`accelsim.layouts.HW`: the chip, then its DRAM as the banked model's part) so the compiled engine can
evaluate many hardware points in one call; the reference engine calls the same compiled functions from Python,
so the two engines share the *model* and differ in how they schedule and account it. Every DRAM transfer is
costed by the banked model's closed forms (:func:`dram_stream`, docs/model.md §4).

Units: bytes, accelerator cycles (integers), picojoules (floats). See ``docs/model.md`` for the equations.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from accelsim.dram.closed_form import (
    O_ACT,
    O_ACTIVE_RANK_CK,
    O_CK,
    O_IDLE_RANK_CK,
    O_RD,
    O_REF,
    O_WR,
    pack_system,
    stream_cost,
)
from accelsim.dram.presets import from_dram_config
from accelsim.dram.request_model import command_energies_pj
from accelsim.hardware import HardwareConfig, derived_values
from accelsim.jit import kernel
from accelsim.layouts import (
    DRAM_PART,
    ENERGY,
    HW,
    HW_PART,
    HW_PART_END,
    KIND,
    ROW,
    ROW_COST,
    XFER_COST,
    XFER_KEY,
    names,
    pack,
)
from accelsim.systolic import DATAFLOW_CODE, gemm_cycles


def pack_hardware(hw: HardwareConfig) -> np.ndarray:
    """Flatten a config into the float64 vector the engines read (shape (N_HW,), slots :data:`HW`): the chip,
    and its DRAM as the banked model's part (:func:`accelsim.dram.presets.from_dram_config`), packed once per
    hardware point."""
    e = derived_values(hw)  # what the auto energies stand for (the cited tables at the chip's node)
    mem = from_dram_config(hw.dram)
    cmd = command_energies_pj(mem)
    burst = mem.part.org.burst_bytes
    request = hw.dram.request_bytes or burst
    part = pack_system(mem)
    return pack(HW, {
        "mhz": hw.clock.mhz,
        "pe_rows": hw.pe.rows,
        "pe_cols": hw.pe.cols,
        "dataflow": DATAFLOW_CODE[hw.pe.dataflow],
        "skip_zeros": 1.0 if hw.pe.skip_zeros else 0.0,
        "mac_pj": _given(hw.pe.mac_pj, e["pe.mac_pj"]),
        "vector_flops_per_cycle": hw.pe.vector_flops_per_cycle,
        "vector_flop_pj": _given(hw.pe.vector_flop_pj, e["pe.vector_flop_pj"]),
        "fuse_update": 1.0 if hw.pe.fuse_update else 0.0,
        "weight_bytes": math.floor(hw.sram.weight_kib * 1024),
        "act_bytes": math.floor(hw.sram.act_kib * 1024),
        "double_buffer": 1.0 if hw.sram.double_buffer else 0.0,
        "stream_bytes": math.floor(hw.sram.stream_kib * 1024),
        "sram_read_pj_per_byte": _given(hw.sram.read_pj_per_byte, e["sram.read_pj_per_byte"]),
        "sram_write_pj_per_byte": _given(hw.sram.write_pj_per_byte, e["sram.write_pj_per_byte"]),
        "dram_gbps": mem.part.peak_gbps,
        "burst_bytes": burst,
        "dram_tck_ns": mem.part.timing.tck_ns,
        "dram_request_bytes": -(-request // burst) * burst,
        "dram_requests_in_flight": hw.dram.requests_in_flight or 0,
        "dram_act_pj": cmd["act"],
        "dram_read_pj": cmd["read"],
        "dram_write_pj": cmd["write"],
        "dram_refresh_pj": cmd["refresh"],
        "dram_active_pj_per_ck": cmd["active_per_ck"],
        "dram_idle_pj_per_ck": cmd["idle_per_ck"],
        "io_pj_per_bit": hw.dram.io_pj_per_bit,
        "decode_values_per_cycle": hw.decode.values_per_cycle,
        "transpose_values_per_cycle": hw.decode.transpose_values_per_cycle,
        "decode_pj_per_value": hw.decode.pj_per_value,
        "static_mw": hw.power.static_mw + hw.sram.leakage_mw + hw.dram.static_mw,
        **{f"dram_{name}": part[i] for i, name in enumerate(names(DRAM_PART))},
    })


def _given(value: float | None, derived: float) -> float:
    """A config value, or its derived value where the config says ``auto``."""
    return derived if value is None else value


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
    ``cost`` (n_x, N_XFER_COST) int64 by :data:`accelsim.layouts.XFER_COST`, ``energy`` (n_x,) pJ.

    Made by :func:`transfer_table`, a pure function of the keys and the point; rows and activation tensors
    name their transfers by index (``ROW.xfer``, ``ACT_TENSOR.refill_xfer`` / ``spill_xfer``).
    """

    cost: np.ndarray
    energy: np.ndarray


@kernel
def dram_stream(nbytes: int, is_write: bool, gather_rows: int, h: np.ndarray) -> tuple[int, int, int, float]:
    """One whole-tensor DRAM transfer of ``nbytes`` by the banked model's closed forms: (accelerator cycles,
    bus bytes, row activations, energy pJ).

    A load or store is a sequential stream of DMA requests (``dram.request_bytes``, whole bursts; a store all
    writes); the replay batch (``gather_rows`` = B > 0) is B requests of one row (⌈nbytes / B⌉ bytes, each
    rounded up to whole bursts) at random row-aligned addresses. :func:`accelsim.dram.closed_form.stream_cost`
    gives its DRAM cycles and command counts, expected over the refresh schedule; cycles × tCK convert to
    accelerator cycles, rounded up. Bus bytes are the bursts moved; activations the expected ACTIVATE count,
    rounded to the nearest whole one. Energy: the IDD model of the expected counts (ACTIVATE, READ, WRITE and
    REFRESH commands and the ranks' background over the transfer, as ``accelsim dram`` reports it) plus
    ``io_pj_per_bit`` for every bit on the bus.
    """
    if nbytes <= 0:
        return 0, 0, 0, 0.0
    v = h[HW_PART:HW_PART_END]
    burst = int(h[HW.burst_bytes])
    if gather_rows > 0:
        row = cdiv(nbytes, gather_rows)
        o = stream_cost(v, 2, float(gather_rows * row), float(row), 0.0, 0.0, h[HW.dram_requests_in_flight])
        bus = gather_rows * cdiv(row, burst) * burst
    else:
        o = stream_cost(v, 0, float(nbytes), h[HW.dram_request_bytes], 0.0, 1.0 if is_write else 0.0,
                        h[HW.dram_requests_in_flight])
        bus = cdiv(nbytes, burst) * burst
    cycles = math.ceil(o[O_CK] * h[HW.dram_tck_ns] * h[HW.mhz] / 1000.0)
    acts = int(o[O_ACT] + 0.5)  # the nearest whole one (counts are >= 0)
    pj = (o[O_ACT] * h[HW.dram_act_pj] + o[O_RD] * h[HW.dram_read_pj] + o[O_WR] * h[HW.dram_write_pj]
          + o[O_REF] * h[HW.dram_refresh_pj] + o[O_ACTIVE_RANK_CK] * h[HW.dram_active_pj_per_ck]
          + o[O_IDLE_RANK_CK] * h[HW.dram_idle_pj_per_ck] + bus * BITS_PER_BYTE * h[HW.io_pj_per_bit])
    return cycles, bus, acts, pj


@kernel
def transfer_table(keys: np.ndarray, h: np.ndarray) -> DRAMTable:
    """The :class:`DRAMTable` of transfers ``keys`` ((n_x, N_XFER_KEY), by :data:`accelsim.layouts.XFER_KEY`)
    on hardware point ``h``: :func:`dram_stream` of each."""
    n = keys.shape[0]
    table = DRAMTable(np.zeros((n, N_XFER_COST), dtype=np.int64), np.zeros(n, dtype=np.float64))
    for x in range(n):
        cyc, bus, acts, pj = dram_stream(keys[x, XFER_KEY.bytes], keys[x, XFER_KEY.is_write] == 1,
                                         keys[x, XFER_KEY.gather_rows], h)
        table.cost[x, XFER_COST.cycles] = cyc
        table.cost[x, XFER_COST.bus_bytes] = bus
        table.cost[x, XFER_COST.row_activations] = acts
        table.energy[x] = pj
    return table


@kernel(inline=True)
def _transfer(table: DRAMTable, x: int) -> tuple[int, int, int, float]:
    """(cycles, bus bytes, row activations, pJ) of transfer ``x`` of ``table``; nothing for ``x`` < 0."""
    if x < 0:
        return 0, 0, 0, 0.0
    c = table.cost[x]
    return c[XFER_COST.cycles], c[XFER_COST.bus_bytes], c[XFER_COST.row_activations], table.energy[x]


@kernel
def row_costs(r: np.ndarray, resident: bool, h: np.ndarray, table: DRAMTable, cost: np.ndarray,
              energy: np.ndarray) -> None:
    """Costs of one transaction on hardware ``h`` in a (warm) period: writes ``cost`` (slots :data:`ROW_COST`,
    int64) and ``energy`` (slots :data:`ENERGY`, pJ; the static part is the scheduler's and is left 0).

    An activation row reads or writes the activation buffer; whether the tensor is spilled or refilled is the
    activation plan's (:mod:`accelsim.liveness`), charged to the op, not here. The replay batch always comes
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
    rd_cyc, rd_bus, rd_acts, rd_pj = _transfer(table, r[ROW.xfer] if rd_bytes > 0 else -1)
    wr_cyc, wr_bus, wr_acts, wr_pj = _transfer(table, r[ROW.xfer] if wr_bytes > 0 else -1)
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
    cyc, bus, acts, pj = _transfer(table, x if nbytes > 0 else -1)
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


@kernel
def stream_slots(h: np.ndarray) -> int:
    """Tiles the stream region holds at once: 2 with double buffering (load the next while this one is
    decoded and computed), else 1."""
    return 2 if h[HW.double_buffer] > 0.5 else 1


@kernel
def tile_bytes(h: np.ndarray) -> int:
    """Bytes of one tile: the stream region (``sram.stream_kib``, at most half the weight buffer) over
    :func:`stream_slots`, and never less than one DRAM burst (the smallest transfer there is)."""
    stream = min(int(h[HW.stream_bytes]), int(h[HW.weight_bytes]) // 2)
    return max(int(h[HW.burst_bytes]), stream // stream_slots(h))


@kernel
def op_variant(h: np.ndarray) -> int:
    """Which of a workload's op variants runs on ``h``: 1 with ``pe.fuse_update`` (updates fused into
    backward-weight), else 0 (:attr:`accelsim.workload.Workload.seg_op_start`)."""
    return 1 if h[HW.fuse_update] > 0.5 else 0
