"""Keys typed while an action's dialog is on its way belong to that dialog.

An action key starts a permission check; its prompt opens when the check answers,
its confirmation when the prompt is answered. Keys typed in between (`s⌫⌫5⏎y` in
one burst) would go to the screen behind: `⏎` opened the model drill-down, `y`
landed in the replica input. So from the action key until its dialog shows, and
from the prompt's answer until the confirmation shows, the App hands every key
here instead of to the screen; the dialog, once on screen, gets them in order.
Keys held for a dialog that never opens (refused, cancelled) are dropped: they
meant something only to it. A key no dialog takes and that moves the console
elsewhere (`:` the command line, `c` contexts, `f` the fleet) ends the wait: the user
has turned away from the action (`:ctx other` while its check is in flight cancels
it), so it goes to the screen as typed, with what follows it, and what was held is
dropped. The action's own key again (`r r`, a bounce) is not held either: the
console refuses it, with a toast and an audit line, as one action at a time wants.
"""

from __future__ import annotations

from textual import events
from textual.app import App

MAX_KEYS = 64
"""A held burst is typing, not a paste: past this many keys the rest are dropped."""

PASS_THROUGH = frozenset({"ctrl+c", "ctrl+q"})
"""Quitting is never held back."""
TURNING_AWAY = frozenset({"colon", "c", "f"})
"""Keys no prompt or confirmation takes that open another place: they end the wait."""


class TypeAhead:
    def __init__(self, app: App[object]) -> None:
        self.app = app
        self.holding = False
        self.keys: list[events.Key] = []
        self._front = 0
        self._own_key: str | None = None

    def hold(self, own_key: str | None = None) -> None:
        """A dialog is on its way: keys wait for it (but `own_key`, the action's own)."""
        self.holding = True
        self._front = 0
        self._own_key = own_key

    def take(self, event: events.Key) -> bool:
        """The App read a key: True when it is held here (the App then does nothing else)."""
        if not self.holding or event.key in PASS_THROUGH or event.key == self._own_key:
            return False
        if event.key in TURNING_AWAY:
            self.drop()
            return False
        if len(self.keys) < MAX_KEYS:
            self.keys.append(events.Key(event.key, event.character))
        return True

    def give_back(self, event: events.Key) -> None:
        """A key the App had already passed to a dialog that has answered since: it
        arrived before every key held after the answer, so it goes before them."""
        if len(self.keys) < MAX_KEYS:
            self.keys.insert(self._front, events.Key(event.key, event.character))
            self._front += 1

    def release(self) -> None:
        """The dialog is on screen (focused): the held keys go to it, in order."""
        keys, self.keys, self.holding, self._front = self.keys, [], False, 0
        for key in keys:
            self.app.post_message(key)

    def drop(self) -> None:
        """The dialog will not come: what was typed for it means nothing elsewhere."""
        self.keys, self.holding, self._front = [], False, 0
