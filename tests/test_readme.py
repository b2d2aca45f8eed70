"""The README's figures are the code's: the demo table, the API example's numbers, the preset example.

Also its size (a newcomer reads it in five minutes: at most 250 lines) and its words (no work-log terms), and
the trace-writing example of traces/README.md, run as written.
"""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import ROOT

README = (ROOT / "README.md").read_text()


def test_the_readme_is_short():
    assert len(README.splitlines()) <= 250


def test_user_docs_carry_no_work_log_words():
    for doc in ("README.md", "docs/cli.md", "docs/benchmarks.md", "docs/validation.md", "docs/architecture.md",
                "docs/gst.md", "docs/model.md", "docs/contracts.md", "models/README.md", "traces/README.md"):
        text = (ROOT / doc).read_text()
        found = re.findall(r"\b(?:issues? \d+|sessions? \d+|this session)\b", text, re.I)
        assert not found, f"{doc}: {found}"


def test_the_demo_block_is_what_make_demo_prints():
    block = re.search(r"<!-- demo:begin.*?-->\n```text\n(.*?)```\n<!-- demo:end -->", README, re.S).group(1)
    r = subprocess.run([sys.executable, "-m", "accelsim.cli", "run"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    printed = r.stdout[: r.stdout.index("\n", r.stdout.index("speedup ")) + 1]
    assert printed == block


def test_the_api_example_prints_what_its_comments_say():
    code = re.search(r"## The Python API\n\n```python\n(.*?)```", README, re.S).group(1)
    claims = []
    for line in code.splitlines():
        expr, _, comment = line.partition("#")
        comment = comment.strip()
        if re.fullmatch(r"[\d. ]+", comment):  # a line whose comment is the figure it gives
            claims.append((expr.strip(), comment))
    assert len(claims) == 3
    env: dict = {}
    setup = "\n".join(line.partition("#")[0] for line in code.splitlines()
                      if not line.startswith(("print(", "res.compressed", "res.to_dict")))
    exec(compile(setup, "README", "exec"), env)  # the example itself, run from the repository root
    for expr, want in claims:
        # a print(...) line: the f-string it prints; else the expression's value
        got = eval(expr[len("print("):-1], env) if expr.startswith("print(") else str(eval(expr, env))
        assert got == want, expr


def test_the_preset_example_loads_and_runs(tmp_path):
    from accelsim.hardware.load import load_hardware

    toml = re.search(r"```toml\n(.*?)```", README, re.S).group(1)
    (tmp_path / "my_chip.toml").write_text(toml)
    hw = load_hardware(str(tmp_path / "my_chip.toml"))
    assert (hw.name, hw.pe.rows, hw.pe.cols, hw.clock.mhz, hw.sram.weight_kib) == ("my-chip", 64, 64, 800.0, 1024.0)


def test_the_trace_example_writes_a_valid_trace(tmp_path, monkeypatch):
    text = (ROOT / "traces" / "README.md").read_text()
    code = re.search(r"## Writing one\n\n```python\n(.*?)```", text, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "traces/README.md", "exec"), {})
    r = subprocess.run([sys.executable, "-m", "accelsim.cli", "validate", "runs/demo/trace"], capture_output=True,
                       text=True, cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("OK"), r.stderr
