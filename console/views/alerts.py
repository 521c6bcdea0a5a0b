"""What the alerts panel claims about its list: counts that match its rows, and unknown
when the list cannot be read (never "none firing" for a dead source).

Rich-free words only; console/views/overview.py makes the cells.
"""

from __future__ import annotations

from console.model import AlertsReading, SourceStatus
from console.state.alert_counts import AlertCounts, alert_counts
from console.text.durations import format_age


def counts_text(counts: AlertCounts) -> str:
    """`2 firing · 1 silenced`; "none firing" only when no alert fires at all."""
    parts = [f"{counts.firing} firing" if counts.firing else "none firing"]
    if counts.silenced:
        parts.append(f"{counts.silenced} silenced")
    if counts.pending:
        parts.append(f"{counts.pending} pending")
    return " · ".join(parts)


def alerts_title(reading: AlertsReading | None, status: SourceStatus | None,
                 now: float) -> str:
    """The alerts border's right title. A failed poll keeps the last good rows on screen,
    so the title says their age; with no good list ever, it says so."""
    if status is None:
        return "unknown: not read yet"
    if not status.ok:
        age = status.age_s(now)
        if reading is None or age is None:
            return "unknown: no list read yet"
        return f"unknown · last list {format_age(age)} old"
    if reading is None:
        return "unknown: not read yet"
    text = counts_text(alert_counts(reading.alerts))
    return f"{text} · {reading.note}" if reading.note else text
