"""The confirmation dialog: what will happen, to what, and the kubectl equivalent.

It answers once: a second `y` (a bouncing key, an impatient user) cannot
confirm twice, so an action is never sent twice from one dialog. Its texts quote
data (an alert's labels, a pod's name) and are shown as written, never as markup:
the dialog shows exactly what the action will use, and nothing in it is a button.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, title: str, target: str, command: str, warning: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.target_text = target
        self.command_text = command
        self.warning = warning
        self.answered = False

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(self.title_text, id="confirm-title", markup=False)
            yield Static(f"target   {self.target_text}", id="confirm-target", markup=False)
            yield Static(f"same as  {self.command_text}", id="confirm-command", markup=False)
            if self.warning:
                yield Static(f"⚠ {self.warning}", id="confirm-warning", markup=False)
            yield Static("[b]y[/b] confirm    [b]n[/b] / [b]esc[/b] cancel", id="confirm-keys")

    def action_answer(self, yes: bool) -> None:
        if self.answered:
            return
        self.answered = True
        self.dismiss(yes)
