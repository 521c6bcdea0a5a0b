"""The command palette's entries: the console's own actions, by the names the footer uses.

Textual's palette lists Theme, Keys, Maximize and Screenshot by default; none of them
helps at 3 a.m. (a screenshot goes to a folder nobody looks in, and `x` exports what
matters). The palette lists instead every action the screen it was opened from binds,
from the same bindings as the footer and the help (screens/help.py), so it cannot
offer an action the screen does not have, nor Textual's own (focus, copy text), and
an action bound on both the screen and the App (`w`, `p`) is offered once.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from textual.app import App, SystemCommand
from textual.screen import Screen

from console.screens.help import (
    ACTION_HELP,
    TEXTUAL_MOVES,
    action_name,
    declared_bindings,
    key_bindings,
)

LEFT_OUT = frozenset({"command_palette", "quit", "help"}) | TEXTUAL_MOVES
"""Listed once at the end instead (quit), the palette itself, or a key of moving."""


def console_commands(app: App[Any], screen: Screen[Any]) -> Iterator[SystemCommand]:
    seen: set[str] = set()
    app_bindings = declared_bindings(app)
    for binding in key_bindings(app, screen):
        name = action_name(binding)
        title = binding.description
        owner = app if binding.action.startswith("app.") or binding in app_bindings else screen
        if (not title or name in LEFT_OUT or name in seen  # `w`: the screen's and the App's
                or not owner.check_action(name, ())):  # `f` without a fleet
            continue
        seen.add(name)
        words = ACTION_HELP.get(name, (title, ""))[0]
        yield SystemCommand(title, f"{app.get_key_display(binding)}  {words}",
                            partial(app.run_action, binding.action, screen))
    yield SystemCommand("Help", "?  every key of this screen",
                        partial(app.run_action, "app.help", screen))
    yield SystemCommand("Quit", "q, ctrl+c  quit the console", partial(app.run_action, "app.quit"))
