"""A one-line prompt (replica count, silence duration) that validates before it closes.

Its question names data (an alert, a Deployment) and its error quotes what was typed:
both are plain text, never markup.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

Validator = Callable[[str], str | None]
"""Returns an error message for a bad value, None when it is fine."""


class PromptScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, default: str, validate: Validator,
                 hint: str | None = None) -> None:
        super().__init__()
        self.question = question
        self.default = default
        self.validate = validate
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Static(self.question, id="prompt-question", markup=False)
            if self.hint:
                yield Static(self.hint, id="prompt-hint", markup=False)
            yield Input(value=self.default, id="prompt-input")
            yield Static("", id="prompt-error", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        error = self.validate(value)
        if error:
            self.query_one("#prompt-error", Static).update(f"✗ {error}")
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
