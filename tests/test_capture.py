"""Capture (issue 25): trace schema version 2 (declared networks) and any PyTorch training loop recorded into it.

Checked: a version-2 trace declaring TD3's networks simulates exactly as its version-1 form; the reader refuses
rows naming undeclared networks or layers; a TD3-style loop captured through the recorder validates, has acting,
training and Polyak phases and targets, and its GEMM MACs equal torch's FlopCounterMode count over the same steps;
a conv model's layers are im2col GEMMs (MACs again equal); a pruned layer is stored sparse with a mask snapshot;
``accelsim capture`` runs an unmodified script and refuses bad use in one line, exit 2.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from accelsim.base.errors import InputError
from accelsim.capture.periodic import best_period, segments_with_period
from accelsim.simulation.simulate import simulate
from accelsim.trace.reader import read_trace
from accelsim.trace.schema import LayerDecl, NetworkDecl
from accelsim.trace.td3_step import td3_declaration, td3_networks, td3_step_rows
from accelsim.trace.validate import summarize
from accelsim.trace.writer import TraceWriter

SHAPES = td3_networks(17, 6, (64, 64))


def _write(folder: Path, networks, steps: int = 40, rename=None) -> Path:
    with TraceWriter(folder, {"env": "test", "batch": 64}, networks=networks) as w:
        for s in range(steps):
            rows = td3_step_rows(SHAPES, {}, 64, 17, 6, s % 2 == 0)
            if rename:
                rows = [dataclasses.replace(r, network=rename.get(r.network, r.network)) for r in rows]
            w.add_step(s, rows)
    return folder


def test_version_2_declaring_td3_simulates_as_version_1(tmp_path):
    v1 = read_trace(_write(tmp_path / "v1", None))
    v2 = read_trace(_write(tmp_path / "v2", td3_declaration(SHAPES)))
    assert (v1.schema_version, v2.schema_version) == (1, 2) and v2.network_names == v1.network_names
    a, b = simulate(v1), simulate(v2)
    for view in ("compressed", "dense"):
        va, vb = getattr(a, view), getattr(b, view)
        assert va.totals == vb.totals and va.by_phase == vb.by_phase and va.by_network == vb.by_network
        assert va.by_layer == vb.by_layer


def test_any_network_names_simulate_the_same(tmp_path):
    names = {"actor": "pi", "critic1": "q1", "critic2": "q2", "actor_target": "pi_targ", "critic1_target": "q1_targ",
             "critic2_target": "q2_targ", "replay": "buffer"}
    decl = tuple(dataclasses.replace(n, name=names[n.name], target_of=names.get(n.target_of, ""))
                 for n in td3_declaration(SHAPES))
    tr = read_trace(_write(tmp_path / "named", decl, rename=names))
    assert tr.online_of("q1_targ") == "q1" and tr.online_of("q1") == "q1"
    a, b = simulate(read_trace(_write(tmp_path / "v1", None))), simulate(tr)
    assert a.compressed.totals == b.compressed.totals
    assert set(b.compressed.by_network) == {"pi", "q1", "q2", "pi_targ", "q1_targ", "q2_targ", "buffer"}
    assert "network          q1_targ (target of q1; 3 layers: linear)" in summarize(tmp_path / "named")


def test_reader_refuses_what_the_declaration_does_not_say(tmp_path):
    decl = tuple(n for n in td3_declaration(SHAPES) if n.name != "critic2_target")
    with pytest.raises(InputError, match="network: unknown value 'critic2_target'"):
        read_trace(_write(tmp_path / "a", decl, steps=2))
    short = tuple(dataclasses.replace(n, layers=n.layers[:2]) if n.name in ("actor", "actor_target") else n
                  for n in td3_declaration(SHAPES))
    with pytest.raises(InputError, match="actor layer 2: the network declares 2 layers"):
        read_trace(_write(tmp_path / "b", short, steps=2))
    with pytest.raises(ValueError, match="kernel"):
        LayerDecl(index=0, name="c", kind="conv", rows=8, cols=27, kernel=(8, 3, 3, 2))
    with pytest.raises(ValueError, match="differ"):
        TraceWriter(tmp_path / "c", {}, networks=(
            NetworkDecl("q", layers=(LayerDecl(index=0, name="l", kind="linear", rows=4, cols=3),)),
            NetworkDecl("q_t", role="target", target_of="q",
                        layers=(LayerDecl(index=0, name="l", kind="linear", rows=4, cols=2),))))


def test_period_is_the_one_with_fewest_segments():
    assert best_period([0, 1] * 20, set(), 8) == 2
    assert best_period([9] + [0, 0, 1] * 10, set(), 8) == 3
    assert segments_with_period([0] * 10, {5}, 1) == 2


# -- capture (torch)

def _macs(tr) -> int:
    c, total = tr.rows, 0
    for s in range(tr.n_segments):
        a, b = int(tr.seg_row_start[s]), int(tr.seg_row_start[s + 1])
        total += int((c["gemm_m"][a:b] * c["gemm_k"][a:b] * c["gemm_n"][a:b]).sum()) * int(tr.seg_repeats[s])
    return total


def _td3_loop(torch, iters: int, batch: int = 32, prune_first: bool = False) -> None:
    nn = torch.nn
    obs, act = 8, 2

    def mlp(i, o):
        return nn.Sequential(nn.Linear(i, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, o))

    actor, q1, q2 = mlp(obs, act), mlp(obs + act, 1), mlp(obs + act, 1)
    actor_t, q1_t, q2_t = copy.deepcopy(actor), copy.deepcopy(q1), copy.deepcopy(q2)
    if prune_first:  # after the copy: a pruned module cannot be deep-copied; the target stays dense
        from torch.nn.utils import prune

        prune.l1_unstructured(actor[4], "weight", amount=0.75)  # the head, 2x64: 32 weights kept
    oa = torch.optim.Adam(actor.parameters(), 3e-4)
    oq = torch.optim.Adam([*q1.parameters(), *q2.parameters()], 3e-4)
    for it in range(iters):
        with torch.no_grad():
            actor(torch.randn(1, obs))                      # acting: one env step
        s, a, r, s2 = torch.randn(batch, obs), torch.randn(batch, act), torch.randn(batch, 1), torch.randn(batch, obs)
        with torch.no_grad():
            a2 = actor_t(s2)
            y = r + 0.99 * torch.min(q1_t(torch.cat([s2, a2], 1)), q2_t(torch.cat([s2, a2], 1)))
        sa = torch.cat([s, a], 1)
        lq = ((q1(sa) - y) ** 2).mean() + ((q2(sa) - y) ** 2).mean()
        oq.zero_grad()
        lq.backward()
        oq.step()
        if it % 2 == 0:                                      # policy delay 2
            la = -q1(torch.cat([s, actor(s)], 1)).mean()
            oa.zero_grad()
            la.backward()
            oa.step()
            with torch.no_grad():
                for net, tgt in ((actor, actor_t), (q1, q1_t), (q2, q2_t)):
                    src = {n.replace("_orig", ""): p for n, p in net.named_parameters()}
                    for n, pt in tgt.named_parameters():
                        pt.mul_(0.995).add_(0.005 * src[n])


def test_td3_loop_captured_macs_equal_flop_counter(tmp_path):
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    from accelsim.capture.recorder import Recorder

    torch.manual_seed(0)
    fc = FlopCounterMode(display=False)
    with fc, Recorder(tmp_path, detect_steps=64, flush_every_s=None):
        _td3_loop(torch, 40)
    tr = read_trace(tmp_path)
    assert tr.n_steps == 40 and tr.meta["batch"] == 32
    assert _macs(tr) == fc.get_total_flops() // 2                  # exactly: every GEMM seen once
    roles = {n.name: (n.role, n.target_of) for n in tr.networks}
    assert roles == {"actor": ("online", ""), "q1": ("online", ""), "q2": ("online", ""),
                     "actor_t": ("target", "actor"), "q1_t": ("target", "q1"), "q2_t": ("target", "q2")}
    rows = [r for s in range(tr.n_segments) for r in tr.segment_rows(s)]
    phases = {(r.network, r.phase) for r in rows}
    assert {("actor", "act"), ("q1_t", "forward"), ("q1", "backward_data"), ("actor", "update"),
            ("q2_t", "polyak")} <= phases
    # No backward-data for an input that needs no gradient: q2's first layer (its input is data), but q1's first
    # layer on the actor step (dQ/da).
    q2_first = [r for r in rows if r.network == "q2" and r.layer == 0 and r.tensor == "weight"]
    assert {r.phase for r in q2_first} == {"forward", "update", "polyak"}
    assert any(r.network == "q1" and r.layer == 0 and r.phase == "backward_data" for r in rows)
    adam = {r.tensor for r in rows if r.network == "actor" and r.phase == "update"}
    assert adam == {"weight", "grad", "adam_m", "adam_v"}
    res = simulate(tr)
    assert res.compressed.totals == res.dense.totals  # dense weights: the views coincide


def test_pruned_layer_is_stored_sparse(tmp_path):
    torch = pytest.importorskip("torch")
    from accelsim.capture.recorder import Recorder

    torch.manual_seed(0)
    with Recorder(tmp_path, detect_steps=16, flush_every_s=None):
        _td3_loop(torch, 6, prune_first=True)
    tr = read_trace(tmp_path)
    rows = tr.segment_rows(tr.n_segments - 1)
    w = [r for r in rows if r.network == "actor" and r.layer == 2 and r.tensor == "weight"]
    assert w and {r.format.scheme for r in w} == {"bitmap"} and w[0].format.nnz_units == 32  # 25 % of 2x64
    assert {m.network for m in tr.masks} >= {"actor"} and tr.masks[0].mask().sum() == 32
    dense = [r for r in rows if r.network == "actor" and r.layer == 1 and r.tensor == "weight"]
    assert {r.format.scheme for r in dense} == {"dense"}
    res = simulate(tr)
    assert res.compressed.totals.dram_bytes < res.dense.totals.dram_bytes


def test_conv_layers_are_im2col_gemms(tmp_path):
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    from accelsim.capture.recorder import Recorder

    nn = torch.nn
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, stride=2, groups=2),
                        nn.ReLU(), nn.Flatten(), nn.Linear(16 * 7 * 7, 10))
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    fc = FlopCounterMode(display=False)
    with fc, Recorder(tmp_path, networks={"cnn": net}, detect_steps=8, flush_every_s=None):
        for _ in range(6):
            x, y = torch.randn(4, 3, 16, 16), torch.randint(0, 10, (4,))
            loss = nn.functional.cross_entropy(net(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    tr = read_trace(tmp_path)
    layers = tr.networks[0].layers
    assert [lay.kind for lay in layers] == ["conv", "conv", "linear"]
    assert (layers[1].rows, layers[1].cols, layers[1].kernel, layers[1].groups) == (16, 36, (16, 4, 3, 3), 2)
    rows = tr.segment_rows(0)
    fwd = [r for r in rows if r.phase == "forward" and r.tensor == "weight"]
    assert [(r.gemm_m, r.gemm_k, r.gemm_n) for r in fwd] == [(4 * 16 * 16, 27, 8), (4 * 7 * 7, 36, 16),
                                                             (4, 784, 10)]
    assert not any(r.layer == 0 and r.phase == "backward_data" for r in rows)  # the image needs no gradient
    assert {r.tensor for r in rows if r.phase == "update"} == {"weight", "grad", "momentum"}
    # FlopCounterMode counts a grouped convolution's weight gradient `groups` times over (its formula takes the
    # whole input's channels as the batch of that convolution): here once more the 196 x 36 x 16 GEMM per step.
    assert _macs(tr) == fc.get_total_flops() // 2 - 6 * (2 - 1) * 4 * 7 * 7 * 36 * 16


def _capture(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "accelsim.cli", "capture", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


SCRIPT = """
import sys, torch
net = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1), torch.nn.LayerNorm(1))
opt = torch.optim.RMSprop(net.parameters())
for _ in range(int(sys.argv[1])):
    loss = net(torch.randn(8, 4)).pow(2).mean()
    opt.zero_grad(); loss.backward(); opt.step()
