"""The confirmation dialog: what will happen, to what, where, and the kubectl equivalent.

It answers once: a second `y` (a bouncing key, an impatient user) cannot
confirm twice, so an action is never sent twice from one dialog. When the
console switches to another target while it is open, the console withdraws
it: from then on it answers nothing and it closes as soon as it is on top (both kept by
screens/dialog.py, the base of every dialog of an action). Its texts quote
data (an alert's labels, a pod's name) and are shown as written, never as markup:
the dialog shows exactly what the action will use, and nothing in it is a button.
A `y` typed before it showed is handed to it once it is on screen (screens/type_ahead.py).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from console.screens.dialog import DialogScreen
from console.screens.type_ahead import TypeAhead


def diff_text(lines: tuple[str, ...]) -> Text:
    """A unified diff as Text (never markup): additions green, removals red."""
    text = Text()
    for i, line in enumerate(lines):
        style = ("green" if line.startswith("+") and not line.startswith("+++")
                 else "red" if line.startswith("-") and not line.startswith("---") else "")
        text.append(("\n" if i else "") + line, style=style)
    return text


class ConfirmScreen(DialogScreen[bool]):
    BINDINGS = [
        Binding("y", "answer_key('y')", "Yes"),
        Binding("r", "answer_key('r')", "Restart", show=False),
        Binding("n,escape", "cancel", "No"),
    ]

    def __init__(self, title: str, target: str, command: str, warning: str | None = None,
                 where: str | None = None, detail: tuple[str, ...] = (),
                 confirm_key: str = "y", type_ahead: TypeAhead | None = None) -> None:
        super().__init__(False, type_ahead)
        self.title_text = title
        self.target_text = target
        self.command_text = command
        self.warning = warning
        self.where_text = where
        self.detail = detail
        """Lines under the command (a rollback's template diff), coloured as a diff."""
        self.confirm_key = confirm_key
        """`r` for a dialog that follows another (the restart offered after an edit): a
        `y y` meant for the first dialog must not answer the second."""

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(self.title_text, id="confirm-title", markup=False)
            # However long the command (a silence of a 10,000-character label), the title
            # and the keys stay on screen: what is between them scrolls.
            with VerticalScroll(id="confirm-body"):  # ↑ ↓ scroll it
                yield Static(f"target   {self.target_text}", id="confirm-target", markup=False)
                if self.where_text:
                    yield Static(f"where    {self.where_text}", id="confirm-where",
                                 markup=False)
                yield Static(f"same as  {self.command_text}", id="confirm-command",
                             markup=False)
                if self.detail:
                    yield Static(diff_text(self.detail), id="confirm-detail", markup=False)
                if self.warning:
                    yield Static(f"⚠ {self.warning}", id="confirm-warning", markup=False)
            yield Static(f"[b]{self.confirm_key}[/b] confirm    [b]n[/b] / [b]esc[/b] cancel",
                         id="confirm-keys")

    def action_answer_key(self, key: str) -> None:
        if key == self.confirm_key:
            self.answer_with(True)
