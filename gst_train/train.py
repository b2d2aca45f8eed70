"""The training loop, top to bottom: env, agent, compression, evaluation, metrics, trace, checkpoints.

Run folder layout (``cfg.out``)::

    config.json        the settings, as run
    metrics.csv        one row per evaluation (return, compression ratios, per-layer mode and sparsity)
    tb/                TensorBoard events of the same
    trace/             the weight-transaction trace (accelsim format; the only Parquet files here)
    checkpoint/        latest checkpoint (state.pt, replay.npz, writer.json, manifest.json with checksums)
    checkpoint.prev/   the one before, kept until the next is complete (resume falls back to it)
    DONE               written when the run finished
"""

from __future__ import annotations

import csv
import json
import logging
import shutil
import time
import typing
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import gymnasium as gym
import numba
import numpy as np
import torch

from accelsim.base.atomic import atomic_path, atomic_write_text
from accelsim.base.errors import InputError
from accelsim.trace.td3_step import td3_networks, td3_step_rows
from accelsim.trace.writer import TraceWriter
from gst_train import checkpoint as ckpt
from gst_train.compression import Compressor
from gst_train.config import ConfigError, TrainConfig, validate
from gst_train.replay import ReplayBuffer
from gst_train.td3 import TD3


class RunError(ValueError):
    """A problem with the run folder or environment, reported as one line."""


@dataclass
class LoopState:
    """The loop's counters (checkpointed). Env steps ``t``; ratio sums over gradient steps."""

    t: int = 0
    episode: int = 0
    grad_steps: int = 0
    eval_idx: int = 0
    ratio_sum_bytes: float = 0.0
    ratio_sum_params: float = 0.0
    last_return: float = float("nan")

    def avg_ratio(self, key: str) -> float:
        """Running average compression ratio (``"bytes"`` or ``"params"``) over the gradient steps so far."""
        return getattr(self, f"ratio_sum_{key}") / max(self.grad_steps, 1)


_log = logging.getLogger("gst_train.mujoco")


def _quiet_mujoco() -> None:
    """Route MuJoCo's warnings to Python logging (debug level) instead of stderr and ./MUJOCO_LOG.TXT.

    Gymnasium's own models trigger a deprecation note on every env build ("settotalmass"); a user needs
    neither that line on every command nor a log file in whatever folder they ran from.
    """
    try:
        import mujoco
    except ImportError:  # a non-MuJoCo env
        return
    mujoco.set_mju_user_warning(lambda msg: _log.debug("MuJoCo: %s", msg))


def make_env(env_id: str) -> gym.Env:
    _quiet_mujoco()
    try:
        env = gym.make(env_id)
    except Exception as exc:  # gymnasium raises several types for unknown ids
        raise RunError(f"--env {env_id}: cannot make this environment ({type(exc).__name__}: {exc})") from None
    if not isinstance(env.observation_space, gym.spaces.Box) or not isinstance(env.action_space, gym.spaces.Box):
        raise RunError(f"--env {env_id}: expected Box observation and action spaces")
    return env


def evaluate(agent: TD3, env: gym.Env, seed: int, episodes: int) -> float:
    """Mean return of the deterministic policy over ``episodes`` episodes of the separate eval env."""
    total = 0.0
    for ep in range(episodes):
        obs, _ = env.reset(seed=seed + ep)
        done = False
        while not done:
            obs, r, term, trunc, _ = env.step(agent.act(obs))
            total += float(r)
            done = term or trunc
    return total / episodes


class Metrics:
    """metrics.csv (rewritten atomically each evaluation) and TensorBoard."""

    def __init__(self, out: Path, purge_step: int | None) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.path = out / "metrics.csv"
        self.rows: list[dict] = []
        if purge_step is not None and self.path.exists():
            with open(self.path) as fh:
                self.rows = [r for r in csv.DictReader(fh) if int(r["step"]) <= purge_step]
        self.tb = SummaryWriter(str(out / "tb"), purge_step=purge_step)

    def log(self, row: dict) -> None:
        self.rows.append(row)
        keys = list(self.rows[0].keys())
        for r in self.rows:
            keys += [k for k in r if k not in keys]
        with atomic_path(self.path) as tmp, open(tmp, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=keys)
            w.writeheader()
            w.writerows(self.rows)
        for k, v in row.items():
            if isinstance(v, int | float) and k != "step":
                self.tb.add_scalar(k, v, row["step"])
        self.tb.flush()

    def close(self) -> None:
        self.tb.close()


