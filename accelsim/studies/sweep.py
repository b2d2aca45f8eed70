"""Design-space sweeps: many hardware points × traces with the fast engine, locally or on a Dask cluster.

    accelsim sweep [TRACE...] [--hw PRESET] --set dram.gbps=1.6,3.2,6.4 --set sram.weight_kib=64,128 --out DIR

Points are the product of the value lists (``--zip`` pairs them instead). ``workload.batch`` re-sizes the
training GEMMs. Results: ``DIR/sweep.parquet`` and ``DIR/sweep.csv``, one row per trace × point, every swept
key and every report figure a column, no timing columns. Bookkeeping is a JSON-lines file
(``DIR/sweep_state.jsonl``) appended after every chunk: an interrupted sweep resumes where it stopped and
skips finished points. A point that fails (a bad value, say) is recorded with its error and does not stop the
sweep. Locally, each chunk runs numba-parallel over all cores; with ``--scheduler tcp://HOST:PORT`` chunks
are Dask tasks on the cluster's workers (which need accelsim installed and the traces at the same paths).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from accelsim.base.atomic import atomic_path, atomic_write_text
from accelsim.base.errors import InputError
from accelsim.base.records import ENERGY_NAMES, Totals
from accelsim.base.resources import models_dir
from accelsim.cost import hardware_vector
from accelsim.hardware import config as hardware
from accelsim.hardware import limits
from accelsim.hardware import load as hw_load
from accelsim.hardware.area import AREA_PARTS, chip_area
from accelsim.simulation.simulate import check_batch, run_engine
from accelsim.trace.formats import Precision
from accelsim.trace.reader import read_trace
from accelsim.workload.build import build_workload

WORKLOAD_KEYS = {"workload.batch": int}
STATE = "sweep_state.jsonl"
#: What the saved points were computed from: each trace's and the base hardware's content, the model's code,
#: the swept keys. A resume against anything else is refused (``fresh=True`` starts a new table instead).
MANIFEST = "sweep_manifest.json"
SCHEDULER_TIMEOUT_S = 10


@dataclass(frozen=True)
class Axis:
    key: str
    values: tuple[Any, ...]


def _typed(key: str, raw: str, source: str = "--set") -> Any:
    if key in WORKLOAD_KEYS:
        try:
            v = WORKLOAD_KEYS[key](raw)
        except ValueError:
            raise InputError(source, key, f"expected an integer, got {raw!r}") from None
        return v
    if key.partition(".")[0] not in hardware.SECTIONS:
        raise InputError(source, key, "unknown key; expected section.field (see accelsim presets --show NAME) "
                                      "or workload.batch")
    return hardware.parse_value(key, raw, source)


def parse_axes(items: Sequence[str] | None, notes: list[str] | None = None) -> list[Axis]:
    """``["dram.gbps=1.6,3.2", ...]`` → axes with typed values (validity of each point is checked later).

    An empty value list or a key swept twice is an InputError; a value repeated within a list is dropped
    (one point, not two identical rows), with a line in ``notes``.
    """
    axes: list[Axis] = []
    for item in items or []:
        key, eq, vals = item.partition("=")
        key = key.strip()
        if not eq or not key or not vals.strip():
            raise InputError("--set", item, "expected KEY=V1,V2,..., e.g. dram.gbps=1.6,3.2")
        values = [_typed(key, v.strip()) for v in vals.split(",") if v.strip()]
        if not values:
            raise InputError("--set", item, "expected at least one value, e.g. dram.gbps=1.6,3.2")
        if key in {a.key for a in axes}:
            raise InputError("--set", key, "swept twice; give all its values in one --set")
        unique = list(dict.fromkeys(values))
        if len(unique) < len(values) and notes is not None:
            notes.append(f"--set {key}: repeated values dropped ({len(values) - len(unique)} of {len(values)})")
        axes.append(Axis(key, tuple(unique)))
    return axes


def make_points(axes: Sequence[Axis], zipped: bool = False) -> list[dict[str, Any]]:
    if not axes:
        return [{}]
    if zipped:
        n = {len(a.values) for a in axes}
        if len(n) != 1:
            raise InputError("--zip", "", "expected value lists of equal length")
        return [dict(zip([a.key for a in axes], vals, strict=True)) for vals in zip(*[a.values for a in axes],
                                                                                  strict=True)]
    keys = [a.key for a in axes]
    return [dict(zip(keys, vals, strict=True)) for vals in itertools.product(*[a.values for a in axes])]


def point_id(trace: str, hw: str | None, point: dict[str, Any]) -> str:
    blob = json.dumps([str(trace), hw, sorted(point.items())], sort_keys=True, default=str)
    return hashlib.sha1(blob.encode()).hexdigest()[:16]


@functools.lru_cache(maxsize=8)
def _trace(path: str):
    return read_trace(path)


@functools.lru_cache(maxsize=8)
def cached_base_config(hw: str | None) -> hardware.HardwareConfig:
    """The preset (or TOML file) every point of a sweep starts from, read and validated once: reading it for
    each point took a quarter of a 1M-step sweep's time."""
    return hw_load.load_hardware(hw)


