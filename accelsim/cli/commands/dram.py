"""``accelsim dram``: the banked DRAM model alone: bandwidth, row hits, energy of an access pattern."""

from __future__ import annotations

import argparse
import sys

from accelsim.base.errors import InputError
from accelsim.cli.args import float_arg, int_arg

HELP = "the banked DRAM model alone: bandwidth, row hits, energy of an access pattern"

INPUTS = (("hw", "--hw"), ("dramsim3_ini", "--dramsim3-ini"))
OUTPUTS = (("json", "--json", False),)


def add_arguments(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group()
    src.add_argument("--hw", default=None, help="preset name or TOML file (default: edge-lpddr4)")
    src.add_argument("--dramsim3-ini", metavar="FILE.ini", help="a DRAMSim3 config as the part, unchanged")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                    help="override a field: dram.KEY with --hw, SECTION.KEY (e.g. timing.tRCD) with --dramsim3-ini")
    p.add_argument("--pattern", required=True, choices=["sequential", "strided", "random"])
    p.add_argument("--bytes", required=True, type=int_arg("--bytes"), help="useful bytes to move")
    p.add_argument("--request-bytes", type=int_arg("--request-bytes"), default=None,
                    help="DMA request size (default: the preset's dram.request_bytes, else one burst)")
    p.add_argument("--stride", type=int_arg("--stride"), default=None, help="strided: bytes between requests")
    p.add_argument("--write-fraction", type=float_arg("--write-fraction"), default=0.0,
                    help="share of requests that are writes (0..1)")
    p.add_argument("--requests-in-flight", type=int_arg("--requests-in-flight"), default=None,
                    help="DMA requests outstanding (0: only the controller's queues limit them)")
    p.add_argument("--seed", type=int_arg("--seed"), default=0, help="random addresses")
    p.add_argument("--model", default="request", choices=["request", "closed"],
                    help="request-level model (default) or the closed forms the engines use")
    p.add_argument("--json", metavar="OUT", help="write the figures as JSON")
    p.add_argument("-q", "--quiet", action="store_true", help="no table on stdout")


def main(args: argparse.Namespace) -> int:
    from accelsim.base.atomic import atomic_write_text
    from accelsim.dram import Pattern, evaluate
    from accelsim.dram.closed_form import evaluate_closed
    from accelsim.dram.report import text, to_json
    from accelsim.hardware.config import parse_set_args
    from accelsim.hardware.load import load_hardware
    from accelsim.hardware.memory import load_memory_system

    overrides = parse_set_args(args.set)
    mem = load_memory_system(args.hw, args.dramsim3_ini, overrides)
    request_bytes, in_flight = args.request_bytes, args.requests_in_flight
    if args.dramsim3_ini is None:  # a preset may name its DMA request size and requests in flight
        dram = load_hardware(args.hw, overrides).dram
        request_bytes = dram.request_bytes if request_bytes is None else request_bytes
        in_flight = dram.requests_in_flight if in_flight is None else in_flight
    pattern = Pattern(kind=args.pattern, total_bytes=args.bytes, request_bytes=request_bytes or 0,
                      stride_bytes=args.stride or 0, write_fraction=args.write_fraction,
                      requests_in_flight=in_flight or 0, seed=args.seed)
    if pattern.kind == "strided" and not args.stride:
        raise InputError("--stride", "", "a strided pattern needs --stride BYTES")
    stats = evaluate(mem, pattern, args.model)
    closed = evaluate_closed(mem, pattern) if args.model == "request" else None
    if args.json:
        atomic_write_text(args.json, to_json(mem, pattern, stats, closed))
    if not args.quiet:
        sys.stdout.write(text(mem, pattern, stats, closed))
    return 0
