"""The child side of ``accelsim capture``: run a script unmodified under a :class:`~accelsim.capture.recorder.Recorder`.

    python -m accelsim.capture.launch RUN_DIR SCRIPT.py [ARGS...]

The script runs as ``__main__`` (``runpy``), with ``sys.argv = [SCRIPT.py, ARGS...]`` and its folder first on
``sys.path``, as ``python SCRIPT.py`` would run it. The recorder finds the networks and optimizers itself. Exit
status: the script's own; 3 when torch is missing (the parent turns that into one line). Whatever happens, the
recorder closes, so a script that fails midway leaves a trace readable up to its last part.

With ``ACCELSIM_CAPTURE_FLOPS=1`` in the environment, the script also runs inside torch's own
``torch.utils.flop_counter.FlopCounterMode`` (entered before the recorder, so both see the same run) and
``RUN_DIR/flop_count.json`` gets its total (``{"flops": F, "macs": F // 2, "by_op": {op: flops}}``): the check that
the trace's GEMM MACs are torch's. It slows the script down; it is for tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import runpy
import sys
import traceback

#: Exit status meaning "torch is not installed" (the parent prints one line).
NO_TORCH = 3
#: The environment variable that asks for torch's own FLOP count of the same run.
FLOPS_ENV = "ACCELSIM_CAPTURE_FLOPS"


def main(argv: list[str]) -> int:
    run_dir, script, *args = argv
    try:
        import torch  # noqa: F401
    except ImportError:
        sys.stderr.write("accelsim capture: torch is not installed in this interpreter\n")
        return NO_TORCH
    from accelsim.capture.recorder import Recorder

    script = os.path.abspath(script)
    sys.argv = [script, *args]
    sys.path[0] = os.path.dirname(script)
    code = 0
    counter = None
    if os.environ.get(FLOPS_ENV, "") not in ("", "0"):
        from torch.utils.flop_counter import FlopCounterMode

        counter = FlopCounterMode(display=False)
    rec = Recorder(run_dir, run_meta={"script": os.path.basename(script), "args": args})
    rec.start()
    try:
        with counter if counter is not None else contextlib.nullcontext():
            runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        c = exc.code
        code = c if isinstance(c, int) else (0 if c is None else 1)
        if not isinstance(c, int | None):
            sys.stderr.write(f"{c}\n")
    except BaseException:  # the script's own failure: show it as python would, and keep the trace
        traceback.print_exc()
        code = 1
    finally:
        rec.close()
        if counter is not None:
            total = int(counter.get_total_flops())
            by_op = {str(op): int(n) for op, n in counter.get_flop_counts().get("Global", {}).items()}
            with open(os.path.join(run_dir, "flop_count.json"), "w") as fh:
                json.dump({"flops": total, "macs": total // 2, "by_op": by_op}, fh, indent=2, sort_keys=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
