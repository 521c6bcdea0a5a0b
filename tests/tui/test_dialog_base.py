"""The dialog base's promises, seen through a subclass of its own as a new dialog would be.

The prompt, revision list and confirmation are tested through the console's actions
(test_type_ahead, test_action_binding); these check what a new subclass (a matcher
editor) inherits without writing it again: one answer, a withdrawal that closes the
dialog once it is back on top, keys held for it handed over once it shows, and its own
`on_screen_resume` running beside the base's without a `super()` call.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.pilot import Pilot
from textual.screen import ModalScreen
from textual.widgets import Static

from console.screens.dialog import DialogScreen
from console.screens.type_ahead import TypeAhead
from tests.app_harness import pilot_until


class Pick(DialogScreen[str | None]):
    """A dialog that answers with the key pressed and notes its own resumes."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, type_ahead: TypeAhead | None = None) -> None:
        super().__init__(None, type_ahead)
        self.resumed = 0
        self.keys: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("pick a or b")

    def on_key(self, event: events.Key) -> None:
        self.keys.append(event.key)
        if event.key in ("a", "b"):
            self.answer_with(event.key)

    def on_screen_resume(self) -> None:
        self.resumed += 1


class Cover(ModalScreen[None]):
    BINDINGS = [Binding("escape", "dismiss", "Close")]


class Host(App[object]):
    def __init__(self) -> None:
        super().__init__()
        self.results: list[str | None] = []

    def ask(self, dialog: Pick) -> None:
        self.push_screen(dialog, self.results.append)


async def until(pilot: Pilot[Any], done: Callable[[], bool]) -> None:
    await pilot_until(pilot, done, 5.0, step=0.01)  # a few seconds on a loaded box


@contextlib.asynccontextmanager
async def shown() -> AsyncIterator[tuple[Host, Pilot[Any], Pick]]:
    """A Pick on top of a running Host, once its first resume was handled."""
    app = Host()
    async with app.run_test() as pilot:
        dialog = Pick()
        app.ask(dialog)
        await until(pilot, lambda: app.screen is dialog and dialog.resumed == 1)
        yield app, pilot, dialog


async def test_a_dialog_answers_once() -> None:
    async with shown() as (app, pilot, dialog):
        dialog.answer_with("a")  # a bounce: both before the dialog has gone
        dialog.answer_with("b")
        dialog.withdraw()
        await until(pilot, lambda: app.screen is not dialog)
        await pilot.pause(0.05)
        assert app.results == ["a"]


async def test_withdrawn_on_top_it_closes_at_once_and_takes_no_answer() -> None:
    async with shown() as (app, pilot, dialog):
        dialog.withdraw()
        dialog.answer_with("a")
        await until(pilot, lambda: app.results != [])
        await pilot.pause(0.05)
        assert app.results == [None] and dialog not in app.screen_stack


async def test_escape_cancels_with_the_dialogs_own_nothing() -> None:
    async with shown() as (app, pilot, dialog):
        await pilot.press("escape")
        await until(pilot, lambda: app.results != [])
        assert app.results == [None] and dialog.answered


async def test_withdrawn_while_covered_it_closes_once_back_on_top() -> None:
    async with shown() as (app, pilot, dialog):
        app.push_screen(Cover())
        await until(pilot, lambda: isinstance(app.screen, Cover))
        dialog.withdraw()
        await pilot.pause(0.05)
        assert app.results == [] and dialog in app.screen_stack  # covered: not closed yet
        await pilot.press("escape")  # the cover goes; the withdrawn dialog is on top again
        await until(pilot, lambda: app.results != [])
        assert app.results == [None]
        assert dialog not in app.screen_stack
        assert dialog.resumed == 2  # its own handler ran beside the base's, both times


async def test_keys_held_for_it_reach_it_once_it_shows_and_answer_it() -> None:
    app = Host()
    async with app.run_test() as pilot:
        type_ahead = TypeAhead(app)
        type_ahead.hold()
        for key in ("x", "b"):
            assert type_ahead.take(events.Key(key, key))
        dialog = Pick(type_ahead)
        app.ask(dialog)
        await until(pilot, lambda: app.results != [])
        assert dialog.keys == ["x", "b"]
        assert app.results == ["b"]
        assert not type_ahead.holding and type_ahead.keys == []
