"""``accelsim explore SWEEP_DIR``: a sweep on one self-contained, interactive page; ``--live``: one point served on
127.0.0.1, re-simulated as its controls move."""

from __future__ import annotations

import argparse
from pathlib import Path

from accelsim.base.errors import InputError
from accelsim.base.paths import given_path

HELP = "a sweep on one self-contained, interactive HTML page (filters, Pareto front, breakdowns), or --live"

INPUTS = ()
OUTPUTS = (("out", "--out", False),)


def derived_inputs(args: argparse.Namespace) -> list[Path]:
    """The sweep folder's table (the traces, with --live)."""
    dirs = [given_path(d, "dir") for d in args.dir]
    if args.live:
        return dirs
    return [d / "sweep.parquet" for d in dirs[:1]]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", nargs="*", metavar="SWEEP_DIR | TRACE",
                   help="a sweep folder (accelsim sweep --out DIR); with --live, traces (default: the shipped sample)")
    p.add_argument("--out", metavar="PAGE.html", help="default: SWEEP_DIR/explore.html")
    p.add_argument("--breakdowns", type=int, default=None, metavar="N",
                   help="re-simulate phase, network and layer breakdowns for at most N points (default 2000: "
                        "every point of a smaller sweep, the Pareto-front points of a larger one; 0: none)")
    p.add_argument("--live", action="store_true",
                   help="serve one point on 127.0.0.1, re-simulated as its controls move, until Ctrl-C")
    p.add_argument("--port", type=int, default=8050, help="--live's port (default 8050; 0: any free port)")


def main(args: argparse.Namespace) -> int:
    if args.live:
        return _live(args)
    if len(args.dir) != 1:
        raise InputError("SWEEP_DIR", " ".join(args.dir), "expected one sweep folder (or --live with traces)")
    from accelsim.present.explorer import DEFAULT_BREAKDOWN_POINTS, write_explorer

    n = DEFAULT_BREAKDOWN_POINTS if args.breakdowns is None else args.breakdowns
    if n < 0:
        raise InputError("--breakdowns", str(n), "expected a number of points >= 0")
    path, shown = write_explorer(args.dir[0], args.out, n)
    print(f"wrote {path} ({shown:,} points)")
    return 0


def _live(args: argparse.Namespace) -> int:
    from accelsim.base.resources import default_trace
    from accelsim.present.live_server import make_server
    from accelsim.trace.reader import read_trace

    if args.out or args.breakdowns is not None:
        raise InputError("--live", "", "serves a page: --out and --breakdowns are for a sweep's page")
    if not 0 <= args.port <= 65535:
        raise InputError("--port", str(args.port), "expected a port in [0, 65535]")
    traces = [str(p) for p in args.dir] or [str(default_trace())]
    for t in traces:
        read_trace(t)  # a bad trace: one line now, not on the page
    server = make_server(traces, args.port)
    host, port = server.server_address[:2]
    print(f"serving http://{host}:{port}/ (Ctrl-C stops it)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
