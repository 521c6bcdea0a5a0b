"""`enter` on an alert: everything about it, and the silences that hold it.

Labels, annotations (its runbook_url first, or that the rule has none), since when, its
state in Alertmanager and the link to where it comes from; then the silences that match
it (Alertmanager's own `silencedBy`, so the list is what Alertmanager applies, not a
guess), read from the silences list. Every text is the server's, already cleaned, shown
as Rich Text (never markup). `S` and `V` on the overview act on it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from rich.table import Table
from rich.text import Text

from console.model import Alert
from console.screens.details import DetailScreen
from console.sources.silences import SilenceInfo

Load = Callable[[], Awaitable[tuple[SilenceInfo, ...]]]


def _pairs(title: str, pairs: dict[str, str]) -> Table | Text:
    if not pairs:
        return Text(f"{title}: none", style="dim")
    table = Table(box=None, title=title, title_justify="left", show_header=False)
    table.add_column("name", style="bold")
    table.add_column("value")
    for k, v in sorted(pairs.items()):
        table.add_row(Text(k), Text(v))
    return table


def about(alert: Alert) -> Text:
    text = Text()
    text.append(f"{alert.state}", style="bold red" if alert.state == "firing" else "bold")
    text.append(f"  severity {alert.severity or '—'}  since {alert.since or 'unknown'}")
    if alert.inhibited:
        text.append("  inhibited", style="yellow")
    runbook = alert.annotations.get("runbook_url")
    text.append("\nrunbook  ")
    text.append(runbook or "not set on this rule", style="" if runbook else "dim")
    text.append("\nsource   ")
    text.append(alert.source_url or "unknown (no Alertmanager link)",
                style="" if alert.source_url else "dim")
    return text


def silences_part(alert: Alert, listed: tuple[SilenceInfo, ...] | None,
                  error: str | None) -> Text:
    """The silences Alertmanager says hold this alert, with who, why and until when."""
    if not alert.silence_ids:
        return Text("silences: none holds this alert (S silences it)", style="dim")
    by_id = {s.id: s for s in listed or ()}
    text = Text("silences holding it", style="bold")
    for sid in alert.silence_ids:
        s = by_id.get(sid)
        if s is None:
            text.append(f"\n  {sid}  ({error or 'not in the list any more'})", style="dim")
        else:
            text.append(f"\n  {sid}  until {s.ends_at or '—'}  by {s.created_by or '—'}  "
                        f"{s.comment}\n    {', '.join(s.matchers)}")
    return text


async def alert_detail(alert: Alert, load: Load) -> DetailScreen:
    """The screen, with the silences read once (a failed read is said, not fatal)."""
    listed: tuple[SilenceInfo, ...] | None = None
    error = None
    if alert.silence_ids:
        try:
            listed = await load()
        except Exception as exc:  # the detail opens anyway; the line says why
            error = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
    return DetailScreen(f"alert {alert.name}", about(alert),
                        _pairs("labels", dict(alert.labels)),
                        _pairs("annotations", dict(alert.annotations)),
                        silences_part(alert, listed, error))
