"""The read-only detail modal and the events table.

The model and pod drill-downs (screens/model_detail.py, screens/pod_detail.py) build on
DetailScreen, so every detail view opens, scrolls and closes the same way. Titles and
cells quote data (a model's or pod's name, an event's message): they are plain text,
never markup, in Textual's Static as in Rich's Table (which reads a str cell as markup).
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from console.views.events import events_table

__all__ = ["DetailScreen", "events_table"]


class DetailScreen(ModalScreen[None]):
    """A scrollable modal of rich renderables; escape closes it."""

    BINDINGS = [Binding("escape,q,enter", "close", "Close"),
                Binding("question_mark", "app.help", "Help", key_display="?")]

    def __init__(self, title: str, *parts: Table | Text | str) -> None:
        super().__init__()
        self.title_text = title
        self.parts = parts

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail-body"):
            yield Static(self.title_text, id="detail-title", markup=False)
            for part in self.parts:
                yield Static(part, markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
