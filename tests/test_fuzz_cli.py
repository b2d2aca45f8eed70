"""Extreme values at the command line, in-process: every case exits 0 with finite figures or 2 with one line.

A fixed grid (not random, so a failure names its case): NaN, ±inf, -1, 0, 2^63, 1e308, an empty string and a
negative fraction, into the numeric keys and flags of run, dram, timeline, synth, sensitivity, compare and
sweep. Found and fixed with it: a 2^63 DRAM stride (OverflowError). The fuller fuzzing the hostile-input work
asks for (generated from docs/contracts.md, with hypothesis) is tests/test_fuzz_contracts.py.
"""

from __future__ import annotations

import contextlib
import io
import signal

import pytest

from accelsim.cli import app

VALUES = ["nan", "inf", "-inf", "-1", "0", str(2**63), "1e308", "", "-0.5"]
CASES = {
    "run": [["--set", "dram.gbps={v}"], ["--set", "pe.rows={v}"], ["--set", "sram.weight_kib={v}"],
            ["--set", "clock.mhz={v}"], ["--set", "tech.vdd_v={v}"], ["--set", "dram.trcd_ns={v}"],
            ["--set", "pe.mac_pj={v}"]],
    "dram": [["--pattern", "random", "--bytes", "{v}"],
             ["--pattern", "sequential", "--bytes", "4096", "--request-bytes", "{v}"],
             ["--pattern", "strided", "--bytes", "4096", "--stride", "{v}"],
             ["--pattern", "random", "--bytes", "4096", "--set", "dram.tfaw_ns={v}"],
             ["--pattern", "random", "--bytes", "4096", "--set", "dram.data_rate_mtps={v}"]],
    "timeline": [["--step", "{v}", "-o", "t.json"]],
    "synth": [["--out", "synthetic.parquet", "--steps", "{v}"], ["--out", "synthetic.parquet", "--batch", "{v}"]],
    "sensitivity": [["--vary", "{v}", "-q"]],
    "compare": [["--group", "{v}", "4"]],
    "sweep": [["--set", "dram.gbps=1,{v}", "--out", "sw_{i}", "-q"], ["--chunk", "{v}", "--out", "swc_{i}", "-q"]],
}


class _Timeout(Exception):
    pass


def _alarm(*_):
    raise _Timeout


def test_extreme_values_exit_0_with_finite_figures_or_2_in_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    old = signal.signal(signal.SIGALRM, _alarm)
    bad, i = [], 0
    try:
        for cmd, variants in CASES.items():
            for var in variants:
                for v in VALUES:
                    i += 1
                    argv = [cmd] + [a.format(v=v, i=i) for a in var]
                    out, err = io.StringIO(), io.StringIO()
                    signal.alarm(60)
                    try:
                        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                            code = app.main(argv)
                    except SystemExit as e:  # argparse's own refusals
                        code = e.code
                    except _Timeout:
                        code = "hang (> 60 s)"
                    except Exception as e:
                        code = f"{type(e).__name__}: {e}"
                    finally:
                        signal.alarm(0)
                    text = out.getvalue().lower()
                    lines = err.getvalue().strip().splitlines()
                    if code == 2 and len(lines) != 1:
                        bad.append((argv, "exit 2 but not one line", lines[-3:]))
                    elif code == 0 and ("nan" in text.split() or "inf" in text.split()):
                        bad.append((argv, "a non-finite figure printed at exit 0", ""))
                    elif code not in (0, 2):
                        bad.append((argv, code, lines[-1:] if lines else ""))
    finally:
        signal.signal(signal.SIGALRM, old)
    assert bad == [], bad
    assert i == len(VALUES) * sum(len(v) for v in CASES.values())  # every case ran


@pytest.mark.parametrize("argv", [["run", "--set", "dram.gbps=nan"], ["dram", "--pattern", "random", "--bytes", "-1"]])
def test_a_refusal_names_what_to_change(capsys, argv):
    assert app.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and (argv[-1].split("=")[0] in err or "--bytes" in err)
