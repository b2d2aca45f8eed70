"""Optimizer and Polyak work where the data is (per stored value in the compressed view) and the fused update
(``pe.fuse_update``: the optimizer inside backward-weight, gradients never in DRAM)."""

import math

import numpy as np
import pytest
from conftest import REAL, make_random_trace

from accelsim.base.layouts import ROW
from accelsim.hardware.load import load_hardware
from accelsim.simulation.simulate import simulate
from accelsim.trace.formats import Format
from accelsim.trace.reader import read_trace
from accelsim.trace.schema import NETWORKS, PHASES
from accelsim.trace.td3_step import ADAM_FLOPS_PER_ELEM, POLYAK_FLOPS_PER_ELEM, td3_networks, td3_step_rows
from accelsim.trace.writer import write_trace
from accelsim.workload.build import build_workload, fuse_updates, group_ops


def _one_step(tmp_path, actor_update=True, fmt=None):
    shapes = td3_networks(3, 1, (8, 8))
    step = td3_step_rows(shapes, fmt or {}, 4, 3, 1, actor_update=actor_update)
    return read_trace(write_trace(tmp_path / "t.parquet", {"batch": 4}, [(0, 5, [step])])), shapes


def test_adam_and_polyak_run_per_stored_value_in_the_compressed_view(tmp_path):
    # critic1's 8x8 hidden layer as 4x4 circulant blocks: 4 blocks of 4 values = 16 stored values, bias 8.
    tr, _ = _one_step(tmp_path, fmt={("critic1", 1): Format("bc", block_size=4)})
    for view, values in (("dense", 8 * 8 + 8), ("compressed", 16 + 8)):
        wl = build_workload(tr, view)
        r = wl.rows
        sel = (r[:, ROW.net] == NETWORKS.index("critic1")) & (r[:, ROW.layer] == 1) & (r[:, ROW.vflops] > 0)
        assert r[sel & (r[:, ROW.phase] == PHASES.index("update")), ROW.vflops].tolist() == [
            ADAM_FLOPS_PER_ELEM * values]
        target = (r[:, ROW.net] == NETWORKS.index("critic1_target")) & (r[:, ROW.layer] == 1)
        assert r[target & (r[:, ROW.vflops] > 0), ROW.vflops].tolist() == [POLYAK_FLOPS_PER_ELEM * values], view
    # Dense layers do the same work in both views.
    dense, comp = (build_workload(tr, v).rows for v in ("dense", "compressed"))
    other = ~((dense[:, ROW.layer] == 1) & np.isin(dense[:, ROW.net], [NETWORKS.index("critic1"),
                                                                       NETWORKS.index("critic1_target")]))
    assert (dense[other, ROW.vflops] == comp[other, ROW.vflops]).all()


def test_the_update_phase_mac_energy_is_its_vector_flops(tmp_path):
    tr, _ = _one_step(tmp_path, fmt={("critic1", 1): Format("bc", block_size=4)})
    hw = load_hardware(None, {"pe.vector_flop_pj": "2"})
    res = simulate(tr, hw)
    for view in ("dense", "compressed"):
        r = build_workload(tr, view).rows
        flops = int(r[r[:, ROW.phase] == PHASES.index("update"), ROW.vflops].sum()) * 5
        assert getattr(res, view).by_phase["update"].energy_breakdown_j.mac == pytest.approx(flops * 2e-12, rel=1e-12)


def test_a_fused_update_joins_the_backward_weight_op_of_its_layer(tmp_path):
    tr, _ = _one_step(tmp_path, actor_update=False)
    r = build_workload(tr, "dense").rows
    a, b = 0, int(tr.seg_row_start[1])
    fused = fuse_updates(r[a:b], group_ops(r[a:b]))

    def label(op):
        kinds = []
        for i in op:
            if r[i, ROW.m] > 0 or r[i, ROW.vflops] > 0:
                kinds.append((PHASES[r[i, ROW.phase]], int(r[i, ROW.layer])))
        return NETWORKS[r[op[0], ROW.net]], kinds

    critic1 = [label(op)[1] for op in fused if label(op)[0] == "critic1" and label(op)[1]]
    assert critic1 == [[("forward", 0)], [("forward", 1)], [("forward", 2)],
                       [("backward_data", 2)], [("backward_weight", 2), ("update", 2)],
                       [("backward_data", 1)], [("backward_weight", 1), ("update", 1)],
                       [("backward_weight", 0), ("update", 0)]]
    assert sorted(i for op in fused for i in op) == list(range(b - a))


@pytest.mark.parametrize("view", ["dense", "compressed"])
def test_fusing_the_update_removes_exactly_the_gradients_dram_traffic(tmp_path, view):
    """Nothing resident (a weight buffer of 64 B): unfused, every gradient is written by backward-weight and
    read back by the update; fused, neither crosses the bus. Nothing else moves differently."""
    tr = read_trace(make_random_trace(tmp_path / "r.parquet", seed=2))
    over = {"sram.weight_kib": "0.0625"}
    off = getattr(simulate(tr, load_hardware(None, {**over, "pe.fuse_update": "false"})), view).totals
    on = getattr(simulate(tr, load_hardware(None, {**over, "pe.fuse_update": "true"})), view).totals
    wl = build_workload(tr, view)
    burst = load_hardware(None).dram.burst_bytes
    grad_bytes = sum(math.ceil(int(r[ROW.bytes]) / burst) * burst * int(wl.seg_repeats[s])
                     for s in range(wl.n_segments)
                     for r in wl.rows[int(wl.seg_row_start[s]):int(wl.seg_row_start[s + 1])] if r[ROW.grad] == 1)
    assert grad_bytes > 0
    assert off.dram_bytes - on.dram_bytes == grad_bytes
    assert on.macs == off.macs and on.compute_cycles == off.compute_cycles


def test_fusion_is_faster_on_the_shipped_trace():
    tr = read_trace(REAL)
    off = simulate(tr, load_hardware(None, {"pe.fuse_update": "false"}))
    on = simulate(tr, load_hardware(None, {"pe.fuse_update": "true"}))
    for view in ("dense", "compressed"):
        a, b = getattr(off, view).totals, getattr(on, view).totals
        assert b.cycles < a.cycles and b.dram_bytes < a.dram_bytes and b.energy_j < a.energy_j