@functools.lru_cache(maxsize=32)
def _fit_terms(path: str, batch: int | None, precision: Precision):
    """The fit check's per-workload sums (accelsim.hardware.limits.FitTerms) of both views, once per workload."""
    return tuple(limits.fit_terms(wl) for wl in cached_workloads(path, batch, precision))


@functools.lru_cache(maxsize=32)
def cached_workloads(path: str, batch: int | None, precision: Precision):
    """The (compressed, dense) workloads of a trace, built once per (trace, batch, chip types) in a process."""
    tr = _trace(path)
    return (build_workload(tr, "compressed", batch, precision), build_workload(tr, "dense", batch, precision))


def _figures(t: Totals) -> dict[str, float]:
    """The sweep table's figures of one view (columns ``compressed_<figure>`` / ``dense_<figure>``)."""
    d: dict[str, float] = {f: getattr(t, f) for f in FIGURES if not f.startswith("energy_") or f == "energy_j"}
    for part in ENERGY_NAMES:
        d[f"energy_{part}_j"] = getattr(t.energy_breakdown_j, part)
    return d


#: Figures of each view in the sweep table (a public contract: docs/contracts.md).
FIGURES = ("cycles", "seconds", "energy_j", "dram_bytes", "macs", "compute_cycles", "stall_memory_cycles",
           "stall_decode_cycles", *(f"energy_{p}_j" for p in ENERGY_NAMES))


#: The chip's area per point (``area_mm2`` and its parts; accelsim.hardware.area), columns of the sweep table.
AREA_COLUMNS = ("area_mm2", *(f"area_{p}_mm2" for p in AREA_PARTS))
#: Efficiency figures of each view beside the speedup (columns ``compressed_<figure>`` / ``dense_<figure>``):
#: TFLOPS (2 flops per MAC) per mm² of the chip, and per watt of all energy (the report JSON's ``tflops_per_w``).
EFFICIENCY_FIGURES = ("tflops_per_mm2", "tflops_per_w")


#: What a point may fail with and still be a row of the table: the user's bad values (InputError, one line) and a
#: size the machine cannot allocate. Anything else is a programming error: it stops the sweep with its traceback.
POINT_ERRORS = (InputError, MemoryError)


