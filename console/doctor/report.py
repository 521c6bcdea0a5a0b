"""The doctor's report as text: one aligned line per check, then the counts.

Every name, detail and fix passes through the safe-text boundary, since a detail can
quote a server's words; colour only on a terminal, never under NO_COLOR. No Textual here.
"""

from __future__ import annotations

from collections.abc import Sequence

from console.doctor.checks import COLOURS, MARKS, Check
from console.text.safe_text import NOTE_LIMIT, clean_line


def format_check(check: Check, width: int, colour: bool = False) -> str:
    mark = MARKS[check.status]
    if colour:
        mark = f"\x1b[{COLOURS[check.status]}m{mark}\x1b[0m"
    line = f"{mark}  {clean_line(check.name):<{width}}  {clean_line(check.detail, NOTE_LIMIT)}"
    if check.fix and check.status in ("warn", "fail"):
        line += f" — fix: {clean_line(check.fix, NOTE_LIMIT)}"
    return line


def report(checks: Sequence[Check], colour: bool = False) -> str:
    width = max((len(c.name) for c in checks), default=10)
    lines = [format_check(c, width, colour) for c in checks]
    counts = {s: sum(1 for c in checks if c.status == s) for s in MARKS}
    lines.append(", ".join(f"{counts[s]} {s}" for s in MARKS))
    return "\n".join(lines)
