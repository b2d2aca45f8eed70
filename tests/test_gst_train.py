"""gst_train end to end on the real HalfCheetah-v5: every method writes a trace accelsim reads and simulates."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import contract_sections

from accelsim.simulation.simulate import simulate
from accelsim.trace.analysis import average_compression, segment_compression
from accelsim.trace.reader import read_trace
from gst_train import masks as M
from gst_train.compression import Compressor
from gst_train.config import TrainConfig
from gst_train.replay import ReplayBuffer
from gst_train.td3 import TD3
from gst_train.train import run

SMALL = {"total_steps": 600, "start_steps": 200, "eval_every": 300, "eval_episodes": 1, "hidden": "32,32",
         "batch_size": 32, "prune_every": 50, "checkpoint_every": 100_000, "progress": False, "block_size": 4,
         "threads": 1}


METHODS = ["dense", "gst", "ip", "bc", "nm", "dst"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """``trained(method)``: the run folder of a short HalfCheetah run of ``method`` (each trained once)."""
    done: dict[str, Path] = {}

    def get(method: str) -> Path:
        if method not in done:
            # gst: past break-even from the first evaluation on, so a layer switches to group-sparse in this short run
            extra = {"sparsity_min": 0.9, "reward_window": 1} if method == "gst" else {}
            out = tmp_path_factory.mktemp(method) / "run"
            done[method] = run(TrainConfig(method=method, out=str(out), **SMALL, **extra))
        return done[method]

    return get


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
def test_each_method_writes_a_trace_accelsim_validates_and_simulates(trained, method):
    out = trained(method)
    assert sorted(p.name for p in out.rglob("*.parquet") if p.parent.name != "trace") == []
    tr = read_trace(out / "trace")
    assert tr.n_steps == 400 and tr.first_step == 0
    assert tr.meta["method"] == method and tr.meta["synthetic"] is False
    r = subprocess.run([sys.executable, "-m", "accelsim.cli", "validate", str(out / "trace")], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    res = simulate(tr, None)
    assert res.compressed.totals.cycles > 0
    done = json.loads((out / "DONE").read_text())
    schemes = set(tr.rows["scheme"][tr.rows["tensor"] == "weight"].tolist())
    if method == "dense":
        assert schemes == {"dense"} and done["avg_ratio_bytes"] == 0.0
        assert res.speedup == pytest.approx(1.0)
    else:
        assert done["avg_ratio_bytes"] > 0.3
    expected = {"gst": "group", "ip": "bitmap", "bc": "bc", "nm": "nm", "dst": "bitmap"}.get(method)
    if expected:
        assert expected in schemes
    if method in ("ip", "dst", "gst", "nm"):
        assert len(tr.masks) > 0
    if method == "ip":
        assert tr.n_segments > 2  # the cubic schedule changes masks during the run
    metrics = (out / "metrics.csv").read_text().splitlines()
    assert metrics[0].startswith("step,grad_steps,return,ratio_bytes,ratio_params")
    assert len(metrics) == 3


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
def test_logged_average_ratio_equals_the_ratio_of_its_trace(trained, method):
    """Training logs the compression ratio by accelsim's one definition: replayed from the trace it wrote
    (accelsim.trace.analysis.average_compression, as `accelsim compare` and `validate` report it), it is the same."""
    out = trained(method)
    tr = read_trace(out / "trace")
    by_bytes, by_params = average_compression(tr)
    done = json.loads((out / "DONE").read_text())
    assert done["avg_ratio_bytes"] == pytest.approx(by_bytes, rel=1e-12, abs=1e-15)
    assert done["avg_ratio_params"] == pytest.approx(by_params, rel=1e-12, abs=1e-15)
    if method in ("gst", "ip"):
        assert tr.n_segments > 1 and len(set(segment_compression(tr)[0].round(12))) > 1  # the ratio moved
    last = (out / "metrics.csv").read_text().splitlines()
    header, row = last[0].split(","), last[-1].split(",")
    assert float(row[header.index("avg_ratio_bytes")]) == pytest.approx(by_bytes, rel=1e-12, abs=1e-15)


@pytest.mark.slow
def test_run_folder_is_the_documented_layout(trained):
    """A finished run folder holds what docs/contracts.md "Run folder" says, with the documented columns."""
    entries, metric_cols, done_keys = contract_sections()["Run folder"][1]
    out = trained("gst")
    present = {p.name for p in out.iterdir()}
    assert present <= set(entries) and {"config.json", "metrics.csv", "tb", "trace", "DONE"} <= present
    assert set(json.loads((out / "DONE").read_text())) == set(done_keys)
    assert set(json.loads((out / "config.json").read_text())) == set(TrainConfig().to_dict())
    header = (out / "metrics.csv").read_text().splitlines()[0].split(",")
    fixed = [c for c in metric_cols if "<" not in c]
    assert header[: len(fixed)] == fixed
    for c in header[len(fixed):]:
        assert re.fullmatch(r"(actor|critic1|critic2)\.\d+\.(mode|sparsity)", c), c


def _agent(method: str, **kw):
    # The rule tests below count on compressible first layers (the pre-screening default).
    cfg = TrainConfig(method=method, hidden="16,16", batch_size=16, **{"dense_layers": "last", **kw})
    ag = TD3(cfg, 5, 2, 1.0)
    comp = Compressor(cfg, ag.online_layers(), ag.target_layers(), ag.optimizers, 0, on_change=ag.structure_changed)
    buf = ReplayBuffer(5, 2, 500)
    rng = np.random.default_rng(0)
    for _ in range(300):
        buf.add(rng.normal(size=5), rng.uniform(-1, 1, size=2), rng.normal(size=5), float(rng.normal()), False)
    return ag, comp, buf, rng


@pytest.mark.parametrize("method", ["ip", "nm", "dst"])
def test_pruned_weights_stay_zero_through_updates(method):
    ag, comp, buf, rng = _agent(method, prune_every=10, total_steps=100, start_steps=0, ip_begin=0.0, ip_end=0.5)
    for g in range(60):
        comp.on_grad_step(g, g)
        ag.train(buf, rng)
    for net in ("actor", "critic1", "critic2"):
        for l, (on, tg) in enumerate(zip(comp.online[net], comp.targets[net], strict=True)):
            if comp.scheme[(net, l)] == "dense":
                continue
            pruned = on.mask == 0
            assert pruned.any()
            assert torch.all(on.weight.detach()[pruned] == 0)
            assert torch.all(tg.weight.detach()[pruned] == 0)
            for opt in (ag.actor_opt, ag.critic_opt):
                st = opt.state.get(on.weight)
                if st:
                    assert torch.all(st["exp_avg"][pruned] == 0) and torch.all(st["exp_avg_sq"][pruned] == 0)


def _switched(comp):
    return sorted(k for k, p in comp.gst.layers.items() if p.mode == "group")


def test_gst_all_at_once_is_the_first_builds_rule():
    _ag, comp, _buf, _rng = _agent("gst", block_size=8, sparsity_min=0.5, sparsity_step=0.1, reward_window=1,
                                   gst_switch="all", sparsity_max=0.95)
    assert {comp.scheme[("critic1", 0)], comp.scheme[("critic1", 1)]} == {"bc"}
    comp.on_eval(100.0, True)  # target 0.6: group-sparse (40 % + bitmap) is larger than BC(8) (12.5 %)
    assert comp.scheme[("critic1", 1)] == "bc"
    for r in range(4):
        comp.on_eval(100.0 + r, True)  # 0.7, 0.8, 0.9, 0.95 (max)
    assert len(_switched(comp)) == 6  # every compressible layer at once
    kept = comp.layer_format("critic1", 1).nnz_units
    assert kept == max(1, round(16 * 4 * (1 - 0.95)))
    comp.on_eval(-1e6, True)  # a crash in reward backs the target off: groups regrow, mode stays group
    assert comp.scheme[("critic1", 1)] == "group"
    assert comp.layer_format("critic1", 1).nnz_units > kept


def test_gst_staggered_one_layer_at_break_even_then_waits_for_recovery():
    _ag, comp, _buf, _rng = _agent("gst", block_size=4, sparsity_min=0.7, sparsity_step=0.1, reward_window=2,
                                   gst_ramp_steps=10_000, gst_revert_evals=0, reward_noise_z=0.0)
    comp.on_eval(100.0, True, env_step=1000)  # window not full yet
    assert _switched(comp) == []
    comp.on_eval(100.0, True, env_step=2000)  # target 0.8 > break-even of BC(4) (~0.76): one layer switches
    first = _switched(comp)
    assert len(first) == 1
    plan = comp.gst.layers[first[0]]
    on = comp.online[first[0][0]][first[0][1]]
    n_groups = on.out_features * -(-on.in_features // 4)
    assert comp.layer_format(*first[0]).nnz_units == M.n_keep(n_groups, plan.break_even)  # enters at break-even
    # The ramp: halfway through --gst-ramp-steps halfway to the target (0.8), then at the target.
    target = comp.controller.target
    comp.on_grad_step(comp.cfg.prune_every, env_step=2000 + 5_000)
    half = plan.break_even + (target - plan.break_even) / 2
    assert comp.layer_format(*first[0]).nnz_units == M.n_keep(n_groups, half)
    comp.on_grad_step(comp.cfg.prune_every, env_step=2000 + 10_000)
    assert comp.layer_format(*first[0]).nnz_units == M.n_keep(n_groups, target)
    comp.on_eval(-500.0, True, env_step=3000)  # the return drops: nobody else switches
    comp.on_eval(-500.0, True, env_step=4000)
    assert _switched(comp) == first
    comp.on_eval(100.0, True, env_step=5000)
    comp.on_eval(100.0, True, env_step=6000)  # a whole post-switch window back at 100: recovered, next one goes
    second = _switched(comp)
    assert len(second) == 2 and comp.gst.pending in second and comp.gst.pending not in first


def test_gst_bc_only_layers_keep_the_input_layers_block_circulant():
    """--gst-bc-only-layers first: the input layers are BC from the start and never switch, while the hidden
    layers switch as usual; it is refused where the input layers are dense."""
    from gst_train.config import ConfigError, validate

    _ag, comp, _buf, _rng = _agent("gst", block_size=4, sparsity_min=0.5, sparsity_step=0.1, reward_window=1,
                                   gst_switch="all", sparsity_max=0.95, gst_bc_only_layers="first")
    for r in range(6):
        comp.on_eval(100.0 + r, True)  # the target climbs to 0.95, past every break-even
    assert _switched(comp) == [("actor", 1), ("critic1", 1), ("critic2", 1)]
    assert {comp.scheme[(n, 0)] for n in ("actor", "critic1", "critic2")} == {"bc"}
    with pytest.raises(ConfigError, match="--gst-bc-only-layers"):
        validate(TrainConfig(method="gst", dense_layers="first,last", gst_bc_only_layers="first"))
    assert validate(TrainConfig(method="gst", dense_layers="last", gst_bc_only_layers="first"))
    assert validate(TrainConfig(method="bc", gst_bc_only_layers="first"))  # a gst flag: other methods ignore it
    # The default --dense-layers auto is named as the user gave it, with what it resolved to.
    with pytest.raises(ConfigError, match=r"--dense-layers auto \(first,last for gst\) keeps them dense"):
        validate(TrainConfig(method="gst", gst_bc_only_layers="first"))
    # One hidden layer: its input layer is the only compressed one, so BC-only there leaves GST nothing to switch.
    with pytest.raises(ConfigError, match="leaves GST no layer to switch"):
        validate(TrainConfig(method="gst", hidden="256", dense_layers="last", gst_bc_only_layers="first"))
    assert validate(TrainConfig(method="gst", hidden="256,256", dense_layers="none", gst_bc_only_layers="first"))


def test_gst_reverts_a_layer_to_bc_on_a_persistent_drop():
    ag, comp, buf, rng = _agent("gst", block_size=4, sparsity_min=0.7, sparsity_step=0.1, reward_window=1,
                                gst_revert_evals=3, reward_noise_z=0.0)
    comp.on_eval(100.0, True, env_step=1000)
    (key,) = _switched(comp)
    for t in range(3):
        comp.on_eval(-500.0, True, env_step=2000 + 1000 * t)
    assert comp.scheme[key] == "bc" and comp.gst.layers[key].reverted
    assert comp.online[key[0]][key[1]].mode == "bc" and comp.targets[key[0]][key[1]].mode == "bc"
    ag.train(buf, rng)  # trains on: the vectors are parameters again
    assert comp.gst.layers[key].mode == "bc"


def _cli(*args):
    return [sys.executable, "-m", "gst_train.cli", *map(str, args)]


@pytest.mark.slow
def test_same_seed_same_trace_in_two_processes(tmp_path):
    """Two separate processes (different hash seeds) with the same seed write the same trace and metrics."""
    flags = ["--method", "gst", "--sparsity-min", "0.9", "--total-steps", "400", "--start-steps", "200",
             "--eval-every", "300", "--eval-episodes", "1", "--reward-window", "1", "--hidden", "32,32",
             "--batch-size", "32", "--block-size", "4", "--threads", "1", "--progress", "false"]
    procs = [subprocess.Popen(_cli(*flags, "--out", tmp_path / name), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, env={**os.environ, "PYTHONHASHSEED": seed})
             for name, seed in (("a", "1"), ("b", "2"))]
    for p in procs:
        assert p.wait() == 0, p.stderr.read()
        p.stderr.close()
    a, b = read_trace(tmp_path / "a" / "trace"), read_trace(tmp_path / "b" / "trace")
    assert a.n_steps == 200 and "group" in set(a.rows["scheme"])  # the run changed formats on the way
    for k in a.rows:
        assert np.array_equal(a.rows[k], b.rows[k])
    assert [m.bits for m in a.masks] == [m.bits for m in b.masks]
    ma = (tmp_path / "a" / "metrics.csv").read_text()
    assert ma == (tmp_path / "b" / "metrics.csv").read_text()


# A short IP run with checkpoints every 1000 steps, for the kill-and-resume tests.
RESUME_FLAGS = ["--env", "HalfCheetah-v5", "--method", "ip", "--total-steps", "3500", "--start-steps", "300",
                "--eval-every", "500", "--eval-episodes", "1", "--hidden", "32,32", "--batch-size", "32",
                "--prune-every", "100", "--checkpoint-every", "1000", "--threads", "1", "--progress", "false",
                "--trace-flush-s", "0.2"]


@pytest.mark.slow
@pytest.mark.parametrize("method", ["ip", "bc"])
def test_resume_after_kill_equals_uninterrupted_run(tmp_path, method):
    """ip: masks change on the way; bc: the targets' cached expansions move by Polyak in place (the loop
    re-expands them at each checkpoint, as a resumed run does, so the two match on any CPU)."""
    flags = [*RESUME_FLAGS, "--method", method, "--block-size", "4"]
    full = tmp_path / "full"
    assert subprocess.run(_cli(*flags, "--out", full), capture_output=True).returncode == 0
    killed = tmp_path / "killed"
    p = subprocess.Popen(_cli(*flags, "--out", killed), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = killed / "checkpoint" / "state.pt"
    deadline = time.time() + 300
    while time.time() < deadline and p.poll() is None:
        if state.exists() and torch.load(state, weights_only=False)["loop"]["t"] >= 2000:
            break
        time.sleep(0.2)
    time.sleep(0.7)  # let it run on past the checkpoint and write more parts
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    assert not (killed / "DONE").exists(), "the run finished before it was killed; test proves nothing"
    r = subprocess.run(_cli("--resume", killed), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    a, b = read_trace(full / "trace"), read_trace(killed / "trace")
    for f in ("seg_first_step", "seg_period_steps", "seg_repeats"):
        assert np.array_equal(getattr(a, f), getattr(b, f))
    for k in a.rows:
        assert np.array_equal(a.rows[k], b.rows[k])
    assert [m.bits for m in a.masks] == [m.bits for m in b.masks]
    assert (full / "metrics.csv").read_text() == (killed / "metrics.csv").read_text()
    # Resuming a finished run is a no-op; a missing folder is one line and exit 2.
    assert subprocess.run(_cli("--resume", killed), capture_output=True).returncode == 0
    r = subprocess.run(_cli("--resume", tmp_path / "nope"), capture_output=True, text=True)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "nope" in r.stderr


@pytest.mark.slow
@pytest.mark.parametrize("args,needle", [
    (["--method", "magic"], "--method"),
    (["--total-steps", "0"], "--total-steps"),
    (["--total-steps", "10", "--start-steps", "20"], "--start-steps"),
    (["--hidden", "a,b"], "--hidden"),
    (["--env", "NoSuchEnv-v0", "--total-steps", "100", "--start-steps", "10"], "NoSuchEnv-v0"),
    (["--sparsity-max", "1.5"], "--sparsity-max"),
])
def test_bad_flags_one_line_exit_2(tmp_path, args, needle):
    r = subprocess.run(_cli(*args, "--out", tmp_path / "o"), capture_output=True, text=True)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    lines = [x for x in r.stderr.splitlines() if x.strip() and "WARNING" not in x]
    assert len(lines) == 1 and needle in lines[0], r.stderr


@pytest.mark.slow
def test_gst_train_many_on_a_local_dask_cluster(tmp_path):
    tiny = ["--total-steps", "300", "--start-steps", "100", "--eval-every", "300", "--eval-episodes", "1",
            "--hidden", "16,16", "--batch-size", "16", "--threads", "1"]
    cmd = [sys.executable, "-m", "gst_train.many", "--methods", "dense,bc", "--seeds", "0", "--jobs", "2",
           "--out", str(tmp_path), "--", *tiny]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    for m in ("dense", "bc"):
        d = tmp_path / f"halfcheetah_{m}_s0"
        assert (d / "DONE").is_file() and read_trace(d / "trace").n_steps == 200
    r2 = subprocess.run(cmd, capture_output=True, text=True)  # everything finished: skipped, not rerun
    assert r2.returncode == 0 and sum(x.startswith("done before") for x in r2.stdout.splitlines()) == 2
    r3 = subprocess.run([sys.executable, "-m", "gst_train.many", "--methods", "magic", "--out", str(tmp_path)],
                        capture_output=True, text=True)
    assert r3.returncode == 2 and "magic" in r3.stderr


@pytest.mark.slow
@pytest.mark.parametrize("env", ["Humanoid-v5", "Pendulum-v1"])
def test_other_box_envs(tmp_path, env):
    out = run(TrainConfig(env=env, method="gst", out=str(tmp_path / "r"), **{**SMALL, "total_steps": 300,
                                                                          "start_steps": 100, "eval_every": 300}))
    tr = read_trace(out / "trace")
    assert tr.n_steps == 200
    obs = {"Humanoid-v5": 348, "Pendulum-v1": 3}[env]
    assert tr.meta["obs_dim"] == obs
    first_actor = (tr.rows["network"] == "actor") & (tr.rows["layer"] == 0) & (tr.rows["tensor"] == "weight")
    assert set(tr.rows["cols"][first_actor]) == {obs}


@pytest.mark.parametrize("args,needle", [
    (["--seed", "-1"], "--seed"),
    (["--seed", str(2**40)], "--seed"),
    (["--lr", "nan"], "--lr"),
    (["--lr", "0"], "--lr"),
    (["--discount", "nan"], "--discount"),
    (["--discount", "1.5"], "--discount"),
    (["--policy-noise", "nan"], "--policy-noise"),
    (["--noise-clip", "-1"], "--noise-clip"),
    (["--tau", "inf"], "--tau"),
    (["--total-steps", str(10**12)], "--total-steps"),
    (["--hidden", "1000000"], "--hidden"),
    (["--trace-flush-s", "0"], "--trace-flush-s"),
    (["--reward-noise-z", "-1"], "--reward-noise-z"),
    (["--gst-ramp-steps", "-5"], "--gst-ramp-steps"),
    (["--matmul-precision", "low"], "--matmul-precision"),
    (["--method", "bc", "--hidden", "64", "--dense-layers", "first,last"], "--dense-layers"),
    (["--method", "ip", "--hidden", "64", "--dense-layers", "first,last"], "--dense-layers"),
])
def test_bad_numbers_refused_before_training(tmp_path, capsys, args, needle):
    from gst_train.cli import main

    assert main([*args, "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0] and "Traceback" not in err[0]
    assert not (tmp_path / "r").exists()  # nothing written


@pytest.mark.slow
def test_resume_verifies_before_it_trusts(tmp_path):
    """A damaged latest checkpoint falls back to the previous one (same result); nothing usable, or a lost
    trace part below the checkpoint, is one line and exit 2."""
    import shutil

    flags = RESUME_FLAGS
    full = tmp_path / "full"
    assert subprocess.run(_cli(*flags, "--out", full), capture_output=True).returncode == 0
    killed = tmp_path / "killed"
    p = subprocess.Popen(_cli(*flags, "--out", killed), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and p.poll() is None and not (killed / "checkpoint.prev" / "manifest.json").exists():
        time.sleep(0.1)
    time.sleep(0.3)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    assert (killed / "checkpoint.prev").is_dir() and not (killed / "DONE").exists()

    def damaged(name, damage):
        d = tmp_path / name
        shutil.copytree(killed, d)
        damage(d)
        return subprocess.run(_cli("--resume", d), capture_output=True, text=True), d

    def truncate(path):
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    r, d = damaged("truncated", lambda d: truncate(d / "checkpoint" / "state.pt"))
    assert r.returncode == 0, r.stderr
    warn = [x for x in r.stderr.splitlines() if "warning" in x]
    assert len(warn) == 1 and "checkpoint" in warn[0] and "checkpoint.prev" in warn[0]
    assert (d / "metrics.csv").read_text() == (full / "metrics.csv").read_text()
    a, b = read_trace(full / "trace"), read_trace(d / "trace")
    for k in a.rows:
        assert np.array_equal(a.rows[k], b.rows[k])

    r, _ = damaged("garbage_replay", lambda d: (d / "checkpoint" / "replay.npz").write_bytes(b"not an npz"))
    assert r.returncode == 0 and "warning" in r.stderr

    def both(d):
        truncate(d / "checkpoint" / "state.pt")
        (d / "checkpoint.prev" / "writer.json").write_text("{")
    r, _ = damaged("both", both)
    assert r.returncode == 2 and "no usable checkpoint" in r.stderr.strip().splitlines()[-1]
    assert "Traceback" not in r.stderr

    r, _ = damaged("lost_part", lambda d: (d / "trace" / "part-000000.parquet").unlink())
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "part-000000" in r.stderr


def test_matmul_precision_is_each_runs_own(tmp_path):
    """--matmul-precision medium (bf16 GEMM inputs) trains, and the next run does not inherit it."""
    import torch

    cfg = {**SMALL, "total_steps": 300, "start_steps": 200, "eval_every": 300}
    run(TrainConfig(method="dense", out=str(tmp_path / "m"), matmul_precision="medium", **cfg))
    assert torch.get_float32_matmul_precision() == "medium"
    out = run(TrainConfig(method="dense", out=str(tmp_path / "h"), **cfg))
    assert torch.get_float32_matmul_precision() == "highest"
    assert read_trace(out / "trace").n_steps == 100


@pytest.mark.parametrize("method,hidden,rule", [("gst", "256,256", "first,last"), ("bc", "32,32", "first,last"),
                                                ("gst", "64", "last"), ("ip", "256,256", "last"),
                                                ("dense", "256,256", "last")])
def test_dense_layers_auto_resolves_per_method_and_depth(method, hidden, rule):
    """auto keeps the input layers of bc and gst dense where a hidden-to-hidden layer is left to compress,
    and is written into the validated config (so config.json records what ran)."""
    from gst_train.config import validate

    cfg = TrainConfig(method=method, hidden=hidden)
    assert cfg.dense_layers == "auto" and cfg.dense_layer_rule == rule
    assert validate(cfg).dense_layers == rule


def test_threads_default_to_the_cpus_this_process_may_use_and_config_records_the_number():
    from gst_train.config import ConfigError, TrainConfig, available_cpus, validate

    cfg = validate(TrainConfig())
    assert TrainConfig().threads == 0 and cfg.threads == available_cpus() >= 1
    assert validate(TrainConfig(threads=3)).threads == 3
    with pytest.raises(ConfigError, match="--threads: expected a positive integer, or 0"):
        validate(TrainConfig(threads=-1))


def test_resume_refuses_flags_that_contradict_the_saved_run():
    from gst_train.cli import check_resume_flags
    from gst_train.config import ConfigError, TrainConfig, given_fields, parse_args

    def check(*argv):
        check_resume_flags(parse_args(list(argv))[0], saved, "runs/x", given_fields(list(argv)))

    saved = TrainConfig(seed=5, method="ip", total_steps=300_000, threads=1)
    check("--resume", "runs/x", "--seed", "5", "--progress", "false")  # saved values, and what may change
    with pytest.raises(ConfigError, match=r"--lr: 0.001 contradicts the saved run's 0.0003 \(--resume runs/x"):
        check("--resume", "runs/x", "--lr", "0.001")
    with pytest.raises(ConfigError, match="--method: gst contradicts the saved run's ip"):  # gst is the default
        check("--resume", "runs/x", "--method", "gst")


def test_a_run_folder_has_one_writer(tmp_path):
    """While a process holds a run folder, a second gst-train into it is refused in one line; the lock goes with
    the process, so a killed run leaves none behind."""
    import subprocess as sp

    from gst_train.lock import FolderBusy, run_lock

    out = tmp_path / "run"
    holder = sp.Popen([sys.executable, "-c", "import sys, time\nfrom pathlib import Path\n"
                       "from gst_train.lock import run_lock\nwith run_lock(Path(sys.argv[1])):\n"
                       "    print('held', flush=True); time.sleep(60)", str(out)], stdout=sp.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(FolderBusy, match=rf"another gst-train \(pid {holder.pid}\) is writing"), run_lock(out):
            pass
        r = sp.run(_cli("--out", out, "--total-steps", "400", "--start-steps", "200"), capture_output=True,
                   text=True)
        assert r.returncode == 2 and r.stderr.count("\n") == 1
        assert f"another gst-train (pid {holder.pid}) is writing this run folder" in r.stderr
    finally:
        holder.kill()
        holder.wait()
    with run_lock(out):  # released with the process that held it
        pass


@pytest.mark.parametrize("args,needle", [(["--seeds", ",,"], "--seeds: expected at least one"),
                                         (["--methods", ""], "--methods: expected at least one"),
                                         (["--envs", " "], "--envs: expected at least one"),
                                         (["--seeds", "-1"], "--seeds: expected integers in [0, 2^32 - 1]")])
def test_gst_train_many_refuses_a_study_with_nothing_to_run(tmp_path, args, needle):
    r = subprocess.run([sys.executable, "-m", "gst_train.many", *args, "--out", str(tmp_path / "s")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and needle in r.stderr
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("key,value,needle", [("lr", "abc", "lr: expected float, got 'abc'"),
                                              ("hidden", [256], "hidden: expected str, got [256]"),
                                              ("lr", -1.0, "lr: expected a positive learning rate"),
                                              ("bogus", 1, "bogus: not a gst-train setting")])
def test_a_hand_edited_config_json_is_named_by_file_and_key_on_resume(tmp_path, key, value, needle):
    from gst_train.config import TrainConfig

    run = tmp_path / "run"
    run.mkdir()
    d = {**TrainConfig(threads=1).to_dict(), key: value}
    (run / "config.json").write_text(json.dumps(d))
    r = subprocess.run(_cli("--resume", run), capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert f"{run / 'config.json'}: {needle}" in r.stderr
