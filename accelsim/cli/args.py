"""Argument types shared by subcommands: sizes with binary suffixes, numbers, each refused in one line."""

from __future__ import annotations

import argparse


def int_arg(flag: str):
    """argparse type for ``flag``: an integer, optionally with a binary suffix (``4096``, ``4Ki``, ``1Mi``)."""

    def parse(text: str) -> int:
        t = text.strip()
        mult = 1
        for suffix, m in (("Ki", 1 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30)):
            if t.endswith(suffix):
                t, mult = t[: -len(suffix)], m
        try:
            return int(t, 0) * mult
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer (e.g. 4096 or 4Ki), got {text!r}") from None

    return parse


def float_arg(flag: str):
    def parse(text: str) -> float:
        try:
            return float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None

    return parse
