"""Print the side-by-side tables of docs/model.md §10 (markdown): accelsim's banked DRAM model against DRAMSim3,
and its closed forms against its request-level model on the streams the engines produce.

    PYTHONPATH=. python scripts/dram_tables.py [--engine-streams] [--shipped-trace] [--protocols [--out FILE]]

``--protocols``: both models against DRAMSim3 on every protocol of its configs folder but HMC and STT-MRAM
(tests/data/dramsim3/protocols.json, what tests/test_dram_protocols.py checks): a summary (cases within 15 %
per model, the worst case per model) and the table of every case, markdown for docs/benchmarks.md.

``--protocols`` also prints the replay gathers against DRAMSim3's mean over 8 address draws
(tests/data/dramsim3/gathers.json): the closed form is an expectation over where the rows fall, so a single
draw is not what it claims to match.

``--shipped-trace``: what the engines charge (the closed forms, the replay gather's included) against the
request-level model on the very transfers the engines cost for the shipped GST trace (edge-lpddr4,
nvdla-large, omnidrl-like; docs/model.md §10.6, what tests/test_dram_engine_streams.py checks).

Reads DRAMSim3's figures from tests/data/dramsim3/reference.json (made by ``make dramsim3-reference``); runs
nothing but accelsim.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from accelsim.dram import Pattern, evaluate, simulate_expected  # noqa: E402
from accelsim.dram import closed_form as cf  # noqa: E402
from accelsim.dram.dramsim3_ini import read_dramsim3_ini  # noqa: E402
from accelsim.dram.presets import from_dram_config  # noqa: E402
from accelsim.hardware.load import load_preset, preset_names  # noqa: E402

DATA = ROOT / "tests" / "data" / "dramsim3"


def dramsim3_table() -> str:
    ref = json.loads((DATA / "reference.json").read_text())
    rows = ["| part | pattern | DRAMSim3 GB/s | ours (request) GB/s | err | ours (closed) GB/s | err | row hits "
            "DRAMSim3 / ours | pJ/bit DRAMSim3 / ours (core) |",
            "|---|---|---:|---:|---:|---:|---:|---|---|"]
    for c in ref["cases"]:
        mem = read_dramsim3_ini(DATA / "configs" / c["config"])
        p = Pattern(kind=c["kind"], total_bytes=c["total_bytes"], request_bytes=c["request_bytes"],
                    stride_bytes=c["stride_bytes"], write_fraction=c["write_fraction"], seed=c["seed"])
        r, k = evaluate(mem, p, "request"), evaluate(mem, p, "closed")
        g = c["effective_gbps"]
        rows.append(f"| {c['part']} | {c['pattern']} | {g:.2f} | {r.effective_gbps:.2f} | "
                    f"{r.effective_gbps / g - 1:+.1%} | {k.effective_gbps:.2f} | {k.effective_gbps / g - 1:+.1%} | "
                    f"{c['row_hit_rate']:.3f} / {r.row_hit_rate:.3f} | "
                    f"{c['energy_pj_per_bit']:.2f} / {r.core_pj_per_bit:.2f} |")
    return "\n".join(rows)


#: The tolerance on effective bandwidth (useful bytes / time) that issue 24 asks of both models.
TOLERANCE = 0.15


def _ref_pattern(c: dict) -> Pattern:
    return Pattern(kind=c["kind"], total_bytes=c["total_bytes"], request_bytes=c["request_bytes"],
                   stride_bytes=c["stride_bytes"], write_fraction=c["write_fraction"], seed=c["seed"])


def protocol_rows() -> list[dict]:
    """Every case of protocols.json with both models' figures beside DRAMSim3's.

    Bandwidth is useful bytes over time (accelsim's ``effective_gbps``; DRAMSim3's ``useful_gbps``). Energy is
    the IDD core per *useful* bit on both sides (DRAMSim3's figure is per bus bit: scaled by bus / useful
    bytes), so a request smaller than a burst pays for the whole burst on both.
    """
    ref = json.loads((DATA / "protocols.json").read_text())
    out = []
    for c in ref["cases"]:
        mem = read_dramsim3_ini(DATA / "configs" / c["config"])
        p = _ref_pattern(c)
        r, k = evaluate(mem, p, "request"), evaluate(mem, p, "closed")
        bus = (c["read_cmds"] + c["write_cmds"]) * c["burst_bytes"]
        e_ref = c["energy_pj_per_bit"] * bus / c["total_bytes"]
        out.append({"part": c["part"], "protocol": c["protocol"], "pattern": c["pattern"], "gbps": c["useful_gbps"],
                    "request_gbps": r.effective_gbps, "closed_gbps": k.effective_gbps,
                    "request_err": r.effective_gbps / c["useful_gbps"] - 1,
                    "closed_err": k.effective_gbps / c["useful_gbps"] - 1,
                    "hits": c["row_hit_rate"], "request_hits": r.row_hit_rate, "closed_hits": k.row_hit_rate,
                    "pj": e_ref, "request_pj": r.core_pj_per_bit, "closed_pj": k.core_pj_per_bit})
    return out


def protocol_summary(rows: list[dict]) -> str:
    """Cases within the tolerance per model, and each model's worst case (bandwidth and energy)."""
    n = len(rows)
    lines = [f"| model | bandwidth within {TOLERANCE:.0%} | worst bandwidth case | energy within {TOLERANCE:.0%} | "
             "worst energy case |", "|---|---:|---|---:|---|"]
    for m in ("request", "closed"):
        ok = sum(abs(x[f"{m}_err"]) <= TOLERANCE for x in rows)
        w = max(rows, key=lambda x, m=m: abs(x[f"{m}_err"]))
        e_err = [x[f"{m}_pj"] / x["pj"] - 1 for x in rows]
        e_ok = sum(abs(e) <= TOLERANCE for e in e_err)
        we = max(range(n), key=lambda i: abs(e_err[i]))
        lines.append(f"| {m} | {ok} of {n} | {w['part']} {w['pattern']}: {w[f'{m}_err']:+.1%} | {e_ok} of {n} | "
                     f"{rows[we]['part']} {rows[we]['pattern']}: {e_err[we]:+.1%} |")
    return "\n".join(lines)


