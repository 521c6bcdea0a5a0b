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

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

from console.model import KubeEvent
from console.text.durations import format_age
from console.text.safe_text import clean_line
from widgets.columns import Cell, Column, Styled, plain

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


SHORT_KIND = {"Deployment": "deploy", "ReplicaSet": "rs", "Pod": "pod",
              "HorizontalPodAutoscaler": "hpa"}
"""kubectl's short names: the object column stays narrow enough for the message."""

EVENT_COLUMNS = (
    Column("type", "Type", 7),
    Column("reason", "Reason", max_width=20),
    Column("object", "Object", max_width=40),
    Column("seen", "Seen", max_width=12),
    Column("message", "Message", max_width=MESSAGE_LIMIT),
)
"""The overview's Events panel: the rows its other panels leave free, warnings first. The
message takes what the others leave and is cut there with "…" (whole on the `e` screen)."""

CELL_PAD = 2
"""Cells a KeyedTable column adds to its width (one each side)."""


def event_row_key(ev: KubeEvent) -> str:
    """Kubernetes merges repeats of one event into a count: the same object, reason and
    message are the same row, whose count and time change."""
    return "\x1f".join((ev.object_kind, ev.object_name, ev.reason, ev.message[:200]))


def _seen_at(ev: KubeEvent) -> float:
    try:
        return datetime.fromisoformat(ev.last_seen or "").timestamp()
    except ValueError:
        return float("-inf")  # unknown time: after every known one


def events_in_triage_order(events: Sequence[KubeEvent]) -> list[KubeEvent]:
    """Warnings before the scaling notes, each newest first."""
    return sorted(events, key=lambda ev: (ev.type != "Warning", -_seen_at(ev)))


def event_rows(events: Sequence[KubeEvent], now: float,
               panel_width: int) -> dict[str, tuple[Cell, ...]]:
    """The rows by key; the message cut where the panel, `panel_width` cells inside its
    border, ends (the other columns fit their cells as the table will fit them)."""
    heads: dict[str, tuple[KubeEvent, tuple[Cell, ...]]] = {}
    for ev in events_in_triage_order(events):
        kind = SHORT_KIND.get(ev.object_kind, ev.object_kind.lower())
        seen = ago(ev.last_seen, now).removesuffix(" ago")
        heads[event_row_key(ev)] = (ev, (
            Styled(ev.type, "bold red" if ev.type == "Warning" else "dim"),
            ev.reason,
            f"{kind}/{ev.object_name}",
            seen if ev.count <= 1 else f"{seen} x{ev.count}",
        ))
    used = 0
    for i, col in enumerate(EVENT_COLUMNS[:-1]):
        longest = max((cell_len(plain(h[i])) for _, h in heads.values()), default=0)
        fitted = col.width or min(longest, max(col.max_width, cell_len(col.label)))
        used += max(fitted, cell_len(col.label)) + CELL_PAD
    width = max(10, panel_width - used - CELL_PAD)
    rows: dict[str, tuple[Cell, ...]] = {}
    for key, (ev, head) in heads.items():
        message = Text(clean_line(ev.message, MESSAGE_LIMIT))
        message.truncate(width, overflow="ellipsis")
        rows[key] = (*head, message)
    return rows


def events_subtitle(events: Sequence[KubeEvent]) -> str:
    warnings = sum(ev.type == "Warning" for ev in events)
    return f"{warnings} warning{'s' * (warnings != 1)} · {len(events)} events · e for all"
