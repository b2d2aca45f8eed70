"""Fuzzing generated from docs/contracts.md: every command, flag and hardware key, in-process, with hypothesis.

The commands and their flags come from the "Command line" tables, the keys from "Hardware keys" (parsed by
``conftest.contract_sections``, as tests/test_contracts.py does); how each flag takes a value (a number, a choice,
a path, text) comes from the command's own parser and its ``INPUTS``/``OUTPUTS``. A value is an extreme one (NaN,
±inf, 0, -1, 2^63, 1e308, -1e-300, empty, non-UTF-8 bytes as ``surrogateescape`` gives them) or a random
integer, float or string. Each case runs through the real entry point (``accelsim.cli.app.main``,
``gst_train.cli.main``, ``gst_train.many.main``) and must end one of two ways:

* exit 0, with every figure finite: no ``nan``/``inf`` on stdout, no NaN or Infinity in a JSON or CSV it wrote;
* exit 2, with exactly one line on stderr naming the flag or key (or the file) to change.

Never an exception out of ``main``, never a hang (a per-case alarm), never a changed input: the inputs (copies
in a temporary folder: a tiny synthetic trace made once with ``accelsim synth``, a trace folder, a hardware
TOML, a DRAMSim3 ``.ini``, a SCALE-Sim pair, a sweep folder) keep their bytes and modification times after
every case. Path-shaped flags also get a folder where a file is expected and the reverse, an empty path, a path
that does not exist, a path under a regular file, a name that is not UTF-8, and each of the command's own
inputs as its output (refused, exit 2).

Bounded: ``derandomize=True`` (the same cases every run; a failure names its case) and ``max_examples`` sized so
the file runs in about a minute on two cores. The grid of every key (and every flag of each command that runs in
well under a second) × every extreme value runs as explicit examples; the random values add to it.

Found and fixed with it (each noted at its fix):

* ``dram --requests-in-flight 2^63``: OverflowError in the request-level model; ranged as the key is.
* a path that is not UTF-8 (``pack T $'\\xff.parquet'``, ``sweep --out``, ``synth --out``, a trace so named):
  UnicodeEncodeError from pyarrow; Parquet and CSV now go through Python files. A sweep refuses such a trace
  or --hw in one line (its table holds their paths as text).
* ``--set dram.channel_bits=24`` (``bank_groups=3``, ``row_bytes=3000``, a timing past the refresh interval):
  refused under the banked part's own names (bus_width, bankgroups, columns, tRFC); now under the keys.
* ``plot ''``, ``report ''``, ``explore ''``: the empty path read as the current folder; refused.
* ``presets --show X``: refused as ``--hw``.
* a value, path or stray argument holding a line break: the one line was two; escaped at every error boundary.
* ``gst-train --out FILE/x``: a traceback (and ``--out ''`` trained in the current folder);
  ``gst-train-many --out FILE``: a traceback per run; ``gst-train-many --scheduler nan``: a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import importlib
import io
import json
import math
import os
import re
import shutil
import signal
from pathlib import Path

import pytest
from conftest import ROOT, contract_sections
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accelsim.base.errors import one_line
from accelsim.cli import app
from accelsim.cli.commands import COMMANDS

SECTIONS = contract_sections()
HW_KEYS: list[str] = SECTIONS["Hardware keys"][1][0]
#: Documented flags per command, "accelsim run" → ["trace", "--hw", ...] (positionals by name).
FLAGS: dict[str, list[str]] = {name: SECTIONS[name][1][0] for name in SECTIONS
                               if name.startswith(("accelsim ", "gst-train"))}

# ---------------------------------------------------------------------------- values

#: Bytes that are not UTF-8, as Python hands them over in sys.argv (surrogateescape).
NON_UTF8 = b"\xff\xfe".decode("utf-8", "surrogateescape")
#: ... and a line break, which a file name may hold and a one-line error must not print raw.
EXTREMES = ["nan", "inf", "-inf", "0", "-1", str(2**63), "1e308", "-1e-300", "", NON_UTF8, "x" + NON_UTF8, "a\nb"]
# No NUL (a command line cannot hold one), no '/' (a random path stays inside the case's folder), no ':' (a
# random --scheduler would wait out a connect timeout instead of failing at once).
_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00/:"), max_size=12)
RANDOM = st.one_of(st.integers(min_value=-(2**70), max_value=2**70).map(str),
                   st.floats(allow_nan=True, allow_infinity=True).map(repr),
                   st.floats(min_value=-1e6, max_value=1e6).map(str), _TEXT)
VALUES = st.one_of(st.sampled_from(EXTREMES), RANDOM)

FUZZ = dict(deadline=None, derandomize=True, database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                   HealthCheck.data_too_large, HealthCheck.filter_too_much])

# ---------------------------------------------------------------------------- inputs, made once


class Inputs:
    """The inputs every case may read, in one folder, with their digests and modification times."""

    def __init__(self, root: Path) -> None:
        self.root = root
        d = root / "in"
        d.mkdir()
        self.trace = d / "tiny_synthetic.parquet"
        code, _, err = invoke(app.main, ["synth", "--out", str(self.trace), "--steps", "40", "--change-every",
                                         "10", "--batch", "8"])
        assert code == 0, err
        self.folder_trace = d / "trace_folder"
        _write_trace_folder(self.folder_trace)
        self.hw = d / "chip.toml"
        self.hw.write_text("[pe]\nrows = 8\n")
        self.ini = d / "part.ini"
        shutil.copy(ROOT / "tests" / "data" / "dramsim3" / "configs" / "DDR4_8Gb_x16_3200.ini", self.ini)
        self.cfg = d / "ws_8x8.cfg"
        shutil.copy(ROOT / "tests" / "data" / "scalesim" / "ws_8x8.cfg", self.cfg)
        self.topo = d / "td3_gemms.csv"
        shutil.copy(ROOT / "tests" / "data" / "scalesim" / "td3_gemms.csv", self.topo)
        self.layout = d / "layout.csv"
        shutil.copy(ROOT / "tests" / "data" / "scalesim" / "td3_gemms_layout.csv", self.layout)
        self.script = d / "train.py"
        self.script.write_text("pass\n")
        self.sweep = d / "sweep"
        code, _, err = invoke(app.main, ["sweep", str(self.trace), "--out", str(self.sweep), "-q", "--set",
                                         "dram.gbps=1,2"])
        assert code == 0, err
        self.subs = {k: str(v) for k, v in vars(self).items() if isinstance(v, Path)}
        self.before = self.snapshot()

    def snapshot(self) -> dict[str, tuple[str, int]]:
        """Every input file's SHA-256 and mtime (a sweep folder's figures and pages are outputs, not inputs)."""
        out = {}
        for p in sorted((self.root / "in").rglob("*")):
            rel = p.relative_to(self.root / "in").as_posix()
            if p.is_file() and not rel.startswith(("sweep/figures", "sweep/report", "sweep/explore")):
                out[rel] = (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        return out

    def assert_unchanged(self, argv) -> None:
        after = self.snapshot()
        changed = sorted(k for k in set(self.before) | set(after) if self.before.get(k) != after.get(k))
        assert not changed, (argv, "inputs changed", changed)


def _write_trace_folder(path: Path) -> None:
    from accelsim.trace.td3_step import td3_networks, td3_step_rows
    from accelsim.trace.writer import TraceWriter

    shapes = td3_networks(5, 2, (16, 16))
    with TraceWriter(path, {"seed": 0, "batch": 8}, flush_every_s=None) as w:
        for s in range(4):
            w.add_step(s, td3_step_rows(shapes, {}, 8, 5, 2, actor_update=s % 2 == 0))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return Inputs(tmp_path_factory.mktemp("fuzz"))


# ---------------------------------------------------------------------------- running one case

class _Hang(Exception):
    pass


def _alarm(*_):
    raise _Hang


def invoke(main, argv: list[str], limit: int = 60) -> tuple[object, str, str]:
    """``main(argv)`` in this process: (exit code, stdout, stderr). argparse's refusals are SystemExit; any
    other exception escapes (a bug: the test fails with its traceback); a case past ``limit`` s is a hang."""
    out, err = io.StringIO(), io.StringIO()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(limit)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    except SystemExit as exc:
        code = exc.code
    except _Hang:
        raise AssertionError(f"{argv}: no answer within {limit} s") from None
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    return code, out.getvalue(), err.getvalue()


_NON_FINITE = re.compile(r"(?<![\w.])[-+]?(?:nan|inf|infinity)(?![\w])", re.IGNORECASE)


def _non_finite_text(text: str, echoed: list[str]) -> list[str]:
    """The nan/inf tokens of ``text``, less those inside what the case gave and the command echoes (a label
    ``nan``, a folder ``inf``); only echoes that hold such a token are taken out, so nothing else is hidden."""
    for e in sorted((e for e in echoed if _NON_FINITE.search(e)), key=len, reverse=True):
        text = text.replace(e, " ")
    return _NON_FINITE.findall(text)


class _NonFinite(Exception):
    pass


def _reject(token):
    raise _NonFinite(token)


def _check_outputs(work: Path, echoed: list[str]) -> None:
    """Every JSON and CSV a case wrote at exit 0 holds finite numbers only (a sweep's table records a failed
    point's figures as NaN by contract: not checked here). What a file holds is read from it, not its name."""
    for p in work.rglob("*"):
        if not p.is_file() or p.name.startswith("sweep"):
            continue
        try:
            text = p.read_bytes().decode()
        except UnicodeDecodeError:
            continue  # a PNG, a Parquet file
        try:
            json.loads(text, parse_constant=_reject)
        except _NonFinite as exc:
            raise AssertionError((p.name, f"a non-finite number ({exc}) in a JSON written at exit 0")) from None
        except ValueError:  # not JSON: a CSV (provenance comments first), an HTML page, a text
            if p.suffix == ".csv" or text.lstrip().startswith("#"):
                rows = csv.reader(line for line in text.splitlines() if not line.startswith("#"))
                bad = [c for r in rows for c in r if _non_finite_text(c, echoed)]
                assert not bad, (p.name, "a non-finite figure in a CSV written at exit 0", bad[:5])


SCRATCH_FILE, SCRATCH_FOLDER = "file_synthetic.txt", "folder_synthetic"


@contextlib.contextmanager
def case_dir(inputs: Inputs, scratch: bool = False):
    """A fresh working folder for one case, the current directory while it runs; with ``scratch``, a file and a
    folder of its own to give where the other is expected (their names hold 'synthetic', which synth's --out
    needs)."""
    work = inputs.root / "work"  # one folder, emptied after each case (a new one per case cost more than most)
    work.mkdir(exist_ok=True)
    if scratch:
        (work / SCRATCH_FILE).write_text("x")
        (work / SCRATCH_FOLDER).mkdir()
    old = os.getcwd()
    os.chdir(work)
    try:
        yield work
    finally:
        os.chdir(old)
        for p in work.iterdir():
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()


def check(main, argv: list[str], names: list[str], inputs: Inputs, value: str = "", must_refuse=False,
          scratch: bool = False, limit: int = 60) -> object:
    """Run one case in a fresh folder (case_dir) and check the contract; returns the exit code."""
    with case_dir(inputs, scratch) as work:
        code, out, err = invoke(main, argv, limit)
        lines = [x for x in err.splitlines() if x.strip()]
        if code == 2:
            assert len(lines) == 1 and "Traceback" not in err, (argv, "exit 2 but not one line", lines[-5:])
            # A name as given or as the one line escapes it (a line break, bytes that are not UTF-8).
            assert any(n and (n in lines[0] or one_line(n) in lines[0]) for n in names), (
                argv, f"the line names none of {names}", lines[0])
        elif code == 0 and not must_refuse:
            echoed = [value, *argv, *inputs.subs.values(), str(work)]
            bad = _non_finite_text(out, echoed)
            assert not bad, (argv, "a non-finite figure printed at exit 0", bad, out[-2000:])
            _check_outputs(work, echoed)
        else:
            raise AssertionError((argv, f"exit {code!r}" + (" (expected 2)" if must_refuse else ""), lines[-5:]))
    inputs.assert_unchanged(argv)
    return code


# ---------------------------------------------------------------------------- hardware keys


def _grid(names, arg: str = "flag"):
    """Every name × every extreme value, as explicit examples (run before the random ones, every time)."""
    def deco(f):
        for name in names:
            for v in EXTREMES:
                f = example(**{arg: name, "value": v})(f)
        return f
    return deco


def _key_names(key: str) -> list[str]:
    """What a refusal of ``key`` may name: the key, or its field where the message is a relation between two
    (``dram.trfc_ns: expected trfc_ns < trefi_ns`` for a refresh interval set below the refresh cycle)."""
    return [key, key.partition(".")[2]]


def test_every_documented_key_is_a_config_key():
    from accelsim.hardware.config import keys

    assert keys() == HW_KEYS


@settings(max_examples=60, **FUZZ)
@_grid(HW_KEYS, "key")
@given(key=st.sampled_from(HW_KEYS), value=VALUES)
def test_any_value_of_any_key_on_run(inputs, key, value):
    """``accelsim run --set KEY=VALUE`` for every hardware key: extremes (all of them, every key) and random. At
    exit 0 every figure of the text report is finite (the report JSON's are, in the TOML test below)."""
    check(app.main, ["run", inputs.subs["trace"], f"--set={key}={value}"], _key_names(key), inputs, value)


DRAM_KEYS = [k for k in HW_KEYS if k.startswith("dram.")]


@settings(max_examples=50, **FUZZ)
@_grid(DRAM_KEYS, "key")
@given(key=st.sampled_from(DRAM_KEYS), value=VALUES)
def test_any_value_of_any_dram_key_on_dram(inputs, key, value):
    """``accelsim dram --set dram.KEY=VALUE`` (request-level model, and its closed forms beside it)."""
    check(app.main, ["dram", "--pattern=random", "--bytes=4096", f"--set={key}={value}"], _key_names(key), inputs,
          value)


def _toml_literal(value: str) -> bytes:
    """The value as a TOML right-hand side: numbers as written, anything else as a basic string; the non-UTF-8
    values as raw bytes (the file is then not UTF-8, which is refused naming the file)."""
    try:
        float(value)
        return value.encode()
    except ValueError:
        return json.dumps(value).encode().replace(b"\\udcff", b"\xff").replace(b"\\udcfe", b"\xfe")


@settings(max_examples=120, **FUZZ)
@given(key=st.sampled_from(HW_KEYS), value=st.one_of(st.sampled_from(EXTREMES), RANDOM))
def test_any_value_of_any_key_in_a_hardware_file(inputs, tmp_path_factory, key, value):
    """The same keys from a TOML file of one's own (``--hw FILE``): TOML's own nan and inf included."""
    sec, _, name = key.partition(".")
    hw = tmp_path_factory.mktemp("hw") / "mine.toml"
    hw.write_bytes(b"[" + sec.encode() + b"]\n" + name.encode() + b" = " + _toml_literal(value) + b"\n")
    before = hw.read_bytes(), hw.stat().st_mtime_ns
    check(app.main, ["run", inputs.subs["trace"], "--json=r.json", "--hw", str(hw)], [*_key_names(key), str(hw)],
          inputs, value)
    assert (hw.read_bytes(), hw.stat().st_mtime_ns) == before


# ---------------------------------------------------------------------------- every command's flags

#: The smallest valid command line of each command ({placeholders}: Inputs.subs), as flag → values (None: a
#: switch); positionals under their documented names. A flag under test replaces its entry or is added.
BASE: dict[str, dict[str, list[str] | None]] = {
    "run": {"trace": ["{trace}"], "-q": None},
    "validate": {"trace": ["{trace}"]},
    # The training child is not started (_no_child): capture's checks run, and a "run" of one step.
    "capture": {"--out": ["cap"], "command": ["python", "{script}"]},
    "presets": {},
    "scalesim": {"-c": ["{cfg}"], "-t": ["{topo}"], "-o": ["ss"]},
    "dram": {"--pattern": ["random"], "--bytes": ["4096"], "-q": None},
    "pack": {"src": ["{folder_trace}"], "dst": ["packed.parquet"]},
    "synth": {"--out": ["a_synthetic.parquet"], "--steps": ["20"], "--change-every": [str(10**9)],
              "--batch": ["8"]},
    "sweep": {"traces": ["{trace}"], "--out": ["sw"], "-q": None, "--set": ["dram.gbps=1,2"]},
    "compare": {"traces": ["{trace}"]},
    "plot": {"dir": ["{sweep}"], "-o": ["figs"]},
    "report": {"dir": ["{sweep}"], "--html": None, "-o": ["r.html"]},
    "explore": {"dir": ["{sweep}"], "--out": ["e.html"], "--breakdowns": ["0"]},
    "timeline": {"trace": ["{trace}"], "-o": ["t.json"]},
    "sensitivity": {"trace": ["{trace}"], "-q": None},
}
#: What a flag needs beside it to be read at all (--stride only with a strided pattern, ...).
WITH = {
    ("dram", "--stride"): {"--pattern": ["strided"]},
    ("dram", "--dramsim3-ini"): {"--hw": "drop"},
    ("explore", "--port"): {"--live": None, "--out": "drop", "--breakdowns": "drop", "dir": ["{trace}"]},
    ("explore", "--live"): {"--out": "drop", "--breakdowns": "drop", "dir": ["{trace}"]},
    ("plot", "--trace-only"): {"dir": ["{trace}"]},
    ("plot", "--hw"): {"--trace-only": None, "dir": ["{trace}"]},
    ("scalesim", "-p"): {"-o": "drop"},
}
#: Commands whose every run costs a second or more (plots, pages, the sensitivity's ~70 simulations): random
#: cases only, a few; the others also run their whole flag × extreme grid.
SLOW = ("plot", "report", "sensitivity")


def _parser(cmd: str) -> argparse.ArgumentParser:
    sub = next(a for a in app.build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[cmd]


def _action(cmd: str, flag: str) -> argparse.Action | None:
    return next((a for a in _parser(cmd)._actions if flag in a.option_strings or a.dest == flag), None)


def _path_flags(cmd: str) -> set[str]:
    command = importlib.import_module(f"accelsim.cli.commands.{cmd}")
    out = {f for _, f in command.INPUTS} | {f for _, f, _ in command.OUTPUTS}
    return out | {"dir", "src", "dst", "trace", "traces", "command"}


def _base_argv(cmd: str, subs: dict[str, str], flag: str | None = None) -> dict[str, list[str] | None]:
    """BASE[cmd] with what ``flag`` needs beside it (WITH), the placeholders filled in."""
    spec = dict(BASE[cmd])
    for f, v in WITH.get((cmd, flag), {}).items():
        if v == "drop":
            spec.pop(f, None)
        else:
            spec[f] = v
    return {f: None if v is None else [x.format(**subs) for x in v] for f, v in spec.items()}


def _render(cmd: str, spec: dict[str, list[str] | None]) -> list[str]:
    """flag → values as an argv: long options as ``--flag=value`` (any value, '-1' and '' included), short ones
    joined to a value that starts with '-', positionals last after ``--``."""
    opts, pos = [], []
    for flag, vals in spec.items():
        if not flag.startswith("-"):
            pos += vals
        elif vals is None:
            opts.append(flag)
        elif flag.startswith("--") and len(vals) == 1:
            opts.append(f"{flag}={vals[0]}")
        elif len(vals) == 1 and vals[0].startswith("-"):
            opts.append(flag + vals[0])
        else:
            opts += [flag, *vals]
    return [cmd, *opts, "--", *pos] if pos else [cmd, *opts]


def command_case(cmd: str, flag: str, value: str, subs: dict[str, str]) -> list[str]:
    """The argv of ``accelsim cmd`` with ``flag`` given ``value`` (as is: never formatted)."""
    spec = _base_argv(cmd, subs, flag)
    action = _action(cmd, flag)
    if action.nargs == 0:  # a switch: on
        spec[flag] = None
    elif action.nargs == 2:  # --group ROWS COLS
        spec[flag] = [value, "4"]
    elif cmd == "capture" and flag == "command":
        spec[flag] = ["python", value]
    else:
        spec[flag] = [value]
    if cmd == "compare" and flag == "--group":
        spec["--format"] = ["group"]
    return _render(cmd, spec)


CASES = [(c.removeprefix("accelsim "), f) for c in FLAGS if c.startswith("accelsim ") for f in FLAGS[c]]


def test_every_command_and_flag_is_fuzzed():
    """The table is the contract: a new command needs a base command line here, a new flag is fuzzed as is."""
    assert {c for c, _ in CASES} == set(COMMANDS) == set(BASE)
    for cmd, flag in CASES:
        assert _action(cmd, flag) is not None, (cmd, flag)


@pytest.fixture(autouse=True)
def _no_server(monkeypatch):
    """``explore --live`` would serve until Ctrl-C: its server is made (port checks and all), not run."""
    from accelsim.present import live_server

    monkeypatch.setattr(live_server.HTTPServer, "serve_forever", lambda self, *a, **k: None)


@pytest.fixture(autouse=True)
def _no_child(monkeypatch):
    """``accelsim capture`` runs the script in a child interpreter under torch (seconds; tests/test_capture.py
    runs it): here the child records one step of one network, so capture's own checks and summary run."""
    from accelsim.cli.commands import capture

    def call(cmd, env=None):
        out = Path(cmd[3])
        (out / "capture.json").write_text(json.dumps({"steps": 1, "period": 1, "networks": [{"name": "net"}]}))
        return 0

    monkeypatch.setattr(capture, "subprocess", type("subprocess", (), {"call": staticmethod(call)}))


def _command_test(cmd: str, n: int):
    flags = [f for c, f in CASES if c == cmd]

    @settings(max_examples=n, **FUZZ)
    @_grid([] if cmd in SLOW else flags)
    @given(flag=st.sampled_from(flags), value=VALUES)
    def test(inputs, flag, value):
        argv = command_case(cmd, flag, value, inputs.subs)
        names = [flag] + ([value] if flag in _path_flags(cmd) or flag == "--hw" else [])
        if (cmd, flag) == ("capture", "command"):  # "capture: python X: expected python SCRIPT.py [ARGS...]"
            names.append("capture")
        check(app.main, argv, names, inputs, value)

    test.__name__ = f"test_any_value_of_any_flag_of_{cmd}"
    test.__doc__ = f"``accelsim {cmd}``: every documented flag, extreme and random values."
    return test


#: Random cases per command beside its grid (the slow commands' only cases).
_EXAMPLES = {"plot": 8, "report": 8, "sensitivity": 8, "sweep": 8, "explore": 15}
for _cmd in COMMANDS:
    globals()[f"test_any_value_of_any_flag_of_{_cmd}"] = _command_test(_cmd, _EXAMPLES.get(_cmd, 25))


STRAY = "--no-such-flag=a\r\n" + NON_UTF8


@pytest.mark.parametrize("cmd", COMMANDS)
def test_a_stray_flag_is_refused_in_one_line(inputs, cmd):
    """A flag no command takes, holding a line break and bytes that are not UTF-8 (argparse quotes it raw; the
    training commands' are with their other flags, below)."""
    argv = _render(cmd, _base_argv(cmd, inputs.subs))
    at = argv.index("--") if "--" in argv else len(argv)
    check(app.main, [*argv[:at], STRAY, *argv[at:]], ["unrecognized"], inputs, must_refuse=True)


def test_a_stray_argument_is_refused_in_one_line(inputs):
    """A second trace where ``validate`` takes one."""
    check(app.main, ["validate", inputs.subs["trace"], "stray\r\n" + NON_UTF8], ["unrecognized"], inputs,
          must_refuse=True)


# ---------------------------------------------------------------------------- path-shaped flags

def _io(cmd: str):
    command = importlib.import_module(f"accelsim.cli.commands.{cmd}")
    return command.INPUTS, command.OUTPUTS


#: For each command: the input placeholder each input flag takes in BASE (or an extra flag to add).
INPUT_OF = {
    ("run", "trace"): "trace", ("run", "--hw"): "hw", ("validate", "trace"): "trace",
    ("scalesim", "-c"): "cfg", ("scalesim", "-t"): "topo", ("scalesim", "-l"): "layout",
    ("dram", "--hw"): "hw", ("dram", "--dramsim3-ini"): "ini", ("pack", "src"): "folder_trace",
    ("sweep", "traces"): "trace", ("sweep", "--hw"): "hw", ("compare", "traces"): "trace", ("compare", "--hw"): "hw",
    ("plot", "--hw"): "hw", ("timeline", "trace"): "trace", ("timeline", "--hw"): "hw",
    ("sensitivity", "trace"): "trace", ("sensitivity", "--hw"): "hw",
}


def _own_input_cases():
    """Each command's every input given as each of its outputs: refused, the input unchanged."""
    out = []
    for cmd in COMMANDS:
        ins, outs = _io(cmd)
        for _, oflag, _ in outs:
            for _, iflag in ins:
                if (cmd, iflag) in INPUT_OF:
                    out.append((cmd, iflag, oflag))
    # Inputs derived from an argument: a sweep folder's table, the capture script.
    out += [("plot", "dir", "-o"), ("report", "dir", "-o"), ("explore", "dir", "--out"),
            ("capture", "command", "--out")]
    return out


OWN = _own_input_cases()


@pytest.mark.parametrize("cmd,iflag,oflag", OWN, ids=[f"{c}-{i}-as-{o}" for c, i, o in OWN])
def test_an_input_given_as_an_output_is_refused(inputs, cmd, iflag, oflag):
    s = inputs.subs
    spec = _base_argv(cmd, s)
    if (cmd, iflag) in INPUT_OF:
        target = s[INPUT_OF[(cmd, iflag)]]
        if iflag == "--dramsim3-ini":
            spec.pop("--hw", None)
        spec[iflag] = [target]
    elif cmd == "capture":
        target = s["script"]
        spec["command"] = ["python", target]
    else:  # a sweep folder's table
        target = str(Path(s["sweep"]) / "sweep.parquet")
    spec[oflag] = [target]
    if oflag == "-p":
        spec.pop("-o", None)
    check(app.main, _render(cmd, spec), [oflag, target], inputs, must_refuse=True)


def _path_cases():
    """(command, flag, kind of path) for every path-shaped flag."""
    kinds = ["empty", "missing", "folder", "file", "under_file", "non_utf8", "missing_parent"]
    out = []
    for cmd in COMMANDS:
        ins, outs = _io(cmd)
        flags = [f for _, f in ins] + [f for _, f, _ in outs]
        if cmd in ("plot", "report", "explore"):
            flags.append("dir")
        if cmd == "pack":
            flags = ["src", "dst"]
        outputs = {f for _, f, _ in outs}
        # A slow command's output at a new path is the plain case, its flag fuzz's: not again here.
        out += [(cmd, f, k) for f in dict.fromkeys(flags) for k in kinds
                if not (cmd in SLOW and f in outputs and k == "missing")]
    return out


PATHS = _path_cases()


def _path_value(kind: str) -> str:
    """The path of each kind, relative to the case's folder (case_dir)."""
    return {"empty": "", "missing": "no_such_synthetic.parquet", "folder": SCRATCH_FOLDER, "file": SCRATCH_FILE,
            "under_file": SCRATCH_FILE + "/x_synthetic.json", "non_utf8": "out_" + NON_UTF8 + "_synthetic.json",
            "missing_parent": "no/such/folder/out_synthetic.json"}[kind]


@pytest.mark.parametrize("cmd,flag,kind", PATHS, ids=[f"{c}-{f}-{k}" for c, f, k in PATHS])
def test_any_path_shape_on_any_path_flag(inputs, cmd, flag, kind):
    """A folder where a file is expected and the reverse, empty, missing, under a file, not UTF-8: exit 0 or 2
    in one line naming the flag or the path, the inputs unchanged."""
    value = _path_value(kind)
    argv = command_case(cmd, flag, value, inputs.subs)
    check(app.main, argv, [flag, value], inputs, value, scratch=True)


@pytest.mark.parametrize("cmd", ["run", "validate", "compare", "sweep", "timeline", "pack"])
def test_an_input_whose_name_is_not_utf8_is_read_or_refused_in_one_line(inputs, tmp_path, cmd):
    """A trace copied under a name that is not UTF-8 (a Latin-1 file name on a UTF-8 system)."""
    src = inputs.folder_trace if cmd == "pack" else inputs.trace
    odd = tmp_path / ("t_" + NON_UTF8 + ("" if cmd == "pack" else ".parquet"))
    (shutil.copytree if src.is_dir() else shutil.copy)(src, odd)
    spec = _base_argv(cmd, inputs.subs)
    flag = "src" if cmd == "pack" else ("traces" if cmd in ("compare", "sweep") else "trace")
    spec[flag] = [str(odd)]
    before = sorted((p.name, p.read_bytes()) for p in ([odd] if odd.is_file() else odd.iterdir()))
    check(app.main, _render(cmd, spec), [str(odd), flag], inputs)
    assert sorted((p.name, p.read_bytes()) for p in ([odd] if odd.is_file() else odd.iterdir())) == before


# ---------------------------------------------------------------------------- gst-train and gst-train-many

@pytest.fixture
def no_training(monkeypatch):
    """gst-train's checks, not its training: ``run`` records the validated config instead of training."""
    pytest.importorskip("torch")
    from gst_train import train

    seen = []
    monkeypatch.setattr(train, "run", lambda cfg: seen.append(cfg))
    return seen


GST_FLAGS = FLAGS["gst-train"]


@settings(max_examples=30, **FUZZ)
@_grid(GST_FLAGS)
@given(flag=st.sampled_from(GST_FLAGS), value=VALUES)
def test_any_value_of_any_gst_train_flag(inputs, no_training, flag, value):
    from gst_train.cli import main

    no_training.clear()
    argv = ["--total-steps=1000", "--start-steps=100", "--out=run", f"{flag}={value}"]
    if flag == "--out":
        argv = [*argv[:2], f"--out={value}"]
    code = check(main, argv, [flag], inputs, value)
    if code == 0 and no_training:
        for k, v in no_training[0].to_dict().items():
            assert not isinstance(v, float) or math.isfinite(v), (argv, k, v)


@pytest.fixture
def no_cluster(monkeypatch):
    """gst-train-many's checks, not its runs: no cluster is started (the runs go one by one in this process) and
    each gst-train child reports itself finished at once (``run_one`` itself runs: its folders and logs). A
    --scheduler address is parsed as Dask's Client parses it (ValueError without a port); one that parses is
    unreachable (OSError, as the real Client's after its timeout). The real Client is not made: a failed one
    prints a traceback from its ``__del__`` whenever it is collected, into a later case's stderr."""
    pytest.importorskip("distributed")
    import distributed
    from distributed.comm import get_address_host_port

    from gst_train import many

    class Future:
        def __init__(self, value):
            self.value = value

        def result(self):
            return self.value

    class Client:
        def __new__(cls, address=None, **kw):
            if isinstance(address, str):
                get_address_host_port(address)
                raise OSError(f"Timed out trying to connect to {address}")
            return super().__new__(cls)

        def __init__(self, *a, **kw):
            pass

        def submit(self, fn, *args, pure=False):
            return Future(fn(*args))

        def close(self):
            pass

    class LocalCluster:
        def __init__(self, *a, **kw):
            pass

        def close(self):
            pass

    monkeypatch.setattr(distributed, "Client", Client)
    monkeypatch.setattr(distributed, "LocalCluster", LocalCluster)
    monkeypatch.setattr(distributed, "as_completed", lambda futs: list(futs))

    def child(cmd, **kw):
        run = Path(cmd[cmd.index("--out" if "--out" in cmd else "--resume") + 1])
        run.mkdir(parents=True, exist_ok=True)
        (run / "DONE").write_text(json.dumps({"final_return": 1.0, "avg_ratio_bytes": 1.0}))
        return type("Done", (), {"returncode": 0})()

    monkeypatch.setattr(many, "subprocess", type("subprocess", (), {"run": staticmethod(child), "STDOUT": -2}))


MANY_FLAGS = FLAGS["gst-train-many"]


@settings(max_examples=30, **FUZZ)
@_grid(MANY_FLAGS)
@given(flag=st.sampled_from(MANY_FLAGS), value=VALUES)
def test_any_value_of_any_gst_train_many_flag(inputs, no_cluster, flag, value):
    from gst_train.many import main

    base = {"--envs": "HalfCheetah-v5", "--methods": "dense", "--seeds": "0", "--out": "study", "--jobs": "1"}
    base[flag] = value
    check(main, [f"{k}={v}" for k, v in base.items()], [flag], inputs, value)


@pytest.mark.parametrize("entry", ["gst-train", "gst-train-many"])
def test_a_stray_flag_of_the_training_commands_is_refused_in_one_line(inputs, no_training, no_cluster, entry):
    from gst_train.cli import main as train_main
    from gst_train.many import main as many_main

    check(train_main if entry == "gst-train" else many_main, ["--out=o", STRAY], ["unrecognized"], inputs,
          must_refuse=True)


TRAIN_PATHS = [(entry, flag, kind) for entry, flag in (("gst-train", "--out"), ("gst-train", "--resume"),
                                                       ("gst-train-many", "--out"))
               for kind in ("empty", "missing", "folder", "file", "under_file", "non_utf8", "missing_parent")]


@pytest.mark.parametrize("entry,flag,kind", TRAIN_PATHS, ids=[f"{e}-{f}-{k}" for e, f, k in TRAIN_PATHS])
def test_any_path_shape_on_the_training_commands(inputs, no_training, no_cluster, entry, flag, kind):
    from gst_train.cli import main as train_main
    from gst_train.many import main as many_main

    value = _path_value(kind)
    if entry == "gst-train":
        argv = [f"--resume={value}"] if flag == "--resume" else ["--total-steps=1000", "--start-steps=100",
                                                                 f"--out={value}"]
        check(train_main, argv, [flag, value], inputs, value, scratch=True)
    else:
        check(many_main, ["--methods=dense", "--seeds=0", f"--out={value}"], [flag, value], inputs, value,
              scratch=True)
