"""A one-line prompt (replica count, silence duration) that validates before it closes.

A validator that raises is a bug, but a typed value must never crash the
console: it then reads as refused. Like the confirmation, the prompt answers
once and can be withdrawn by the console when the target changes.
Its question names data (an alert, a Deployment) and its error quotes what was
typed: both are plain text, never markup.
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
        self.answered = False

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Static(self.question, id="prompt-question", markup=False)
            if self.hint:
                yield Static(self.hint, id="prompt-hint", markup=False)
            yield Input(value=self.default, id="prompt-input")
            yield Static("", id="prompt-error", markup=False)  # quotes what was typed

    def _error(self, value: str) -> str | None:
        try:
            return self.validate(value)
        except Exception:
            return "not a valid value"

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.answered:
            return
        value = event.value.strip()
        error = self._error(value)
        if error:
            self.query_one("#prompt-error", Static).update(f"✗ {error}")
            return
        self.answered = True
        self.dismiss(value)

    def action_cancel(self) -> None:
        if self.answered:
            return
        self.answered = True
        self.dismiss(None)

    def withdraw(self) -> None:
        """No answer will be taken any more (the target changed); close when on top."""
        self.answered = True
        if self.app.screen is self:
            self.dismiss(None)

    def on_screen_resume(self) -> None:
        if self.answered and self.app.screen is self:  # withdrawn while another screen was on top
            self.dismiss(None)
