"""Every training setting, as one frozen typed dataclass that is also the command line.

Each field becomes a flag (``total_steps`` → ``--total-steps``); its ``help`` metadata is the flag's help.
Defaults follow Fujimoto's TD3 reference; GST's are the screening study's (docs/gst.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import sys
import typing
from dataclasses import dataclass, field, fields

from accelsim.base.argparser import OneLineParser

METHODS = ("dense", "gst", "ip", "bc", "nm", "dst")


def _f(default, help: str, **kw):
    return field(default=default, metadata={"help": help, **kw})


@dataclass(frozen=True)
class TrainConfig:
    """A training run. Units: steps are env steps unless named grad steps; fractions in [0, 1]."""

    env: str = _f("HalfCheetah-v5", "Gymnasium environment id (any Box observation and action space)")
    method: str = _f("gst", "compression method", choices=METHODS)
    total_steps: int = _f(1_000_000, "env steps in the run (random start steps included)")
    seed: int = _f(0, "seed of torch, numpy, the env and the replay sampling")
    out: str = _f("runs/run", "run folder: config, metrics, TensorBoard, checkpoints, trace/")
    # TD3 (Fujimoto's reference settings).
    start_steps: int = _f(25_000, "random-action steps before the first gradient update")
    eval_every: int = _f(5_000, "env steps between evaluations")
    eval_episodes: int = _f(10, "episodes per evaluation (separately seeded env)")
    batch_size: int = _f(256, "replay batch size")
    hidden: str = _f("256,256", "hidden layer widths, comma separated")
    lr: float = _f(3e-4, "Adam learning rate (actor and critics)")
    discount: float = _f(0.99, "discount factor")
    tau: float = _f(0.005, "Polyak factor of the target networks")
    policy_noise: float = _f(0.2, "target policy smoothing noise (fraction of max action)")
    noise_clip: float = _f(0.5, "clip of the smoothing noise (fraction of max action)")
    policy_delay: int = _f(2, "critic updates per actor and target update")
    expl_noise: float = _f(0.1, "exploration noise std (fraction of max action)")
    buffer_size: int = _f(1_000_000, "replay buffer capacity")
    threads: int = _f(0, "torch intra-op threads; 0: as many as this process may use (its CPU affinity); "
                         "results are deterministic for a given thread count (gst-train-many gives each run "
                         "its share of the cores)")
    matmul_precision: str = _f("highest", "fp32 GEMMs: highest (fp32) or medium (inputs rounded to bf16, fp32 "
                               "accumulation: AMX through oneDNN where the CPU has it, ~2x the updates/s here; "
                               "changes results, opt-in until a learning check says it holds reward)")
    # Compression, common.
    dense_layers: str = _f("auto", "layers kept dense: last (output heads), first,last, none, or auto: first,last "
                           "for bc and gst (the screening study: BC on the narrow input layer cost them reward), "
                           "last for the others")
    block_size: int = _f(4, "block-circulant block size b (bc, gst; 4 from the screening study)")
    group_rows: int = _f(1, "group shape rows (gst group-sparse mode)")
    group_cols: int = _f(4, "group shape cols, along the input dimension (gst)")
    # GST reward-aware target sparsity.
    sparsity_min: float = _f(0.5, "gst: lower bound (and start) of the target sparsity")
    sparsity_max: float = _f(0.9, "gst: upper bound of the target sparsity")
    sparsity_step: float = _f(0.025, "gst: change of the target per evaluation")
    reward_window: int = _f(3, "gst: evaluations averaged by the reward-aware controller")
    reward_tolerance: float = _f(0.05, "gst: tolerated drop, relative to |best window mean|")
    reward_tolerance_abs: float = _f(50.0, "gst: absolute floor of the tolerated drop (return units)")
    hold_evals: int = _f(2, "gst: evaluations to hold the target after it backs off (hysteresis)")
    reward_noise_z: float = _f(2.0, "gst: tolerated drop also >= this many standard errors of evaluation noise, "
                               "measured from recent evaluations (0: fixed tolerance)")
    gst_switch: str = _f("staggered", "gst: layers leave BC one at a time after the return recovers (staggered) "
                         "or all at once past break-even (all, the first build's rule)",
                         choices=("staggered", "all"))
    gst_ramp_steps: int = _f(40_000, "gst: env steps over which a switched layer prunes from break-even to the target "
                             "(0: at once)")
    gst_revert_evals: int = _f(4, "gst: evaluations after a switch without recovery before the layer reverts to BC "
                               "(0: never)")
    gst_bc_only_layers: str = _f("none", "gst: layers that stay block-circulant all run and never turn group-sparse: "
                                 "none, or first (the input layers; needs them compressed: --dense-layers last "
                                 "or none)", choices=("none", "first"))
    # Iterative (gradual magnitude) pruning, Zhu & Gupta 2017.
    ip_final_sparsity: float = _f(0.9, "ip: final sparsity s_f (s_i = 0)")
    ip_schedule: str = _f("cubic", "ip: sparsity schedule from dense to s_f: cubic (Zhu & Gupta 2017, most pruning "
                          "early) or ramp (linear)", choices=("cubic", "ramp"))
    ip_begin: float = _f(0.0, "ip: pruning begins at this fraction of the run, and never before learning starts")
    ip_end: float = _f(0.8, "ip: pruning reaches s_f at this fraction of the run")
    prune_every: int = _f(1000, "ip, nm, dst and gst's ramps: grad steps between mask updates")
    # N:M.
    nm_n: int = _f(2, "nm: N kept of every M")
    nm_m: int = _f(4, "nm: M")
    # Dynamic sparse training, Sokar et al. 2022.
    dst_sparsity: float = _f(0.9, "dst: global sparsity of the Erdos-Renyi masks")
    dst_drop_fraction: float = _f(0.05, "dst: fraction of active weights dropped and regrown per update")
    # Run plumbing.
    checkpoint_every: int = _f(20_000, "env steps between checkpoints (taken at the next episode end)")
    trace: bool = _f(True, "write the weight-transaction trace to OUT/trace")
    trace_flush_s: float = _f(30.0, "seconds between trace parts")
    progress: bool = _f(True, "show a progress bar")

    @property
    def hidden_sizes(self) -> tuple[int, ...]:
        return tuple(int(x) for x in self.hidden.split(",") if x.strip())

    @property
    def dense_layer_rule(self) -> str:
        """``dense_layers`` with ``auto`` resolved for this method (last, first,last or none)."""
        if self.dense_layers == "auto":
            # Input layers stay dense for bc and gst where a hidden-to-hidden layer is left to compress.
            deep = len(self.hidden_sizes) >= 2
            return "first,last" if self.method in ("bc", "gst") and deep else "last"
        return self.dense_layers

    def layer_compressible(self, l: int, n_layers: int) -> bool:
        """Whether layer ``l`` of a network of ``n_layers`` may be compressed under :attr:`dense_layer_rule`."""
        rule = self.dense_layer_rule
        if rule == "none":
            return True
        return l != n_layers - 1 and not (rule == "first,last" and l == 0)

    def gst_may_switch(self, l: int) -> bool:
        """Whether GST may turn compressible layer ``l`` group-sparse (``--gst-bc-only-layers``)."""
        return not (self.gst_bc_only_layers == "first" and l == 0)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class ConfigError(ValueError):
    """A bad setting: ``flag``, what was expected."""

    def __init__(self, flag: str, expected: str) -> None:
        super().__init__(f"{flag}: {expected}")


MAX_INT = 10**9  # any count or size beyond this is a typo, not an experiment (and keeps products in int64)
MAX_SEED = 2**32 - 1


def _check_ranges(cfg: TrainConfig) -> None:
    """Every number within its own range (finite, bounded, positive where a count, a fraction where one)."""
    hints = typing.get_type_hints(TrainConfig)
    for f in fields(TrainConfig):
        v = getattr(cfg, f.name)
        flag = f"--{f.name.replace('_', '-')}"
        if hints[f.name] is float and not math.isfinite(v):
            raise ConfigError(flag, f"expected a finite number, got {v}")
        if hints[f.name] is int and f.name != "seed" and not -MAX_INT <= v <= MAX_INT:
            raise ConfigError(flag, f"expected at most {MAX_INT:,}, got {v}")
    if not 0 <= cfg.seed <= MAX_SEED:
        raise ConfigError("--seed", f"expected an integer in [0, {MAX_SEED}], got {cfg.seed}")
    if cfg.lr <= 0:
        raise ConfigError("--lr", f"expected a positive learning rate, got {cfg.lr}")
    if not 0.0 <= cfg.discount <= 1.0:
        raise ConfigError("--discount", f"expected a discount in [0, 1], got {cfg.discount}")
    for name in ("policy_noise", "noise_clip", "reward_tolerance_abs"):
        if getattr(cfg, name) < 0:
            raise ConfigError(f"--{name.replace('_', '-')}", f"expected >= 0, got {getattr(cfg, name)}")
    if cfg.trace_flush_s <= 0:
        raise ConfigError("--trace-flush-s", f"expected a positive number of seconds, got {cfg.trace_flush_s}")
    if cfg.threads < 0:
        raise ConfigError("--threads", f"expected a positive integer, or 0 for as many as the CPUs allow, got "
                                       f"{cfg.threads}")
    pos_int = ("total_steps", "eval_every", "eval_episodes", "batch_size", "policy_delay", "buffer_size",
               "block_size", "group_rows", "group_cols", "reward_window", "prune_every", "nm_n", "nm_m",
               "checkpoint_every")
    for name in pos_int:
        if getattr(cfg, name) <= 0:
            raise ConfigError(f"--{name.replace('_', '-')}", f"expected a positive integer, got {getattr(cfg, name)}")
    if cfg.start_steps < 0:
        raise ConfigError("--start-steps", "expected >= 0")
    if cfg.start_steps >= cfg.total_steps:
        raise ConfigError("--start-steps", f"expected fewer than --total-steps ({cfg.total_steps})")
    if cfg.batch_size > cfg.buffer_size:
        raise ConfigError("--batch-size", "expected <= --buffer-size")
    for name in ("sparsity_min", "sparsity_max", "ip_final_sparsity", "dst_sparsity", "dst_drop_fraction",
                 "ip_begin", "ip_end", "tau", "expl_noise", "reward_tolerance"):
        v = getattr(cfg, name)
        if not 0.0 <= v <= 1.0 or (name in ("sparsity_max", "ip_final_sparsity", "dst_sparsity") and v >= 1.0):
            raise ConfigError(f"--{name.replace('_', '-')}", f"expected a fraction in [0, 1), got {v}")


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # no affinity masks on this OS
        return max(1, os.cpu_count() or 1)


def validate(cfg: TrainConfig) -> TrainConfig:
    """Check ranges, then the settings against each other; raise ConfigError naming the flag. Returns the
    config with ``--dense-layers auto`` resolved (so config.json records what ran)."""
    _check_ranges(cfg)
    if cfg.sparsity_min > cfg.sparsity_max:
        raise ConfigError("--sparsity-min", "expected <= --sparsity-max")
    if cfg.ip_begin >= cfg.ip_end:
        raise ConfigError("--ip-begin", "expected < --ip-end")
    if cfg.nm_n > cfg.nm_m:
        raise ConfigError("--nm-n", "expected <= --nm-m")
    try:
        sizes = cfg.hidden_sizes
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) <= 0 or max(sizes) > 65536:
        raise ConfigError("--hidden", f"expected comma-separated widths in 1..65536, got {cfg.hidden!r}")
    if cfg.dense_layers not in ("auto", "last", "first,last", "none"):
        raise ConfigError("--dense-layers", "expected auto, last, first,last or none")
    if cfg.threads == 0:  # resolved here, so config.json records what ran
        cfg = dataclasses.replace(cfg, threads=available_cpus())
    asked_dense = cfg.dense_layers  # as the user gave it, for the messages below
    if cfg.dense_layers == "auto":  # resolved here, so config.json records what ran
        cfg = dataclasses.replace(cfg, dense_layers=cfg.dense_layer_rule)
        asked_dense = f"auto ({cfg.dense_layers} for {cfg.method})"
    n_layers = len(sizes) + 1
    if cfg.method != "dense" and not any(cfg.layer_compressible(l, n_layers) for l in range(n_layers)):
        raise ConfigError("--dense-layers", f"{asked_dense} leaves no layer to compress with --hidden "
                                            f"{cfg.hidden} (use last or none)")
    if cfg.gst_switch not in ("staggered", "all"):
        raise ConfigError("--gst-switch", "expected staggered or all")
    if cfg.gst_bc_only_layers not in ("none", "first"):
        raise ConfigError("--gst-bc-only-layers", "expected none or first")
    if cfg.method == "gst" and cfg.gst_bc_only_layers == "first" and not cfg.layer_compressible(0, n_layers):
        raise ConfigError("--gst-bc-only-layers", f"first needs the input layers compressed, but --dense-layers "
                                                  f"{asked_dense} keeps them dense (use last or none)")
    if cfg.method == "gst" and not any(cfg.layer_compressible(l, n_layers) and cfg.gst_may_switch(l)
                                       for l in range(n_layers)):
        # Every compressed layer would stay BC: the run would be method bc under the name gst.
        raise ConfigError("--gst-bc-only-layers", f"{cfg.gst_bc_only_layers} with --dense-layers {asked_dense} and "
                                                  f"--hidden {cfg.hidden} leaves GST no layer to switch (use "
                                                  "--method bc, or compress a hidden-to-hidden layer)")
    for name in ("gst_ramp_steps", "gst_revert_evals"):
        if getattr(cfg, name) < 0:
            raise ConfigError(f"--{name.replace('_', '-')}", f"expected >= 0, got {getattr(cfg, name)}")
    if not cfg.reward_noise_z >= 0:
        raise ConfigError("--reward-noise-z", f"expected >= 0, got {cfg.reward_noise_z}")
    if cfg.matmul_precision not in ("highest", "high", "medium"):
        raise ConfigError("--matmul-precision", f"expected highest, high or medium, got {cfg.matmul_precision!r}")
    if cfg.ip_schedule not in ("cubic", "ramp"):
        raise ConfigError("--ip-schedule", "expected cubic or ramp")
    if cfg.method not in METHODS:
        raise ConfigError("--method", f"expected one of {', '.join(METHODS)}")
    return cfg


def _bool(s: str) -> bool:
    if s.lower() in ("1", "true", "yes", "on"):
        return True
    if s.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {s!r}")


def build_parser(prog: str = "gst-train") -> argparse.ArgumentParser:
    p = OneLineParser(prog=prog, description="TD3 on MuJoCo with GST and baselines; writes an accelsim trace.")
    hints = typing.get_type_hints(TrainConfig)
    for f in fields(TrainConfig):
        typ = hints[f.name]
        kw: dict = {"default": f.default, "help": f"{f.metadata['help']} (default: {f.default})"}
        if typ is bool:
            kw["type"] = _bool
            kw["metavar"] = "BOOL"
        else:
            kw["type"] = typ
        if "choices" in f.metadata:
            kw["choices"] = f.metadata["choices"]
        p.add_argument(f"--{f.name.replace('_', '-')}", **kw)
    p.add_argument("--resume", metavar="RUN_DIR", help="continue a killed run from its last checkpoint")
    return p


def given_fields(argv: list[str] | None = None) -> set[str]:
    """The TrainConfig fields whose flags appear in ``argv`` (whatever their value)."""
    p = build_parser()
    for action in p._actions:
        action.default = argparse.SUPPRESS
    ns = p.parse_args(argv if argv is not None else sys.argv[1:])
    return {f.name for f in fields(TrainConfig)} & set(vars(ns))


def parse_args(argv: list[str] | None = None) -> tuple[TrainConfig, str | None]:
    args = build_parser().parse_args(argv if argv is not None else sys.argv[1:])
    resume = args.resume
    d = {f.name: getattr(args, f.name) for f in fields(TrainConfig)}
    return TrainConfig(**d), resume
