"""The audit trail: one JSON line per action taken from the console.

Kept as JSON Lines in the XDG state folder so that `tail`, `jq` and the
incident export can all read it, and so that a team can ship it to their log
store. A line is written for every attempt, refused or not: "who tried to
restart production at 03:12" is exactly the question it answers.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from console.clock import Clock
from console.durations import utc_stamp
from console.settings import state_dir


def local_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return os.environ.get("USER", "unknown")


@dataclass(frozen=True, slots=True)
class AuditRecord:
    time: str
    user: str
    context: str | None
    namespace: str
    action: str
    target: str
    result: str


class AuditLog:
    """Appends records to a JSON Lines file and remembers this session's own."""

    def __init__(self, path: Path | None, clock: Clock) -> None:
        self.path = path if path is not None else state_dir() / "audit.jsonl"
        self._clock = clock
        self.session: list[AuditRecord] = []

    def write(
        self, *, user: str, context: str | None, namespace: str, action: str, target: str,
        result: str,
    ) -> AuditRecord:
        record = AuditRecord(
            time=utc_stamp(self._clock()),
            user=user,
            context=context,
            namespace=namespace,
            action=action,
            target=target,
            result=result,
        )
        self.session.append(record)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")
        except OSError:
            # An unwritable state folder must not block an action mid-incident;
            # the record is still kept for this session's incident export.
            pass
        return record

    def session_dicts(self) -> list[Mapping[str, Any]]:
        return [asdict(r) for r in self.session]
