"""How many alerts fire, counted one way for the alerts border, the fleet and exports,
so no two places disagree about the same list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from console.model import Alert
from console.text.durations import format_age


@dataclass(frozen=True, slots=True)
class AlertCounts:
    """`firing` counts every firing alert, the silenced ones too: a silence hides the
    page, not the fire."""

    firing: int
    silenced: int
    pending: int


def is_firing(alert: Alert) -> bool:
    """Alertmanager marks a silenced or inhibited firing alert "suppressed"; it still fires."""
    return alert.state in ("firing", "suppressed")


def alert_counts(alerts: Sequence[Alert]) -> AlertCounts:
    return AlertCounts(
        firing=sum(1 for a in alerts if is_firing(a)),
        silenced=sum(1 for a in alerts if a.silenced and is_firing(a)),
        pending=sum(1 for a in alerts if a.state == "pending"),
    )


def silence_left(alert: Alert, now: float) -> str | None:
    """`42m left` of a silenced alert's last silence; None when its end is unknown."""
    if alert.silenced_until is None:
        return None
    try:
        end = datetime.fromisoformat(alert.silenced_until.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
    return f"{format_age(max(0.0, end - now))} left"


def silenced_state(alert: Alert, now: float) -> str:
    """`◌ silenced 42m left`: how long the page stays quiet is what the on-call asks next."""
    left = silence_left(alert, now)
    return f"◌ silenced {left}" if left else "◌ silenced"
