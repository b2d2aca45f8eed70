"""The per-transaction cost model shared by both engines: DRAM transfers, decode, compute, energy.

Everything here is a pure function of numbers. A
:class:`~accelsim.hardware.config.HardwareConfig` is packed into a flat float64 vector (:func:`pack_hardware`, slots
:data:`accelsim.base.layouts.HW`: the chip, then its DRAM as the banked model's part) so the compiled engine can
evaluate many hardware points in one call; the reference engine calls the same compiled functions from Python,
so the two engines share the *model* and differ in how they schedule and account it. Every DRAM transfer is
costed on the banked model (:func:`dram_stream`, docs/model.md §4): loads and stores by its closed forms, the
replay gather by its request-level model.

Units: bytes, accelerator cycles (integers), picojoules (floats). See ``docs/model.md`` for the equations.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from accelsim.base.jit import kernel, prange
from accelsim.base.layouts import (
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
from accelsim.cost.systolic import DATAFLOW_CODE, gemm_cycles
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
from accelsim.dram.request_model import (
    GATHER_DRAWS,
    N_S,
    S_ACT,
    S_ACTIVE_RANK_CK,
    S_END,
    S_IDLE_RANK_CK,
    S_RD,
    S_REF,
    S_WR,
    command_energies_pj,
    gather_expected,
)
from accelsim.hardware.config import HardwareConfig
from accelsim.hardware.derived import derived_values


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
    ``cost`` (n_x, N_XFER_COST) int64 by :data:`accelsim.base.layouts.XFER_COST`, ``energy`` (n_x,) pJ.

    Made by :func:`transfer_table`, a pure function of the keys and the point; rows and activation tensors
    name their transfers by index (``ROW.xfer``, ``ACT_TENSOR.refill_xfer`` / ``spill_xfer``).
    """

    cost: np.ndarray
    energy: np.ndarray


