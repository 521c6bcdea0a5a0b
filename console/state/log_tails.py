"""Following the logs of one container or of all of them, appending only what is new.

Each container's tail is re-read at the refresh interval and compared with its
previous read (the longest overlap of the old end with the new start), so a
follow shows each line once without a streaming connection. All containers are
read one after the other in the order `kubectl logs --all-containers` uses (init
containers first, then the spec's), each line prefixed `[name] ` as with
`--prefix`: the first read gives each container's block in turn, later reads
append new lines as they come. In that view one container's failure (an init
container not started, no previous run) is a line of its own, said once, instead
of hiding the others' logs. No Textual here: the logs screen draws what this returns.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from console.state.polling import one_line
from console.text.safe_text import clean_line

LogFetcher = Callable[[str, int, bool, str | None], Awaitable[str]]
"""(pod, tail, previous, container or None for the pod's default) -> the cleaned text."""

NAME_LIMIT = 63
"""A container name is a DNS label: 63 characters at most."""


def new_lines(before: list[str], after: list[str]) -> list[str]:
    """The lines of `after` that follow the longest overlap with the end of `before`."""
    if not before:
        return after
    for size in range(min(len(before), len(after)), 0, -1):
        if before[-size:] == after[:size]:
            return after[size:]
    return after


def prefixed(container: str, line: str) -> str:
    """A line as `kubectl logs --prefix` marks it (the pod's name left out: it is the title)."""
    return f"[{clean_line(container, NAME_LIMIT)}] {line}"


@dataclass
class LogTails:
    """What the last read of each container gave, and the failure already said for it."""

    seen: dict[str | None, list[str]] = field(default_factory=dict)
    failed: dict[str | None, str] = field(default_factory=dict)

    async def read(self, fetch: LogFetcher, pod: str, tail: int, previous: bool,
                   container: str | None) -> list[str]:
        """The new lines of one container; its failure raised (the caller says it)."""
        text = await fetch(pod, tail, previous, container)
        lines = [clean_line(line) for line in text.splitlines()]
        fresh = new_lines(self.seen.get(container, []), lines)
        self.seen[container] = lines
        return fresh

    async def read_all(self, fetch: LogFetcher, pod: str, tail: int, previous: bool,
                       containers: Sequence[str]) -> list[str]:
        """The new lines of every container in turn, prefixed; a failure is a line once."""
        out: list[str] = []
        for name in containers:
            try:
                fresh = await self.read(fetch, pod, tail, previous, name)
            except Exception as exc:
                said = f"✗ cannot read logs: {one_line(exc)}"
                if self.failed.get(name) != said:
                    self.failed[name] = said
                    out.append(prefixed(name, said))
                continue
            self.failed.pop(name, None)
            out.extend(prefixed(name, line) for line in fresh)
        return out
