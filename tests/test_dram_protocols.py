"""Both DRAM models against DRAMSim3 on every protocol its configs folder ships (issue 24, items 1 and 3).

The figures in tests/data/dramsim3/protocols.json were made by running DRAMSim3 (commit 2981759) on its own
configs, unchanged — DDR3, DDR4 at x4/x8/x16, LPDDR3, LPDDR4, GDDR5, GDDR5X, GDDR6, HBM and HBM2, two speed
grades where the folder has them — over the access patterns a training run makes, with
scripts/make_dramsim3_reference.py (``make dramsim3-reference``); the configs are copied beside them. Nothing
here runs DRAMSim3. ``scripts/dram_tables.py --protocols`` prints the table of every case (docs/benchmarks.md).

Bandwidth is useful bytes over time on both sides (DRAMSim3's ``useful_gbps``, our ``effective_gbps``): a
request smaller than a burst moves a whole burst, and that is what it costs. Energy is the IDD core per useful
bit (DRAMSim3's figure, per bus bit, scaled by bus / useful bytes).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pytest

from accelsim.dram import Pattern, evaluate
from accelsim.dram import closed_form as cf
from accelsim.dram.dramsim3_ini import read_dramsim3_ini

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "dramsim3"
REF = json.loads((DATA / "protocols.json").read_text())
CASES = REF["cases"]
IDS = [f"{c['part']}-{c['pattern']}" for c in CASES]
#: What both models are held to against DRAMSim3, on effective bandwidth and core energy per bit.
TOL = 0.15

#: Cases the closed forms miss by more than 15 % (measured error of effective bandwidth; + = too fast), each held
#: to its recorded error ± 3 points, so a change that moves one (better or worse) shows here and the list is
#: updated with the table in docs/benchmarks.md. None now: the 24 B random mixes on HBM/HBM2 (19-22 % slow) came
#: within once the busiest channel's expected load stopped overflowing (closed_form.expected_max_load summed
#: P(max >= k) = 1 up to 12 sigma above the mean where exp(-lam) underflows, lam > 745).
#: The replay gathers (gather_168, gather_2860) are one address draw here: the closed forms, an expectation over
#: where the rows fall, are held to DRAMSim3's mean over 8 draws instead (gathers.json, below; HBM2's draw 0 of
#: gather_168 is 19 % slower than that mean).
CLOSED_MISSES: dict[tuple[str, str], float] = {}
GATHER_PATTERNS = ("gather_168", "gather_2860")
#: DRAMSim3 on the replay gathers at 8 address seeds (seed 0 is protocols.json's case), every part.
GATHERS = json.loads((DATA / "gathers.json").read_text())
#: Energy the closed forms miss by more than 15 % (none now; it follows the time through background power).
CLOSED_ENERGY_MISSES: set[tuple[str, str]] = set()

#: One case of each kind, run in the fast suite; every case runs in the slow one.
FAST = {("GDDR6_8Gb_x16", "random_small_read"), ("GDDR5_8Gb_x32", "gather_2860"), ("DDR3_8Gb_x8_1866", "seq_read_24B"),
        ("LPDDR3_8Gb_x32_1333", "strided_24B_512"), ("DDR4_8Gb_x4_2400", "seq_mix_w33"),
        ("HBM_4Gb_x128", "random_small_mix"), ("GDDR5X_8Gb_x32", "strided_256_1k_write")}


def _mem(case):
    return read_dramsim3_ini(DATA / "configs" / case["config"])


def _pattern(case) -> Pattern:
    return Pattern(kind=case["kind"], total_bytes=case["total_bytes"], request_bytes=case["request_bytes"],
                   stride_bytes=case["stride_bytes"], write_fraction=case["write_fraction"], seed=case["seed"])


def _ref_pj_per_useful_bit(case) -> float:
    bus = (case["read_cmds"] + case["write_cmds"]) * case["burst_bytes"]
    return case["energy_pj_per_bit"] * bus / case["total_bytes"]


def _params(fast_only: bool):
    out = []
    for c, i in zip(CASES, IDS, strict=True):
        fast = (c["part"], c["pattern"]) in FAST
        if fast_only and not fast:
            continue
        out.append(pytest.param(c, id=i, marks=() if fast_only else (pytest.mark.slow,)))
    return out


# --- the reference itself --------------------------------------------------------------------------------

def test_reference_covers_every_protocol_dramsim3_ships():
    assert REF["dramsim3_commit"] == "2981759"
    for part in REF["parts"].values():
        data = (DATA / "configs" / part["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == part["sha256"], "the copied config is not the one DRAMSim3 ran"
    protocols = {c["protocol"] for c in CASES}
    # DRAMSim3's HBM2 configs say ``protocol = HBM``; HBM and HBM2 differ in their timings and rate
    assert protocols == {"DDR3", "DDR4", "LPDDR3", "LPDDR4", "GDDR5", "GDDR5X", "GDDR6", "HBM"}
    mems = {p: read_dramsim3_ini(DATA / "configs" / v["file"]) for p, v in REF["parts"].items()}
    assert {m.part.org.device_width_bits for m in mems.values() if m.part.protocol == "DDR4"} == {4, 8, 16}
    for proto in ("DDR3", "DDR4", "LPDDR3", "HBM"):  # more than one speed grade where the folder has them
        assert len({m.part.timing.tck_ns for m in mems.values() if m.part.protocol == proto}) >= 2, proto
    # sequential, strided, random and gathered; reads, writes and mixes; requests under and over a burst
    kinds = {(c["kind"], c["write_fraction"]) for c in CASES}
    assert {"sequential", "strided", "random"} == {k for k, _ in kinds}
    assert {0.0, 1.0} <= {w for _, w in kinds} and any(0 < w < 1 for _, w in kinds)
    assert any(0 < c["request_bytes"] < c["burst_bytes"] for c in CASES)
    assert any(c["request_bytes"] > c["burst_bytes"] and c["request_bytes"] % c["burst_bytes"] for c in CASES)
    assert all(c["act_cmds"] > 0 and c["cycles"] > 0 for c in CASES)
    assert len(CASES) == len(REF["parts"]) * len(REF["patterns"])


# --- both models against DRAMSim3 ---------------------------------------------------------------------------

def _check_request(case):
    s = evaluate(_mem(case), _pattern(case), "request")
    assert s.effective_gbps == pytest.approx(case["useful_gbps"], rel=TOL)
    assert s.row_hit_rate == pytest.approx(case["row_hit_rate"], abs=0.05)
    assert s.core_pj_per_bit == pytest.approx(_ref_pj_per_useful_bit(case), rel=TOL)


def _check_closed(case):
    s = evaluate(_mem(case), _pattern(case), "closed")
    key = (case["part"], case["pattern"])
    err = s.effective_gbps / case["useful_gbps"] - 1
    if case["pattern"] in GATHER_PATTERNS:
        # an expectation over address draws: held to the mean over draws (test_gathers_... below)
        assert s.row_hit_rate == pytest.approx(case["row_hit_rate"], abs=0.05)
        return
    if key in CLOSED_MISSES:
        assert err == pytest.approx(CLOSED_MISSES[key], abs=0.03), f"{key}: {err:+.1%} (update CLOSED_MISSES)"
    else:
        assert abs(err) <= TOL, f"{key}: {err:+.1%}"
    assert s.row_hit_rate == pytest.approx(case["row_hit_rate"], abs=0.05)
    if key not in CLOSED_ENERGY_MISSES:
        assert s.core_pj_per_bit == pytest.approx(_ref_pj_per_useful_bit(case), rel=TOL)


@pytest.mark.parametrize("case", _params(fast_only=True))
def test_request_model_within_15pct_of_dramsim3_sample(case):
    _check_request(case)


@pytest.mark.parametrize("case", _params(fast_only=True))
def test_closed_forms_within_15pct_of_dramsim3_sample(case):
    _check_closed(case)


@pytest.mark.parametrize("case", _params(fast_only=False))
def test_request_model_within_15pct_of_dramsim3(case):
    _check_request(case)


@pytest.mark.parametrize("case", _params(fast_only=False))
def test_closed_forms_within_15pct_of_dramsim3(case):
    _check_closed(case)


# --- the replay gather, over address draws -----------------------------------------------------------------

def _gather_groups():
    groups: dict[tuple[str, str], list[dict]] = {}
    for c in GATHERS["cases"]:
        groups.setdefault((c["part"], c["pattern"]), []).append(c)
    return groups


GATHER_GROUPS = _gather_groups()


def test_gather_reference_is_protocols_draw_0_and_more():
    assert GATHERS["dramsim3_commit"] == REF["dramsim3_commit"] and GATHERS["seeds"] == list(range(8))
    assert set(GATHER_GROUPS) == {(p, g) for p in REF["parts"] for g in GATHER_PATTERNS}
    first = {(c["part"], c["pattern"]): c for c in CASES if c["pattern"] in GATHER_PATTERNS}
    for key, cs in GATHER_GROUPS.items():
        assert [c["seed"] for c in cs] == GATHERS["seeds"]
        assert cs[0]["cycles"] == first[key]["cycles"]  # seed 0 is the protocols.json case, run again


def _mean_gbps(cs) -> float:
    """Useful bytes over the mean time of the draws (the expectation of the gather's time)."""
    return cs[0]["total_bytes"] / (sum(c["cycles"] * c["tck_ns"] for c in cs) / len(cs))


@pytest.mark.parametrize("key", sorted(GATHER_GROUPS), ids=lambda k: f"{k[0]}-{k[1]}")
def test_gathers_within_15pct_of_dramsim3_mean_over_draws(key):
    """The replay batch (256 rows of 168 B or 2860 B at random row-aligned places): the closed form the engines
    charge (an expectation over where the rows fall and over the refresh schedule) and the request-level model
    (on the same 8 draws) within 15 % of DRAMSim3's mean; core energy per bit beside it."""
    cs = GATHER_GROUPS[key]
    mem = _mem(cs[0])
    ref = _mean_gbps(cs)
    closed = evaluate(mem, _pattern(cs[0]), "closed")
    assert closed.effective_gbps == pytest.approx(ref, rel=TOL), key
    req_s = sum(evaluate(mem, _pattern(c), "request").seconds for c in cs) / len(cs)
    assert cs[0]["total_bytes"] / req_s / 1e9 == pytest.approx(ref, rel=TOL), key
    ref_pj = sum(_ref_pj_per_useful_bit(c) for c in cs) / len(cs)
    assert closed.core_pj_per_bit == pytest.approx(ref_pj, rel=TOL), key


# --- constraints DRAMSim3 enforces ------------------------------------------------------------------------

def test_t32aw_read_on_gddr_only():
    gddr = read_dramsim3_ini(DATA / "configs" / "GDDR6_8Gb_x16.ini")
    assert gddr.part.timing.t32aw_ck == 420
    # DRAMSim3 reads t32AW (default 330) but enforces it only on GDDR (channel_state.cc ActivationWindowOk)
    assert read_dramsim3_ini(DATA / "configs" / "HBM_4Gb_x128.ini").part.timing.t32aw_ck == 0
    assert read_dramsim3_ini(DATA / "configs" / "DDR4_8Gb_x16_3200.ini").part.timing.t32aw_ck == 0
    assert cf.pack_system(gddr)[cf.DRAM_PART.faw32_ck] == 420


@pytest.mark.parametrize("model", ["request", "closed"])
def test_t32aw_bounds_random_activations_on_gddr(model):
    # GDDR6's 32 ACTIVATEs per 420 cycles (13.1 a piece) bind before four per tFAW (8) and tRRD (9): one-burst
    # random reads move at most 32 bursts of 256 B per t32AW
    mem = read_dramsim3_ini(DATA / "configs" / "GDDR6_8Gb_x16.ini")
    t = mem.part.timing
    pat = Pattern("random", 1 << 20, 0)
    bound = 32 * mem.part.org.burst_bytes / (t.t32aw_ck * t.tck_ns)
    with_window = evaluate(mem, pat, model).effective_gbps
    free = replace(mem, part=replace(mem.part, timing=replace(t, t32aw_ck=0)))
    without = evaluate(free, pat, model).effective_gbps
    assert with_window <= bound * 1.01
    assert without > with_window * 1.3


# --- requests smaller than a burst ------------------------------------------------------------------------

@pytest.mark.parametrize("kind,stride", [("sequential", 0), ("strided", 512)])
def test_sub_burst_requests_move_whole_bursts(kind, stride):
    # a 24 B request moves a whole 64 B burst: the closed forms count bursts (bus bytes, time and energy) as the
    # request-level model and DRAMSim3 do; effective bandwidth is the useful bytes over that time
    mem = read_dramsim3_ini(DATA / "configs" / "DDR3_8Gb_x8_1600.ini")
    pat = Pattern(kind, 24 * 4096, 24, stride)
    r, c = evaluate(mem, pat, "request"), evaluate(mem, pat, "closed")
    assert c.bus_bytes == r.bus_bytes == 4096 * 64
    assert c.effective_gbps == pytest.approx(24 / 64 * c.bus_gbps)
    assert c.seconds == pytest.approx(r.seconds, rel=0.05)
    # the same requests of a whole burst each take the same time and energy (only the useful bytes differ)
    whole = evaluate(mem, replace(pat, total_bytes=64 * 4096, request_bytes=64), "closed")
    assert c.seconds == pytest.approx(whole.seconds, rel=1e-9)
    assert c.energy_core_pj == pytest.approx(whole.energy_core_pj, rel=1e-9)
