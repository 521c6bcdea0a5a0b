"""Notifications that never read markup: most of them quote a source's or the API's words.

Textual's `notify` parses its message as content markup by default, so an error
text holding `[/]` crashed the console and `[@click=app.quit]` made a toast a
button. Mixed into the App, this makes every toast plain text, including the
ones screens raise through `Widget.notify` (which passes markup=True).
"""

from __future__ import annotations

from textual.app import App
from textual.notifications import SeverityLevel


class PlainNotifications(App[int]):
    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)
