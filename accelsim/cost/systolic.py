"""Stall-free compute cycles and mapping efficiency of a GEMM on an R×C systolic array, as SCALE-Sim computes them.

For an M×K by K×N GEMM the dataflow fixes which dimensions are spread over the array (S_R rows, S_C
columns) and which one streams through it (T):

=========  =====  =====  ====
dataflow   S_R    S_C    T
=========  =====  =====  ====
ws         K      N      M
os         M      N      K
is         K      M      N
=========  =====  =====  ====

folds = ceil(S_R/R)·ceil(S_C/C); cycles = (2R + C + T − 2)·folds − 1 for ws and is, (R + C + T − 2)·folds − 1
for os; mapping efficiency = S_R·S_C / (folds·R·C). These equal SCALE-Sim 3.0.0's "Total Cycles − Stall
Cycles" and "Mapping Efficiency %" exactly (tests/test_scalesim_compat.py, against reports of the real tool).
"""

from __future__ import annotations

from accelsim.base.jit import kernel

WS, OS, IS = 0, 1, 2
DATAFLOW_CODE = {"ws": WS, "os": OS, "is": IS}


@kernel
def spatio_temporal(m: int, k: int, n: int, df: int) -> tuple[int, int, int]:
    """(S_R, S_C, T) of an M×K·K×N GEMM under dataflow code ``df``."""
    if df == WS:
        return k, n, m
    if df == OS:
        return m, n, k
    return k, m, n


@kernel
def folds(m: int, k: int, n: int, rows: int, cols: int, df: int) -> int:
    """Array folds: ceil(S_R/R)·ceil(S_C/C)."""
    sr, sc, _ = spatio_temporal(m, k, n, df)
    return ((sr + rows - 1) // rows) * ((sc + cols - 1) // cols)


@kernel
def gemm_cycles(m: int, k: int, n: int, rows: int, cols: int, df: int) -> int:
    """Stall-free cycles of one GEMM (0 if any dimension is 0)."""
    if m <= 0 or k <= 0 or n <= 0:
        return 0
    t = spatio_temporal(m, k, n, df)[2]
    f = folds(m, k, n, rows, cols, df)
    if df == OS:
        return (rows + cols + t - 2) * f - 1
    return (2 * rows + cols + t - 2) * f - 1


@kernel
def mapping_efficiency(m: int, k: int, n: int, rows: int, cols: int, df: int) -> float:
    """Fraction of PEs mapped, averaged over folds (SCALE-Sim's "Mapping Efficiency" / 100)."""
    if m <= 0 or k <= 0 or n <= 0:
        return 0.0
    sr, sc, _ = spatio_temporal(m, k, n, df)
    return (sr * sc) / (folds(m, k, n, rows, cols, df) * rows * cols)
