"""The help screen: every key, what it does and what guards it."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: tuple[tuple[str, str, str], ...] = (
    ("r", "restart the Deployment (kubectl rollout restart)", "confirm · read-only · RBAC"),
    ("s", "scale the Deployment (the HPA may override it)", "confirm · read-only · RBAC"),
    ("ctrl+d", "delete the selected pod", "confirm · read-only · RBAC"),
    ("u", "roll the Deployment back to a revision (kubectl rollout undo)",
     "confirm · read-only · RBAC"),
    ("H", "set the HPA's min and max replicas", "confirm · read-only · RBAC"),
    ("E", "edit the gateway's ConfigMap in $VISUAL/$EDITOR, then offer the restart",
     "confirm · read-only · RBAC"),
    ("l", "logs of the selected pod (tail 200, follow)", ""),
    ("e", "events of the selected pod, or of the Deployment and HPA", ""),
    ("S", "silence the selected alert / expire its silence", "confirm · read-only"),
    ("V", "the silences in force (creator, comment, end); ctrl+d there expires one",
     "confirm · read-only"),
    ("enter", "drill into the selected model, pod or alert (labels, runbook, silences)", ""),
    ("w", "cycle the window 1m / 5m / 15m / 1h", ""),
    ("/", "filter models and pods", ""),
    ("p", "pause / resume refreshing", ""),
    ("x", "export an incident snapshot (Markdown + JSON)", ""),
    ("escape", "clear the filter; close a dialog or screen", ""),
    ("f", "the fleet: one row per cluster (with several targets)", ""),
    (":", "command: :ctx NAME, :ns NAME, :deploy NAME (tab completes)", ""),
    ("c", "pick a kubeconfig context", ""),
    ("tab", "move between the models, pods and alerts tables", ""),
    ("↑ ↓", "move the cursor in a table (pgup, pgdn, home, end too)", ""),
    ("← →", "scroll a wide table sideways", ""),
    ("?", "this help", ""),
    ("q", "quit", ""),
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss_help", "Close"),
    ]

    def __init__(self, read_only_reason: str | None = None) -> None:
        super().__init__()
        self.read_only_reason = read_only_reason

    def compose(self) -> ComposeResult:
        table = Table(box=None, expand=True, pad_edge=False, show_header=True,
                      header_style="bold")
        table.add_column("key", style="bold cyan", no_wrap=True)
        table.add_column("action")
        table.add_column("guard", style="dim")
        for key, action, guard in KEYS:
            table.add_row(key, action, guard)
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
