#!/usr/bin/env python
"""How fast the explorer page answers a filter change at 100,000 points, in headless Chromium.

    .venv/bin/python benchmarks/bench_explorer.py                 # a 100,000-point sweep of the synthetic test trace
    .venv/bin/python benchmarks/bench_explorer.py --sweep DIR     # any sweep folder

Without ``--sweep`` it runs a real sweep (the synthetic trace in tests/data, seven keys, 100,000 points) into
``--work`` (default: a folder under the system's temporary folder), which resumes where it stopped, so a second
run reuses it. Then it writes the page (``accelsim explore``), opens it in Debian's chromium through
chromium-driver, and toggles filters: it prints the page's size, its load time, and for each toggle the page's own
update time (filtering, the Pareto front, both plots' Plotly.react with their WebGL draw calls) and the time from
the change to the second animation frame after it (the frame presented; on a machine without a GPU Chromium
rasterises WebGL in software, SwiftShader, and that time grows with the machine's load), with their medians and
the 200 ms target side by side.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from browser import chromium_driver, missing_browser  # noqa: E402

TARGET_MS = 200.0
#: 10 x 10 x 5 x 5 x 4 x 10 = 100,000 points.
AXES = ["dram.gbps=1.6,3.2,4.8,6.4,9.6,12.8,19.2,25.6,38.4,51.2",
        "sram.weight_kib=16,32,48,64,96,128,192,256,384,512", "pe.rows=8,16,32,64,128", "pe.cols=8,16,32,64,128",
        "pe.dtype=fp32,bf16,fp16,int8", "clock.mhz=100,200,300,400,500,600,700,800,900,1000"]

# Time one filter change: from the change to the second animation frame after it (WebGL has drawn by then).
TOGGLE_JS = """
const [cat, code, on, done] = arguments;
const t0 = performance.now();
window.explorer.setAllowed(cat, code, on);
requestAnimationFrame(() => requestAnimationFrame(() => done([window.explorer.state.lastUpdateMs,
                                                              performance.now() - t0, window.explorer.drawn()])));
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sweep", help="an existing sweep folder (default: run the 100,000-point sweep)")
    ap.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "accelsim-bench-explorer"))
    ap.add_argument("--toggles", type=int, default=10)
    args = ap.parse_args(argv)
    why = missing_browser()
    if why:
        print(why)
        return 2
    sweep = Path(args.sweep) if args.sweep else Path(args.work) / "sweep"
    if not args.sweep:
        t = time.perf_counter()
        trace = ROOT / "tests" / "data" / "synthetic_gst_halfcheetah.parquet"
        cmd = [sys.executable, "-m", "accelsim.cli", "sweep", str(trace), "--out", str(sweep), "-q"]
        for a in AXES:
            cmd += ["--set", a]
        subprocess.run(cmd, check=True)
        print(f"sweep                {time.perf_counter() - t:8.1f} s   ({sweep})")
    page = Path(args.work) / "explore.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "accelsim.cli", "explore", str(sweep), "--out", str(page)], check=True)
    print(f"page written         {time.perf_counter() - t:8.1f} s   {page.stat().st_size / 1e6:.1f} MB")
    driver = chromium_driver()
    try:
        driver.set_script_timeout(60)
        t = time.perf_counter()
        driver.get(page.as_uri())
        print(f"page loaded          {time.perf_counter() - t:8.1f} s   {driver.find_element('id', 'count').text}")
        cat = driver.execute_script("return window.explorer && Object.keys(window.explorer.state.allowed)"
                                    ".find(c => c.includes('.'))") or "trace"
        update, frame = [], []
        print(f"\n{'filter change':28}{'update ms':>10}{'frame ms':>10}{'drawn':>10}")
        for k in range(args.toggles):
            u, f, drawn = driver.execute_async_script(TOGGLE_JS, cat, 0, k % 2 == 1)
            update.append(u)
            frame.append(f)
            print(f"{cat + '[0] ' + ('on' if k % 2 else 'off'):28}{u:10.1f}{f:10.1f}{drawn:10,}")
        print(f"\n{'(ms)':28}{'median':>10}{'max':>10}{'target':>10}")
        for name, xs in (("update (script + draw)", update), ("to the presented frame", frame)):
            print(f"{name:28}{statistics.median(xs):10.1f}{max(xs):10.1f}{TARGET_MS:10.1f}")
    finally:
        driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