def protocol_worst(rows: list[dict]) -> str:
    """Per protocol: cases, and each model's cases within the tolerance and worst case (where it is closest to
    or past its limit)."""
    lines = ["| protocol | cases | request: within / worst | closed: within / worst |", "|---|---:|---|---|"]
    for proto in dict.fromkeys(x["protocol"] for x in rows):
        sub = [x for x in rows if x["protocol"] == proto]
        cells = []
        for m in ("request", "closed"):
            w = max(sub, key=lambda x, m=m: abs(x[f"{m}_err"]))
            ok = sum(abs(x[f"{m}_err"]) <= TOLERANCE for x in sub)
            cells.append(f"{ok} / {w['part']} {w['pattern']} {w[f'{m}_err']:+.1%}")
        lines.append(f"| {proto} | {len(sub)} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def _flag(e: float) -> str:
    """An error, bold where it is outside the tolerance."""
    return f"**{e:+.1%}**" if abs(e) > TOLERANCE else f"{e:+.1%}"


def protocol_table(rows: list[dict]) -> str:
    """One line per case: bandwidth (useful GB/s) and error of each model, row hits and core pJ per useful bit."""
    lines = ["| part | pattern | DRAMSim3 GB/s | request GB/s | err | closed GB/s | err | row hits DRAMSim3 / "
             "request / closed | core pJ/bit DRAMSim3 / request / closed |",
             "|---|---|---:|---:|---:|---:|---:|---|---|"]
    for x in rows:
        lines.append(f"| {x['part']} | {x['pattern']} | {x['gbps']:.2f} | {x['request_gbps']:.2f} | "
                     f"{_flag(x['request_err'])} | {x['closed_gbps']:.2f} | {_flag(x['closed_err'])} | "
                     f"{x['hits']:.3f} / {x['request_hits']:.3f} / {x['closed_hits']:.3f} | "
                     f"{x['pj']:.2f} / {x['request_pj']:.2f} / {x['closed_pj']:.2f} |")
    return "\n".join(lines)


def gather_table() -> str:
    """The replay gathers (256 rows of 168 B or 2860 B at random row-aligned places) on every part: DRAMSim3's
    mean over its 8 address draws (gathers.json; time averaged, bandwidth = useful bytes / mean time), the
    request-level model on the same 8 draws, the closed form (an expectation), and core pJ per useful bit."""
    ref = json.loads((DATA / "gathers.json").read_text())
    groups: dict[tuple[str, str], list[dict]] = {}
    for c in ref["cases"]:
        groups.setdefault((c["part"], c["pattern"]), []).append(c)
    lines = ["| part | pattern | DRAMSim3 GB/s (mean of 8) | request err | closed err | closed core pJ/bit err |",
             "|---|---|---:|---:|---:|---:|"]
    for (part, pattern), cs in sorted(groups.items()):
        mem = read_dramsim3_ini(DATA / "configs" / cs[0]["config"])
        nbytes = cs[0]["total_bytes"]
        g = nbytes / (sum(c["cycles"] * c["tck_ns"] for c in cs) / len(cs))
        req = nbytes / (sum(evaluate(mem, _ref_pattern(c), "request").seconds for c in cs) / len(cs)) / 1e9
        k = evaluate(mem, _ref_pattern(cs[0]), "closed")
        pj = sum(c["energy_pj_per_bit"] * (c["read_cmds"] + c["write_cmds"]) * c["burst_bytes"] / c["total_bytes"]
                 for c in cs) / len(cs)
        lines.append(f"| {part} | {pattern} | {g:.2f} | {_flag(req / g - 1)} | {_flag(k.effective_gbps / g - 1)} | "
                     f"{_flag(k.core_pj_per_bit / pj - 1)} |")
    return "\n".join(lines)


def engine_table() -> str:
    parts = {p: read_dramsim3_ini(DATA / "configs" / f) for p, f in
             (("LPDDR4", "LPDDR4_8Gb_x16_2400.ini"), ("DDR4", "DDR4_8Gb_x16_3200.ini"),
              ("HBM2", "HBM2_8Gb_x128.ini"))}
    parts.update({n: from_dram_config(load_preset(n).dram) for n in preset_names()})
    rows = ["| part | seq read 1 KiB / 16 KiB / 256 KiB / 4 MiB | seq write (same) | replay 256 x 168 B | "
            "replay 256 x 2860 B |", "|---|---|---|---:|---:|"]
    for name, mem in parts.items():
        cells = []
        for wf in (0.0, 1.0):
            errs = []
            for n, samples in ((1 << 10, 1024), (1 << 14, 128), (1 << 18, 16), (1 << 22, 4)):
                p = Pattern("sequential", n, 4096, 0, wf)
                errs.append(cf.evaluate_closed(mem, p).seconds / simulate_expected(mem, p, samples).seconds - 1)
            cells.append(" / ".join(f"{e:+.1%}" for e in errs))
        for row in (168, 2860):
            p = Pattern("random", 256 * row, row)
            ref = simulate_expected(mem, p, 32).seconds
            cells.append(f"{cf.evaluate_closed(mem, p).seconds / ref - 1:+.1%}")
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def shipped_trace_table(presets: tuple[str, ...] = ("edge-lpddr4", "nvdla-large", "omnidrl-like")) -> str:
    """Charged time / request-level time − 1 on every distinct transfer the engines cost for the shipped GST
    trace (both views), as tests/test_dram_engine_streams.py computes it: loads and stores as sequential
    streams of ``dram.request_bytes`` requests (closed forms), the replay gather as B row-sized reads at random
    places."""
    from accelsim.engines.reference import engine as engine_reference
    from accelsim.hardware.load import load_hardware
    from accelsim.trace.reader import read_trace
    from accelsim.workload.build import build_workload

    tr = read_trace(ROOT / "traces" / "halfcheetah_gst_s0.parquet")
    rows = ["| preset | loads (sizes; worst) | stores (sizes; worst) | replay gather | "
            "transfers |",
            "|---|---|---|---|---:|"]
    for preset in presets:
        hw = load_hardware(preset)
        mem = from_dram_config(hw.dram)
        keys = sorted({k for view in ("compressed", "dense")
                       for k in engine_reference.transfers(build_workload(tr, view, precision=hw.precision))})
        cells = {0: [], 1: [], 2: []}
        for nbytes, write, gather in keys:
            if gather:
                p = Pattern("random", nbytes, nbytes // gather)
                samples = 32
            else:
                p = Pattern("sequential", nbytes, hw.dram.request_bytes or hw.dram.burst_bytes, 0, float(write))
                samples = 1024 if nbytes <= 1 << 12 else (512 if nbytes <= 1 << 16 else 64)
            ref = simulate_expected(mem, p, samples).seconds
            err = cf.evaluate_closed(mem, p).seconds / ref - 1
            cells[2 if gather else write].append((nbytes, gather, err))

        def seq(c):
            worst = max(c, key=lambda x: abs(x[2]))
            lo, hi = min(c)[0], max(c)[0]
            return (f"{len(c)} of {lo:,}–{hi:,} B: {min(x[2] for x in c):+.1%} to {max(x[2] for x in c):+.1%} "
                    f"(worst {worst[0]:,} B)")

        rep = "; ".join(f"{g} × {n // g} B: {e:+.1%}" for n, g, e in cells[2])
        rows.append(f"| {preset} | {seq(cells[0])} | {seq(cells[1])} | {rep} | {len(keys)} |")
    return "\n".join(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine-streams", action="store_true", help="also the closed-form vs request-level table")
    ap.add_argument("--shipped-trace", action="store_true",
                    help="only the closed-form vs request-level table on the shipped trace's engine transfers")
    ap.add_argument("--protocols", action="store_true",
                    help="only both models against DRAMSim3 on every protocol (protocols.json): summary and table")
    ap.add_argument("--out", type=Path, help="with --protocols: write the markdown here too")
    args = ap.parse_args()
    if args.protocols:
        rows = protocol_rows()
        text = (protocol_summary(rows) + "\n\n" + protocol_worst(rows) + "\n\n" + protocol_table(rows) + "\n\n"
                + gather_table() + "\n")
        print(text, end="")
        if args.out:
            args.out.write_text(text)
        return 0
    if args.shipped_trace:
        print(shipped_trace_table())
        return 0
    print(dramsim3_table())
    if args.engine_streams:
        print()
        print(engine_table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
