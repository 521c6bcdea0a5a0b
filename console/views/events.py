"""Kubernetes events as a table: the message gets the width, times read as "2m ago".

An on-call engineer reads an event for its message ("Back-off restarting failed
container", "0/3 nodes are available: insufficient memory"); the other columns are
short. The object column only appears when the events are about several objects
(the Deployment's and the HPA's): under one pod it would repeat the pod's name on
every row. Times are relative to the console's clock (a replay's is the recorded
time). Cells are Text: an event's message is data, never markup. Rich only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.table import Table
from rich.text import Text

from console.model import KubeEvent
from console.text.durations import format_age
from console.text.safe_text import clean_line

MESSAGE_LIMIT = 300
"""A message's characters shown (the rest is cut with "…"): three or four wrapped lines."""


def ago(stamp: str | None, now: float) -> str:
    """`2m ago` for an RFC 3339 time; unknown (—) when there is none or it cannot be read."""
    if not stamp:
        return "—"
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return "—"
    if moment.tzinfo is None:
        return "—"  # no zone: which moment it means is unknown
    return f"{format_age(now - moment.timestamp())} ago"


def events_table(events: Sequence[KubeEvent], now: float) -> Table | Text:
    if not events:
        return Text("no events", style="dim")
    several = len({(ev.object_kind, ev.object_name) for ev in events}) > 1
    table = Table(box=None, expand=True, header_style="bold", pad_edge=False)
    table.add_column("type", no_wrap=True)
    table.add_column("reason")
    if several:
        table.add_column("object")
    table.add_column("count", no_wrap=True, justify="right")
    table.add_column("last seen", no_wrap=True, justify="right")
    table.add_column("message", ratio=1, overflow="fold")
    for ev in events:
        cells = [Text(ev.type, style="bold red" if ev.type == "Warning" else ""),
                 Text(ev.reason)]
        if several:
            cells.append(Text(f"{ev.object_kind}/{ev.object_name}"))
        # Wrapped, but capped: one 4,000-character message must not push the others away.
        cells += [Text(str(ev.count)), Text(ago(ev.last_seen, now)),
                  Text(clean_line(ev.message, MESSAGE_LIMIT))]
        table.add_row(*cells)
    return table
