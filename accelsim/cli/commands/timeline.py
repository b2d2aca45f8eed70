"""``accelsim timeline``: one simulated step as a Chrome/Perfetto trace."""

from __future__ import annotations

import argparse

from accelsim.base.resources import default_trace

HELP = "one simulated step as a Chrome/Perfetto trace"

INPUTS = (("trace", "trace"), ("hw", "--hw"))
OUTPUTS = (("o", "-o", False),)
READS_DEFAULT_TRACE = True


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("trace", nargs="?")
    p.add_argument("--step", type=int, default=None, help="gradient step (default: the first)")
    p.add_argument("--hw", default=None)
    p.add_argument("--set", action="append", metavar="KEY=VALUE")
    p.add_argument("--view", choices=["compressed", "dense"], default="compressed")
    p.add_argument("-o", required=True, metavar="OUT.json")


def main(args: argparse.Namespace) -> int:
    from accelsim.hardware.config import parse_set_args
    from accelsim.hardware.load import load_hardware
    from accelsim.present.timeline import write_timeline
    from accelsim.trace.reader import read_trace

    trace = args.trace or default_trace()
    hw = load_hardware(args.hw, parse_set_args(args.set))
    tr = read_trace(trace)
    step = tr.first_step if args.step is None else args.step
    print(f"wrote {write_timeline(tr, hw, step, args.o, args.view)} (open in https://ui.perfetto.dev)")
    return 0
