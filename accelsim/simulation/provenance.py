"""How a result was made, for the files that carry it: the effective hardware configuration, the trace's identity,
the code's version and the model's latest changelog entry (docs/model.md), so a figure can be reproduced from
its file alone."""

from __future__ import annotations

import os
from typing import Any

from accelsim.hardware.config import HardwareConfig

#: The latest entry of the model's changelog of pinned figures (docs/model.md), its date and title: every re-pin
#: that moves a figure adds an entry there, and tests/test_provenance.py keeps this in step with it.
MODEL_CHANGELOG = "2026-12-08 — Busiest channel of a long random stream"


def provenance(trace: str | os.PathLike, trace_id: str, model_id: str, hardware: str | None,
               overrides: dict[str, Any], config: HardwareConfig) -> dict[str, Any]:
    """The ``provenance`` block of a report.

    Args:
        trace: the trace's path as given; ``trace_id`` its content hash (the one that keys a sweep's saved state).
        model_id: the simulator code's hash (:func:`accelsim.studies.sweep.model_id`).
        hardware: the preset name or file as given (None: the default preset); ``overrides`` the ``--set`` keys.
        config: the effective configuration, every key after the overrides (``hardware_config``; loads back with
            :func:`accelsim.hardware.config.from_dict`).
    """
    from accelsim import __version__

    return {
        "accelsim_version": __version__,
        "model_id": model_id,
        "model_changelog": MODEL_CHANGELOG,
        "trace_path": os.fspath(trace),
        "trace_id": trace_id,
        "hardware": hardware,
        "overrides": {k: str(v) for k, v in overrides.items()},
        "hardware_config": config.to_dict(),
    }
