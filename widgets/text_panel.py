"""A Static that repaints only when what it shows really changed.

Over SSH every repaint costs bytes; a panel fed the same text each refresh
should cost nothing. And a panel whose text changed but not its shape (the
status line's ages, every second) is repainted without a layout of the whole
screen, which was the largest single cost of a refresh (tests/perf).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static


class TextPanel(Static):
    def __init__(self, text: Text | str = "", **kwargs: object) -> None:
        super().__init__(text, **kwargs)  # type: ignore[arg-type]
        self._last: tuple[str, tuple[object, ...]] | None = None
        self._shape: tuple[int, int] | None = None
        self.repaints = 0

    def show(self, text: Text | str) -> bool:
        """Display `text`; returns False when nothing changed and nothing was sent."""
        rich_text = Text(text) if isinstance(text, str) else text
        spans = tuple((s.start, s.end, str(s.style)) for s in rich_text.spans)
        signature = (rich_text.plain, spans)
        if signature == self._last:
            return False
        self._last = signature
        shape = self._shape_of(rich_text.plain)
        self.update(rich_text, layout=shape != self._shape)
        self._shape = shape
        self.repaints += 1
        return True

    def _shape_of(self, plain: str) -> tuple[int, int]:
        """What the panel's size can depend on: its line count, and its widest line when
        the width is auto or a line is wide enough to wrap."""
        lines = plain.split("\n")
        widest = max(cell_len(line) for line in lines)
        width = self.styles.width
        if (width is None or width.is_auto) or widest >= self.content_size.width:
            return (len(lines), widest)
        return (len(lines), -1)
