"""The `Likely cause` panel: the worst findings first, each cut to fit, on one or two lines.

At 80x24 the panel has two lines: the worst finding (cause — evidence — action
[key]), then its quote (the crashed container's own words) or the next finding,
and "+N more" for the rest. When a line is too long the evidence is cut first, so
the cause and the key to press always show. Rich only, no Textual; every string
from a source was cleaned where it entered the model and is appended as plain
text, never parsed as markup.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.text import Text

from console.analysis.finding import Analysis, Finding

TITLE = "Likely cause"
INDENT = "  "
SEPARATOR = " — "
ELLIPSIS = "…"
RANK_STYLE = {0: "bold red", 1: "yellow", 2: "yellow"}
"""Finding rank -> colour; the words carry the meaning without it."""
HEALTHY = "no cause found: every source answered and no rule matched"
WAITING = "waiting for the sources' first answers"


def cut(text: str, cells: int) -> str:
    """`text` in at most `cells` terminal cells, ending in "…" when it was cut."""
    if cell_len(text) <= cells:
        return text
    if cells <= 1:
        return ELLIPSIS[:max(cells, 0)]
    return set_cell_size(text, cells - 1).rstrip() + ELLIPSIS


def fit(finding: Finding, cells: int) -> str:
    """The finding in `cells`: evidence is cut first, then the action (never its key)."""
    whole = finding.line()
    if cell_len(whole) <= cells:
        return whole
    head, tail = finding.cause, finding.suggestion
    evidence = "; ".join(finding.evidence)
    room = cells - cell_len(head) - cell_len(tail) - 2 * cell_len(SEPARATOR)
    if evidence and room >= 12:
        return SEPARATOR.join((head, cut(evidence, room), tail))
    short = SEPARATOR.join(p for p in (head, tail) if p)
    if cell_len(short) <= cells:
        return short
    key = f" [{finding.key}]" if finding.key else ""
    room = cells - cell_len(head) - cell_len(SEPARATOR) - cell_len(key)
    if finding.action and room >= 12:
        return head + SEPARATOR + cut(finding.action, room) + key
    return cut(head, cells - cell_len(key)) + key


def _extras(analysis: Analysis, hidden: int) -> str:
    parts = [f"+{hidden} more"] if hidden else []
    parts += [f"{u.split()[0]} unknown" for u in analysis.unknown]
    return " · ".join(parts)


def likely_cause_lines(analysis: Analysis, width: int, max_lines: int = 2
                       ) -> list[tuple[str, str]]:
    """(text, style) per line, the first after the title; each fits `width` cells."""
    first = max(1, width - cell_len(TITLE) - 1)
    if analysis.waiting:
        return [(cut(WAITING, first), "dim")]
    if not analysis.findings:
        if not analysis.unknown:
            return [(cut(HEALTHY, first), "green")]
        return [(cut("cannot tell: " + "; ".join(analysis.unknown), first), "bold yellow")]
    lines: list[tuple[str, str]] = []
    shown, rest = 0, width - len(INDENT)
    for finding in analysis.findings:
        if len(lines) >= max_lines:
            break
        room = first if not lines else rest
        style = RANK_STYLE.get(finding.rank, "")
        spare = max_lines - len(lines) - 1
        shown += 1
        if finding.quote and spare:
            lines.append((fit(finding, room), style))
            lines.append((cut("log: " + finding.quote, rest), "italic"))
        elif spare and finding.evidence and cell_len(finding.line()) > room:
            # The evidence on a line of its own rather than cut to nothing.
            bare = Finding(finding.kind, finding.cause, finding.rank, (), finding.action,
                           finding.key)
            lines.append((fit(bare, room), style))
            lines.append((cut("; ".join(finding.evidence), rest), ""))
        else:
            lines.append((fit(finding, room), style))
    extras = _extras(analysis, len(analysis.findings) - shown)
    if extras:
        text, style = lines[-1]
        room = (first if len(lines) == 1 else width - len(INDENT)) - cell_len(extras) - 3
        lines[-1] = (cut(text, max(room, 1)) + " · " + extras, style)
    return lines


def likely_cause_text(analysis: Analysis, width: int = 80, max_lines: int = 2) -> Text:
    """The panel's text: `Likely cause` in bold, then the lines, continuation lines indented."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(TITLE, style="bold")
    text.append(" ")
    for i, (line, style) in enumerate(likely_cause_lines(analysis, width, max_lines)):
        if i:
            text.append("\n" + INDENT)
        text.append(line, style=style)
    return text
