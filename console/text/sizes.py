"""File sizes as people type them (`20MB`, `512KiB`, `1048576`) and as --print-config
writes them."""

from __future__ import annotations

import math
import re

_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2,
          "g": 1024**3, "gb": 1024**3}
_SIZE = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([kmg]?b?)")
MAX_SIZE = 1024**4
"""1 TiB: larger is a typo, and a float that large no longer counts bytes exactly."""


def parse_size(text: str) -> int:
    """Bytes in a size like `20MB`, `512k` or `1048576`; ValueError names what is wrong."""
    raw = text.strip().lower().replace("ib", "b")
    match = _SIZE.fullmatch(raw)
    shown = repr(text if len(text) <= 40 else text[:40] + "…")
    if match is None:
        raise ValueError(f"{shown} is not a size (use e.g. 20MB, 512KB)")
    size = float(match.group(1)) * _UNITS[match.group(2)]
    if not math.isfinite(size) or size > MAX_SIZE:
        raise ValueError(f"{shown} is too large (at most 1TB)")
    return int(size)


def format_size(size: int) -> str:
    """The shortest exact form parse_size reads back: 20971520 -> `20MB`, 1000 -> `1000B`."""
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size and size % factor == 0:
            return f"{size // factor}{unit}"
    return f"{size}B"
