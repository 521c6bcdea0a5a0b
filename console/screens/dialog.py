"""The base of every dialog an action waits on: it answers once, it can be withdrawn,
and it takes the keys typed for it while it was on its way.

Why one base: the prompt, the revision list and the confirmation are each a step of
an action that ends in a write, so each must keep the same promises, and written three
times they drift. It answers once: a second `y` or `enter` (a bouncing key, an
impatient user) cannot answer again, so one dialog is never two writes. When the
console switches target while it is open, the action flow withdraws it: from then on it
answers nothing, and it closes as soon as it is on top (a toast or another screen may
cover it at that moment). Keys typed between the action key and the dialog (`s⌫⌫5⏎y` in
one burst) were held for it (screens/type_ahead.py) and are handed to it the first time
it is on screen, after a refresh, once its input or list has the focus.

To subclass (a new dialog of an action, e.g. an editor of matchers):
- pass `cancelled` (what the dialog returns when nobody answered: None, False) and the
  action flow's TypeAhead (None in a test that has no burst to replay);
- answer through `answer_with(value)`, never `dismiss`: it is what makes the answer
  once; `then_more=True` when another dialog of the same action follows, so that the
  keys typed after this answer wait for that one instead of landing on the screen behind;
- bind `escape` (and any other key that says no) to `cancel`: each dialog declares its
  own bindings, so its footer lists them in its order (`y Yes  n No`);
- an input that reads keys itself should check `answered` and hand a key it reads after
  the answer back with `type_ahead.give_back` (screens/prompt.py does);
- a subclass may have its own `on_screen_resume`: this base's handler is separate
  (`@on`), runs after it, and needs no `super()` call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from textual import events, on
from textual.screen import ModalScreen

from console.screens.type_ahead import TypeAhead
from widgets.ordered_input import OrderedInput

ResultT = TypeVar("ResultT")


class DialogScreen(ModalScreen[ResultT]):
    def __init__(self, cancelled: ResultT, type_ahead: TypeAhead | None = None) -> None:
        super().__init__()
        self.cancelled = cancelled
        """What the dialog returns when it was cancelled or withdrawn."""
        self.type_ahead = type_ahead
        self.answered = False
        self._shown = False

    def answer_with(self, value: ResultT, *, then_more: bool = False) -> None:
        """The dialog's one answer; a later one (or one after a withdrawal) is ignored."""
        if self.answered:
            return
        self.answered = True
        if then_more and self.type_ahead is not None:
            self.type_ahead.hold()  # what follows is for the next dialog of the action
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.answer_with(self.cancelled)

    def withdraw(self) -> None:
        """No answer will be taken any more (the target changed); close when on top."""
        self.answered = True
        if self.app.screen is self:
            self.dismiss(self.cancelled)

    @on(events.ScreenResume)
    def _resume_dialog(self) -> None:
        if self.answered and self.app.screen is self:  # withdrawn while covered
            self.dismiss(self.cancelled)
        elif not self._shown and self.type_ahead is not None:
            self._shown = True
            self.call_after_refresh(self.type_ahead.release)  # once it has the focus


class DialogInput(OrderedInput):
    """A dialog's input: `enter` hands its value to `on_submit` at once; a key read after
    the dialog answered was typed for the next one and goes back to wait for it."""

    def __init__(self, dialog: DialogScreen[Any], value: str, on_submit: Callable[[str], None],
                 *, id: str) -> None:
        super().__init__(value=value, id=id)
        self.dialog = dialog
        self._on_submit = on_submit

    async def on_key(self, event: events.Key) -> None:
        if self.dialog.answered:
            event.stop()
            event.prevent_default()
            if self.dialog.type_ahead is not None:
                self.dialog.type_ahead.give_back(event)
            return
        await super().on_key(event)

    async def action_submit(self) -> None:
        self._on_submit(self.value)
