"""Feeds: where the overview's state comes from — live polling, or a recording replayed.

The App and its overview are the same in both; only the feed differs. A feed
makes the overview's screen (replay's adds its keys and its title), starts
feeding the one state (console/state/console_state.py) once the panels exist,
and answers the console-wide keys whose meaning depends on it: pause, the rate
window, help.
"""

from __future__ import annotations

from typing import Protocol

from console.model import SourceName
from console.screens.host import OverviewHost
from console.screens.overview import OverviewScreen
from console.sources.base import SourceSet
from console.state.console_state import Change


class Feed(Protocol):
    def screen(self, host: OverviewHost) -> OverviewScreen:
        """The overview this feed draws on (called once, when the App starts)."""
        ...

    def start(self) -> None:
        """The overview is mounted: start feeding it."""
        ...

    def shown(self, change: Change) -> None:
        """A poll was drawn (the live feed holds the cluster back until metrics show)."""
        ...

    def refresh_now(self, *names: SourceName) -> None:
        """Poll these sources of the target shown at once (all without names)."""
        ...

    def toggle_pause(self) -> None: ...

    def cycle_window(self) -> bool:
        """`w`; True when the window changed (the title then says so)."""
        ...

    def help_shown(self) -> None:
        """`?` opened the help; a feed with keys of its own says which."""
        ...

    def start_target(self, sources: SourceSet) -> None:
        """A target joined (a switch built its sources): poll it too."""
        ...

    def stop_target(self, name: str) -> None:
        """A target left: its polls stop, and a late answer of theirs is dropped."""
        ...

    def load_history(self) -> None:
        """Fill the trends of the target shown from Prometheus' recent values."""
        ...
