"""The audit trail: one JSON line per action taken from the console.

Kept as JSON Lines in the XDG state folder so that `tail`, `jq` and the
incident export can all read it, and so that a team can ship it to their log
store. A line is written for every attempt, refused or not: "who tried to
restart production at 03:12" is exactly the question it answers.

The file is 0600 in a 0700 folder (console/actions/files.py): an existing log
with wider permissions is tightened to 0600 when the console next writes to it,
and the state folder to 0700.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from console.actions.files import ensure_private_dir, open_append
from console.clock import Clock
from console.config.settings import state_dir
from console.text.durations import utc_stamp


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
    demo: bool = False
    """An action on the simulated cluster: written as `"demo": true` so no one mistakes it
    for a real one; real lines carry no such key."""

    def as_dict(self) -> dict[str, Any]:
        record = asdict(self)
        if not self.demo:
            del record["demo"]
        return record


class AuditLog:
    """Appends records to a JSON Lines file and remembers this session's own."""

    def __init__(self, path: Path | None, clock: Clock, *, persist: bool = True,
                 demo: bool = False) -> None:
        self.path = path if path is not None else state_dir() / "audit.jsonl"
        self._clock = clock
        self.demo = demo
        """Every record is of the demo: marked demo, with the context "demo"."""
        self.persist = persist
        """False for a replay: nothing there can reach a cluster, so nothing goes to the file."""
        self.session: list[AuditRecord] = []

    def write(
        self, *, user: str, context: str | None, namespace: str, action: str, target: str,
        result: str,
    ) -> AuditRecord:
        record = AuditRecord(
            time=utc_stamp(self._clock()),
            user=user,
            context=context or "demo" if self.demo else context,
            namespace=namespace,
            action=action,
            target=target,
            result=result,
            demo=self.demo,
        )
        self.session.append(record)
        if not self.persist:
            return record
        line = json.dumps(record.as_dict(), ensure_ascii=False) + "\n"
        try:
            # Followed if it is a link: the state folder is ours and 0700 (see module doc).
            ensure_private_dir(self.path.parent, tighten=True)
            with open_append(self.path, follow=True) as fh:
                fh.write(line.encode("utf-8"))
        except OSError:
            # An unwritable state folder must not block an action mid-incident;
            # the record is still kept for this session's incident export.
            pass
        return record

    def session_dicts(self) -> list[Mapping[str, Any]]:
        return [r.as_dict() for r in self.session]
