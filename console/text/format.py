"""How figures read, in one place, for the exporters and the Textual widgets alike.

A number shown in the live table, in a pasted text snapshot and in an incident
note must read the same, and a figure flagged red on screen must carry the same
symbol in plain text: otherwise the on-call engineer and the person reading the
ticket disagree about what was bad. The thresholds are the gateway's own alert
rules (README, What you see: HighErrorRate > 5 %, HighLatency P95 > 2 s), so the colours
agree with what fires.

This module imports nothing from `console` or Textual, so widgets may use it
without reaching into the data layer, and every function is pure.
"""

from __future__ import annotations

import math
from enum import StrEnum

UNKNOWN = "—"
"""What a figure that cannot be known reads as: never a made-up 0."""

ERROR_RATIO_BAD = 0.05
"""HighErrorRate fires above this ratio."""
ERROR_RATIO_WARN = 0.025
"""Half the alert threshold: worth a look before it fires."""
P95_BAD_S = 2.0
"""HighLatency fires when P95 stays above this many seconds."""
P95_WARN_S = 1.5


class Level(StrEnum):
    """How worrying a figure is; widgets map it to a colour, text exports to a symbol."""

    OK = "ok"
    WARN = "warn"
    BAD = "bad"
    UNKNOWN = "unknown"


LEVEL_SYMBOL: dict[Level, str] = {
    Level.OK: "✓",
    Level.WARN: "▲",
    Level.BAD: "✗",
    Level.UNKNOWN: "?",
}
"""Symbols that carry the level without colour (pasted text, Markdown, monochrome)."""

ALERT_STATE_SYMBOL: dict[str, str] = {"firing": "●", "pending": "○", "suppressed": "◌"}
"""Alert states without colour: a filled dot is the one that needs eyes."""

_ORDER = (Level.UNKNOWN, Level.OK, Level.WARN, Level.BAD)
_RANK = {level: rank for rank, level in enumerate(_ORDER)}


def _known(value: float | None) -> float | None:
    """None for a missing or non-finite figure (NaN from an empty histogram, say)."""
    if value is None or not math.isfinite(value):
        return None
    return value


def fmt_rate(value: float | None, *, unit: bool = True) -> str:
    """Requests per second: `20.0/s`, or `20.0` under a column that names the unit."""
    v = _known(value)
    if v is None:
        return UNKNOWN
    if abs(v) >= 1000:
        text = f"{v:,.0f}"
    elif v == 0 or abs(v) >= 0.1:
        text = f"{v:.1f}"
    else:
        # A trickle of 0.02 req/s must not read as 0.0: that would hide the traffic.
        text = f"{v:.3f}"
    return text + "/s" if unit else text


def fmt_ratio_pct(value: float | None) -> str:
    """A 0..1 ratio as a percentage: 0.012 -> `1.2 %`; small non-zero ratios keep digits."""
    v = _known(value)
    if v is None:
        return UNKNOWN
    pct = v * 100
    if pct != 0 and abs(pct) < 0.1:
        return f"{pct:.2f} %"
    return f"{pct:.1f} %"


def fmt_seconds(value: float | None) -> str:
    """A latency: `850 ms` below a second, `1.62 s` above, `12.5 s` beyond ten."""
    v = _known(value)
    if v is None:
        return UNKNOWN
    ms = v * 1000
    if abs(ms) < 1:
        return f"{ms:.2f} ms"
    if round(abs(ms)) < 1000:
        return f"{ms:.0f} ms"
    if abs(v) < 10:
        return f"{v:.2f} s"
    return f"{v:.1f} s"


def fmt_tokens_per_s(value: float | None, *, unit: bool = True) -> str:
    """Tokens per second, compact: `8.0k tok/s`, `950 tok/s`, `2.5 tok/s`."""
    v = _known(value)
    if v is None:
        return UNKNOWN
    a = abs(v)
    if a >= 1_000_000:
        text = f"{v / 1_000_000:.1f}M"
    elif a >= 1000:
        text = f"{v / 1000:.1f}k"
    elif a >= 10 or a == 0:
        text = f"{v:.0f}"
    else:
        text = f"{v:.1f}"
    return text + " tok/s" if unit else text


def fmt_usd_per_h(value: float | None, *, unit: bool = False) -> str:
    """Dollars per hour: `$230.40` (under a `$/h` column) or `$230.40/h` with unit=True."""
    v = _known(value)
    if v is None:
        return UNKNOWN
    text = f"${v:,.2f}"
    return text + "/h" if unit else text


def fmt_count(n: int, noun: str) -> str:
    """`1 model`, `3 models`: a panel's subtitle reads as a sentence."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def fmt_number(value: float | None) -> str:
    """A plain figure such as an HPA metric: `45`, `45.5`; whole numbers lose the `.0`."""
    v = _known(value)
    if v is None:
        return UNKNOWN
    if v == int(v):
        return f"{int(v)}"
    return f"{v:.1f}"


def error_ratio_level(value: float | None) -> Level:
    """BAD where HighErrorRate fires (> 5 %), WARN above half of that."""
    v = _known(value)
    if v is None:
        return Level.UNKNOWN
    if v > ERROR_RATIO_BAD:
        return Level.BAD
    if v > ERROR_RATIO_WARN:
        return Level.WARN
    return Level.OK


def latency_level(value: float | None) -> Level:
    """BAD where HighLatency fires (P95 > 2 s), WARN above 1.5 s."""
    v = _known(value)
    if v is None:
        return Level.UNKNOWN
    if v > P95_BAD_S:
        return Level.BAD
    if v > P95_WARN_S:
        return Level.WARN
    return Level.OK


def worst(*levels: Level) -> Level:
    """The most worrying of several levels; UNKNOWN only when nothing is known."""
    return max(levels, key=_RANK.__getitem__, default=Level.UNKNOWN)


def model_level(error_ratio: float | None, p95_latency_s: float | None) -> Level:
    """One row's level: the worse of its error ratio and its P95."""
    return worst(error_ratio_level(error_ratio), latency_level(p95_latency_s))


def marked(text: str, level: Level) -> str:
    """Append the level's symbol to a figure when it is WARN or BAD, for colourless output."""
    if level in (Level.WARN, Level.BAD):
        return f"{text} {LEVEL_SYMBOL[level]}"
    return text
