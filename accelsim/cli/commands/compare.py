"""``accelsim compare``: compare traces (schemes) on latency, energy, DRAM bytes, compression."""

from __future__ import annotations

import argparse
import json

from accelsim.base.errors import InputError
from accelsim.base.resources import default_trace

HELP = "compare traces (schemes) on latency, energy, DRAM bytes, compression"

INPUTS = (("traces", "traces"), ("hw", "--hw"))
OUTPUTS = (("json", "--json", False), ("csv", "--csv", False))
READS_DEFAULT_TRACE = True


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("traces", nargs="*")
    p.add_argument("--hw", default=None)
    p.add_argument("--set", action="append", metavar="KEY=VALUE")
    p.add_argument("--format", choices=["dense", "bitmap", "csr", "group"],
                    help="re-encode masked layers from the mask snapshots")
    p.add_argument("--group", type=int, nargs=2, default=(1, 4), metavar=("ROWS", "COLS"),
                    help="group shape for --format group")
    p.add_argument("--label", action="append", metavar="NAME",
                    help="a row label per trace, in the traces' order (default: the method, or the file stem "
                         "where two traces share a method)")
    p.add_argument("--json", metavar="OUT")
    p.add_argument("--csv", metavar="OUT")


def main(args: argparse.Namespace) -> int:
    from accelsim.base.atomic import atomic_write_text
    from accelsim.hardware.config import parse_set_args
    from accelsim.hardware.load import load_hardware
    from accelsim.present.report import run_labels, table
    from accelsim.studies.compare import compare

    traces = args.traces or [str(default_trace())]
    if min(args.group) < 1 or max(args.group) > 2**16:
        raise InputError("--group", " ".join(map(str, args.group)), "expected two positive group dimensions")
    labels = args.label or []
    if labels and len(labels) != len(traces):
        raise InputError("--label", ",".join(labels), f"expected one label per trace ({len(traces)} traces, "
                         f"{len(labels)} labels)")
    if any(not lab.strip() or any(c in lab for c in ",|\n\r") for lab in labels):
        # Commas would split the echoed list, '|' and line breaks the text table.
        raise InputError("--label", ",".join(labels), "expected non-empty labels without commas, '|' or line breaks")
    if len(set(labels)) != len(labels):
        raise InputError("--label", ",".join(labels), "expected distinct labels (one row each)")
    hw = load_hardware(args.hw, parse_set_args(args.set))
    rows = compare(traces, hw, args.format, tuple(args.group))
    hdr = ["method", "format", "steps", "ratio B", "ratio P", "ms/step", "dense ms/step", "energy J", "DRAM B",
           "speedup", "E ratio"]
    lines = [[lab, r["format"], f"{r['steps']:,}", f"{r['avg_ratio_bytes']:.3f}",
              f"{r['avg_ratio_params']:.3f}", f"{r['latency_ms_per_step']:.4g}",
              f"{r['dense_latency_ms_per_step']:.4g}",
              f"{r['energy_j']:.4g}", f"{r['dram_bytes']:.4g}", f"{r['speedup']:.3f}", f"{r['energy_ratio']:.3f}"]
             for lab, r in zip(labels or run_labels(rows), rows, strict=True)]
    if labels:  # the CSV/JSON rows carry the user's label too, so that a table and its data agree
        rows = [{"label": lab, **r} for lab, r in zip(labels, rows, strict=True)]
    print(f"hardware {hw.name}")
    print(table(hdr, lines))
    if args.json:
        atomic_write_text(args.json, json.dumps(rows, indent=2) + "\n")
    if args.csv:
        import csv
        import io

        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
        atomic_write_text(args.csv, buf.getvalue())
    return 0
