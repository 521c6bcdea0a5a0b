"""A one-line prompt (replica count, silence duration) that validates before it closes.

A validator that raises is a bug, but a typed value must never crash the
console: it then reads as refused. Like every dialog of an action (screens/dialog.py),
the prompt answers once and can be withdrawn by the console when the target changes.
Its question names data (an alert, a Deployment) and its error quotes what was
typed: both are plain text, never markup.

Keys typed before it showed are handed to it once it is on screen, and keys typed
after `enter` answered it wait for the confirmation that follows (screens/type_ahead.py):
its input acts on every key in turn (widgets/ordered_input.py) and answers at `enter`,
before it reads the next key.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from console.screens.dialog import DialogInput, DialogScreen
from console.screens.type_ahead import TypeAhead

Validator = Callable[[str], str | None]
"""Returns an error message for a bad value, None when it is fine."""


class PromptScreen(DialogScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, default: str, validate: Validator,
                 hint: str | None = None, type_ahead: TypeAhead | None = None) -> None:
        super().__init__(None, type_ahead)
        self.question = question
        self.default = default
        self.validate = validate
        self.hint = hint
        self.answer: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Static(self.question, id="prompt-question", markup=False)
            if self.hint:
                yield Static(self.hint, id="prompt-hint", markup=False)
            yield DialogInput(self, self.default, self.submit, id="prompt-input")
            yield Static("", id="prompt-error", markup=False)  # quotes what was typed

    def _error(self, value: str) -> str | None:
        try:
            return self.validate(value)
        except Exception:
            return "not a valid value"

    def submit(self, typed: str) -> None:
        if self.answered:
            return
        value = typed.strip()
        error = self._error(value)
        if error:
            self.query_one("#prompt-error", Static).update(f"✗ {error}")
            return
        self.answer = value
        self.answer_with(value, then_more=True)  # what follows is for the confirmation
