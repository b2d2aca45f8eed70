"""``accelsim presets``: list hardware presets."""

from __future__ import annotations

import argparse
import json

HELP = "list hardware presets"

INPUTS = ()
OUTPUTS = ()


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--show", metavar="NAME", help="print one preset's full configuration")


def main(args: argparse.Namespace) -> int:
    from accelsim.hardware.derived import effective
    from accelsim.hardware.load import DEFAULT_PRESET, load_preset, preset_names

    if args.show:
        cfg = load_preset(args.show, "--show")  # was refused as --hw (tests/test_fuzz_contracts.py)
        print(json.dumps(cfg.to_dict(), indent=2))
        print(f"# effective dram peak: {cfg.dram.peak_gbps:.3f} GB/s")
        e = {k: effective(cfg, k) for k in ("pe.mac_pj", "pe.vector_flop_pj", "sram.read_pj_per_byte",
                                             "sram.write_pj_per_byte", "tech.vdd_v")}
        print(f"# effective energies at {cfg.tech.node_nm:g} nm, {e.pop('tech.vdd_v'):.3g} V (null above: derived): "
              + ", ".join(f"{k} {v:.4g}" for k, v in e.items()))
        return 0
    for name in preset_names():
        cfg = load_preset(name)
        mark = " (default)" if name == DEFAULT_PRESET else ""
        print(f"{name}{mark}\n    {cfg.description}")
    return 0
