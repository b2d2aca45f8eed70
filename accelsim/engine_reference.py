"""The reference engine: the same model as discrete-event SimPy processes, one period at a time.

Each segment's cold and warm periods are costed (:func:`accelsim.period.period_costs`, with residency
recomputed in plain Python) and scheduled as SimPy processes (:func:`accelsim.period.schedule_period`);
this module attributes every cycle and picojoule to its row, phase, network and segment. It shares the
per-row cost model with the fast engine and nothing else (it imports nothing from
:mod:`accelsim.engine_fast`), so it checks the fast engine's residency, scheduling and accounting. It
simulates two periods per segment (cold, warm), never every step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from accelsim import model
from accelsim.engine_output import EngineOutput, Tally
from accelsim.layouts import COUNT, ENERGY, ROW, ROW_COST, pack
from accelsim.period import period_costs, schedule_period

if TYPE_CHECKING:
    from accelsim.workload import Workload


def run(workload: Workload, H: np.ndarray, n_phase: int, n_net: int, detail: bool = True) -> EngineOutput:
    """Same signature and output as :func:`accelsim.engine_fast.run` (breakdowns always filled)."""
    H = np.atleast_2d(np.asarray(H, dtype=np.float64))
    P, S = H.shape[0], workload.n_segments
    seg, ph, net = Tally.zeros(P, S), Tally.zeros(P, n_phase), Tally.zeros(P, n_net)
    rows = workload.rows
    for p in range(P):
        h = H[p]
        slots = model.buffer_slots(h)
        for s in range(S):
            a = int(workload.seg_row_start[s])
            reps = int(workload.seg_repeats[s])
            for cold, mult in ((True, 1), (False, reps - 1)):
                if mult == 0:
                    continue
                cost, energy = period_costs(workload, s, h, cold)
                sched = schedule_period(cost, slots)
                n = cost.shape[0]
                for j in range(n):
                    c = cost[j]
                    comp = int(c[ROW_COST.compute_cycles])
                    tail = sched.tail if j == n - 1 else 0
                    cyc = comp + sched.idle[j] + tail
                    cv = pack(COUNT, {
                        "cycles": cyc,
                        "compute_cycles": comp,
                        "stall_memory_cycles": sched.idle[j] - sched.decode_stall[j] + tail,
                        "stall_decode_cycles": sched.decode_stall[j],
                        "dram_read_bytes": c[ROW_COST.dram_read_bytes],
                        "dram_write_bytes": c[ROW_COST.dram_write_bytes],
                        "dram_row_activations": c[ROW_COST.dram_row_activations],
                        "macs": c[ROW_COST.macs],
                        "sram_read_bytes": c[ROW_COST.sram_read_bytes],
                        "sram_write_bytes": c[ROW_COST.sram_write_bytes],
                    }, np.int64)
                    ev = energy[j].copy()
                    ev[ENERGY.static] = model.static_pj(cyc, h)
                    phase, network = int(rows[a + j, ROW.phase]), int(rows[a + j, ROW.net])
                    for tally, idx in ((seg, (p, s)), (ph, (p, phase)), (net, (p, network))):
                        tally.counts[idx] += cv * mult
                        tally.energy_pj[idx] += ev * mult
    return EngineOutput(segments=seg, phases=ph, networks=net)