def evaluate_points(trace: str, hw: str | None, points: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Evaluate ``points`` of one trace; one result row per point (a point's bad values recorded in its row; a
    programming error raised)."""
    rows: list[dict[str, Any] | None] = [None] * len(points)
    # Points share a workload when they share the replay batch and the chip's types (its bytes follow them).
    groups: dict[tuple[int | None, Precision], list[tuple[int, hardware.HardwareConfig]]] = {}
    try:
        tr = _trace(str(trace))
        method = str(tr.meta.get("method", ""))
    except InputError as exc:
        return [_row(trace, hw, p, "", error=exc.one_line()) for p in points]
    for i, p in enumerate(points):
        hw_over = {k: v for k, v in p.items() if k not in WORKLOAD_KEYS}
        try:
            base = cached_base_config(hw)
            cfg = base.with_overrides(hw_over) if hw_over else base
            batch = p.get("workload.batch")
            check_batch(batch)
            groups.setdefault((batch, cfg.precision), []).append((i, cfg))
        except POINT_ERRORS as exc:  # a bad value of this point: recorded with it; the sweep goes on
            rows[i] = _row(trace, hw, p, method, error=_why(exc))
    for (batch, precision), items in groups.items():
        try:
            wc, wd = cached_workloads(str(trace), batch, precision)
        except POINT_ERRORS as exc:
            for i, _ in items:
                rows[i] = _row(trace, hw, points[i], method, error=_why(exc))
            continue
        fits = []
        for i, cfg in items:
            try:
                limits.check_fits((wc, wd), cfg, str(trace), _fit_terms(str(trace), batch, precision))
                fits.append((i, cfg))
            except InputError as exc:
                rows[i] = _row(trace, hw, points[i], method, error=exc.one_line())
        if not fits:
            continue
        try:
            H = np.stack([hardware_vector.pack_hardware(c) for _, c in fits])
            _match_dask_threads()
            oc, od = run_engine(wc, H, detail=False), run_engine(wd, H, detail=False)
            done = [(i, _figures(oc.point_totals(j, cfg.clock.mhz)), _figures(od.point_totals(j, cfg.clock.mhz)))
                    for j, (i, cfg) in enumerate(fits)]
        except POINT_ERRORS as exc:
            for i, _ in fits:
                rows[i] = _row(trace, hw, points[i], method, error=_why(exc))
            continue
        for (i, c, d), (_, cfg) in zip(done, fits, strict=True):
            rows[i] = _row(trace, hw, points[i], method, c, d, area=chip_area(cfg).parts())
    return rows  # type: ignore[return-value]


def _why(exc: BaseException) -> str:
    return exc.one_line() if isinstance(exc, InputError) else f"{type(exc).__name__}: {exc}"


def _match_dask_threads() -> None:
    """On a Dask worker, compile-parallel work uses the worker's threads, not every core of the machine."""
    try:
        from distributed import get_worker

        n = get_worker().state.nthreads
    except (ImportError, ValueError, AttributeError):
        return
    import numba

    numba.set_num_threads(max(1, min(n, numba.config.NUMBA_NUM_THREADS)))


def trace_id(path: str | os.PathLike) -> str:
    """A trace's identity: SHA-1 (16 hex digits) of its file, or of its parts in order for a folder."""
    p = Path(path)
    h = hashlib.sha1()
    for f in ([p] if p.is_file() else sorted(p.rglob("*.parquet"))):
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def locate_trace(row: dict[str, Any], sweep_dir: str | os.PathLike) -> Path | None:
    """Where a sweep row's trace is now: beside the sweep folder as recorded (``trace_path``, relative to
    it, so a moved or copied folder still finds it), else the path as given (``trace``); None if gone."""
    cands = []
    if row.get("trace_path"):
        cands.append(Path(sweep_dir) / str(row["trace_path"]))
    cands.append(Path(str(row["trace"])))
    return next((c for c in cands if c.exists()), None)


def _row(trace, hw, point, method, c=None, d=None, error: str = "",
         area: dict[str, float] | None = None) -> dict[str, Any]:
    """One row of the table: a point's figures ``c`` and ``d`` (compressed, dense) and its chip's ``area`` by part
    (mm²), or its ``error``."""
    row: dict[str, Any] = {"trace": str(trace), "method": method, "hw": hw or hw_load.DEFAULT_PRESET}
    row.update(point)
    if c is not None and d is not None and area is not None:
        row["speedup"] = d["seconds"] / c["seconds"]
        row["energy_ratio"] = c["energy_j"] / d["energy_j"]
        total = sum(area.values())
        row["area_mm2"] = total
        for p in AREA_PARTS:
            row[f"area_{p}_mm2"] = area[p]
        for view, figs in (("compressed", c), ("dense", d)):
            flops = 2 * figs["macs"]
            row[f"{view}_tflops_per_mm2"] = flops / figs["seconds"] / 1e12 / total if figs["seconds"] else 0.0
            row[f"{view}_tflops_per_w"] = flops / figs["energy_j"] / 1e12 if figs["energy_j"] else 0.0
        for f in FIGURES:
            row[f"compressed_{f}"] = c[f]
            row[f"dense_{f}"] = d[f]
    else:
        row["speedup"] = row["energy_ratio"] = float("nan")
        for col in (*AREA_COLUMNS, *(f"{v}_{f}" for v in ("compressed", "dense") for f in EFFICIENCY_FIGURES)):
            row[col] = None
        for f in FIGURES:
            # Missing (null), not NaN: a NaN would turn the integer columns (cycles, bytes, MACs) into
            # doubles, which cannot hold counts above 2^53 exactly.
            row[f"compressed_{f}"] = row[f"dense_{f}"] = None
    row["error"] = error
    return row


def _load_state(path: Path) -> dict[str, dict[str, Any]]:
    done: dict[str, dict[str, Any]] = {}
    if path.exists():
        # Bytes that are not UTF-8 spoil only the lines they are on (those chunks are recomputed).
        for line in path.read_text(errors="replace").splitlines():
            try:
                rec = json.loads(line)
                done[rec["id"]] = rec["row"]
            except (ValueError, KeyError):
                continue  # a line cut by a kill: that chunk is recomputed
    return done


def _chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def model_id() -> str:
    """The simulator's identity: SHA-1 (16 hex digits) of every source file of the package (any change of the
    code may change a figure, so saved points are trusted only with the very code that made them)."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha1()
    for f in sorted(root.rglob("*.py")):
        h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def hardware_id(hw: str | None) -> str:
    """The base hardware's identity: SHA-1 of its TOML (the shipped preset's file for a name), and of the preset
    a file of one's own lies over."""
    spec = hw or hw_load.DEFAULT_PRESET
    if not (spec.endswith(".toml") or "/" in spec):
        return hashlib.sha1((models_dir() / f"{spec}.toml").read_bytes()).hexdigest()[:16]
    path = Path(spec)
    h = hashlib.sha1(path.read_bytes())
    base = hw_load.load_toml(path).get("base", hw_load.DEFAULT_PRESET)  # where its unset keys come from
    h.update((models_dir() / f"{base}.toml").read_bytes())
    return h.hexdigest()[:16]


