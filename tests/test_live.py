"""``accelsim explore --live``'s answers (accelsim.present.live) and its server, without a browser: a point is
what ``accelsim.simulate`` gives, a refused value is the command line's one line, the tornado is ``accelsim
sensitivity``'s around the point. tests/test_browser.py drives the page itself."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest
from conftest import SAMPLE

from accelsim.base.errors import InputError
from accelsim.cli import app as cli
from accelsim.hardware.area import chip_area
from accelsim.hardware.load import load_hardware
from accelsim.present import live
from accelsim.present.live_server import make_server
from accelsim.simulation.simulate import simulate
from accelsim.trace.analysis import reencode
from accelsim.trace.reader import read_trace

TRACES = [str(SAMPLE)]


def test_a_point_is_what_simulate_gives():
    over = {"dram.gbps": "3.2", "pe.dtype": "bf16"}
    got = live.evaluate({"trace": 0, "preset": "eyeriss-like", "overrides": over}, TRACES)
    cfg = load_hardware("eyeriss-like", over)
    res = simulate(str(SAMPLE), cfg)
    assert (got["speedup"], got["energy_ratio"]) == (res.speedup, res.energy_ratio)
    assert got["area_mm2"] == chip_area(cfg).total_mm2
    assert got["figures"]["compressed"]["cycles"] == res.compressed.totals.cycles
    layers = got["breakdowns"]["dense"]["layer"]
    assert set(layers) == set(res.dense.by_layer) and sum(f[0] for f in layers.values()) == res.dense.totals.cycles


def test_a_format_replays_the_reencoded_trace():
    got = live.evaluate({"trace": 0, "format": "csr"}, TRACES)
    want = simulate(reencode(read_trace(SAMPLE), "csr"), load_hardware(None))
    assert got["speedup"] == want.speedup
    assert got["speedup"] != live.evaluate({"trace": 0}, TRACES)["speedup"]


@pytest.mark.parametrize("req, line", [
    ({"overrides": {"pe.rows": "0"}}, "--set: pe.rows: expected a positive value, got 0"),
    ({"overrides": {"pe.nope": "1"}}, "--set: pe.nope: unknown key"),
    ({"preset": "nope"}, "--hw: nope: unknown preset"),
    ({"format": "zip"}, "--format: zip: expected one of dense, bitmap, csr, group"),
    ({"trace": 3}, "trace: 3: expected an index below 1"),
])
def test_bad_values_are_the_command_lines_one_line(req, line):
    with pytest.raises(InputError) as e:
        live.evaluate(req, TRACES)
    assert e.value.one_line().startswith(line)


def test_the_controls_are_every_hardware_key_at_the_presets_value():
    from accelsim.hardware.config import keys

    c = live.controls("eyeriss-like", TRACES)
    assert c["preset"] == "eyeriss-like" and list(c["values"]) == keys()
    cfg = load_hardware("eyeriss-like")
    assert c["values"]["pe.rows"] == str(cfg.pe.rows)
    # Every value as shown is one --set takes back, giving the same chip.
    assert load_hardware("eyeriss-like", c["values"]) == cfg


def test_the_tornado_is_the_sensitivity_study_around_the_point():
    from accelsim.studies.sensitivity import run_sensitivity

    req = {"trace": 0, "overrides": {"sram.weight_kib": "64"}}
    t = live.tornado(req, TRACES, top=5)
    assert t["baseline"]["speedup"] == live.evaluate(req, TRACES)["speedup"]
    want = run_sensitivity(str(SAMPLE), None, live.TORNADO_VARY, {"sram.weight_kib": "64"}).to_dict()
    assert t["parameters"] == want["parameters"][:5]


def test_the_server_answers_json_and_one_line_errors():
    server = make_server(TRACES, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    def post(path, body):
        req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST")
        try:
            with urllib.request.urlopen(req) as r:
                return r.status, json.load(r)
        except urllib.error.HTTPError as e:
            return e.code, json.load(e)

    try:
        with urllib.request.urlopen(base + "/") as r:
            page = r.read().decode()
        assert "window.live" in page and "<script src" not in page
        assert post("/api/point", {"trace": 0})[1]["speedup"] == simulate(str(SAMPLE)).speedup
        assert post("/api/point", {"overrides": {"pe.rows": "0"}}) == (
            400, {"error": "--set: pe.rows: expected a positive value, got 0"})
        assert post("/api/point", [1])[0] == 400
        assert post("/api/nothing", {})[0] == 404
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@pytest.mark.parametrize("args, words", [
    (["explore"], "SWEEP_DIR: expected one sweep folder"),
    (["explore", "--live", "--port", "70000"], "--port: 70000: expected a port"),
    (["explore", "--live", "--out", "x.html"], "--live: serves a page"),
    (["explore", "--live", "missing.parquet"], "missing.parquet"),
])
def test_bad_explore_arguments_are_one_line_and_exit_2(capsys, args, words):
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err and "Traceback" not in err
