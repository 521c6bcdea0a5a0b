"""How many alerts fire, counted one way for the alerts border, the fleet and exports,
so no two places disagree about the same list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from console.model import Alert


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