def manifest_of(traces: Sequence[str], hw: str | None, axes: Sequence[Axis], zipped: bool) -> dict[str, Any]:
    """What a sweep folder says of how it was made (``sweep_manifest.json``): each trace's content hash, the base
    hardware (as given, its file's hash and every key of its effective configuration: a point's configuration is
    that with the row's swept keys set), the simulator's code hash, the accelsim version and the model's latest
    changelog entry, the swept keys. A resume compares the identities (:func:`_check_resume`)."""
    from accelsim import __version__
    from accelsim.simulation.provenance import MODEL_CHANGELOG

    return {"traces": {str(t): trace_id(t) for t in traces}, "hw": hw or hw_load.DEFAULT_PRESET,
            "hw_id": hardware_id(hw), "model": model_id(), "keys": sorted(a.key for a in axes), "zipped": zipped,
            "accelsim_version": __version__, "model_changelog": MODEL_CHANGELOG,
            "hardware_config": hw_load.load_hardware(hw).to_dict()}


def _check_resume(out: Path, manifest: dict[str, Any]) -> None:
    """Refuse to add points to saved ones made from other inputs, or to a different sweep's table."""
    saved_path = out / MANIFEST
    if not (out / STATE).exists():
        return
    try:
        saved = json.loads(saved_path.read_text())
    except (OSError, ValueError):
        saved = None
    if not isinstance(saved, dict):
        raise InputError("--out", str(out), f"holds saved points without a readable {MANIFEST} (made by an "
                                            "older accelsim, or damaged); pass --fresh to start a new table there")
    changed = [what for what, key in (("the hardware file", "hw_id"), ("the simulator's code", "model"),
                                      ("the swept keys", "keys"), ("--zip", "zipped"), ("--hw", "hw"))
               if saved.get(key) != manifest[key]]
    for t, tid in manifest["traces"].items():
        if t in saved.get("traces", {}) and saved["traces"][t] != tid:
            changed.insert(0, f"the content of {t}")
    if changed:
        raise InputError("--out", str(out), f"holds a sweep made with other inputs ({', '.join(changed)} changed "
                                            "since); pass --fresh to start a new table there, or choose another "
                                            "folder")


