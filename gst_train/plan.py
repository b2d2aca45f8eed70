"""Study plans: ``results/<study>/plan.json``, read by ``scripts/study.py`` (runs it) and ``scripts/report_study.py``.

A plan is JSON::

    {"study": "gst_ablations_300k", "runs_dir": "runs/gst_ablations_300k", "jobs": 2,
     "common": ["--total-steps", "300000", ...],
     "runs": [{"name": "halfcheetah_gst-noramp_s100", "args": ["--gst-ramp-steps", "0", "--seed", "100"]}, ...]}

``common`` flags go before each run's ``args`` on the ``gst-train`` command line. A run's name is
``<env>_<label>_s<seed>``: the report groups runs by label and pairs them by seed. Anything else is refused
with one line naming the file, the field and what was expected (:class:`accelsim.base.errors.InputError`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from accelsim.base.errors import InputError

# <env>_<label>_s<seed>; the label may itself hold underscores, the report takes everything between env and seed.
RUN_NAME = re.compile(r"^[A-Za-z0-9.+-]+_[A-Za-z0-9._+-]+_s[0-9]+$")


@dataclass(frozen=True)
class PlannedRun:
    name: str  # <env>_<label>_s<seed>, also the run folder's name under runs_dir
    args: tuple[str, ...]  # gst-train flags of this run, after the plan's common flags

    @property
    def label(self) -> str:
        return "_".join(self.name.split("_")[1:-1])

    @property
    def seed(self) -> int:
        return int(self.name.rsplit("_s", 1)[1])


@dataclass(frozen=True)
class Plan:
    study: str
    runs_dir: str  # live run folders, relative to the repository root (or absolute)
    jobs: int  # runs at a time
    common: tuple[str, ...]
    runs: tuple[PlannedRun, ...]


def _str_list(value: object, src: str, field: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise InputError(src, field, f"expected a list of strings (gst-train flags), got {value!r}")
    return tuple(value)


def parse_plan(data: object, src: str) -> Plan:
    """Check a decoded plan.json; ``src`` names it in errors."""
    if not isinstance(data, dict):
        raise InputError(src, "", "expected a JSON object with study, runs_dir and runs")
    for key in ("study", "runs_dir"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise InputError(src, key, f"expected a non-empty string, got {data.get(key)!r}")
    jobs = data.get("jobs", 2)
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise InputError(src, "jobs", f"expected a positive integer, got {jobs!r}")
    common = _str_list(data.get("common", []), src, "common")
    runs_in = data.get("runs")
    if not isinstance(runs_in, list) or not runs_in:
        raise InputError(src, "runs", "expected a non-empty list of {\"name\": ..., \"args\": [...]}")
    runs, seen = [], set()
    for i, r in enumerate(runs_in):
        where = f"runs[{i}]"
        if not isinstance(r, dict):
            raise InputError(src, where, f"expected an object with name and args, got {r!r}")
        name = r.get("name")
        if not isinstance(name, str) or not RUN_NAME.match(name):
            raise InputError(src, f"{where}.name", f"expected <env>_<label>_s<seed> (e.g. halfcheetah_gst_s0), "
                                                  f"got {name!r}")
        if name in seen:
            raise InputError(src, f"{where}.name", f"expected each run once, {name} is listed twice")
        seen.add(name)
        runs.append(PlannedRun(name, _str_list(r.get("args", []), src, f"{where}.args")))
    return Plan(data["study"], data["runs_dir"], jobs, common, tuple(runs))


def load_plan(path: Path) -> Plan:
    """Read and check a plan.json (one-line :class:`InputError` on a missing file, bad JSON or a bad field)."""
    try:
        text = Path(path).read_text()
    except OSError as e:
        raise InputError(str(path), "", f"cannot read the plan ({e.strerror or e})") from None
    except UnicodeDecodeError as e:
        raise InputError(str(path), f"byte {e.start}", "expected UTF-8 JSON text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(str(path), f"line {e.lineno}", f"expected JSON ({e.msg})") from None
    return parse_plan(data, str(path))
