"""The banked DRAM model (accelsim.dram) against DRAMSim3, and its closed forms against its request-level model.

The reference figures in tests/data/dramsim3/ were made by running DRAMSim3 (commit 2981759) on its own
LPDDR4, DDR4 and HBM2 configs with scripts/make_dramsim3_reference.py (``make dramsim3-reference``); the
configs are copied beside them. Nothing here runs DRAMSim3.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from accelsim.base.errors import InputError
from accelsim.dram import Pattern, evaluate, simulate_expected
from accelsim.dram import closed_form as cf
from accelsim.dram.address import decode, layout
from accelsim.dram.dramsim3_ini import read_dramsim3_ini
from accelsim.dram.patterns import burst_stream
from accelsim.dram.presets import from_dram_config
from accelsim.dram.request_model import command_energies_pj
from accelsim.hardware.load import load_preset, preset_names
from accelsim.hardware.memory import load_memory_system

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "dramsim3"
REF = json.loads((DATA / "reference.json").read_text())
CASES = REF["cases"]
IDS = [f"{c['part']}-{c['pattern']}" for c in CASES]


def _mem(case):
    return read_dramsim3_ini(DATA / "configs" / case["config"])


def _pattern(case) -> Pattern:
    return Pattern(kind=case["kind"], total_bytes=case["total_bytes"], request_bytes=case["request_bytes"],
                   stride_bytes=case["stride_bytes"], write_fraction=case["write_fraction"], seed=case["seed"])


# --- the reference itself --------------------------------------------------------------------------------

def test_reference_came_from_dramsim3_on_its_shipped_configs():
    assert REF["dramsim3_commit"] == "2981759"
    assert set(REF["parts"]) == {"LPDDR4", "DDR4", "HBM2"}
    for part in REF["parts"].values():
        data = (DATA / "configs" / part["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == part["sha256"], "the copied config is not the one DRAMSim3 ran"
    kinds = {(c["kind"], c["write_fraction"] > 0) for c in CASES}
    assert {("sequential", False), ("sequential", True), ("strided", False), ("random", False),
            ("random", True)} <= kinds
    assert len(CASES) == 30 and all(c["act_cmds"] > 0 and c["cycles"] > 0 for c in CASES)
    # our trace driver limited to one request per cycle issues what dramsim3main issues
    chk = REF["driver_check"]
    assert chk["driver_per_cycle_1"] == chk["dramsim3main"]


# --- ours against DRAMSim3 ---------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_request_model_within_15pct_of_dramsim3(case):
    s = evaluate(_mem(case), _pattern(case), "request")
    assert s.effective_gbps == pytest.approx(case["effective_gbps"], rel=0.15)
    assert s.row_hit_rate == pytest.approx(case["row_hit_rate"], abs=0.05)
    # same IDD energy model (DRAMSim3 counts no I/O; a DRAMSim3 config has none here either)
    assert s.core_pj_per_bit == pytest.approx(case["energy_pj_per_bit"], rel=0.15)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_closed_forms_within_15pct_of_dramsim3(case):
    s = evaluate(_mem(case), _pattern(case), "closed")
    assert s.effective_gbps == pytest.approx(case["effective_gbps"], rel=0.15)
    assert s.row_hit_rate == pytest.approx(case["row_hit_rate"], abs=0.05)


def test_cli_json_matches_dramsim3(tmp_path):
    case = next(c for c in CASES if c["part"] == "DDR4" and c["pattern"] == "seq_read")
    out = tmp_path / "d.json"
    r = subprocess.run([sys.executable, "-m", "accelsim.cli", "dram", "--dramsim3-ini",
                        str(DATA / "configs" / case["config"]), "--pattern", "sequential", "--bytes",
                        str(case["total_bytes"]), "--request-bytes", str(case["request_bytes"]), "--json", str(out)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "effective bandwidth" in r.stdout and "row-hit rate" in r.stdout and "energy per bit" in r.stdout
    d = json.loads(out.read_text())
    for key in ("effective_gbps", "bus_gbps", "row_hit_rate", "energy_pj_per_bit"):  # the public interface
        assert isinstance(d[key], float)
    assert d["effective_gbps"] == pytest.approx(case["effective_gbps"], rel=0.15)
    assert d["model"] == "request" and d["closed_form"]["effective_gbps"] > 0 and d["schema"] == "accelsim.dram/1"


def test_dram_json_is_what_docs_contracts_md_documents():
    from conftest import contract_sections

    from accelsim.dram.report import to_dict

    top, parts, part, pattern = contract_sections()["DRAM JSON"][1]
    mem = _mem(CASES[0])
    pat = Pattern("sequential", 1 << 14, 4096)
    d = to_dict(mem, pat, evaluate(mem, pat, "request"), evaluate(mem, pat, "closed"))
    assert list(d) == top
    assert list(d["energy_parts_pj"]) == parts and list(d["part"]) == part and list(d["pattern"]) == pattern
    assert set(d["closed_form"]) == set(top[top.index("effective_gbps"):top.index("model") + 1])


# --- the closed forms against the request-level model, on the streams the engines produce ---------------

def _parts():
    parts = {p: read_dramsim3_ini(DATA / "configs" / REF["parts"][p]["file"]) for p in REF["parts"]}
    parts.update({n: from_dram_config(load_preset(n).dram) for n in preset_names()})
    # banks below the column with channels below it too: DDR4's default map (bank groups per burst) on two
    # channels. (The same map on HBM2's part is not held: its 1 KiB sequential reads come out 16-18 % slow.)
    parts["ddr4-2ch-bg"] = from_dram_config(replace(load_preset("nvdla-small").dram, channels=2))
    return parts


PARTS = _parts()
#: One part of each kind in the fast suite (the other presets repeat edge-lpddr4's LPDDR4 x16); all in slow.
FAST_PARTS = ["LPDDR4", "DDR4", "HBM2", "edge-lpddr4", "eyeriss-like", "nvdla-small", "nvdla-large",
              "orin-nano-class", "ddr4-2ch-bg"]
SEQ_FAST = [1 << 10, 1 << 14, 1 << 18]
SEQ_SLOW = [1 << 20, 1 << 22]


def _samples(nbytes: int) -> int:
    # A refresh hits a short transfer at only a few points of the schedule: sample it finely (short runs
    # are cheap); long transfers average over the schedule by themselves.
    if nbytes <= 1 << 12:
        return 1024
    return 128 if nbytes <= 1 << 14 else (16 if nbytes <= 1 << 18 else 4)


def _check_closed_against_request(part: str, pattern: Pattern, rel: float) -> None:
    mem = PARTS[part]
    r = simulate_expected(mem, pattern, samples=_samples(pattern.total_bytes))
    c = cf.evaluate_closed(mem, pattern)
    assert c.seconds == pytest.approx(r.seconds, rel=rel), f"{part} {pattern}"
    assert c.activations == pytest.approx(r.activations, rel=0.15, abs=2)


@pytest.mark.parametrize("write", [False, True], ids=["read", "write"])
@pytest.mark.parametrize("nbytes", SEQ_FAST)
@pytest.mark.parametrize("part", FAST_PARTS)
def test_closed_forms_within_5pct_of_request_model_sequential(part, nbytes, write):
    _check_closed_against_request(part, Pattern("sequential", nbytes, 4096, 0, 1.0 if write else 0.0), 0.05)


@pytest.mark.slow
@pytest.mark.parametrize("write", [False, True], ids=["read", "write"])
@pytest.mark.parametrize("nbytes", SEQ_FAST + SEQ_SLOW)
@pytest.mark.parametrize("part", sorted(PARTS))
def test_closed_forms_within_5pct_of_request_model_sequential_all(part, nbytes, write):
    _check_closed_against_request(part, Pattern("sequential", nbytes, 4096, 0, 1.0 if write else 0.0), 0.05)


#: The replay batch: B = 256 rows of a HalfCheetah (168 B) and a Humanoid (2860 B) transition, at random
#: row-aligned addresses. Short random transfers are where the closed forms are weakest: bank conflicts, the
#: activate window and the in-order front end interact, and the closed forms take the largest of their
#: bounds (docs/model.md §10 has the table). Sequential streams hold 5 %; these hold 10 %, but for the
#: measured exceptions below (against the request-level model's mean over 32 draws: DDR4 168 B -9.1 %,
#: 2860 B +9.4 %; HBM2 2860 B -12.8 %; 16 draws here move these by a point or two).
REPLAY_ROWS = [168, 2860]
REPLAY_LOOSE = {("DDR4", 168): 0.12, ("DDR4", 2860): 0.12, ("HBM2", 2860): 0.15}


def _check_replay(part: str, row: int) -> None:
    mem = PARTS[part]
    pattern = Pattern("random", 256 * row, row)
    r = simulate_expected(mem, pattern, samples=16)
    c = cf.evaluate_closed(mem, pattern)
    assert c.seconds == pytest.approx(r.seconds, rel=REPLAY_LOOSE.get((part, row), 0.10)), part
    assert c.activations == pytest.approx(r.activations, rel=0.15)


@pytest.mark.parametrize("row", REPLAY_ROWS)
@pytest.mark.parametrize("part", FAST_PARTS)
def test_closed_forms_on_the_replay_batch(part, row):
    _check_replay(part, row)


@pytest.mark.slow
@pytest.mark.parametrize("row", REPLAY_ROWS)
@pytest.mark.parametrize("part", sorted(set(PARTS) - set(FAST_PARTS)))
def test_closed_forms_on_the_replay_batch_other_presets(part, row):
    _check_replay(part, row)


# --- pieces of the model ------------------------------------------------------------------------------------

def test_ini_derives_ranks_and_request_size_as_dramsim3():
    lp = PARTS["LPDDR4"].part
    assert lp.org.ranks == 2 and lp.org.burst_bytes == 128 and lp.org.row_bytes == 8192  # 4 x16 dies, 8 GiB
    assert lp.peak_gbps == pytest.approx(19.277, rel=1e-3)
    hbm = PARTS["HBM2"]
    assert hbm.part.org.channels == 8 and hbm.part.org.columns == 128 and hbm.part.org.row_bytes == 2048
    assert hbm.controller.dual_command and hbm.part.peak_gbps == pytest.approx(256.0)


def test_address_map_as_dramsim3_decodes_it():
    mem = PARTS["DDR4"]  # rochrababgco: column lowest, then bank group, bank, rank, (channel), row
    org = mem.part.org
    d = decode(np.array([0, 64, 8192, 16384, 65536, 131072, 1 << 20]), org, layout(org, mem.controller.address_map))
    assert d.column.tolist() == [0, 1, 0, 0, 0, 0, 0]
    assert d.bankgroup.tolist() == [0, 0, 1, 0, 0, 0, 0]
    assert d.bank.tolist() == [0, 0, 4, 1, 8, 0, 0]  # (rank · groups + group) · banks per group + bank
    assert d.rank.tolist() == [0, 0, 0, 0, 1, 0, 0]
    assert d.row.tolist() == [0, 0, 0, 0, 0, 1, 8]


def test_command_energies_follow_dramsim3_times_tck():
    mem = PARTS["DDR4"]
    p, t, w = mem.part, mem.part.timing, mem.part.power
    e = command_energies_pj(mem)
    dev = p.org.devices_per_rank
    assert e["act"] == pytest.approx(w.vdd_v * (w.idd0_ma * t.trc_ck - (w.idd3n_ma * t.tras_ck + w.idd2n_ma * t.trp_ck))
                                     * dev * t.tck_ns)
    assert e["read"] == pytest.approx(w.vdd_v * (w.idd4r_ma - w.idd3n_ma) * p.burst_ck * dev * t.tck_ns)


def test_presets_map_to_parts_with_their_peak():
    for name in preset_names():
        hw = load_preset(name)
        mem = from_dram_config(hw.dram, name)
        assert mem.part.peak_gbps == pytest.approx(hw.dram.peak_gbps, rel=1e-9), name
        assert mem.part.org.row_bytes == hw.dram.row_bytes and mem.part.org.burst_bytes == hw.dram.burst_bytes
    # dram.gbps overrides the peak: the same part at the data rate that gives it
    slow = load_memory_system("edge-lpddr4", None, {"dram.gbps": "6.4"})
    assert slow.part.peak_gbps == pytest.approx(6.4)


def test_more_banks_in_flight_never_slower_and_writes_cost_turnarounds():
    mem = PARTS["edge-lpddr4"]
    base = Pattern("sequential", 1 << 16, 4096)
    rd = evaluate(mem, base, "closed").seconds
    mix = evaluate(mem, replace(base, write_fraction=0.5), "closed").seconds
    assert mix > rd
    narrow = evaluate(mem, replace(base, requests_in_flight=1), "request").seconds
    assert narrow >= evaluate(mem, base, "request").seconds


# --- bad input: one line, exit 2 -----------------------------------------------------------------------------

@pytest.mark.parametrize("args,needle", [
    (["--pattern", "random", "--bytes", "0"], "--bytes"),
    (["--pattern", "random", "--bytes", "4096", "--write-fraction", "1.5"], "--write-fraction"),
    (["--pattern", "strided", "--bytes", "4096"], "--stride"),
    (["--pattern", "sideways", "--bytes", "4096"], "--pattern"),
    (["--pattern", "random", "--bytes", "many"], "--bytes"),
    (["--dramsim3-ini", "no/such.ini", "--pattern", "random", "--bytes", "4096"], "no/such.ini"),
    (["--set", "dram.tfaw_ns=-1", "--pattern", "random", "--bytes", "4096"], "dram.tfaw_ns"),
    (["--set", "dram.address_map=rorochbgbaco", "--pattern", "random", "--bytes", "4096"], "dram.address_map"),
])
def test_bad_input_is_one_line_and_exit_2(args, needle):
    r = subprocess.run([sys.executable, "-m", "accelsim.cli", "dram", *args], capture_output=True, text=True,
                       cwd=ROOT)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in r.stderr


def test_bad_ini_names_file_and_field(tmp_path):
    ini = tmp_path / "bad.ini"
    ini.write_text((DATA / "configs" / "DDR4_8Gb_x16_3200.ini").read_text().replace("tRCD = 22", "tRCD = soon"))
    with pytest.raises(InputError, match=r"bad\.ini: timing\.tRCD: expected an integer"):
        read_dramsim3_ini(ini)
    ini.write_text("[dram_structure]\nprotocol = DDR4\n[system]\nrow_buf_policy = CLOSE_PAGE\n")
    with pytest.raises(InputError, match="row_buf_policy: only OPEN_PAGE"):
        read_dramsim3_ini(ini)
    with pytest.raises(InputError, match=r"timing\.tBOGUS: unknown key"):
        read_dramsim3_ini(DATA / "configs" / "DDR4_8Gb_x16_3200.ini", {"timing.tBOGUS": "3"})


def test_ini_reads_numbers_as_dramsim3_does(tmp_path):
    # inih's strtol/strtod: a leading number counts, an empty value is the default; no number at all is refused
    text = (DATA / "configs" / "HBM2_8Gb_x128.ini").read_text()
    ini = tmp_path / "h.ini"
    ini.write_text(text.replace("tCK = 1", "tCK = 1.0 (2 Gb/s)").replace("tRFC = 260", "tRFC = "))
    mem = read_dramsim3_ini(ini)
    assert mem.part.timing.tck_ns == 1.0 and mem.part.timing.trfc_ck == 74  # DRAMSim3's default tRFC


def test_pattern_stream_is_what_dramsim3_ran():
    case = next(c for c in CASES if c["part"] == "HBM2" and c["pattern"] == "random_row_read")
    s = burst_stream(_pattern(case), _mem(case))
    assert s.addr.size == case["bursts"] and s.addr.size * case["burst_bytes"] == case["total_bytes"]


@pytest.mark.parametrize("n, bins", [(10, 8), (256, 64), (1024, 8), (65536, 8), (1 << 20, 16)])
def test_expected_max_load_is_the_mean_busiest_bin(n, bins):
    """The busiest channel's (or bank's) expected load, balls into bins, against 400 throws of numpy's generator:
    within 3 standard errors. At 65,536 over 8 it was 9,290 against 8,321 while exp(-n/bins) underflowed."""
    rng = np.random.default_rng(1)
    maxes = [np.bincount(rng.integers(0, bins, n), minlength=bins).max() for _ in range(400)]
    want, se = float(np.mean(maxes)), float(np.std(maxes)) / 20.0
    assert cf.expected_max_load(n, bins) == pytest.approx(want, abs=max(3 * se, 0.05 * want if n < 100 else 0.0))
