"""A pod's logs: the last 200 lines, with follow and the previous container.

Following re-reads the tail at the refresh interval and appends only the lines
that are new, so the view scrolls like `kubectl logs -f` without a streaming
connection that a flaky jump host would keep dropping. Lines arrive cleaned of
terminal controls (console/text/safe_text.py) and are written as plain text, never markup.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Footer, RichLog, Static

from console.state.polling import one_line

LogFetcher = Callable[[str, int, bool], Awaitable[str]]


def new_lines(before: list[str], after: list[str]) -> list[str]:
    """The lines of `after` that follow the longest overlap with the end of `before`."""
    if not before:
        return after
    for size in range(min(len(before), len(after)), 0, -1):
        if before[-size:] == after[:size]:
            return after[size:]
    return after


class LogsScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q", "close", "Close"),
        Binding("question_mark", "app.help", "Help", key_display="?"),
        Binding("f", "toggle_follow", "Follow"),
        Binding("P", "toggle_previous", "Previous container"),
    ]

    def __init__(self, pod: str, fetch: LogFetcher, refresh_s: float) -> None:
        super().__init__()
        self.pod = pod
        self.fetch = fetch
        self.refresh_s = refresh_s
        self.follow = True
        self.previous = False
        self.lines: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static(self._title(), id="logs-title", markup=False)
        yield RichLog(id="logs-body", wrap=False, highlight=False, max_lines=5000)
        yield Footer()

    def _title(self) -> str:
        which = "previous container" if self.previous else "current container"
        follow = "following" if self.follow else "paused"
        return f"logs {self.pod} — {which}, last 200 lines, {follow}"

    def on_mount(self) -> None:
        self.run_worker(self._tail(), group="logs", exclusive=True)

    async def _tail(self) -> None:
        while True:
            try:
                text = await self.fetch(self.pod, 200, self.previous)
            except Exception as exc:
                self.query_one(RichLog).write(Text(f"✗ cannot read logs: {one_line(exc)}"))
                text = None
            if text is not None:
                lines = text.splitlines()
                log = self.query_one(RichLog)
                for line in new_lines(self.lines, lines):
                    log.write(Text(line))
                self.lines = lines
            if not self.follow or self.previous:
                return
            await asyncio.sleep(self.refresh_s)

    def action_toggle_follow(self) -> None:
        self.follow = not self.follow
        self.query_one("#logs-title", Static).update(self._title())
        if self.follow:
            self.run_worker(self._tail(), group="logs", exclusive=True)

    def action_toggle_previous(self) -> None:
        self.previous = not self.previous
        self.lines = []
        self.query_one(RichLog).clear()
        self.query_one("#logs-title", Static).update(self._title())
        self.run_worker(self._tail(), group="logs", exclusive=True)

    def action_close(self) -> None:
        self.dismiss(None)
