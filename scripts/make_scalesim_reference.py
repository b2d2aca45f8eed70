"""Run real SCALE-Sim 3.0.0 on the TD3 GEMMs and keep its reports as the tests' reference numbers.

SCALE-Sim 3.0.0 crashes with numpy >= 2.4, so it lives in its own venv, never in the main one::

    make scalesim-reference        # creates .venv-scalesim (numpy<2.4, scalesim==3.0.0) and runs this

For every array shape × dataflow in CONFIGS it writes ``tests/data/scalesim/<name>.cfg``, one GEMM
topology (``td3_gemms.csv``, rows "Layer, M, N, K,") and SCALE-Sim's ``COMPUTE_REPORT.csv`` as
``<name>.COMPUTE_REPORT.csv``, plus ``reference.json`` with versions and SCALE-Sim's wall time per config
(used by benchmarks/bench_sim.py). tests/test_scalesim_compat.py compares accelsim's output with these files.
"""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "scalesim"

#: (name, rows, cols, dataflow)
CONFIGS = [
    (f"{df}_{r}x{c}", r, c, df)
    for (r, c) in [(8, 8), (16, 16), (12, 14), (32, 32)]
    for df in ("ws", "os", "is")
]


def td3_gemms(obs: int = 17, act: int = 6, hidden: int = 256, batch: int = 64) -> list[tuple[str, int, int, int]]:
    """Unique (name, M, N, K) GEMMs of a TD3 step on HalfCheetah (actor obs→h→h→act, critic obs+act→h→h→1)."""
    layers = {"actor": [(hidden, obs), (hidden, hidden), (act, hidden)],
              "critic": [(hidden, obs + act), (hidden, hidden), (1, hidden)]}
    out = []
    for net, shapes in layers.items():
        for l, (o, i) in enumerate(shapes):
            out.append((f"{net}{l}_fwd", batch, o, i))       # M=B, K=in, N=out
            out.append((f"{net}{l}_bwdd", batch, i, o))      # M=B, K=out, N=in
            out.append((f"{net}{l}_bwdw", o, i, batch))      # M=out, K=B, N=in
    out.append(("actor0_act", 1, hidden, obs))
    out.append(("actor2_act", 1, act, hidden))
    return out


CFG_TEMPLATE = """[general]
run_name = {name}

[architecture_presets]
ArrayHeight:    {rows}
ArrayWidth:     {cols}
IfmapSramSzkB:    1024
FilterSramSzkB:   1024
OfmapSramSzkB:    1024
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Bandwidth : 10
Dataflow : {df}
MemoryBanks:   1
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: 10
IfmapSRAMBankNum: 10
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: 10
FilterSRAMBankNum: 10
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport : false
SparseRep : ellpack_block
OptimizedMapping : false
BlockSize : 8
RandomNumberGeneratorSeed : 40

[run_presets]
InterfaceBandwidth: CALC
UseRamulatorTrace: False
"""


def main() -> int:
    from scalesim.scale_sim import scalesim  # only in .venv-scalesim

    OUT.mkdir(parents=True, exist_ok=True)
    gemms = td3_gemms()
    topo = OUT / "td3_gemms.csv"
    topo.write_text("Layer, M, N, K,\n" + "".join(f"{n}, {m}, {nn}, {k},\n" for n, m, nn, k in gemms))
    # SCALE-Sim 3.0.0 insists on a layout file even without custom layouts: one row of ones per layer.
    layout = OUT / "td3_gemms_layout.csv"
    layout.write_text("Layer name," + ",".join(f"f{i}" for i in range(21)) + ",\n"
                      + "".join(f"{n}," + ",".join(["1"] * 21) + ",\n" for n, *_ in gemms))
    wall = {}
    for name, r, c, df in CONFIGS:
        cfg = OUT / f"{name}.cfg"
        cfg.write_text(CFG_TEMPLATE.format(name=name, rows=r, cols=c, df=df))
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            sim = scalesim(save_disk_space=True, verbose=False, config=str(cfg), topology=str(topo),
                           layout=str(layout), input_type_gemm=True)
            sim.run_scale(top_path=tmp)
            wall[name] = time.perf_counter() - t0
            shutil.copy(Path(tmp) / name / "COMPUTE_REPORT.csv", OUT / f"{name}.COMPUTE_REPORT.csv")
        print(f"{name}: {wall[name]:.2f} s", flush=True)
    info = {
        "scalesim_version": importlib.metadata.version("scalesim"),
        "numpy_version": np.__version__,
        "python": sys.version.split()[0],
        "topology": topo.name,
        "n_gemms": len(gemms),
        "configs": [{"name": n, "rows": r, "cols": c, "dataflow": d} for n, r, c, d in CONFIGS],
        "wall_s": wall,
    }
    (OUT / "reference.json").write_text(json.dumps(info, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
