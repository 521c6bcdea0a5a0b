"""A Static that repaints only when what it shows really changed.

Over SSH every repaint costs bytes; a panel fed the same text each refresh
should cost nothing.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class TextPanel(Static):
    def __init__(self, text: Text | str = "", **kwargs: object) -> None:
        super().__init__(text, **kwargs)  # type: ignore[arg-type]
        self._last: tuple[str, tuple[object, ...]] | None = None
        self.repaints = 0

    def show(self, text: Text | str) -> bool:
        """Display `text`; returns False when nothing changed and nothing was sent."""
        rich_text = Text(text) if isinstance(text, str) else text
        spans = tuple((s.start, s.end, str(s.style)) for s in rich_text.spans)
        signature = (rich_text.plain, spans)
        if signature == self._last:
            return False
        self._last = signature
        self.update(rich_text)
        self.repaints += 1
        return True
