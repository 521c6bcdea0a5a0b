"""The silences list: who silenced what, why, until when; `ctrl+d` expires the selected one.

Read when opened, when it comes back on top and every few seconds while open, through
the target's alert source. Expiring goes through the action flow like every
write (confirm with the amtool command, read-only, audit, once). Texts are the server's,
already cleaned; they are shown as Rich Text, never markup.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from console.sources.silences import SilenceInfo

RELOAD_S = 3.0
Load = Callable[[], Awaitable[tuple[SilenceInfo, ...]]]


def silence_line(s: SilenceInfo) -> Text:
    line = Text()
    line.append(f"until {s.ends_at or '—'}", style="bold")
    line.append(f"  {s.state}  by {s.created_by or '—'}  ")
    line.append(s.comment or "(no comment)", style="italic")
    line.append("\n  " + ", ".join(s.matchers), style="dim")
    return line


class SilencesScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q", "close", "Close"),
        Binding("ctrl+d", "expire", "Expire"),
    ]

    def __init__(self, load: Load, expire: Callable[[str], None]) -> None:
        super().__init__()
        self.load = load
        self.expire = expire
        self.silences: tuple[SilenceInfo, ...] = ()

    def compose(self) -> ComposeResult:
        with Vertical(id="revisions-box"):
            yield Static("Silences in force", id="revisions-title")
            yield Static("loading…", id="silences-status", markup=False)
            yield OptionList(id="silences-list")
            yield Static("ctrl+d  expire the selected silence    esc  close", id="confirm-keys")

    def on_mount(self) -> None:
        self._reload()
        # Again every few seconds while open: an expire confirmed over it lands after the
        # dialog closes, and a colleague's silence may appear meanwhile (one GET each).
        self.set_interval(RELOAD_S, self._reload)

    def on_screen_resume(self) -> None:
        self._reload()

    def _reload(self) -> None:
        self.run_worker(self._load(), exclusive=True, group="silences")

    async def _load(self) -> None:
        status = self.query_one("#silences-status", Static)
        try:
            self.silences = await self.load()
        except Exception as exc:  # a failed read is a line, never a crash
            status.update(f"✗ {str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}")
            return
        options = self.query_one(OptionList)
        kept = options.highlighted_option.id if options.highlighted_option else None
        options.clear_options()
        options.add_options([Option(silence_line(s), id=s.id) for s in self.silences])
        ids = [s.id for s in self.silences]
        if ids:  # the cursor stays on the silence it was on, when it is still there
            options.highlighted = ids.index(kept) if kept in ids else 0
        status.update(f"{len(self.silences)} silence(s)" if self.silences
                      else "no silence in force")
        options.focus()

    def action_expire(self) -> None:
        options = self.query_one(OptionList)
        chosen = options.highlighted_option
        if chosen is None or chosen.id is None:
            self.notify("no silence selected", severity="warning")
            return
        self.expire(chosen.id)

    def action_close(self) -> None:
        self.dismiss(None)
