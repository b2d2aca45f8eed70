"""The reference engine: the same model as discrete-event SimPy processes, one period at a time.

Each segment's warm period is costed (:func:`accelsim.engines.reference.period.period_costs`, with residency recomputed
in
plain Python), grouped into tiled ops (:func:`accelsim.engines.reference.period.op_tiles`) and scheduled as SimPy
processes
(:func:`accelsim.engines.reference.period.schedule_period`); the segment's prologue fetches its resident tensors. This
module attributes every cycle and picojoule to its row, phase, network, layer and segment. It shares the per-row
cost model with the fast engine and nothing else (it imports nothing from :mod:`accelsim.engines.fast.engine` or
:mod:`accelsim.engines.fast.tiles`), so it checks the fast engine's residency, tiling, scheduling and accounting. It
simulates one period per segment, never every step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from accelsim.base.layouts import COUNT, ENERGY, N_ENERGY, N_ROW_COST, ROW, ROW_COST, XFER_KEY, pack
from accelsim.cost import dram_cost
from accelsim.cost import rows as row_cost
from accelsim.engines.output import EngineOutput, Tally
from accelsim.engines.reference.period import op_tiles, period_costs, schedule_period
from accelsim.engines.reference.placement import activation_plan, segment_resident, stream_slots, variant

if TYPE_CHECKING:
    from accelsim.workload.build import Workload


def _counts(c: np.ndarray, cycles: int, memory: int, decode: int) -> np.ndarray:
    """A row's count vector: its costs ``c`` (slots ROW_COST) and ``cycles`` of which ``memory`` and ``decode``
    are stalls."""
    return pack(COUNT, {
        "cycles": cycles,
        "compute_cycles": cycles - memory - decode,
        "stall_memory_cycles": memory,
        "stall_decode_cycles": decode,
        "dram_read_bytes": c[ROW_COST.dram_read_bytes],
        "dram_write_bytes": c[ROW_COST.dram_write_bytes],
        "dram_row_activations": c[ROW_COST.dram_row_activations],
        "macs": c[ROW_COST.macs],
        "sram_read_bytes": c[ROW_COST.sram_read_bytes],
        "sram_write_bytes": c[ROW_COST.sram_write_bytes],
    }, np.int64)


def run(workload: Workload, H: np.ndarray, n_phase: int, n_net: int, detail: bool = True) -> EngineOutput:
    """Same signature and output as :func:`accelsim.engines.fast.engine.run` (breakdowns always filled, the layer
    tally too)."""
    H = np.atleast_2d(np.asarray(H, dtype=np.float64))
    P, S = H.shape[0], workload.n_segments
    seg, ph, net = Tally.zeros(P, S), Tally.zeros(P, n_phase), Tally.zeros(P, n_net)
    lay = Tally.zeros(P, workload.layers.shape[0])
    rows = workload.rows
    for p in range(P):
        h = H[p]
        table = dram_cost.transfer_table(workload.xfer_keys, h)  # what each DRAM transfer costs on this point
        slots = stream_slots(h)
        for s in range(S):
            a = int(workload.seg_row_start[s])
            reps = int(workload.seg_repeats[s])
            cost, energy = period_costs(workload, s, h, table)
            plan = activation_plan(workload, s, h, table)
            ops = op_tiles(workload, s, h, cost, plan)
            sched = schedule_period(ops, slots)
            v = variant(h)
            o0, o1 = int(workload.seg_op_start[v, s]), int(workload.seg_op_start[v, s + 1])
            attr = [int(x) - a for x in workload.op_attr[o0:o1]]
            memory = [0] * cost.shape[0]
            decode = [0] * cost.shape[0]
            for j, idle, dec in zip(attr, sched.idle, sched.decode_stall, strict=True):
                memory[j] += idle - dec
                decode[j] += dec
            if attr:
                memory[attr[-1]] += sched.tail
            resident = segment_resident(workload, s, h)
            entries = []  # (row in segment, counts, energy, multiplicity)
            for j, traffic in zip(attr, plan, strict=True):
                # An op's activation spills and refills: bytes and energy of its attribution row (no cycles of
                # their own: their time is in the op's stalls).
                entries.append((j, _counts(traffic.cost, 0, 0, 0), traffic.energy, 0, reps))
            for j in range(cost.shape[0]):
                cyc = int(cost[j, ROW_COST.compute_cycles]) + memory[j] + decode[j]
                entries.append((j, _counts(cost[j], cyc, memory[j], decode[j]), energy[j], cyc, reps))
                r = rows[a + j]
                key = int(r[ROW.key])
                if key in resident and r[ROW.first] == 1 and r[ROW.is_read] == 1:
                    # The prologue: the tensor's resident part is fetched once, before the segment's first period.
                    pc, pe = np.zeros(N_ROW_COST, np.int64), np.zeros(N_ENERGY)
                    kb = int(workload.key_bytes[int(workload.seg_key_start[s]) + key])
                    row_cost.fill_costs(r, resident[key], kb, h, table, pc, pe)
                    f = int(pc[ROW_COST.read_cycles])
                    entries.append((j, _counts(pc, f, f, 0), pe, f, 1))
            for j, cv, e, cyc, mult in entries:
                ev = e.copy()
                ev[ENERGY.static] = row_cost.static_pj(cyc, h)
                phase, network = int(rows[a + j, ROW.phase]), int(rows[a + j, ROW.net])
                layer = int(workload.row_layer[a + j])
                for tally, idx in ((seg, (p, s)), (ph, (p, phase)), (net, (p, network)), (lay, (p, layer))):
                    tally.counts[idx] += cv * mult
                    tally.energy_pj[idx] += ev * mult
    return EngineOutput(segments=seg, phases=ph, networks=net, layers=lay)


def transfers(workload: Workload) -> list[tuple[int, int, int]]:
    """The distinct DRAM transfers the engines cost for ``workload`` on any hardware point: (bytes, is_write,
    gather_rows) of every row that may cross the bus (its prologue fill included), every activation tensor's
    refill and spill (``Workload.xfer_keys``); which of them a point makes depends on its residency and its
    activation buffer. What ``tests/test_dram_engine_streams.py`` checks the closed forms on."""
    return [(int(k[XFER_KEY.bytes]), int(k[XFER_KEY.is_write]), int(k[XFER_KEY.gather_rows]))
            for k in workload.xfer_keys]
