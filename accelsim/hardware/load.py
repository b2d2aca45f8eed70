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


def load_preset(name: str, flag: str = "--hw") -> HardwareConfig:
    """Load a shipped preset by name (see :func:`preset_names`); ``flag`` is the one that named it."""
    path = models_dir() / f"{name}.toml"
    if not path.is_file():
        raise InputError(flag, name, f"unknown preset; expected one of {', '.join(preset_names())} "
                                       "or a path to a .toml file")
    data = load_toml(path)
    data.setdefault("name", name)
    return from_dict(data, str(path))


def on_base(data: dict[str, Any], source: str) -> dict[str, Any]:
    """A user's TOML tables laid over the shipped preset it names in ``base`` (default: the default preset):
    every key the file does not set comes from that preset, never from built-in values. The base's
    documentation tables (sources, assumptions, peak) describe the base chip and are not carried over."""
    data = dict(data)
    base = data.pop("base", DEFAULT_PRESET)
    if not isinstance(base, str) or base not in preset_names():
        raise InputError(source, "base", f"expected the name of a shipped preset ({', '.join(preset_names())}), "
                                         f"got {base!r}")
    merged: dict[str, Any] = {k: v for k, v in load_toml(models_dir() / f"{base}.toml").items()
                              if k not in DOC_TABLES and k not in ("name", "description")}
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    stem = Path(source).stem
    merged.setdefault("name", stem)
    merged.setdefault("description", f"{stem}: every key it does not set from the preset {base}")
    return merged


def load_hardware(spec: str | None = None, overrides: dict[str, Any] | None = None) -> HardwareConfig:
    """A preset name or a TOML path (default: the default preset), then ``overrides``.

    A TOML file of one's own is laid over a shipped preset (:func:`on_base`): its ``base`` key, or the default
    preset.
    """
    spec = spec or DEFAULT_PRESET
    if spec.endswith(".toml") or "/" in spec:
        path = Path(spec)
        cfg = from_dict(on_base(load_toml(path), str(path)), str(path))
    else:
        cfg = load_preset(spec)
    if overrides:
        cfg = apply_overrides(cfg, overrides)
    return cfg


def preset_sources(name: str) -> dict[str, Any]:
    """The ``[sources]``, ``[assumptions]`` and ``[peak]`` tables of a preset (not config)."""
    data = load_toml(models_dir() / f"{name}.toml")
    return {k: data.get(k, {}) for k in DOC_TABLES}
