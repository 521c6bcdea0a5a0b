"""Drill-down charts are scaled to the data with a labelled axis (issue 17): a P95 of
840-904 ms must not draw as a flat line along a zero it never reached."""

from __future__ import annotations

from textual.app import App, ComposeResult

from console.text.format import fmt_seconds
from widgets.line_chart import LABEL_WIDTH, LineChart

BRAILLE_DOTS_BOTTOM = (0x40, 0x80)
BRAILLE_DOTS_TOP = (0x01, 0x08)


class ChartApp(App[None]):
    def compose(self) -> ComposeResult:
        yield LineChart("P95", fmt_seconds, id="c")


def dots(cell: str) -> int:
    return ord(cell) - 0x2800 if cell.strip() else 0


async def test_the_axis_spans_the_data_and_says_its_ends() -> None:
    app = ChartApp()
    async with app.run_test(size=(50, 5)) as pilot:
        chart = app.query_one("#c", LineChart)
        values = [0.840 + 0.064 * i / 39 for i in range(40)]  # a ramp 840 → 904 ms
        chart.show(values)
        await pilot.pause()
        lines = chart.render().plain.splitlines()
        assert lines[0] == "P95  904 ms   min 840 ms  max 904 ms"
        rows = lines[1:]
        labels = [row[:LABEL_WIDTH].strip() for row in rows]
        assert (labels[0], labels[-1]) == ("904 ms", "840 ms")  # not 0.00 ms
        plot = [row[LABEL_WIDTH + 1:] for row in rows]
        # The ramp starts on the bottom row's lowest dots and ends on the top row's highest.
        assert dots(plot[-1][0]) & BRAILLE_DOTS_BOTTOM[0]
        assert not any(dots(c) for c in plot[0][:5])
        last = max(i for i, c in enumerate(plot[0]) if c.strip())
        assert dots(plot[0][last]) & (BRAILLE_DOTS_TOP[0] | BRAILLE_DOTS_TOP[1])
        # Every row holds part of the line: it is not flat.
        assert all(any(c.strip() for c in row) for row in plot)
