"""``accelsim run``: simulate a trace, compressed vs dense."""

from __future__ import annotations

import argparse
import sys

from accelsim.base.errors import InputError
from accelsim.base.resources import default_trace

HELP = "simulate a trace, compressed vs dense"

INPUTS = (("trace", "trace"), ("hw", "--hw"))
OUTPUTS = (("json", "--json", False), ("csv", "--csv", False))
READS_DEFAULT_TRACE = True


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("trace", nargs="?", help="trace folder or .parquet (default: the shipped sample)")
    p.add_argument("--hw", default=None, help="preset name or TOML file (default: edge-lpddr4)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a hardware field, e.g. dram.gbps=12.8, or workload.batch=B")
    p.add_argument("--engine", default="fast", help="fast (numba) or reference (simpy)")
    p.add_argument("--json", metavar="OUT", help="write the full result as JSON")
    p.add_argument("--csv", metavar="OUT", help="write totals and breakdowns as CSV")
    p.add_argument("--by", default="phase,network", metavar="GROUPS",
                   help="the breakdowns printed after the totals: phase, network, layer, comma-separated "
                        "(default phase,network)")
    p.add_argument("-q", "--quiet", action="store_true", help="no table on stdout")


def main(args: argparse.Namespace) -> int:
    from accelsim.base.atomic import atomic_write_text
    from accelsim.hardware.area import chip_area
    from accelsim.hardware.config import parse_set_args
    from accelsim.hardware.load import load_hardware
    from accelsim.present.report import csv_report, json_report, parse_breakdowns, text_report
    from accelsim.simulation.simulate import ENGINES, simulate
    from accelsim.trace.reader import read_trace

    if args.engine not in ENGINES:
        raise InputError("--engine", args.engine, f"unknown engine; expected one of {', '.join(ENGINES)}")
    by = parse_breakdowns(args.by)  # before the simulation: a typo fails at once
    trace = args.trace or default_trace()
    overrides = parse_set_args(args.set)
    batch = overrides.pop("workload.batch", None)  # a workload key, as sweep takes it; the rest are hardware
    if batch is not None:
        try:
            batch = int(batch)
        except ValueError:
            raise InputError("--set", "workload.batch", f"expected an integer batch, got {batch!r}") from None
    hw = load_hardware(args.hw, overrides)
    tr = read_trace(trace)
    res = simulate(tr, hw, engine=args.engine, batch=batch)
    area = chip_area(hw)
    made_by = None
    if args.json or args.csv:  # every file says how it was made
        from accelsim.simulation.provenance import provenance
        from accelsim.studies.sweep import model_id, trace_id

        given = {**overrides, **({"workload.batch": batch} if batch is not None else {})}
        made_by = provenance(trace, trace_id(trace), model_id(), args.hw, given, hw)
    if args.json:
        atomic_write_text(args.json, json_report(res, area, made_by))
    if args.csv:
        atomic_write_text(args.csv, csv_report(res, made_by))
    if not args.quiet:
        sys.stdout.write(text_report(res, area=area, by=by))
    return 0
