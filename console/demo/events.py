"""Kubernetes events as the API aggregates them: one object per repeated message, counted.

A crash-looping pod produces the same BackOff event over and over; the API
keeps one event with a growing count, and the console shows it that way too.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.demo.timefmt import rfc3339
from console.model import KubeEvent

EVENT_TTL_S = 3600
"""The API server's default event retention: older events vanish."""


@dataclass(slots=True)
class _Entry:
    type: str
    reason: str
    message: str
    kind: str
    name: str
    count: int
    last_seen: int


class EventLog:
    """Events about the watched objects (kept least recently seen first; read newest first)."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str, str, str, str], _Entry] = {}

    def record(self, t: int, type_: str, reason: str, message: str, kind: str, name: str) -> None:
        key = (kind, name, type_, reason, message)
        entry = self._entries.get(key)
        if entry is None:
            self._entries[key] = _Entry(type_, reason, message, kind, name, 1, t)
        else:
            entry.count += 1
            entry.last_seen = t
            # Re-insert so that iteration order stays "least recently seen first".
            del self._entries[key]
            self._entries[key] = entry

    def normal(self, t: int, reason: str, message: str, kind: str, name: str) -> None:
        self.record(t, "Normal", reason, message, kind, name)

    def warning(self, t: int, reason: str, message: str, kind: str, name: str) -> None:
        self.record(t, "Warning", reason, message, kind, name)

    def prune(self, t: int) -> None:
        stale = [k for k, e in self._entries.items() if t - e.last_seen > EVENT_TTL_S]
        for key in stale:
            del self._entries[key]

    def recent(self, limit: int) -> tuple[KubeEvent, ...]:
        """The `limit` last seen, newest first, as the live source gives them."""
        entries = list(self._entries.values())[-limit:]
        return tuple(_public(e) for e in reversed(entries))

    def about(self, kind: str, name: str) -> tuple[KubeEvent, ...]:
        wanted = kind.lower()
        return tuple(
            _public(e)
            for e in reversed(self._entries.values())
            if e.kind.lower() == wanted and e.name == name
        )


def _public(e: _Entry) -> KubeEvent:
    return KubeEvent(
        type=e.type,
        reason=e.reason,
        message=e.message,
        object_kind=e.kind,
        object_name=e.name,
        count=e.count,
        last_seen=rfc3339(e.last_seen),
    )