@kernel
def _figures(t_ck: float, n_act: float, n_rd: float, n_wr: float, n_ref: float, active_ck: float, idle_ck: float,
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
def gather_figures(stats: np.ndarray, nbytes: int, gather_rows: int, h: np.ndarray) -> tuple[int, int, int, float]:
    """The replay batch's (cycles, bus bytes, row activations, pJ) from its request-level expectation
    ``stats`` (:func:`accelsim.dram.request_model.gather_expected`, S_* slots): B = ``gather_rows`` rows of
    ⌈nbytes / B⌉ bytes, each rounded up to whole bursts on the bus."""
    burst = int(h[HW.burst_bytes])
    bus = gather_rows * cdiv(cdiv(nbytes, gather_rows), burst) * burst
    return _figures(stats[S_END], stats[S_ACT], stats[S_RD], stats[S_WR], stats[S_REF], stats[S_ACTIVE_RANK_CK],
                    stats[S_IDLE_RANK_CK], bus, h)


@kernel
def gather_stats_of(h: np.ndarray, nbytes: int, gather_rows: int) -> np.ndarray:
    """The request-level expectation of the replay batch (B = ``gather_rows`` rows of ⌈nbytes / B⌉ bytes) on
    point ``h``: :func:`accelsim.dram.request_model.gather_expected` over GATHER_DRAWS draws."""
    return gather_expected(h[HW_PART:HW_PART_END], gather_rows, cdiv(nbytes, gather_rows),
                           int(h[HW.dram_requests_in_flight]), GATHER_DRAWS)


@kernel
def dram_stream(nbytes: int, is_write: bool, gather_rows: int, h: np.ndarray) -> tuple[int, int, int, float]:
    """One whole-tensor DRAM transfer of ``nbytes`` on the banked model: (accelerator cycles, bus bytes, row
    activations, energy pJ; :func:`_figures`).

    A load or store is a sequential stream of DMA requests (``dram.request_bytes``, whole bursts; a store all
    writes), costed by the closed forms (:func:`accelsim.dram.closed_form.stream_cost`: DRAM cycles and command
    counts, expected over the refresh schedule). The replay batch (``gather_rows`` = B > 0) is B requests of one
    row (⌈nbytes / B⌉ bytes, each rounded up to whole bursts) at random row-aligned addresses, costed by the
    request-level model itself (:func:`gather_stats_of`: GATHER_DRAWS seeded address draws, each at its own
    refresh phase, averaged), where the closed forms miss by 5-12 % (docs/model.md §10.6).
    """
    if nbytes <= 0:
        return 0, 0, 0, 0.0
    if gather_rows > 0:
        return gather_figures(gather_stats_of(h, nbytes, gather_rows), nbytes, gather_rows, h)
    burst = int(h[HW.burst_bytes])
    o = stream_cost(h[HW_PART:HW_PART_END], 0, float(nbytes), h[HW.dram_request_bytes], 0.0,
                    1.0 if is_write else 0.0, h[HW.dram_requests_in_flight])
    return _figures(o[O_CK], o[O_ACT], o[O_RD], o[O_WR], o[O_REF], o[O_ACTIVE_RANK_CK], o[O_IDLE_RANK_CK],
                    cdiv(nbytes, burst) * burst, h)


@kernel
def transfer_table_of(keys: np.ndarray, h: np.ndarray, gathers: np.ndarray) -> DRAMTable:
    """The :class:`DRAMTable` of transfers ``keys`` ((n_x, N_XFER_KEY), by :data:`accelsim.base.layouts.XFER_KEY`)
    on hardware point ``h``: :func:`dram_stream` of each, a gather's request-level expectation taken from
    ``gathers`` ((n_x, N_S), :func:`gather_stats`) rather than computed again."""
    n = keys.shape[0]
    table = DRAMTable(np.zeros((n, N_XFER_COST), dtype=np.int64), np.zeros(n, dtype=np.float64))
    for x in range(n):
        nbytes, rows = keys[x, XFER_KEY.bytes], keys[x, XFER_KEY.gather_rows]
        if rows > 0 and nbytes > 0:
            cyc, bus, acts, pj = gather_figures(gathers[x], nbytes, rows, h)
        else:
            cyc, bus, acts, pj = dram_stream(nbytes, keys[x, XFER_KEY.is_write] == 1, rows, h)
        table.cost[x, XFER_COST.cycles] = cyc
        table.cost[x, XFER_COST.bus_bytes] = bus
        table.cost[x, XFER_COST.row_activations] = acts
        table.energy[x] = pj
    return table


@kernel(parallel=True)
def _gather_batch(parts: np.ndarray, todo: np.ndarray) -> np.ndarray:
    """:func:`gather_stats_of` of each row of ``todo`` ((n, 3): a point's index into ``parts``, the gather's
    bytes and rows), in parallel: (n, N_S)."""
    out = np.zeros((todo.shape[0], N_S))
    for i in prange(todo.shape[0]):
        out[i] = gather_stats_of(parts[todo[i, 0]], todo[i, 1], todo[i, 2])
    return out


#: Request-level expectations of gathers already computed in this process, by the DRAM slots they read and
#: the gather (a pure function of both; a sweep over anything but the DRAM, or the two views of one point,
#: compute each once). Cleared when it reaches GATHER_MEMO_MAX entries.
GATHER_MEMO: dict[tuple[bytes, int, int], np.ndarray] = {}
GATHER_MEMO_MAX = 1 << 16


def gather_stats(keys: np.ndarray, Hs: np.ndarray) -> np.ndarray:
    """The request-level expectation (:func:`gather_stats_of`) of every gather among ``keys`` on every point of
    ``Hs`` ((n_t, N_HW), or one point (N_HW,)): (n_t, n_x, N_S) float64, zero for loads and stores (or
    (n_x, N_S) for one point). Computed once per distinct (DRAM, gather) in a process, misses in parallel."""
    one = Hs.ndim == 1
    Hs = np.atleast_2d(Hs)
    out = np.zeros((Hs.shape[0], keys.shape[0], N_S))
    gx = [x for x in range(keys.shape[0]) if keys[x, XFER_KEY.gather_rows] > 0 and keys[x, XFER_KEY.bytes] > 0]
    if gx:
        dram = [Hs[t, DRAM_COST_SLOTS].tobytes() for t in range(Hs.shape[0])]
        want = {(dram[t], int(keys[x, XFER_KEY.bytes]), int(keys[x, XFER_KEY.gather_rows])): t
                for t in range(Hs.shape[0]) for x in gx}
        # This call's figures are kept apart from the memo, so that clearing a full memo cannot lose a hit.
        found = {k: GATHER_MEMO[k] for k in want if k in GATHER_MEMO}
        miss = [k for k in want if k not in found]
        if miss:
            todo = np.array([[want[k], k[1], k[2]] for k in miss], dtype=np.int64)
            got = _gather_batch(np.ascontiguousarray(Hs), todo) if len(miss) > 1 else \
                gather_stats_of(np.ascontiguousarray(Hs[todo[0, 0]]), todo[0, 1], todo[0, 2])[None, :]
            new = dict(zip(miss, got, strict=True))
            found.update(new)
            if len(GATHER_MEMO) + len(new) > GATHER_MEMO_MAX:
                GATHER_MEMO.clear()
            GATHER_MEMO.update(new)
        for t in range(Hs.shape[0]):
            for x in gx:
                out[t, x] = found[(dram[t], int(keys[x, XFER_KEY.bytes]), int(keys[x, XFER_KEY.gather_rows]))]
    return out[0] if one else out


def transfer_table(keys: np.ndarray, h: np.ndarray) -> DRAMTable:
    """The :class:`DRAMTable` of transfers ``keys`` on hardware point ``h`` (:func:`transfer_table_of`, gathers
    by :func:`gather_stats`): a pure function of the keys and the point."""
    keys = np.ascontiguousarray(keys, dtype=np.int64)
    return transfer_table_of(keys, np.ascontiguousarray(h, dtype=np.float64), gather_stats(keys, h))


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
    backward-weight), else 0 (:attr:`accelsim.workload.build.Workload.seg_op_start`)."""
    return 1 if h[HW.fuse_update] > 0.5 else 0
