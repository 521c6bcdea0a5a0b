"""A pod's logs: the last 200 lines, wrapped, searchable, with follow, per container or all.

Following re-reads the tail at the refresh interval and appends only the lines
that are new, so the view scrolls like `kubectl logs -f` without a streaming
connection that a flaky jump host would keep dropping. Lines are wrapped by
default (`w` toggles): the error that matters is often the end of a long line, and
`→` scrolling one column at a time never got there. `/` searches (case-insensitive),
highlights every match, `n`/`N` go to the next/previous one. Lines arrive cleaned of
terminal controls (console/text/safe_text.py), are cleaned again here (a source we do
not know may feed this screen) and are written as plain text, never markup.

A pod has several containers more often than not (a sidecar, an init container that
crashed at 3 a.m.): the title names the one shown, `c` goes to the next (init
containers first, as kubectl lists them), `a` shows all of them with each line
prefixed `[name]` as `kubectl logs --all-containers --prefix` does (console/state/
log_tails.py), and `P` shows the previous run of what is shown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Footer, RichLog, Static

from console.state.log_tails import LogFetcher, LogTails, new_lines
from console.state.polling import one_line
from console.text.safe_text import clean_line
from widgets.ordered_input import OrderedInput

__all__ = ["LogFetcher", "LogsScreen", "matching", "new_lines"]

MAX_LINES = 5000
MATCH_STYLE = "bold black on yellow"
CURRENT_MATCH_STYLE = "bold black on bright_cyan"


def matching(lines: list[str], needle: str) -> list[int]:
    """The indexes of the lines holding `needle`, case-insensitive."""
    low = needle.lower()
    return [i for i, line in enumerate(lines) if low and low in line.lower()]


class LogsScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q", "close", "Close"),
        Binding("question_mark", "app.help", "Help", key_display="?"),
        Binding("f", "toggle_follow", "Follow"),
        Binding("P", "toggle_previous", "Previous run", key_display="P"),
        Binding("c", "next_container", "Container"),
        Binding("a", "all_containers", "All containers"),
        Binding("w", "toggle_wrap", "Wrap"),
        Binding("slash", "search", "Search", key_display="/"),
        Binding("n", "next_match(1)", "Next"),
        Binding("N", "next_match(-1)", "Prev", key_display="N"),
    ]

    def __init__(self, pod: str, fetch: LogFetcher, refresh_s: float,
                 containers: Sequence[str] = (), default: str | None = None) -> None:
        """`containers`: the pod's, init containers first (empty: not known, the source's
        default is shown); `default`: the one to start on (else the source's default)."""
        super().__init__()
        self.pod = pod
        self.fetch = fetch
        self.refresh_s = refresh_s
        self.containers = tuple(containers)
        self.container: str | None = default if default in self.containers else None
        """The container shown; None: the source's default for the pod."""
        self.all = False
        """All containers, each line prefixed with its container's name."""
        self.tails = LogTails()
        self.follow = True
        self.previous = False
        self.wrap = True
        self.lines: list[str] = []
        self.needle = ""
        self.matches: list[int] = []
        self.current: int | None = None
        """Index into `matches` of the match the view was moved to."""
        self._starts: list[int] = []  # the first drawn row of each line (wrapped: several)

    def compose(self) -> ComposeResult:
        yield Static(self._title(), id="logs-title", markup=False)
        yield RichLog(id="logs-body", wrap=self.wrap, highlight=False)
        yield OrderedInput(placeholder="search the logs (enter: go, escape: close)",
                           id="logs-search")
        yield Footer()

    def _where(self) -> str:
        n = len(self.containers)
        if self.all:
            return f"all {n} containers (a: one)"
        if self.container is None:
            return "default container"
        at = self.containers.index(self.container) + 1
        more = f" ({at}/{n}, c: next, a: all)" if n > 1 else ""
        return f"container {clean_line(self.container, 63)}{more}"

    def _title(self) -> str:
        which = "previous run" if self.previous else "current run"
        follow = "following" if self.follow else "paused"
        wrap = "wrapped" if self.wrap else "not wrapped"
        found = ""
        if self.needle:
            at = "" if self.current is None else f"{self.current + 1}/"
            found = f", {at}{len(self.matches)} matches of {clean_line(self.needle, 60)!r}"
        return (f"logs {self.pod} — {self._where()}, {which}, last 200 lines, {follow}, "
                f"{wrap}{found}")

    def on_mount(self) -> None:
        self.query_one("#logs-search").display = False
        self.run_worker(self._tail(), group="logs", exclusive=True)

    @property
    def body(self) -> RichLog:
        return self.query_one("#logs-body", RichLog)

    async def _read(self) -> list[str]:
        if self.all:
            return await self.tails.read_all(self.fetch, self.pod, 200, self.previous,
                                             self.containers)
        try:
            return await self.tails.read(self.fetch, self.pod, 200, self.previous,
                                         self.container)
        except Exception as exc:
            self.body.write(Text(f"✗ cannot read logs: {one_line(exc)}"))
            return []

    async def _tail(self) -> None:
        while True:
            fresh = await self._read()
            if fresh:
                dropped = len(self.lines) + len(fresh) > MAX_LINES
                self.lines = (self.lines + fresh)[-MAX_LINES:]
                if dropped:
                    self._redraw()
                else:
                    self._write(fresh, len(self.lines) - len(fresh))
            if not self.follow or self.previous:
                return
            await asyncio.sleep(self.refresh_s)

    def _styled(self, index: int) -> Text:
        text = Text(self.lines[index])
        if self.needle:
            current = (self.matches[self.current]
                       if self.current is not None and self.current < len(self.matches)
                       else None)
            style = CURRENT_MATCH_STYLE if index == current else MATCH_STYLE
            text.highlight_words([self.needle], style, case_sensitive=False)
        return text

    def _write(self, lines: list[str], first: int, scroll_end: bool | None = None) -> None:
        body = self.body
        self.matches = matching(self.lines, self.needle)
        # Wrapped at the view's width: RichLog measures a line against the console's own
        # width otherwise (80 columns under a headless or unsized console).
        room = body.scrollable_content_region.width
        width = room if self.wrap and room > 0 else None
        for offset, _ in enumerate(lines):
            self._starts.append(len(body.lines))
            body.write(self._styled(first + offset), width=width, scroll_end=scroll_end)

    def _redraw(self) -> None:
        """Every line again: the wrap changed, or the search, or old lines were dropped."""
        body = self.body
        body.clear()
        body.wrap = self.wrap
        self._starts = []
        # Where the view goes is decided after (a match, or the end): not scrolled per line.
        self._write(self.lines, 0, scroll_end=False)
        self.query_one("#logs-title", Static).update(self._title())
        if self.current is None:
            body.scroll_end(animate=False)

    # ----------------------------------------------------------------- keys
    def action_toggle_follow(self) -> None:
        self.follow = not self.follow
        self.query_one("#logs-title", Static).update(self._title())
        if self.follow:
            self.run_worker(self._tail(), group="logs", exclusive=True)

    def _restart(self) -> None:
        """Another container or run: its lines from the start, the search kept."""
        self.lines = []
        self.tails = LogTails()
        self.current = None
        self._redraw()
        self.run_worker(self._tail(), group="logs", exclusive=True)

    def action_toggle_previous(self) -> None:
        self.previous = not self.previous
        self._restart()

    def _known(self) -> bool:
        if len(self.containers) > 1:
            return True
        only = f"the only container is {self.containers[0]}" if self.containers else (
            "the pod's containers are not known")
        self.notify(only, severity="information")
        return False

    def action_next_container(self) -> None:
        """`c`: the next container, round the end (from all containers: back to the one shown)."""
        if not self._known():
            return
        if not self.all:
            at = self.containers.index(self.container) if self.container else -1
            self.container = self.containers[(at + 1) % len(self.containers)]
        self.all = False
        self._restart()

    def action_all_containers(self) -> None:
        """`a`: every container's lines, prefixed; again: back to the one shown before."""
        if not self._known():
            return
        self.all = not self.all
        self._restart()

    def action_toggle_wrap(self) -> None:
        self.wrap = not self.wrap
        self._redraw()
        self._show_current()

    def action_search(self) -> None:
        box = self.query_one("#logs-search", OrderedInput)
        box.display = True
        box.focus()

    def on_input_submitted(self, event: OrderedInput.Submitted) -> None:
        event.stop()
        self.needle = event.value.strip()
        event.input.display = False
        self.body.focus()
        self.current = None
        self.matches = matching(self.lines, self.needle)
        self.action_next_match(1)

    def action_next_match(self, step: int) -> None:
        """`n` / `N`: the next or previous matching line, round the end."""
        self.matches = matching(self.lines, self.needle)
        if not self.matches:
            self.current = None
            self._redraw()
            if self.needle:
                self.notify(f"no line holds {clean_line(self.needle, 60)!r}", severity="warning")
            return
        if self.current is None:
            self.current = 0 if step > 0 else len(self.matches) - 1
        else:
            self.current = (self.current + step) % len(self.matches)
        self._redraw()
        self._show_current()

    def _show_current(self) -> None:
        if self.current is None or self.current >= len(self.matches):
            return
        line = self.matches[self.current]
        if line < len(self._starts):
            self.body.scroll_to(y=max(0, self._starts[line] - 2), animate=False)

    def action_close(self) -> None:
        box = self.query_one("#logs-search", OrderedInput)
        if box.display:  # escape leaves the search box first
            box.display = False
            self.body.focus()
            return
        self.dismiss(None)
