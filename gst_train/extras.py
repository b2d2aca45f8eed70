"""The trainer's own dependencies (``pip install "accelsim[train]"``), checked before they are imported.

The simulator installs without them; a command of the trainer run without them says so in one line and exits 2
instead of failing on an import deep inside.
"""

from __future__ import annotations

import importlib.util
import sys

#: import name -> what to install (the ``train`` extra of pyproject.toml).
TRAIN_MODULES = {"torch": "torch", "gymnasium": "gymnasium[mujoco]", "mujoco": "mujoco",
                 "tensorboard": "tensorboard"}
DISTRIBUTED_MODULES = {"distributed": "dask[distributed]"}


def missing(modules: dict[str, str]) -> list[str]:
    """The packages of ``modules`` that are not installed here."""
    return [pkg for name, pkg in modules.items() if importlib.util.find_spec(name) is None]


def require(prog: str, modules: dict[str, str] = TRAIN_MODULES) -> int | None:
    """None if every module is importable; else print one line naming what is missing and return 2."""
    gone = missing(modules)
    if not gone:
        return None
    sys.stderr.write(f"{prog}: error: the trainer needs {', '.join(gone)}, which this environment lacks; "
                     f"install them with: pip install \"accelsim[train]\"\n")
    return 2
