"""The fleet view: the first screen with several targets, one row per cluster.

Each row is a target's worst figures (highest error ratio and P95 of its
models, total request rate), its replicas against the HPA's maximum, its firing
alerts and the health of its sources — a dead target's row says what is wrong
in one line. Below, every cluster's models in one table with a cluster column,
re-sorted with `o`. `enter` opens the selected cluster's overview; `f` there
comes back. The screen only renders what the live feed polled: it reads the
console's state through a read-only view and opens a target through a callback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer

from console.config.settings import Settings
from console.state.console_state import StateView
from console.state.fleet import SORTS, fleet_models, fleet_rows, is_healthy
from console.text.durations import format_duration
from console.views.fleet import (
    FLEET_COLUMNS,
    FLEET_MODEL_COLUMNS,
    fleet_cells,
    fleet_model_cells,
)
from widgets.keyed_table import KeyedTable
from widgets.text_panel import TextPanel

ACTIONS_ELSEWHERE = ("restart", "scale", "delete_pod", "silence", "logs", "events", "filter",
                     "export", "cycle_window")


class FleetScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", show=False),
        Binding("o", "sort", "Sort models"),
        Binding("escape", "back", "Overview"),
        # The overview's actions need one cluster: say so instead of acting on a hidden one.
        *(Binding(key, "elsewhere", show=False)
          for key in ("r", "s", "ctrl+d", "S", "l", "e", "slash", "x")),
    ]

    def __init__(self, state: StateView, settings: Settings,
                 open_target: Callable[[str], None]) -> None:
        super().__init__()
        self.state = state
        self.settings = settings
        self.open_target = open_target
        self.sort = SORTS[0]

    def compose(self) -> ComposeResult:
        yield TextPanel(id="fleet-title")
        yield KeyedTable(FLEET_COLUMNS, id="fleet-targets")
        yield KeyedTable(FLEET_MODEL_COLUMNS, id="fleet-models")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_data()
        self.query_one("#fleet-targets", KeyedTable).focus()

    def on_screen_resume(self) -> None:
        self.refresh_data()

    def refresh_data(self) -> None:
        """Redraw from the latest readings of every target (rows update by key)."""
        state, settings = self.state, self.settings
        rows = fleet_rows(state.targets, state.latest_of, settings.read_only)
        models = fleet_models(state.targets, state.latest_of, self.sort)
        targets = self.query_one("#fleet-targets", KeyedTable)
        table = self.query_one("#fleet-models", KeyedTable)
        with self.app.batch_update():
            targets.sync({r.target: fleet_cells(r) for r in rows})
            table.sync({m.key: fleet_model_cells(m) for m in models})
        healthy = sum(1 for r in rows if is_healthy(r))
        targets.set_titles("Clusters", f"{healthy}/{len(rows)} healthy")
        table.set_titles("Models, all clusters", f"{len(models)} · o: sorted by {self.sort}")
        text = Text()
        text.append(" ai-gateway-console ", style="bold reverse")
        text.append(f"  fleet of {len(rows)}")
        text.append(f"  window {format_duration(state.window_s)}", style="bold")
        text.append(f"  every {format_duration(settings.refresh_s)}")
        if settings.read_only:
            text.append("  READ-ONLY", style="bold black on yellow")
        if state.paused:
            text.append("  ⏸ PAUSED", style="bold black on cyan")
        self.query_one("#fleet-title", TextPanel).show(text)

    def selected_target(self) -> str | None:
        if self.focused is self.query_one("#fleet-models"):
            key = self.query_one("#fleet-models", KeyedTable).selected_key
            return key.split("/", 1)[0] if key else None
        return self.query_one("#fleet-targets", KeyedTable).selected_key

    def action_open(self) -> None:
        name = self.selected_target()
        if name is not None:
            self.open_target(name)

    def on_keyed_table_row_selected(self, event: KeyedTable.RowSelected) -> None:
        event.stop()  # the App's own handler drills into the overview's tables
        self.action_open()

    def action_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.refresh_data()

    def action_back(self) -> None:
        self.dismiss()

    def action_elsewhere(self) -> None:
        self.notify("open a cluster first (enter): actions apply to one cluster",
                    severity="warning")
