"""The overview under replay: the same panels, the replay keys, and where we are first.

A small subclass of the overview that adds bindings and a title; the panels,
their drawing and every other key are the overview's. The actions stay bound
(so they say why they are refused: the runner of a replay is read-only) but leave
the footer to the replay keys.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from textual.binding import Binding, BindingType

from console.screens.host import OverviewHost
from console.screens.overview import OverviewScreen
from console.views.titles import ReplayPlace, replay_title
from widgets.text_panel import TextPanel


class ReplayCursor(Protocol):
    """The replay feed's cursor, as its keys move it."""

    @property
    def place(self) -> ReplayPlace: ...

    def step(self, frames: int) -> None: ...

    def seek(self, minutes: int) -> None: ...

    def jump(self, index: int) -> None: ...


class ReplayScreen(OverviewScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "restart", "Restart", show=False),
        Binding("s", "scale", "Scale", show=False),
        Binding("ctrl+d", "delete_pod", "Delete pod", show=False),
        Binding("S", "silence", "Silence", show=False),
        Binding("w", "app.cycle_window", "Window", show=False),
        Binding("p", "app.pause", "Play/pause", show=False),
        Binding("space", "app.pause", "Play/pause"),
        Binding("full_stop", "step(1)", "Step", key_display="."),
        Binding("comma", "step(-1)", "Back", key_display=","),
        Binding("right_square_bracket", "seek(1)", "+1m", key_display="]"),
        Binding("left_square_bracket", "seek(-1)", "-1m", key_display="["),
        Binding("g", "jump(0)", "Start", show=False),
        Binding("G", "jump(-1)", "End", key_display="G", show=False),
    ]

    def __init__(self, host: OverviewHost, cursor: ReplayCursor) -> None:
        super().__init__(host)
        self.cursor = cursor

    def render_title(self) -> None:
        # Where we are in the recording comes first: on a narrow terminal the rest is cut.
        self.query_one("#title", TextPanel).show(
            replay_title(self.cursor.place, self.title_inputs()))

    def action_step(self, frames: int) -> None:
        self.cursor.step(frames)

    def action_seek(self, minutes: int) -> None:
        self.cursor.seek(minutes)

    def action_jump(self, index: int) -> None:
        self.cursor.jump(index)