def run(cfg: TrainConfig, resume: bool = False) -> Path:
    """Train (or continue) one run; returns the run folder."""
    cfg = validate(cfg)
    out = Path(cfg.out)
    torch.set_num_threads(cfg.threads)
    # The compiled BC loops (gst_train.circulant) use as many threads as torch, never more than numba has.
    numba.set_num_threads(max(1, min(cfg.threads, numba.config.NUMBA_NUM_THREADS)))
    torch.set_float32_matmul_precision(cfg.matmul_precision)  # set by every run, so none inherits another's
    env = make_env(cfg.env)
    eval_env = make_env(cfg.env)
    obs_dim = int(np.prod(env.observation_space.shape))
    act_dim = int(np.prod(env.action_space.shape))
    max_action = float(env.action_space.high[0])
    low, high = env.action_space.low, env.action_space.high

    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    agent = TD3(cfg, obs_dim, act_dim, max_action)
    comp = Compressor(cfg, agent.online_layers(), agent.target_layers(), agent.optimizers, cfg.seed,
                      on_change=agent.structure_changed)
    buf = ReplayBuffer(obs_dim, act_dim, min(cfg.buffer_size, cfg.total_steps))

    shapes = td3_networks(obs_dim, act_dim, cfg.hidden_sizes)
    run_meta = {"env": cfg.env, "method": cfg.method, "seed": cfg.seed, "batch": cfg.batch_size,
                "obs_dim": obs_dim, "act_dim": act_dim, "hidden": list(cfg.hidden_sizes),
                "policy_delay": cfg.policy_delay, "start_steps": cfg.start_steps, "total_steps": cfg.total_steps,
                "dtype": "fp32", "synthetic": False, "generator": "gst_train"}
    state = LoopState()
    writer_state = None
    if resume:
        try:
            loaded = ckpt.load(out, agent, comp, buf, rng)
        except ckpt.CheckpointError as exc:
            raise RunError(f"--resume {out}: {exc}") from None
        state = LoopState(**loaded["loop"])
        writer_state = loaded["writer"]
    else:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out / "config.json", json.dumps(cfg.to_dict(), indent=2) + "\n")
    writer = None
    if cfg.trace and writer_state is not None:
        try:
            writer = TraceWriter.resume(out / "trace", run_meta, writer_state, period_steps=cfg.policy_delay,
                                        flush_every_s=cfg.trace_flush_s)
        except InputError as exc:
            raise RunError(f"--resume {out}: {exc}") from None
    elif cfg.trace:
        writer = TraceWriter(out / "trace", run_meta, period_steps=cfg.policy_delay, flush_every_s=cfg.trace_flush_s)

    metrics = Metrics(out, purge_step=state.t if resume else None)
    rows_cache: dict[bool, list] = {}
    rows_version = -1

    def emit(grad_step: int, actor_update: bool) -> None:
        nonlocal rows_version
        if writer is None:
            comp.drain_changes()
            return
        if comp.version != rows_version:
            for net, l in comp.drain_changes():
                layer = comp.online[net][l]
                writer.add_mask(grad_step, net, l, layer.mask.bool().numpy(), comp.scheme[(net, l)])
            fmt = comp.formats()
            for au in (True, False):
                rows_cache[au] = td3_step_rows(shapes, fmt, cfg.batch_size, obs_dim, act_dim, actor_update=au)
            rows_version = comp.version
        writer.add_step(grad_step, rows_cache[actor_update])

    ratios = comp.ratios()
    ratios_version = comp.version  # the ratios change only when a format or mask does

    def refresh_ratios() -> None:
        nonlocal ratios, ratios_version
        if comp.version != ratios_version:
            ratios, ratios_version = comp.ratios(), comp.version

    t = state.t
    obs, _ = env.reset(seed=cfg.seed * 1_000_003 + state.episode)
    next_ckpt = (t // cfg.checkpoint_every + 1) * cfg.checkpoint_every
    pbar = None
    if cfg.progress:
        from tqdm import tqdm

        pbar = tqdm(total=cfg.total_steps, initial=t, unit="step", dynamic_ncols=True, smoothing=0.05)
    t_start = time.perf_counter()
    while t < cfg.total_steps:
        if t < cfg.start_steps:
            action = rng.uniform(low, high).astype(np.float32)
        else:
            noise = rng.normal(0.0, max_action * cfg.expl_noise, size=act_dim)
            action = (agent.act(obs) + noise).clip(low, high).astype(np.float32)
        next_obs, reward, term, trunc, _ = env.step(action)
        buf.add(obs, action, next_obs, float(reward), bool(term))
        obs = next_obs
        t += 1
        if t > cfg.start_steps:
            grad_step = state.grad_steps
            comp.on_grad_step(grad_step, t)
            refresh_ratios()
            actor_update = agent.train(buf, rng)
            emit(grad_step, actor_update)
            state.ratio_sum_bytes += ratios["ratio_bytes"]
            state.ratio_sum_params += ratios["ratio_params"]
            state.grad_steps = grad_step + 1
        if t % cfg.eval_every == 0:
            ret = evaluate(agent, eval_env, cfg.seed + 100 + 1000 * state.eval_idx, cfg.eval_episodes)
            state.eval_idx += 1
            state.last_return = ret
            comp.on_eval(ret, learning_started=t > cfg.start_steps, env_step=t)
            refresh_ratios()
            row = {"step": t, "grad_steps": state.grad_steps, "return": ret,
                   "ratio_bytes": ratios["ratio_bytes"], "ratio_params": ratios["ratio_params"],
                   "avg_ratio_bytes": state.avg_ratio("bytes"), "avg_ratio_params": state.avg_ratio("params"),
                   "target_sparsity": comp.controller.target if cfg.method == "gst" else float("nan"),
                   **comp.layer_stats()}
            metrics.log(row)
            if pbar is not None:
                pbar.set_postfix(ret=f"{ret:.0f}", cr=f"{ratios['ratio_bytes']:.3f}")
        if term or trunc:
            state.episode += 1
            obs, _ = env.reset(seed=cfg.seed * 1_000_003 + state.episode)
            if t >= next_ckpt and t < cfg.total_steps:
                state.t = t
                wstate = writer.checkpoint() if writer is not None else None
                ckpt.save(out, agent, comp, buf, rng, asdict(state), wstate)
                agent.drop_caches()  # continue from the checkpointed state exactly as a resumed run will
                next_ckpt = (t // cfg.checkpoint_every + 1) * cfg.checkpoint_every
        if pbar is not None:
            pbar.update(1)
    if writer is not None:
        writer.close()
    metrics.close()
    if pbar is not None:
        pbar.close()
    env.close()
    eval_env.close()
    summary = {"steps": t, "grad_steps": state.grad_steps, "wall_s": time.perf_counter() - t_start,
               "final_return": state.last_return, "avg_ratio_bytes": state.avg_ratio("bytes"),
               "avg_ratio_params": state.avg_ratio("params")}
    atomic_write_text(out / "DONE", json.dumps(summary, indent=2) + "\n")
    for name in (ckpt.CKPT, ckpt.PREV):
        shutil.rmtree(out / name, ignore_errors=True)
    return out


def config_of(run_dir: Path) -> TrainConfig:
    """The config a run folder was started with (for --resume)."""
    p = run_dir / "config.json"
    if not p.is_file():
        raise RunError(f"--resume {run_dir}: no config.json; not a gst-train run folder")
    try:
        d = json.loads(p.read_text())
    except (ValueError, OSError) as exc:
        raise RunError(f"{p}: unreadable config ({exc})") from None
    if not isinstance(d, dict):
        raise RunError(f"{p}: expected a JSON object of settings, got {type(d).__name__}")
    hints = typing.get_type_hints(TrainConfig)
    for key, value in d.items():
        if key not in hints:
            raise RunError(f"{p}: {key}: not a gst-train setting (expected one of TrainConfig's fields)")
        typ = hints[key]
        ok = (isinstance(value, bool) if typ is bool else isinstance(value, int) and not isinstance(value, bool)
              if typ is int else isinstance(value, int | float) and not isinstance(value, bool) if typ is float
              else isinstance(value, str))
        if not ok:
            raise RunError(f"{p}: {key}: expected {typ.__name__}, got {value!r}")
    cfg = replace(TrainConfig(**d), out=str(run_dir))
    try:
        return validate(cfg)
    except ConfigError as exc:  # name the file and key the value was read from, not a flag
        flag, _, expected = str(exc).partition(": ")
        raise RunError(f"{p}: {flag.removeprefix('--').replace('-', '_')}: {expected}") from None
