"""Training speed, side by side in one run: ours (dense and gst), stable-baselines3 TD3, a plain-torch loop.

Same env (HalfCheetah-v5), network (256-256 ReLU), batch (256), threads, random start steps and number of
updates for all. Prints env-steps/s of each (random start steps included, one update per later env step),
the ratios, gst's overhead over dense and the measured roofline, on HalfCheetah-v5 and Humanoid-v5. Targets:
ours >= 1.6x stable-baselines3 for dense and gst; gst within 5 % of dense.

Needs stable-baselines3, which stays out of the test environment:
    make bench-train      # creates .venv-bench with the [bench] extra and runs this
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import tempfile
import time

import gymnasium as gym
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


def ours(method: str, start: int, updates: int, threads: int, env: str = "HalfCheetah-v5",
         precision: str = "highest") -> float:
    from gst_train.config import TrainConfig
    from gst_train.train import run

    tmp = tempfile.mkdtemp()
    try:
        cfg = TrainConfig(env=env, method=method, total_steps=start + updates, start_steps=start,
                          eval_every=10**9, threads=threads, progress=False, out=f"{tmp}/run",
                          matmul_precision=precision)
        out = run(cfg)
        # The loop's own wall time (set-up excluded, as stable-baselines3's is: its model is built before t0).
        return (start + updates) / json.loads((out / "DONE").read_text())["wall_s"]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def sb3(start: int, updates: int, threads: int, env_id: str = "HalfCheetah-v5") -> float:
    from stable_baselines3 import TD3
    from stable_baselines3.common.noise import NormalActionNoise

    torch.set_num_threads(threads)
    env = gym.make(env_id)
    n = env.action_space.shape[0]
    model = TD3("MlpPolicy", env, learning_starts=start, batch_size=256, buffer_size=start + updates,
                policy_kwargs={"net_arch": [256, 256]}, train_freq=1, gradient_steps=1, policy_delay=2,
                action_noise=NormalActionNoise(np.zeros(n), 0.1 * np.ones(n)), device="cpu", seed=0, verbose=0)
    t0 = time.perf_counter()
    model.learn(total_timesteps=start + updates)
    return (start + updates) / (time.perf_counter() - t0)


def plain(start: int, updates: int, threads: int) -> float:
    """The smallest TD3 loop we could write: nn.Sequential, numpy ring buffer, no compression, no trace."""
    torch.set_num_threads(threads)
    env = gym.make("HalfCheetah-v5")
    od, ad = env.observation_space.shape[0], env.action_space.shape[0]

    def mlp(i, o):
        return nn.Sequential(nn.Linear(i, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, o))

    actor, c1, c2 = mlp(od, ad), mlp(od + ad, 1), mlp(od + ad, 1)
    at, c1t, c2t = (copy.deepcopy(m) for m in (actor, c1, c2))
    ao = torch.optim.Adam(actor.parameters(), 3e-4)
    co = torch.optim.Adam([*c1.parameters(), *c2.parameters()], 3e-4)
    N = start + updates
    O, A, O2 = (np.zeros((N, d), np.float32) for d in (od, ad, od))
    R, D = np.zeros((N, 1), np.float32), np.zeros((N, 1), np.float32)
    rng = np.random.default_rng(0)
    obs, _ = env.reset(seed=0)
    t0 = time.perf_counter()
    for t in range(N):
        if t < start:
            a = rng.uniform(-1, 1, ad).astype(np.float32)
        else:
            with torch.no_grad():
                a = torch.tanh(actor(torch.as_tensor(obs, dtype=torch.float32)[None]))[0].numpy()
            a = (a + rng.normal(0, 0.1, ad)).clip(-1, 1).astype(np.float32)
        o2, r, term, trunc, _ = env.step(a)
        O[t], A[t], O2[t], R[t], D[t] = obs, a, o2, r, float(not term)
        obs = o2
        if term or trunc:
            obs, _ = env.reset()
        if t >= start:
            idx = rng.integers(0, t + 1, 256)
            o, ac, o2b, rw, nd = (torch.from_numpy(x[idx]) for x in (O, A, O2, R, D))
            with torch.no_grad():
                na = (torch.tanh(at(o2b)) + (torch.randn_like(ac) * 0.2).clamp(-0.5, 0.5)).clamp(-1, 1)
                x = torch.cat([o2b, na], 1)
                tq = rw + nd * 0.99 * torch.min(c1t(x), c2t(x))
            x = torch.cat([o, ac], 1)
            loss = F.mse_loss(c1(x), tq) + F.mse_loss(c2(x), tq)
            co.zero_grad()
            loss.backward()
            co.step()
            if t % 2 == 0:
                al = -c1(torch.cat([o, torch.tanh(actor(o))], 1)).mean()
                ao.zero_grad()
                al.backward()
                ao.step()
                with torch.no_grad():
                    for m, tg in ((actor, at), (c1, c1t), (c2, c2t)):
                        torch._foreach_lerp_(list(tg.parameters()), list(m.parameters()), 0.005)
    return N / (time.perf_counter() - t0)


def gemm_peak_gflops(threads: int) -> float:
    """fp32 GEMM throughput here, in GFLOP/s: the best of a 1024^3 and a 256^3 matmul at ``threads``."""
    torch.set_num_threads(threads)
    torch.set_float32_matmul_precision("highest")  # true fp32 (a bf16 run before must not leak into the peak)
    best = 0.0
    for n, reps in ((1024, 20), (256, 400)):
        a, b = torch.randn(n, n), torch.randn(n, n)
        for _ in range(5):
            a @ b
        t0 = time.perf_counter()
        for _ in range(reps):
            a @ b
        best = max(best, 2 * n**3 * reps / (time.perf_counter() - t0) / 1e9)
    return best


def gflop_per_update(env_id: str) -> float:
    """GEMM GFLOP of one gradient update (2 flops per MAC), from accelsim's canonical TD3 step.

    The mean over the policy-delay period (critic-only and critic + actor steps), act step excluded.
    """
    from accelsim.trace.td3_step import td3_networks, td3_step_rows

    env = gym.make(env_id)
    od, ad = env.observation_space.shape[0], env.action_space.shape[0]
    shapes = td3_networks(od, ad, (256, 256))
    macs = 0
    for actor_update in (False, True):
        for r in td3_step_rows(shapes, {}, 256, od, ad, actor_update=actor_update):
            if r.phase != "act" and r.gemm_m > 0:
                macs += r.gemm_m * r.gemm_k * r.gemm_n
    return 2 * macs / 2 / 1e9


def update_ms_by_phase(threads: int, updates: int = 400, rounds: int = 3) -> dict[str, float]:
    """ms per step of the update loop alone (act + one gradient update; no env, no trace), HalfCheetah's
    shapes, random replay data: dense; gst in its BC phase (the default layers block-circulant); gst after
    its switches (the same layers group-sparse at 0.9, i.e. masked dense GEMMs). Best of ``rounds``, the
    three interleaved."""
    from gst_train.compression import Compressor
    from gst_train.config import TrainConfig
    from gst_train.replay import ReplayBuffer
    from gst_train.td3 import TD3

    torch.set_num_threads(threads)
    torch.set_float32_matmul_precision("highest")
    od, ad = 17, 6

    def build(method: str, switch: bool):
        cfg = TrainConfig(method=method, threads=threads, progress=False)
        torch.manual_seed(0)
        agent = TD3(cfg, od, ad, 1.0)
        comp = Compressor(cfg, agent.online_layers(), agent.target_layers(), agent.optimizers, 0,
                          on_change=agent.structure_changed)
        if switch:
            for key, plan in comp.gst.layers.items():
                plan.mode = "group"
                comp.switch_to_group(*key, 0.9)
        buf = ReplayBuffer(od, ad, 20_000)
        rng = np.random.default_rng(0)
        for _ in range(20_000):
            buf.add(rng.normal(size=od), rng.uniform(-1, 1, ad), rng.normal(size=od), float(rng.normal()), False)
        return agent, buf, rng

    def time_it(agent, buf, rng, n):
        obs = np.zeros(od, dtype=np.float32)
        t0 = time.perf_counter()
        for _ in range(n):
            agent.act(obs)
            agent.train(buf, rng)
        return (time.perf_counter() - t0) / n * 1e3

    loops = {"dense": build("dense", False), "gst BC phase": build("gst", False),
             "gst group-sparse phase": build("gst", True)}
    for lp in loops.values():
        time_it(*lp, 50)
    best = {k: float("inf") for k in loops}
    for _ in range(rounds):
        for k, lp in loops.items():
            best[k] = min(best[k], time_it(*lp, updates))
    return best


def gst_bc_share(metrics_csv: str) -> float | None:
    """Mean fraction of a GST run's compressible layers in BC mode over its gradient steps (from the run's
    per-evaluation layer modes), or None without the file."""
    import csv
    from pathlib import Path

    p = Path(metrics_csv)
    if not p.is_file():
        return None
    rows = list(csv.DictReader(p.open()))
    cols = [k for k in rows[0] if k.endswith(".mode") and any(r[k] in ("bc", "group") for r in rows)] if rows else []
    if not cols:
        return None
    shares = [sum(r[k] == "bc" for k in cols) / len(cols) for r in rows if int(r["grad_steps"]) > 0]
    return float(np.mean(shares)) if shares else None


SCREENED_GST = "results/gst_screening_300k/runs/halfcheetah_gst-b4fl_s100/metrics.csv"


def bench_phases(threads: int) -> None:
    """GST's extra cost per update in each phase, and over a whole run like the screening study's."""
    ms = update_ms_by_phase(threads)
    d = ms["dense"]
    print(f"== update loop alone (act + update, no env), HalfCheetah shapes, {threads} threads ==")
    for k, v in ms.items():
        print(f"  {k}: {v:.3f} ms/step ({(v / d - 1) * 100:+.1f} % over dense)")
    share = gst_bc_share(SCREENED_GST)
    if share is not None:
        est = ms["gst group-sparse phase"] + share * (ms["gst BC phase"] - ms["gst group-sparse phase"])
        print(f"  a GST run like {SCREENED_GST.split('/')[-2]} (BC {share:.0%} of its layer-updates, group-sparse "
              f"the rest): {est:.3f} ms/step, {(est / d - 1) * 100:+.1f} % over dense (estimate)")


def bench_env(env: str, s: int, u: int, th: int, repeats: int, plain_too: bool) -> dict[str, float]:
    """Env-steps/s of each loop on ``env``: the best of ``repeats`` rounds, the loops interleaved in every round
    so that a change in the machine's load hits all of them alike."""
    print(f"== training speed: {env}, 256-256, batch 256, {th} threads, {s} random + {u} update steps, "
          f"best of {repeats} interleaved rounds after an untimed warm-up run of each loop ==")
    # Each loop as a function of (random steps, update steps).
    loops = [("stable-baselines3", lambda a, b: sb3(a, b, th, env)),
             ("ours dense", lambda a, b: ours("dense", a, b, th, env)),
             ("ours gst", lambda a, b: ours("gst", a, b, th, env)),
             ("ours dense bf16-GEMM (opt-in)", lambda a, b: ours("dense", a, b, th, env, "medium")),
             ("ours gst bf16-GEMM (opt-in)", lambda a, b: ours("gst", a, b, th, env, "medium"))]
    if plain_too and env == "HalfCheetah-v5":
        loops.insert(0, ("plain torch", lambda a, b: plain(a, b, th)))
    # One short untimed run of each loop first: one-off costs (numba compiling GST's BC loops, 1-2 s; torch's and
    # MuJoCo's lazy set-up) belong to a process, not to its throughput, and would otherwise fall on round 1 of
    # whichever loop pays them (a 1.5-hour run pays them once).
    for _, fn in loops:
        fn(200, 100)
    runs = [(name, lambda fn=fn: fn(s, u)) for name, fn in loops]
    res: dict[str, float] = {}
    for r in range(repeats):
        for name, fn in runs:
            v = fn()
            print(f"  round {r + 1}: {name} {v:.1f}", flush=True)
            res[name] = max(res.get(name, 0.0), v)
    for name, _ in runs:
        print(f"{name} {res[name]:.1f} env-steps/s", flush=True)
    sb = res["stable-baselines3"]
    print(f"ours dense / stable-baselines3: {res['ours dense'] / sb:.2f}x (target >= 1.6x, 2x if the CPU allows)")
    print(f"ours gst / stable-baselines3:   {res['ours gst'] / sb:.2f}x (target >= 1.6x)")
    if "plain torch" in res:
        print(f"ours dense / plain torch:       {res['ours dense'] / res['plain torch']:.2f}x")
    print(f"gst overhead over dense:        {(res['ours dense'] / res['ours gst'] - 1) * 100:+.1f} % (target <= 5 %)")
    for m in ("dense", "gst"):
        print(f"ours {m} bf16-GEMM / stable-baselines3: {res[f'ours {m} bf16-GEMM (opt-in)'] / sb:.2f}x "
              f"(--matmul-precision medium: changes results, not the default)")
    gf = gflop_per_update(env)
    peak = gemm_peak_gflops(th)
    # Roofline of the update: GEMM work at the measured peak, env steps and everything else excluded.
    n = s + u
    upd_s = u / (n / res["ours dense"])  # updates per second of wall time, random steps included in the time
    print(f"roofline: {gf:.3f} GFLOP per update; fp32 GEMM peak here {peak:.0f} GFLOP/s at {th} threads "
          f"(floor {peak / gf:.0f} updates/s); ours dense achieves {gf * upd_s:.0f} GFLOP/s "
          f"({gf * upd_s / peak:.0%} of peak, env and Python included)")
    return res


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--updates", type=int, default=3000)
    ap.add_argument("--start", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--env", nargs="+", default=["HalfCheetah-v5", "Humanoid-v5"])
    ap.add_argument("--repeats", type=int, default=3, help="interleaved rounds; each loop reports its best")
    ap.add_argument("--no-plain", action="store_true", help="skip the plain-torch loop")
    ap.add_argument("--no-phases", action="store_true", help="skip the per-phase update-loop timing")
    args = ap.parse_args()
    for env in args.env:
        bench_env(env, args.start, args.updates, args.threads, args.repeats, not args.no_plain)
    if not args.no_phases:
        bench_phases(args.threads)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
