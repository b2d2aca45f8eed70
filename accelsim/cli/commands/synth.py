"""``accelsim synth``: write a SYNTHETIC GST-like trace (for tests and benchmarks)."""

from __future__ import annotations

import argparse
from pathlib import Path

from accelsim.base.errors import InputError

HELP = "write a SYNTHETIC GST-like trace (for tests and benchmarks)"

INPUTS = ()
OUTPUTS = (("out", "--out", False),)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=int, default=20_000)
    p.add_argument("--change-every", type=int, default=2000)
    p.add_argument("--every-step", action="store_true", help="change a mask every step (no run-length compression)")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)


def main(args: argparse.Namespace) -> int:
    from accelsim.trace.synth import SynthSpec, generate

    for flag, v, top in (("--steps", args.steps, 10**9), ("--batch", args.batch, 2**20),
                         ("--change-every", args.change_every, 10**9)):
        if not 0 < v <= top:
            raise InputError(flag, str(v), f"expected a positive integer up to {top:,}")
    if not 0 <= args.seed < 2**64:
        raise InputError("--seed", str(args.seed), "expected an integer in [0, 2^64 - 1]")
    if "synthetic" not in Path(args.out).name:
        raise InputError("--out", args.out, "synthetic traces must have 'synthetic' in their file name")
    spec = SynthSpec(steps=args.steps, change_every=args.change_every, every_step=args.every_step,
                     batch=args.batch, seed=args.seed)
    print(f"wrote {generate(spec, args.out)}")
    return 0
