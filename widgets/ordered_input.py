"""An Input that acts on its keys in the order they were typed, bound keys included.

Textual's Input inserts a printable key as soon as it reads it from its queue, but a
key it binds (backspace, delete, ctrl+a, left, enter…) is not acted on there: it
bubbles up through the screen's queue to the App, which only then looks up the
binding and runs it on the Input. A terminal delivers keys typed quickly in one
write, so `⌫5` becomes "insert 5, then delete left": the 5 is deleted, the
backspace looks lost (README, Notes: the upstream report). Here the Input runs its
own bindings when it reads the key, so every key acts in turn. Public API only:
the bindings the classes declare and `run_action`.
"""

from __future__ import annotations

from functools import cache

from textual import events
from textual.binding import Binding
from textual.widgets import Input


@cache
def own_bindings(widget_class: type[Input]) -> dict[str, Binding]:
    """Key -> binding, as the Input classes declare them (a subclass wins per key)."""
    keys: dict[str, Binding] = {}
    for cls in reversed(widget_class.__mro__):
        for binding in Binding.make_bindings(cls.__dict__.get("BINDINGS", ())):
            keys[binding.key] = binding
    return keys


class OrderedInput(Input):
    async def on_key(self, event: events.Key) -> None:
        # Subclass handlers run before Input's own: a bound key is acted on here, in turn,
        # and Input's insert and the App's later binding look-up are both skipped.
        binding = own_bindings(type(self)).get(event.key)
        if binding is None or binding.priority:
            return
        event.stop()
        event.prevent_default()
        await self.run_action(binding.action)
