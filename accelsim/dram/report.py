"""``accelsim dram`` output: a short text table and the JSON record (a public, add-only interface).

JSON fields (units in the names; ``gbps`` = 1e9 B/s):

* ``effective_gbps``: useful bytes / time; ``bus_gbps``: bytes of the bursts moved / time (a request is
  rounded up to whole bursts); ``peak_gbps``: the part's data-bus peak;
* ``row_hit_rate``: share of READ/WRITE commands that found their row open;
* ``energy_pj_per_bit``: (IDD core + interface) energy per useful bit; ``core_energy_pj_per_bit``: the IDD
  part alone (what DRAMSim3 reports); ``io_energy_pj_per_bit``: the interface part;
* ``seconds``, ``useful_bytes``, ``bus_bytes``, ``activations``, ``refreshes``, ``energy_parts_pj``;
* ``model`` ("request" or "closed"), ``closed_form`` (the closed forms' figures beside a request-level run),
  ``part`` and ``pattern`` (what was run), ``schema`` ("accelsim.dram/1").
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from accelsim.dram.part import MemorySystem
from accelsim.dram.patterns import Pattern
from accelsim.dram.request_model import DRAMStats

SCHEMA = "accelsim.dram/1"


def _figures(s: DRAMStats) -> dict[str, Any]:
    bits = 8 * s.useful_bytes
    return {
        "effective_gbps": s.effective_gbps, "bus_gbps": s.bus_gbps, "peak_gbps": s.peak_gbps,
        "row_hit_rate": s.row_hit_rate, "energy_pj_per_bit": s.energy_pj_per_bit,
        "core_energy_pj_per_bit": s.core_pj_per_bit, "io_energy_pj_per_bit": s.energy_io_pj / bits,
        "seconds": s.seconds, "useful_bytes": s.useful_bytes, "bus_bytes": s.bus_bytes,
        "activations": s.activations, "refreshes": s.refreshes, "energy_parts_pj": dict(s.energy_parts_pj),
        "model": s.model,
    }


def to_dict(mem: MemorySystem, pattern: Pattern, stats: DRAMStats, closed: DRAMStats | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"schema": SCHEMA, **_figures(stats)}
    if closed is not None:
        out["closed_form"] = _figures(closed)
    p = mem.part
    out["part"] = {"name": p.name, "protocol": p.protocol, **asdict(p.org), "tck_ns": p.timing.tck_ns,
                   "burst_bytes": p.org.burst_bytes, "row_bytes": p.org.row_bytes,
                   "address_map": mem.controller.address_map, "queue_depth": mem.controller.queue_depth,
                   "bank_queue_depth": mem.controller.bank_queue_depth,
                   "write_queue_depth": mem.controller.write_queue_depth}
    out["pattern"] = asdict(pattern)
    return out


def to_json(mem: MemorySystem, pattern: Pattern, stats: DRAMStats, closed: DRAMStats | None = None) -> str:
    return json.dumps(to_dict(mem, pattern, stats, closed), indent=2) + "\n"


def text(mem: MemorySystem, pattern: Pattern, s: DRAMStats, closed: DRAMStats | None = None) -> str:
    p, o = mem.part, mem.part.org
    req = pattern.request_bytes or o.burst_bytes
    lines = [
        f"part      {p.name} ({p.protocol}: {o.channels} ch x {o.ranks} rank x {o.bankgroups}x{o.banks_per_group} "
        f"banks, {o.bus_width_bits}-bit, {o.burst_bytes} B bursts, {o.row_bytes} B rows, tCK {p.timing.tck_ns:g} ns; "
        f"map {mem.controller.address_map})",
        f"pattern   {pattern.kind}, {pattern.total_bytes:,} B in {req:,} B requests"
        + (f" every {pattern.stride_bytes:,} B" if pattern.kind == "strided" else "")
        + f", {pattern.write_fraction:.0%} writes"
        + (f", {pattern.requests_in_flight} in flight" if pattern.requests_in_flight else ""),
        f"model     {'request-level (cycle-stepped controller)' if s.model == 'request' else 'closed forms'}",
        "",
        f"effective bandwidth  {s.effective_gbps:10.3f} GB/s  ({s.effective_gbps / s.peak_gbps:.1%} of the "
        f"{s.peak_gbps:.2f} GB/s peak)",
        f"bus bandwidth        {s.bus_gbps:10.3f} GB/s",
        f"time                 {s.seconds * 1e6:10.3f} us",
        f"row-hit rate         {s.row_hit_rate:10.1%}",
        f"activations          {s.activations:10.0f}   refreshes {s.refreshes:.0f}",
        f"energy per bit       {s.energy_pj_per_bit:10.3f} pJ  (core {s.core_pj_per_bit:.3f}: "
        + ", ".join(f"{k} {v / (8 * s.useful_bytes):.3f}" for k, v in s.energy_parts_pj.items())
        + f"; I/O {s.energy_io_pj / (8 * s.useful_bytes):.3f})",
    ]
    if closed is not None:
        lines.append(f"closed forms         {closed.effective_gbps:10.3f} GB/s  "
                     f"({closed.seconds / s.seconds - 1:+.1%} time; expected over the refresh schedule)")
    return "\n".join(lines) + "\n"
