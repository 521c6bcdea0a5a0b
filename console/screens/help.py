"""The help screen: every key bound where it was opened, what it does and what guards it.

The rows are derived from the bindings of the screen the help was opened from (and
the App's), so the help cannot drift from the keymap: a new binding shows up here
with its footer description even before it gets a longer text below. Textual's own
bindings (Screen's `tab`, `super+c` copy, App's `^q`) are listed only with words the
console gives them below, so that a new default of Textual shows up nowhere until
someone decides what it means here (the test of the help lists every active key). A
key bound twice is listed with what it does here: the App's priority binding before the
screen's (`^c` quits, not Textual's copy, as Textual dispatches it), else the screen's
before the App's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

CONFIRMED = "confirm · read-only · RBAC"

ACTION_HELP: dict[str, tuple[str, str]] = {
    "restart": ("restart the Deployment (kubectl rollout restart)", CONFIRMED),
    "scale": ("scale the Deployment (the HPA may override it)", CONFIRMED),
    "delete_pod": ("delete the selected pod", CONFIRMED),
    "rollback": ("roll the Deployment back to a revision (kubectl rollout undo)", CONFIRMED),
    "hpa_bounds": ("set the HPA's min and max replicas", CONFIRMED),
    "edit_config": ("edit the gateway's ConfigMap in $VISUAL/$EDITOR, then offer the restart",
                    CONFIRMED),
    "silences": ("the silences in force (creator, comment, end); ctrl+d there expires one",
                 "confirm · read-only"),
    "logs": ("logs of the selected pod (tail 200, follow)", ""),
    "events": ("events of the selected pod, or of the Deployment and HPA", ""),
    "silence": ("silence the selected alert / expire its silence", "confirm · read-only"),
    "drill": ("drill into the selected model, pod or alert (labels, runbook, silences)", ""),
    "cycle_window": ("cycle the window 1m / 5m / 15m / 1h", ""),
    "filter": ("filter models and pods", ""),
    "pause": ("pause / resume refreshing", ""),
    "export": ("export an incident snapshot (Markdown + JSON)", ""),
    "clear_filter": ("clear the filter", ""),
    "fleet": ("the fleet: one row per cluster (with several targets)", ""),
    "command": (":ctx NAME, :ns NAME, :deploy NAME (tab completes)", ""),
    "contexts": ("pick a kubeconfig context", ""),
    "help": ("this help", ""),
    "quit": ("quit the console", ""),
    "command_palette": ("the command palette: every action by name", ""),
    "sort": ("sort the fleet's models", ""),
    "toggle_follow": ("follow the log tail / stop following", ""),
    "toggle_previous": ("the previous run's logs of what is shown (after a crash)", ""),
    "next_container": ("the pod's next container (init containers first)", ""),
    "all_containers": ("all containers, each line prefixed [name] (again: one)", ""),
    # Textual's own, kept: they do this here (`^c` does not copy: the App's quit wins).
    "focus_next": ("move to the next table", ""),
    "focus_previous": ("move to the previous table", ""),
    "copy_text": ("copy the text selected with the mouse", ""),
}
"""Longer words for the actions the footer names in one or two."""
TEXTUAL_MOVES = frozenset({"focus_next", "focus_previous", "copy_text"})
"""Textual's bindings that move or copy rather than act: not offered as commands."""

NAVIGATION: tuple[tuple[str, str, str], ...] = (
    ("↑ ↓", "move the cursor in a table (pgup, pgdn, home, end too)", ""),
    ("← →", "scroll a wide table sideways", ""),
    ("escape", "close a dialog or screen", ""),
)


@dataclass(frozen=True, slots=True)
class HelpRow:
    key: str
    action: str
    guard: str


def action_name(binding: Binding) -> str:
    """`app.pause` and `step(1)` name the actions `pause` and `step`."""
    return binding.action.rpartition(".")[2].partition("(")[0]


def meant(cls: type, binding: Binding) -> bool:
    """The console's own binding, or Textual's for an action the console has words for."""
    return not cls.__module__.startswith("textual.") or action_name(binding) in ACTION_HELP


def declared_bindings(node: object) -> list[Binding]:
    """The bindings a class and its bases declare, the subclass's winning per key (as
    Textual merges them), whether or not they are enabled right now (`f` without a fleet);
    Textual's that the console does not mean are left out (`meant`)."""
    merged: dict[str, Binding] = {}
    for cls in reversed(type(node).__mro__):
        for binding in Binding.make_bindings(cls.__dict__.get("BINDINGS", ())):
            merged.pop(binding.key, None)
            if meant(cls, binding):
                merged[binding.key] = binding
    return list(merged.values())


def key_bindings(app: App[Any], screen: Screen[Any]) -> list[Binding]:
    """One binding per key, the one a press runs: the App's priority one, else the
    screen's, else the App's; in the screen's order, then the App's."""
    screen_bindings, app_bindings = declared_bindings(screen), declared_bindings(app)
    winners: dict[str, Binding] = {}
    for binding in (*screen_bindings, *app_bindings):
        winners.setdefault(binding.key, binding)
    for binding in app_bindings:
        if binding.priority:
            winners[binding.key] = binding
    return list(winners.values())


def help_rows(app: App[Any], screen: Screen[Any]) -> tuple[HelpRow, ...]:
    """One row per key bound on `screen` or the App, the screen's first, then moving."""
    rows: dict[str, HelpRow] = {}
    bindings = key_bindings(app, screen)
    if app.ENABLE_COMMAND_PALETTE:
        bindings.append(Binding(app.COMMAND_PALETTE_BINDING, "command_palette", "palette"))
    for binding in bindings:
        name = action_name(binding)
        words, guard = ACTION_HELP.get(name, (binding.description or name, ""))
        rows.setdefault(binding.key, HelpRow(app.get_key_display(binding), words, guard))
    return (*rows.values(), *(HelpRow(*row) for row in NAVIGATION))


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss_help", "Close"),
    ]

    def __init__(self, rows: Iterable[HelpRow], read_only_reason: str | None = None) -> None:
        super().__init__()
        self.rows = tuple(rows)
        self.read_only_reason = read_only_reason

    def compose(self) -> ComposeResult:
        table = Table(box=None, expand=True, pad_edge=False, show_header=True,
                      header_style="bold")
        table.add_column("key", style="bold cyan", no_wrap=True)
        table.add_column("action")
        table.add_column("guard", style="dim")
        for row in self.rows:
            table.add_row(Text(row.key), Text(row.action), Text(row.guard))
        with VerticalScroll(id="help-body"):
            yield Static("ai-gateway-console — keys", id="help-title")
            yield Static(table)
            if self.read_only_reason:
                yield Static(f"⚠ {self.read_only_reason}", id="help-readonly", markup=False)
            yield Static("A confirmation dialog confirms with y and cancels with n or escape.\n"
                         "Every action is written to the audit log. Press escape to close.",
                         id="help-foot")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
