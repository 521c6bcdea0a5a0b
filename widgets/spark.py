"""A sparkline as a short string, so a trend fits in one table cell."""

from __future__ import annotations

import math
from collections.abc import Sequence

BLOCKS = "▁▂▃▄▅▆▇█"


def spark(values: Sequence[float | None], width: int = 10) -> str:
    """The last `width` values scaled between their own min and max; gaps as spaces."""
    tail = list(values)[-width:]
    finite = [v for v in tail if v is not None and math.isfinite(v)]
    if not finite:
        return " " * width
    low, high = min(finite), max(finite)
    span = high - low
    out = []
    for v in tail:
        if v is None or not math.isfinite(v):
            out.append(" ")
        elif span <= 1e-12:
            out.append(BLOCKS[len(BLOCKS) // 2 - 1])
        else:
            level = int((v - low) / span * (len(BLOCKS) - 1) + 0.5)
            out.append(BLOCKS[min(len(BLOCKS) - 1, level)])
    return "".join(out).rjust(width)
