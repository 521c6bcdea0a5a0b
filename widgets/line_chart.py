"""A small line chart drawn with braille dots, with its title, last value and min/max;
the y axis spans the data (not zero) and its top and bottom rows are labelled.

Each terminal cell holds a 2x4 grid of braille dots, so a 40-column, 4-row
chart shows 80 points at 16 levels: enough to see a ramp, a step or a spike in
a drill-down without a plotting dependency. The widget only renders the values
it is given; gaps (NaN or None) stay blank rather than being drawn as zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from rich.text import Text
from textual.widget import Widget

Formatter = Callable[[float], str]

_BRAILLE_BASE = 0x2800
# Dot bits by (column within the cell, row within the cell from the top).
_DOTS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
LABEL_WIDTH = 9


def _finite(values: Sequence[float | None]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def resample(values: Sequence[float | None], points: int) -> list[float | None]:
    """`points` values: the mean of each bucket of the input, None for an all-gap bucket."""
    n = len(values)
    if n == 0 or points <= 0:
        return []
    if n <= points:
        return [v if v is not None and math.isfinite(v) else None for v in values]
    out: list[float | None] = []
    for i in range(points):
        lo, hi = i * n // points, max((i + 1) * n // points, i * n // points + 1)
        bucket = _finite(values[lo:hi])
        out.append(math.fsum(bucket) / len(bucket) if bucket else None)
    return out


def braille_rows(
    values: Sequence[float | None], width: int, height: int, low: float, high: float
) -> list[str]:
    """`height` rows of `width` braille cells plotting values (at most 2*width of them)."""
    dots_y = height * 4
    cells = [[0] * width for _ in range(height)]
    span = high - low

    def level(v: float) -> int:
        if span <= 0:
            return dots_y // 2
        return min(dots_y - 1, max(0, round((v - low) / span * (dots_y - 1))))

    previous: int | None = None
    for x, v in enumerate(values[: width * 2]):
        if v is None:
            previous = None
            continue
        y = level(v)
        # Join to the previous point with a vertical run, so a jump reads as a line.
        lo, hi = (y, y) if previous is None else (min(y, previous), max(y, previous))
        for yy in range(lo, hi + 1):
            row_from_top = dots_y - 1 - yy
            cells[row_from_top // 4][x // 2] |= _DOTS[x % 2][row_from_top % 4]
        previous = y
    return ["".join(chr(_BRAILLE_BASE + c) if c else " " for c in row) for row in cells]


class LineChart(Widget):
    """Title with the last value, then braille rows with max/min labels at the left."""

    DEFAULT_CSS = """
    LineChart {
        height: 5;
    }
    """

    def __init__(
        self,
        title: str,
        formatter: Formatter = lambda v: f"{v:g}",
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.title = title
        self.formatter = formatter
        self.values: tuple[float | None, ...] = ()
        self.message: str | None = "loading…"

    def show(self, values: Sequence[float | None]) -> None:
        self.values = tuple(values)
        self.message = None if _finite(self.values) else "no data"
        self.refresh()

    def show_message(self, message: str) -> None:
        """Instead of a chart: why there is none (source failed, figure not exported)."""
        self.values = ()
        self.message = message
        self.refresh()

    @property
    def last(self) -> float | None:
        finite = [v for v in self.values if v is not None and math.isfinite(v)]
        return None if not finite else next(
            v for v in reversed(self.values) if v is not None and math.isfinite(v)
        )

    def summary(self) -> str:
        """The header line: title, last value, min and max (what a test or a reader checks)."""
        finite = _finite(self.values)
        if not finite:
            return f"{self.title}  —"
        last = self.last
        assert last is not None
        return (f"{self.title}  {self.formatter(last)}   "
                f"min {self.formatter(min(finite))}  max {self.formatter(max(finite))}")

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="crop")
        text.append(self.summary(), style="bold")
        rows = max(1, self.size.height - 1)
        width = max(4, self.size.width - LABEL_WIDTH - 1)
        if self.message is not None:
            text.append("\n" + self.message, style="dim")
            return text
        finite = _finite(self.values)
        # The axis spans the data, labelled with its max and min in their units: a P95 of
        # 840-904 ms drawn from zero was a flat line.
        low, high = min(finite), max(finite)
        plotted = resample(self.values, width * 2)
        for i, row in enumerate(braille_rows(plotted, width, rows, low, high)):
            if i == 0:
                label = self.formatter(high)
            elif i == rows - 1:
                label = self.formatter(low)
            else:
                label = ""
            text.append("\n")
            text.append(label[:LABEL_WIDTH].rjust(LABEL_WIDTH) + " ", style="dim")
            text.append(row, style="cyan")
        return text
