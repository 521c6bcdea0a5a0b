"""Durations as people type them (`30s`, `5m`, `1h30m`) and as PromQL wants them."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)")
_NUMBER = re.compile(r"[0-9]{1,20}(?:\.[0-9]{1,20})?")


def _shown(text: str) -> str:
    """The typed text quoted for an error line: repr escapes control characters; cut short."""
    return repr(text if len(text) <= 40 else text[:40] + "…")


def _sum_parts(raw: str) -> float | None:
    """Seconds in `1h30m`-style text, or None when it is not made of unit parts only."""
    pos = 0
    total = 0.0
    for match in _PART.finditer(raw):
        if match.start() != pos:
            return None
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    return total if pos == len(raw) and pos > 0 else None


class DurationTooLong(ValueError):
    """A duration whose number overflows: a prompt with its own maximum says that instead."""


def parse_duration(text: str) -> float:
    """Seconds in a duration like `2s`, `5m`, `1h30m`; ValueError names what is wrong.

    Always finite and above zero: a NaN or infinite interval reaches timers that raise far
    from the flag that caused it.
    """
    raw = text.strip().lower()
    if not raw:
        raise ValueError("empty duration")
    total = _sum_parts(raw)
    if total is None and _NUMBER.fullmatch(raw):
        if float(raw) == 0:
            raise ValueError(f"{_shown(text)} must be longer than zero")
        raise ValueError(f"{_shown(text)} has no unit (write e.g. {raw}s or {raw}m)")
    if total is None:
        if raw.startswith("-") and _sum_parts(raw[1:]) is not None:
            raise ValueError(f"{_shown(text)} is negative: a duration must be longer than zero")
        raise ValueError(f"{_shown(text)} is not a duration (use e.g. 30s, 5m, 1h)")
    if not math.isfinite(total):
        raise DurationTooLong(f"{_shown(text)} is too long to be a duration")
    if total <= 0:
        raise ValueError(f"{_shown(text)} must be longer than zero")
    return total


def format_duration(seconds: float) -> str:
    """The shortest exact form PromQL accepts: 300 -> `5m`, 90 -> `90s`."""
    whole = round(seconds)
    if abs(seconds - whole) > 1e-9 or whole <= 0:
        return f"{max(1, round(seconds * 1000))}ms"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if whole % size == 0:
            return f"{whole // size}{unit}"
    return f"{whole}s"


def format_age(seconds: float | None) -> str:
    """A compact age for tables: `42s`, `5m`, `3h`, `2d`."""
    if seconds is None or not math.isfinite(seconds):
        # int(NaN) raises: an unknowable age must read as unknown, not crash a table.
        return "—"
    s = max(0, int(seconds))
    if s < 120:
        return f"{s}s"
    if s < 7200:
        return f"{s // 60}m"
    if s < 172800:
        return f"{s // 3600}h"
    return f"{s // 86400}d"


def utc_stamp(moment: float | datetime) -> str:
    """RFC 3339 in UTC with a `Z`, to the second: the one form of every timestamp we write
    (the JSON contract, the audit log, exports, the restartedAt annotation)."""
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
