"""The help and the palette list what the keys do in this console, not Textual's defaults.

Textual's Screen binds `ctrl+c`/`super+c` to "Copy selected text" and `tab` to "Focus
Next"; here ctrl+c quits (the App's priority binding, as in k9s), so a help that read
"^c Copy selected text" told the on-call engineer the opposite of what the key does.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from console.screens.help import HelpScreen, help_rows, meant
from console.screens.palette import console_commands
from tests.app_harness import demo_app, wait_for_data

TEXTUAL_WORDS = ("Copy selected text", "Focus Next", "Focus Previous")
"""Textual's descriptions of its own bindings: the console words them itself."""


async def test_help_palette_and_footer_name_only_the_consoles_keys(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        titles = [c.title for c in console_commands(app, app.screen)]
        footer = [(key, active.binding.description)  # what the Footer shows
                  for key, active in app.screen.active_bindings.items() if active.binding.show]
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        rows = app.screen.rows
    keys = [row.key for row in rows]
    assert len(keys) == len(set(keys)), keys  # one row a key: the one a press runs
    by_key = {row.key: row.action for row in rows}
    assert by_key["^c"] == by_key["q"] == by_key["^q"] == "quit the console"
    assert by_key["super+c"] == "copy the text selected with the mouse"
    assert by_key["tab"] == "move to the next table"
    assert by_key["shift+tab"] == "move to the previous table"
    shown = [row.action for row in rows] + titles + [words for _, words in footer]
    assert not [w for w in shown if any(t in w for t in TEXTUAL_WORDS)], shown
    assert len(titles) == len(set(titles)), titles  # `w` is the screen's and the App's
    assert {"Restart", "Window", "Pause", "Help", "Quit"} <= set(titles)
    assert ("r", "Restart") in footer and ("q", "Quit") in footer


class Keyed(Screen[None]):
    BINDINGS = [Binding("x", "screen_x", "screen's x"), Binding("z", "screen_z", "screen's z")]


class KeyedApp(App[None]):
    BINDINGS = [Binding("x", "app_x", "App's x", priority=True), Binding("z", "app_z", "App's z")]


async def test_a_key_bound_twice_reads_as_the_binding_a_press_runs() -> None:
    app = KeyedApp()
    async with app.run_test() as pilot:
        screen = Keyed()
        app.push_screen(screen)
        await pilot.pause()
        by_key = {row.key: row.action for row in help_rows(app, screen)}
    assert by_key["x"] == "App's x"  # priority: the App's before the screen's
    assert by_key["z"] == "screen's z"  # otherwise the screen's before the App's
    assert by_key["^q"] == "quit the console"  # Textual's, with the console's words
    assert by_key["^c"] == "copy the text selected with the mouse"  # no App binding wins


def test_textuals_own_bindings_count_only_with_the_consoles_words() -> None:
    assert meant(Screen, Binding("tab", "app.focus_next", "Focus Next"))
    assert not meant(Screen, Binding("ctrl+m", "maximize", "Maximize"))  # a default nobody worded
    assert meant(Keyed, Binding("ctrl+m", "maximize", "Maximize"))  # the console's own
