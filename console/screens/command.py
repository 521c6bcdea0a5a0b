"""k9s-style switching: the `:` command line and the `c` list of contexts.

`ctx NAME`, `ns NAME` and `deploy NAME` complete as you type (right arrow or
tab accepts): contexts from the kubeconfig and the fleet, namespaces and
Deployments from the cluster's API, asked when the line opens — a hint only,
so a slow or forbidden API just means fewer suggestions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Static

from console.text.safe_text import clean_line
from widgets.columns import Column
from widgets.keyed_table import KeyedTable
from widgets.ordered_input import OrderedInput

VERBS = {"ctx": "ctx", "context": "ctx", "ns": "ns", "namespace": "ns",
         "deploy": "deploy", "deployment": "deploy"}


def parse_command(text: str) -> tuple[str, str]:
    """("ctx" | "ns" | "deploy", NAME) from a command line; ValueError says what is wrong."""
    words = text.strip().lstrip(":").split()
    if not words:
        raise ValueError("empty command: ctx NAME, ns NAME or deploy NAME")
    verb = VERBS.get(words[0].lower())
    if verb is None:
        raise ValueError(f"unknown command {words[0]!r}: ctx NAME, ns NAME or deploy NAME")
    if len(words) != 2:
        raise ValueError(f"{verb} takes one name, e.g. {verb} NAME")
    return verb, words[1]


def suggestions(contexts: Sequence[str], namespaces: Sequence[str],
                deployments: Sequence[str]) -> list[str]:
    return ([f"ctx {c}" for c in contexts] + [f"ns {n}" for n in namespaces]
            + [f"deploy {d}" for d in deployments])


class CommandScreen(ModalScreen[str | None]):
    """The one-line command prompt at the bottom of the screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("tab", "complete", "Complete", show=False),
    ]

    def __init__(self, contexts: Sequence[str],
                 namespaces: Callable[[], Awaitable[tuple[str, ...]]],
                 deployments: Callable[[], Awaitable[tuple[str, ...]]]) -> None:
        super().__init__()
        self.contexts = tuple(contexts)
        self._namespaces = namespaces
        self._deployments = deployments
        self.namespaces: tuple[str, ...] = ()
        self.deployments: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        with Vertical(id="command-box"):
            yield Static("ctx NAME · ns NAME · deploy NAME — tab completes, escape cancels",
                         id="command-help")
            yield OrderedInput(placeholder=":", id="command-input",
                               suggester=SuggestFromList(suggestions(self.contexts, (), ()),
                                                         case_sensitive=False))

    def on_mount(self) -> None:
        self.query_one("#command-input", Input).focus()
        self._load_names()

    @work(exclusive=True)
    async def _load_names(self) -> None:
        """Namespaces and Deployments from the API, for completion (failures: no names)."""
        try:
            self.namespaces = await self._namespaces()
        except Exception:
            self.namespaces = ()
        try:
            self.deployments = await self._deployments()
        except Exception:
            self.deployments = ()
        box = self.query_one("#command-input", Input)
        box.suggester = SuggestFromList(
            suggestions(self.contexts, self.namespaces, self.deployments), case_sensitive=False)

    def action_complete(self) -> None:
        box = self.query_one("#command-input", Input)
        box.action_cursor_right()  # at the end of the line this accepts the suggestion

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ContextsScreen(ModalScreen[str | None]):
    """`c`: every context of the kubeconfig, the current one marked; `enter` switches."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,c,q", "cancel", "Close")]

    COLUMNS = (Column("current", " ", 1), Column("context", "Context", max_width=48),
               Column("target", "Fleet target", max_width=32),
               Column("namespace", "Namespace", max_width=63))

    def __init__(self, names: Sequence[str], current: str | None,
                 targets: Mapping[str, str], namespaces: Mapping[str, str]) -> None:
        super().__init__()
        self.names = tuple(names)
        self.current = current
        self.targets = targets
        self.namespaces = namespaces

    def compose(self) -> ComposeResult:
        with Vertical(id="contexts-box"):
            yield Static("Contexts — enter switches, escape closes", id="contexts-title")
            yield KeyedTable(self.COLUMNS, id="contexts-table")

    def on_mount(self) -> None:
        table = self.query_one("#contexts-table", KeyedTable)
        # The kubeconfig is a file from outside: its names are shown cleaned (a row's key
        # keeps the name as written, which is what switching needs).
        table.sync({name: ("*" if name == self.current else "", clean_line(name),
                           clean_line(self.targets.get(name, "")),
                           clean_line(self.namespaces.get(name, "")))
                    for name in self.names})
        if self.current in self.names:
            table.move_cursor(row=self.names.index(self.current))
        table.focus()

    def on_keyed_table_row_selected(self, event: KeyedTable.RowSelected) -> None:
        event.stop()
        self.dismiss(event.key)

    def action_cancel(self) -> None:
        self.dismiss(None)
