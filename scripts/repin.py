#!/usr/bin/env python
"""Re-pin the model's figures after an intended change, print the diff, and log it in docs/model.md.

    make repin REASON="what changed and why"      # = .venv/bin/python scripts/repin.py --reason "..."
    .venv/bin/python scripts/repin.py --check     # print the diff only; exit 1 if any figure moved

Every preset has its own file in tests/data/pinned/. A re-pin that moves any figure needs a reason; it is
written as a changelog entry with the default preset's speedup and energy ratio on the default trace,
before and after (see tests/pinned.py).
"""

from __future__ import annotations

import datetime as _dt
import json
import sys
from pathlib import Path

from accelsim.base.argparser import OneLineParser
from accelsim.base.atomic import atomic_write_text
from accelsim.base.resources import DEFAULT_TRACE_NAME
from accelsim.hardware.load import DEFAULT_PRESET, preset_names

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import pinned

HEADLINE_TRACE = DEFAULT_TRACE_NAME.removesuffix(".parquet")


def _headline(figs: dict) -> str:
    f = figs.get(HEADLINE_TRACE)
    return "n/a" if f is None else f"speedup {f['speedup']:.4f}x, energy ratio {f['energy_ratio']:.4f}"


def main(argv: list[str] | None = None) -> int:
    ap = OneLineParser(prog="repin", description=__doc__.splitlines()[0])
    ap.add_argument("--reason", help="the model change behind the new figures (required when any figure moves)")
    ap.add_argument("--check", action="store_true", help="only print the diff; exit 1 if any figure moved")
    args = ap.parse_args(argv)

    pinned.PIN_DIR.mkdir(parents=True, exist_ok=True)
    moved: dict[str, tuple[dict | None, dict]] = {}
    for preset in preset_names():
        new = pinned.preset_figures(preset)
        path = pinned.pin_path(preset)
        old = json.loads(path.read_text()) if path.exists() else None
        diffs = pinned.differences(old or {}, new)
        if old is None:
            print(f"{preset}: new pin")
            moved[preset] = (None, new)
        elif diffs:
            print(f"{preset}: {len(diffs)} figures moved")
            print(pinned.format_diff(diffs))
            moved[preset] = (old, new)
        else:
            print(f"{preset}: unchanged")
    if args.check:
        return 1 if moved else 0
    if not moved:
        return 0
    if not args.reason:
        print("repin: error: figures moved; give --reason (REASON=... with make repin)", file=sys.stderr)
        return 2
    for preset, (_, new) in moved.items():
        atomic_write_text(pinned.pin_path(preset), json.dumps(new, indent=1, sort_keys=True) + "\n")
    old_d, new_d = moved.get(DEFAULT_PRESET, (None, None))
    if new_d is None:
        head = f"{DEFAULT_PRESET} unchanged"
    else:
        head = f"{DEFAULT_PRESET} on {HEADLINE_TRACE}: {_headline(old_d) if old_d else 'new'} -> {_headline(new_d)}"
    entry = (f"- {_dt.date.today().isoformat()} — {args.reason}. {head}. "
             f"Presets re-pinned: {', '.join(moved)}.\n")
    text = pinned.CHANGELOG.read_text()
    if pinned.CHANGELOG_HEADING not in text:
        text = text.rstrip("\n") + f"\n\n{pinned.CHANGELOG_HEADING}\n\n" \
            "Every re-pin of `tests/data/pinned/` (`make repin REASON=...`) adds a line here, newest last.\n"
    atomic_write_text(pinned.CHANGELOG, text.rstrip("\n") + "\n" + entry)
    print(f"re-pinned {len(moved)} preset(s); changelog: {entry.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
