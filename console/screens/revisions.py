"""The rollback's first step: the Deployment's revisions, the previous one preselected.

One line per revision as `kubectl rollout history` lists them, with the image and age
the on-call engineer needs to recognise the good one; `enter` picks, `escape` cancels.
Every text is data from the cluster and is shown as written (Rich Text, never markup).
Like every dialog of an action (screens/dialog.py), it answers once and can be
withdrawn when the target changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from console.screens.dialog import DialogScreen
from console.screens.type_ahead import TypeAhead
from console.sources.kube_mapping import parse_time
from console.sources.kube_rollout import Revision
from console.text.durations import format_age


def revision_line(revision: Revision, now: float) -> Text:
    """`5  ai-gateway-7d9f8b6c5  apijson/gateway:1.4  3h  (running)  change-cause`."""
    created = parse_time(revision.created)
    age = format_age(now - created if created is not None else None)
    line = Text(f"{revision.number:>4}  {revision.replica_set}  ")
    line.append(", ".join(revision.images) or "(no image)", style="bold")
    line.append(f"  {age}")
    if revision.current:
        line.append("  (running)", style="green")
    line.append(f"  {revision.change_cause or '<none>'}", style="dim")
    return line


class RevisionScreen(DialogScreen[int | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, deployment: str, revisions: Sequence[Revision], preselected: int,
                 now: float, type_ahead: TypeAhead | None = None) -> None:
        super().__init__(None, type_ahead)  # keys typed since `u` wait for this list
        self.deployment = deployment
        self.revisions = tuple(revisions)
        self.preselected = preselected
        self.now = now

    def compose(self) -> ComposeResult:
        with Vertical(id="revisions-box"):
            yield Static(f"Roll back deployment {self.deployment} to which revision?",
                         id="revisions-title", markup=False)
            yield OptionList(*(Option(revision_line(r, self.now), id=str(r.number))
                               for r in self.revisions), id="revisions-list")
            yield Static("enter  choose (the diff follows)    esc  cancel", id="confirm-keys")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        index = next((i for i, r in enumerate(self.revisions) if r.number == self.preselected),
                     0)
        options.highlighted = index
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:  # the confirmation with the diff follows
            self.answer_with(int(event.option.id), then_more=True)
