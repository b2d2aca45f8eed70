"""SCALE-Sim-compatible command: read a SCALE-Sim .cfg and GEMM topology, write COMPUTE_REPORT.csv.

Matches SCALE-Sim 3.0.0 (GEMM input mode) on ``Total Cycles − Stall Cycles`` (stall-free compute cycles)
and ``Mapping Efficiency %`` exactly; ``Overall Util %`` and ``Compute Util %`` follow SCALE-Sim's formulas
for a stall-free run. ``Stall Cycles`` is 0 and ``Total Cycles (incl. prefetch)`` equals ``Total Cycles``:
this command does not model SCALE-Sim's SRAM prefetch or its DRAM interface (``accelsim run`` has its own).
"""

from __future__ import annotations

import configparser
from dataclasses import dataclass
from pathlib import Path

from accelsim.base.atomic import atomic_write_text
from accelsim.base.errors import InputError
from accelsim.cost.systolic import DATAFLOW_CODE, folds, gemm_cycles, mapping_efficiency, spatio_temporal

HEADER = ("LayerID, Total Cycles (incl. prefetch), Total Cycles, Stall Cycles, Overall Util %, "
          "Mapping Efficiency %, Compute Util %,\n")


@dataclass(frozen=True)
class ArrayConfig:
    run_name: str
    rows: int
    cols: int
    dataflow: str


@dataclass(frozen=True)
class GemmLayer:
    name: str
    m: int
    n: int
    k: int


@dataclass(frozen=True)
class LayerReport:
    layer_id: int
    total_cycles: int
    stall_cycles: int
    overall_util_pct: float
    mapping_efficiency_pct: float
    compute_util_pct: float


def read_config(path: str | Path) -> ArrayConfig:
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "", "config file not found")
    cp = configparser.ConfigParser()
    try:
        cp.read(path, encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), "", f"not UTF-8 text (byte {exc.start})") from None
    except configparser.Error as exc:
        raise InputError(str(path), "", f"malformed .cfg ({str(exc).splitlines()[0]})") from None
    sec = "architecture_presets"
    if not cp.has_section(sec):
        raise InputError(str(path), f"[{sec}]", "section missing")

    def get_int(key: str) -> int:
        if not cp.has_option(sec, key):
            raise InputError(str(path), f"{sec}.{key}", "missing")
        raw = cp.get(sec, key).strip()
        try:
            v = int(raw)
        except ValueError:
            raise InputError(str(path), f"{sec}.{key}", f"expected a positive integer, got {raw!r}") from None
        if v <= 0:
            raise InputError(str(path), f"{sec}.{key}", f"expected a positive integer, got {v}")
        return v

    rows, cols = get_int("ArrayHeight"), get_int("ArrayWidth")
    if not cp.has_option(sec, "Dataflow"):
        raise InputError(str(path), f"{sec}.Dataflow", "missing")
    df = cp.get(sec, "Dataflow").strip()
    if df not in DATAFLOW_CODE:
        raise InputError(str(path), f"{sec}.Dataflow", f"expected ws, os or is, got {df!r}")
    name = cp.get("general", "run_name", fallback=path.stem).strip()
    return ArrayConfig(name, rows, cols, df)


def read_gemm_topology(path: str | Path) -> list[GemmLayer]:
    """Rows "name, M, N, K[, N:M]," after a header line (SCALE-Sim's GEMM topology format)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "", "topology file not found")
    layers = []
    try:
        lines = path.read_text().splitlines()
    except UnicodeDecodeError as exc:
        raise InputError(str(path), "", f"not UTF-8 text (byte {exc.start})") from None
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split(",")]
        if cells and cells[-1] == "":
            cells = cells[:-1]
        if len(cells) < 4:
            raise InputError(str(path), f"line {lineno}", "expected 'name, M, N, K,'")
        try:
            m, n, k = (int(c) for c in cells[1:4])
        except ValueError:
            raise InputError(str(path), f"line {lineno}", f"expected integer M, N, K, got {cells[1:4]}") from None
        if min(m, n, k) <= 0:
            raise InputError(str(path), f"line {lineno}", "expected positive M, N, K")
        layers.append(GemmLayer(cells[0], m, n, k))
    if not layers:
        raise InputError(str(path), "", "no layers after the header line")
    return layers


def layer_report(i: int, g: GemmLayer, cfg: ArrayConfig) -> LayerReport:
    df = DATAFLOW_CODE[cfg.dataflow]
    cyc = gemm_cycles(g.m, g.k, g.n, cfg.rows, cfg.cols, df)
    eff = mapping_efficiency(g.m, g.k, g.n, cfg.rows, cfg.cols, df)
    sr, sc, t = spatio_temporal(g.m, g.k, g.n, df)
    nf = folds(g.m, g.k, g.n, cfg.rows, cfg.cols, df)
    # SCALE-Sim's per-fold utilisation counts the fold's demand window: T + 2R + 2C - 3 cycles for ws and is
    # (one more array width than the fold's share of the total), T + R + C - 2 for os.
    r, c = cfg.rows, cfg.cols
    window = t + r + c - 2 if cfg.dataflow == "os" else t + 2 * r + 2 * c - 3
    compute_util = sr * sc * t / (nf * cfg.rows * cfg.cols * window)
    overall = g.m * g.n * g.k * 100 / (cyc * cfg.rows * cfg.cols)
    return LayerReport(i, cyc, 0, overall, eff * 100, compute_util * 100)


def run(config: str | Path, topology: str | Path, outdir: str | Path) -> Path:
    """Write ``outdir/COMPUTE_REPORT.csv`` and return its path."""
    cfg = read_config(config)
    layers = read_gemm_topology(topology)
    lines = [HEADER]
    for i, g in enumerate(layers):
        r = layer_report(i, g, cfg)
        lines.append(f"{i}, {r.total_cycles}, {r.total_cycles}, {r.stall_cycles}, {r.overall_util_pct}, "
                     f"{r.mapping_efficiency_pct}, {r.compute_util_pct},\n")
    out = Path(outdir) / "COMPUTE_REPORT.csv"
    atomic_write_text(out, "".join(lines))
    return out
