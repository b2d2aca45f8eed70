"""Hardware from files: the shipped presets (``models/``), a TOML of one's own, and their documentation tables."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from accelsim.base.errors import InputError
from accelsim.base.resources import models_dir
from accelsim.hardware.config import DOC_TABLES, HardwareConfig, apply_overrides, from_dict

DEFAULT_PRESET = "edge-lpddr4"


def preset_names() -> list[str]:
    return sorted(p.stem for p in models_dir().glob("*.toml"))


def load_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; a missing or malformed file is an InputError."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise InputError(str(path), "", "file not found") from None
    except UnicodeDecodeError as exc:
        raise InputError(str(path), "", f"not UTF-8 text (byte {exc.start}); a TOML file is UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(str(path), "", f"malformed TOML ({exc})") from None
    except OSError as exc:
        raise InputError(str(path), "", f"cannot read ({exc.strerror})") from None


def load_preset(name: str) -> HardwareConfig:
    """Load a shipped preset by name (see :func:`preset_names`)."""
    path = models_dir() / f"{name}.toml"
    if not path.is_file():
        raise InputError("--hw", name, f"unknown preset; expected one of {', '.join(preset_names())} "
                                       "or a path to a .toml file")
    data = load_toml(path)
    data.setdefault("name", name)
    return from_dict(data, str(path))


def load_hardware(spec: str | None = None, overrides: dict[str, Any] | None = None) -> HardwareConfig:
    """A preset name or a TOML path (default: the default preset), then ``overrides``."""
    spec = spec or DEFAULT_PRESET
    if spec.endswith(".toml") or "/" in spec:
        path = Path(spec)
        data = load_toml(path)
        data.setdefault("name", path.stem)
        cfg = from_dict(data, str(path))
    else:
        cfg = load_preset(spec)
    if overrides:
        cfg = apply_overrides(cfg, overrides)
    return cfg


def preset_sources(name: str) -> dict[str, Any]:
    """The ``[sources]``, ``[assumptions]`` and ``[peak]`` tables of a preset (not config)."""
    data = load_toml(models_dir() / f"{name}.toml")
    return {k: data.get(k, {}) for k in DOC_TABLES}
