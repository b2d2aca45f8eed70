"""Where the shipped data lives: the hardware presets (``models/``) and the sample traces (``traces/``).

In a checkout they are the repository's top-level ``models/`` and ``traces/`` folders; a wheel ships the
same folders as the data packages ``accelsim.presets`` and ``accelsim.sample_traces`` (pyproject.toml maps
them), so an installed tool finds them without the repository.
"""

from __future__ import annotations

from pathlib import Path

from accelsim.base.errors import InputError

DEFAULT_TRACE_NAME = "halfcheetah_gst_s0.parquet"

_PACKAGE = Path(__file__).resolve().parents[1]  # accelsim/
_CHECKOUT = _PACKAGE.parent  # the repository, when running from a checkout


def _folder(installed_name: str, checkout_name: str, probe: str) -> Path:
    """The wheel's ``accelsim/<installed_name>`` if it holds ``probe``, else the checkout's ``checkout_name``."""
    for cand in (_PACKAGE / installed_name, _CHECKOUT / checkout_name):
        if cand.is_dir() and any(cand.glob(probe)):
            return cand
    raise InputError(checkout_name, str(_CHECKOUT / checkout_name),
                     f"folder of shipped {checkout_name} not found (expected {_PACKAGE / installed_name} in an "
                     "installed wheel or this folder in a checkout)")


def models_dir() -> Path:
    """Folder of the shipped presets (``*.toml``) and energy tables (``tech/``)."""
    return _folder("presets", "models", "*.toml")


def tech_dir() -> Path:
    """Folder of the energy data files (``models/tech``)."""
    return models_dir() / "tech"


def traces_dir() -> Path:
    """Folder of the shipped sample traces (``*.parquet``)."""
    return _folder("sample_traces", "traces", "*.parquet")


def default_trace() -> Path:
    """The sample trace commands use when none is given (HalfCheetah-v5, GST, seed 0)."""
    return traces_dir() / DEFAULT_TRACE_NAME
