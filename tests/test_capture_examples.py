"""Capture on code not written for accelsim (issue 25): the scripts in ``examples/`` (CleanRL-style SAC and PPO on
HalfCheetah-v5, a convolutional A2C on a pixel gridworld), each run unmodified under ``accelsim capture`` for a
short run with magnitude pruning (``torch.nn.utils.prune``) switched on partway, then validated
(``accelsim validate``) and simulated (``accelsim run``).

The MACs check: with ``ACCELSIM_CAPTURE_FLOPS=1`` the capture's child also runs the script inside torch's own
``torch.utils.flop_counter.FlopCounterMode`` (the same process, the same run) and writes its count to
``flop_count.json``; the simulated MACs (``accelsim run --json``, both views) must equal half of torch's FLOPs
within 1 % (they are equal exactly here: every GEMM of these scripts runs in a ``Linear`` or ``Conv2d``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from accelsim.cli import app
from accelsim.trace.reader import read_trace

EXAMPLES = ROOT / "examples"

SAC = ("sac_continuous_action.py", "--total-timesteps", "600", "--learning-starts", "300", "--batch-size", "64",
       "--prune-amount", "0.8", "--prune-start", "0.6", "--prune-end", "0.9", "--prune-every", "60")
PPO = ("ppo_continuous_action.py", "--total-timesteps", "1024", "--num-steps", "256", "--num-minibatches", "4",
       "--update-epochs", "2", "--prune-amount", "0.8", "--prune-start", "0.25", "--prune-end", "0.75")
CONV = ("a2c_conv_gridworld.py", "--total-timesteps", "1600", "--prune-amount", "0.8", "--prune-at", "0.5")


def capture(tmp_path: Path, script: tuple[str, ...], seed: int = 0) -> tuple[Path, dict]:
    """Capture ``script`` (in ``examples/``) with torch's FLOP count beside; (run folder, flop_count.json)."""
    pytest.importorskip("torch")
    pytest.importorskip("gymnasium")
    out = tmp_path / "run"
    env = {**os.environ, "ACCELSIM_CAPTURE_FLOPS": "1"}
    r = subprocess.run([sys.executable, "-m", "accelsim.cli", "capture", "--out", str(out), "--", "python",
                        str(EXAMPLES / script[0]), *script[1:], "--seed", str(seed)], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "captured" in r.stdout
    return out, json.loads((out / "flop_count.json").read_text())


def check(out: Path, flops: dict, capsys) -> dict:
    """Validate and simulate the run folder; the simulated MACs equal torch's count within 1 %. The run's JSON."""
    assert app.main(["validate", str(out)]) == 0
    assert "OK" in capsys.readouterr().out
    result = out.parent / "result.json"
    assert app.main(["run", str(out), "--json", str(result), "-q"]) == 0
    res = json.loads(result.read_text())
    for view in ("dense", "compressed"):
        assert res[view]["macs"] == pytest.approx(flops["macs"], rel=0.01)
    assert res["dense"]["macs"] == flops["macs"]  # in fact exactly
    return res


def pruned_and_dense_layers(out: Path) -> tuple[set, set]:
    tr = read_trace(out)
    first = {r.format.scheme for r in tr.segment_rows(0) if r.tensor == "weight"}
    last = {r.format.scheme for r in tr.segment_rows(tr.n_segments - 1) if r.tensor == "weight"}
    return first, last


@pytest.mark.slow
def test_sac_example_captured(tmp_path, capsys):
    out, flops = capture(tmp_path, SAC)
    res = check(out, flops, capsys)
    tr = read_trace(out)
    assert tr.n_steps == 299  # a gradient step at every env step after learning starts (300 .. 598)
    roles = {n.name: (n.role, n.target_of) for n in tr.networks}
    assert roles == {"actor": ("online", ""), "qf1": ("online", ""), "qf2": ("online", ""),
                     "qf1_target": ("target", "qf1"), "qf2_target": ("target", "qf2")}
    rows = [r for s in range(tr.n_segments) for r in tr.segment_rows(s)]
    phases = {(r.network, r.phase) for r in rows}
    # CleanRL's Polyak writes through param.data (no version counter moves): seen by the parameters' norms.
    assert {("actor", "act"), ("qf1_target", "forward"), ("qf1_target", "polyak"), ("qf2", "backward_weight"),
            ("actor", "update")} <= phases
    first, last = pruned_and_dense_layers(out)
    assert first == {"dense"} and "bitmap" in last and tr.masks
    assert json.loads((out / "capture.json").read_text())["not_modelled"] == {
        "parameter outside any layer updated by Adam": 299 // 2 * 2}  # log_alpha, on every actor update
    assert res["speedup"] > 1.0 and res["compressed"]["dram_read_bytes"] < res["dense"]["dram_read_bytes"]


@pytest.mark.slow
def test_ppo_example_captured(tmp_path, capsys):
    out, flops = capture(tmp_path, PPO)
    res = check(out, flops, capsys)
    tr = read_trace(out)
    assert tr.n_steps == 4 * 2 * 4  # iterations x epochs x minibatches
    assert {n.name for n in tr.networks} == {"actor_mean", "critic"}
    rows = [r for s in range(tr.n_segments) for r in tr.segment_rows(s)]
    act = [r for r in rows if r.phase == "act" and r.tensor == "weight"]
    assert act and {r.gemm_m for r in act} == {1}  # the rollout: one observation at a time, under no_grad
    assert {r.gemm_m for r in rows if r.phase == "forward" and r.tensor == "weight"} == {64}
    _, last = pruned_and_dense_layers(out)
    assert "bitmap" in last
    assert res["compressed"]["dram_read_bytes"] < res["dense"]["dram_read_bytes"]


def test_conv_example_captured(tmp_path, capsys):
    out, flops = capture(tmp_path, CONV)
    res = check(out, flops, capsys)
    tr = read_trace(out)
    assert tr.n_steps == 1600 // 40
    (net,) = tr.networks
    assert [lay.kind for lay in net.layers] == ["conv", "conv", "linear", "linear", "linear"]
    assert net.layers[1].kernel == (32, 16, 3, 3) and net.layers[1].stride == (2, 2)
    rows = tr.segment_rows(0)
    fwd = [(r.gemm_m, r.gemm_k, r.gemm_n) for r in rows if r.phase == "forward" and r.tensor == "weight"]
    assert fwd[:2] == [(40 * 100, 27, 16), (40 * 25, 144, 32)]  # im2col: batch x positions, C_in x 3 x 3, C_out
    assert {r.tensor for r in rows if r.phase == "update"} == {"weight", "grad", "square_avg"}  # RMSprop
    assert not any(r.layer == 0 and r.phase == "backward_data" for r in rows)  # pixels need no gradient
    first, last = pruned_and_dense_layers(out)
    assert first == {"dense"} and last == {"bitmap"}
    assert res["speedup"] > 1.0


def test_polyak_through_data_and_an_adam_subclass_are_seen(tmp_path):
    """CleanRL's Polyak writes ``target_param.data`` (no version counter moves): found by the biases' norms, one
    polyak update per step; an optimizer subclassing ``torch.optim.Adam`` updates as Adam."""
    torch = pytest.importorskip("torch")
    from accelsim.capture.recorder import Recorder

    class MyAdam(torch.optim.Adam):
        pass

    torch.manual_seed(0)
    q = torch.nn.Sequential(torch.nn.Linear(6, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
    q_target = torch.nn.Sequential(torch.nn.Linear(6, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
    q_target.load_state_dict(q.state_dict())
    opt = MyAdam(q.parameters(), lr=1e-3)
    with Recorder(tmp_path, detect_steps=16, flush_every_s=None):
        for _ in range(10):
            x = torch.randn(16, 6)
            with torch.no_grad():
                y = q_target(x)
            loss = (q(x) - y - 1).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            for p, tp in zip(q.parameters(), q_target.parameters(), strict=True):
                tp.data.copy_(0.005 * p.data + 0.995 * tp.data)
    tr = read_trace(tmp_path)
    assert {(n.name, n.role, n.target_of) for n in tr.networks} == {("q", "online", ""), ("q_target", "target", "q")}
    rows = [r for s in range(tr.n_segments) for _ in range(int(tr.seg_repeats[s])) for r in tr.segment_rows(s)]
    polyak = [r for r in rows if r.phase == "polyak" and r.direction == "write"]
    assert len(polyak) == 2 * tr.n_steps == 20  # both layers, every step (the last one's seen at close)
    assert {r.tensor for r in rows if r.phase == "update"} == {"weight", "grad", "adam_m", "adam_v"}
    assert json.loads((tmp_path / "capture.json").read_text())["not_modelled"] == {}
