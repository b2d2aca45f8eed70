"""The one output guard (accelsim.cli.app.guard_paths): every command, before any work, refuses an empty path,
an output that is one of its inputs or lies inside an input folder, and a folder output that holds an input;
one line, exit 2, the input unchanged."""

from __future__ import annotations

import argparse
import hashlib
import importlib
import shutil

import pytest
from conftest import ROOT, SAMPLE

from accelsim.cli import app as cli
from accelsim.cli.commands import COMMANDS

INI = ROOT / "tests" / "data" / "dramsim3" / "configs" / "DDR4_8Gb_x16_3200.ini"


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_command_declares_what_it_reads_and_writes():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name in COMMANDS:
        command = importlib.import_module(f"accelsim.cli.commands.{name}")
        dests = {a.dest for a in sub.choices[name]._actions}
        for attr, _flag in command.INPUTS:
            assert attr in dests, (name, attr)
        for attr, _flag, folder in command.OUTPUTS:
            assert attr in dests and isinstance(folder, bool), (name, attr)


@pytest.fixture
def inputs(tmp_path):
    trace = tmp_path / "t.parquet"
    shutil.copy(SAMPLE, trace)
    hw = tmp_path / "chip.toml"
    hw.write_text("[pe]\nrows = 8\n")
    ini = tmp_path / "part.ini"
    shutil.copy(INI, ini)
    return trace, hw, ini


CASES = [
    # (argv with {trace}, {hw}, {ini}, {dir}; the input that must survive, the flag the message names)
    (["run", "{trace}", "--json", "{trace}"], "trace", "--json"),
    (["run", "{trace}", "--hw", "{hw}", "--csv", "{hw}"], "hw", "--csv"),
    (["dram", "--dramsim3-ini", "{ini}", "--pattern", "sequential", "--bytes", "4096", "--json", "{ini}"], "ini",
     "--json"),
    (["dram", "--hw", "{hw}", "--pattern", "sequential", "--bytes", "4096", "--json", "{hw}"], "hw", "--json"),
    (["sensitivity", "{trace}", "--json", "{trace}"], "trace", "--json"),
    (["sensitivity", "{trace}", "--hw", "{hw}", "--plot", "{hw}"], "hw", "--plot"),
    (["timeline", "{trace}", "--hw", "{hw}", "-o", "{hw}"], "hw", "-o"),
    (["compare", "{trace}", "--hw", "{hw}", "--json", "{hw}"], "hw", "--json"),
    (["sweep", "{trace}", "--out", "{dir}", "-q"], "trace", "--out"),  # a folder output holding its input
    (["pack", "{trace}", "{trace}"], "trace", "dst"),
]


@pytest.mark.parametrize("argv,keep,flag", CASES, ids=[f"{c[0][0]}-{c[2]}" for c in CASES])
def test_an_output_onto_an_input_is_refused_before_any_work(inputs, tmp_path, capsys, argv, keep, flag):
    trace, hw, ini = inputs
    paths = {"trace": trace, "hw": hw, "ini": ini}
    before = _digest(paths[keep])
    args = [a.format(trace=trace, hw=hw, ini=ini, dir=tmp_path) for a in argv]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"accelsim: error: {flag}: ")
    assert _digest(paths[keep]) == before


@pytest.mark.parametrize("argv,flag", [
    (["run", ""], "trace"),
    (["validate", ""], "trace"),
    (["run", str(SAMPLE), "--json", ""], "--json"),
    (["sweep", "", "--out", "x"], "traces"),
    (["dram", "--dramsim3-ini", "", "--pattern", "random", "--bytes", "64"], "--dramsim3-ini"),
    (["run", str(SAMPLE), "--hw", ""], "--hw"),
])
def test_an_empty_path_is_refused_not_read_as_not_given(capsys, argv, flag):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"error: {flag}: '': expected a path, got an empty one" in err