sys.exit(int(sys.argv[2]))
"""


@pytest.mark.slow
def test_capture_command_runs_a_script_and_refuses_bad_use(tmp_path):
    pytest.importorskip("torch")
    (tmp_path / "train.py").write_text(SCRIPT)
    ok = _capture("--out", "run", "--", "python", "train.py", "12", "0", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "captured 12 steps" in ok.stdout and "not modelled" in ok.stderr and "LayerNorm" in ok.stderr
    tr = read_trace(tmp_path / "run")
    assert tr.n_steps == 12 and [n.name for n in tr.networks] == ["net"]
    assert {r.tensor for r in tr.segment_rows(0) if r.phase == "update"} == {"weight", "grad", "square_avg"}
    assert json.loads((tmp_path / "run" / "capture.json").read_text())["not_modelled"] == {
        "module LayerNorm": 12, "parameter outside any layer updated by RMSprop": 24}
    for argv, says in ((("--out", "run", "--", "python", "train.py", "3", "0"), "already holds a run"),
                       (("--out", "bad", "--", "python", "train.py", "3", "1"), "exited with status 1"),
                       (("--out", "none", "--", "python", "train.py", "0", "0"), "no optimizer step"),
                       (("--out", ".", "--", "python", "train.py", "3", "0"), "holds the input")):
        r = _capture(*argv, cwd=tmp_path)
        assert r.returncode == 2 and says in r.stderr and r.stderr.count("accelsim: error:") == 1, (argv, r.stderr)
    assert read_trace(tmp_path / "bad").n_steps == 3  # a failed script keeps its trace


def test_capture_without_torch_is_one_line(tmp_path, monkeypatch, capsys):
    import importlib.util

    from accelsim.cli import app

    (tmp_path / "train.py").write_text("pass\n")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    assert app.main(["capture", "--out", str(tmp_path / "o"), "--", "python", str(tmp_path / "train.py")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "torch is not installed" in err


def test_capture_layer_imports_torch_lazily():
    r = subprocess.run([sys.executable, "-c", "import sys, accelsim.capture.recorder, accelsim.cli.commands.capture;"
                        " print('torch' in sys.modules)"], capture_output=True, text=True, cwd=ROOT)
    assert r.stdout.strip() == "False", r.stderr