def run_sweep(traces: Sequence[str], hw: str | None, axes: Sequence[Axis], out: str | os.PathLike,
              zipped: bool = False, scheduler: str | None = None, chunk: int = 512, progress: bool = True,
              fresh: bool = False) -> Path:
    """Run (or resume) a sweep into ``out``; returns the Parquet table's path.

    A resume adds to the saved points only if they were made from the same inputs (each trace's content, the
    base hardware's file, the simulator's code, the swept keys); otherwise InputError, one line. ``fresh``:
    discard the saved points and start a new table (the old tables stay until the new ones replace them).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    from tqdm import tqdm

    out = Path(out)
    if not 0 < chunk <= 10**7:
        raise InputError("--chunk", str(chunk), "expected a positive number of points per task")
    if out.exists() and not out.is_dir():
        raise InputError("--out", str(out), "expected a folder (new or an earlier sweep's), not a file")
    pts = make_points(axes, zipped)
    for flag, name in [*(("traces", str(t)) for t in traces), *([("--hw", hw)] if hw is not None else [])]:
        try:  # the table's trace and hw columns are Parquet strings (a traceback: tests/test_fuzz_contracts.py)
            name.encode()
        except UnicodeEncodeError:
            raise InputError(flag, ascii(name), "the sweep table records this path as text, which must be UTF-8; "
                                                "rename the file") from None
    for t in traces:
        read_trace(t)  # fail early, one clear line, before any work
    if hw is not None:
        hw_load.load_hardware(hw)
    manifest = manifest_of([str(t) for t in traces], hw, axes, zipped)
    if fresh:
        (out / STATE).unlink(missing_ok=True)
    else:
        _check_resume(out, manifest)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    todo = [(str(t), p, point_id(str(t), hw, p)) for t in traces for p in pts]
    state_path = out / STATE
    done = _load_state(state_path)
    pending = [x for x in todo if x[2] not in done]
    tasks = []
    for t in traces:
        mine = [x for x in pending if x[0] == str(t)]
        tasks.extend(_chunks(mine, chunk))
    bar = tqdm(total=len(todo), initial=len(todo) - len(pending), unit="pt", disable=not progress,
               dynamic_ncols=True)
    with open(state_path, "a") as fh:
        if state_path.stat().st_size and not state_path.read_bytes().endswith(b"\n"):
            fh.write("\n")  # a line cut by a kill stays a line of its own (and is ignored)
        def record(task, rows):
            for (_, _, pid), row in zip(task, rows, strict=True):
                fh.write(json.dumps({"id": pid, "row": row}, default=float) + "\n")
                done[pid] = row
            fh.flush()
            os.fsync(fh.fileno())
            bar.update(len(task))

        if scheduler:
            from distributed import Client, as_completed

            try:
                client = Client(scheduler, timeout=SCHEDULER_TIMEOUT_S)
            except (OSError, TimeoutError, ValueError) as exc:
                raise InputError("--scheduler", scheduler, f"cannot reach the Dask scheduler within "
                                 f"{SCHEDULER_TIMEOUT_S} s ({type(exc).__name__})") from None
            with client:
                futs = {client.submit(evaluate_points, task[0][0], hw, [p for _, p, _ in task], pure=False): k
                        for k, task in enumerate(tasks)}
                for fut in as_completed(futs):
                    record(tasks[futs[fut]], fut.result())
        else:
            for task in tasks:
                record(task, evaluate_points(task[0][0], hw, [p for _, p, _ in task]))
    bar.close()
    # Where each trace lies relative to the sweep folder, and what it is: the folder can move or be copied
    # with its traces, and a report finds them from anywhere (accelsim.studies.sweep.locate_trace).
    where = {str(t): (os.path.relpath(Path(t).resolve(), out.resolve()), trace_id(t)) for t in traces}
    rows = [{**done[pid], "trace_path": where[t][0], "trace_id": where[t][1]} for t, _, pid in todo]
    table = pa.Table.from_pylist(rows)
    # Through Python files: pyarrow takes a path as UTF-8, failing on a name that is not (test_fuzz_contracts.py).
    with atomic_path(out / "sweep.parquet") as tmp, open(tmp, "wb") as fh:
        pq.write_table(table, fh)
    with atomic_path(out / "sweep.csv") as tmp, open(tmp, "wb") as fh:
        pacsv.write_csv(table, fh)
    failed = [r["error"] for r in rows if r.get("error")]
    if rows and len(failed) == len(rows):  # the table is written (and kept); the command still fails
        raise InputError("--set", "", f"every point of the sweep failed ({len(rows)}; the table in {out} says "
                                      f"why); the first: {failed[0]}")
    return out / "sweep.parquet"
