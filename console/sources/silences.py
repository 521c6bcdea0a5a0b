"""Silences as the silences list shows them: who, why, until when, matching what.

Parsed from Alertmanager's `GET /api/v2/silences` (or made by the demo); every text is
the server's and is cleaned and capped here. Only silences still in force (active or
pending) are listed: an expired one cannot be expired again. No I/O, no Textual.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from console.text.safe_text import clean_line

MAX_SILENCES = 500
TEXT_LIMIT = 200


@dataclass(frozen=True, slots=True)
class SilenceInfo:
    id: str
    matchers: tuple[str, ...]
    """`name=value`, `name!=value`, `name=~regex`, `name!~regex`, as amtool writes them."""
    created_by: str
    comment: str
    ends_at: str | None
    state: str


def _text(value: Any) -> str:
    return clean_line(str(value if value is not None else ""))[:TEXT_LIMIT]


def matcher_text(m: Mapping[str, Any]) -> str:
    op = ("=~" if m.get("isRegex") else "=") if m.get("isEqual", True) else (
        "!~" if m.get("isRegex") else "!=")
    return f"{_text(m.get('name'))}{op}{_text(m.get('value'))}"


def parse_silences(payload: Any) -> tuple[SilenceInfo, ...]:
    """The silences in force, soonest end first; malformed entries are skipped."""
    found: list[SilenceInfo] = []
    for item in payload if isinstance(payload, list) else ():
        if not isinstance(item, Mapping) or not item.get("id"):
            continue
        status = item.get("status")
        state = str(status.get("state", "")) if isinstance(status, Mapping) else ""
        if state not in ("active", "pending"):
            continue
        matchers = item.get("matchers")
        found.append(SilenceInfo(
            id=_text(item["id"]),
            matchers=tuple(matcher_text(m) for m in matchers or () if isinstance(m, Mapping)),
            created_by=_text(item.get("createdBy")), comment=_text(item.get("comment")),
            ends_at=_text(item["endsAt"]) if item.get("endsAt") else None, state=state))
        if len(found) >= MAX_SILENCES:
            break
    return tuple(sorted(found, key=lambda s: s.ends_at or ""))
