"""What the overview's screens read and ask of the App, as a protocol: no screen imports it.

The App is the one implementation; typing the screens against this instead of
the App class keeps the import graph a tree (console/app.py imports the screens,
never the other way round).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from console.actions.flow import ActionFlow
from console.actions.runner import ActionRunner
from console.clock import Clock
from console.config.settings import Settings
from console.model import Snapshot
from console.sources.base import SourceSet
from console.state.console_state import ConsoleState


class OverviewHost(Protocol):
    """What the overview reads and asks for: the App, seen from its main screen."""

    @property
    def state(self) -> ConsoleState: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def sources(self) -> SourceSet:
        """The sources of the target shown (they change when the target is switched)."""
        ...

    @property
    def runner(self) -> ActionRunner: ...

    @property
    def actions(self) -> ActionFlow: ...

    @property
    def export_dir(self) -> Path | None: ...

    @property
    def recording(self) -> bool:
        """--record FILE is writing: the title shows REC."""
        ...

    def snapshot(self) -> Snapshot: ...

    def start_feed(self) -> None:
        """The panels are there: start feeding them."""
        ...
