"""The `Likely cause` section of every export, worded as the overview's panel words it.

An export is read later, by someone who did not see the screen: it lists every
finding whole (no "+N more"), and says what could not be told, so an empty list
never passes for a healthy gateway.
"""

from __future__ import annotations

from typing import Any

from console.analysis import Analysis, Finding
from console.hints import Hint, HintsError, finding_hint, load_hints
from console.model import Snapshot
from console.views.likely_cause import HEALTHY, WAITING

UNKNOWN_KIND = "unknown"
"""The JSON entry for a part that could not be looked at (a source down)."""


def items(analysis: Analysis) -> list[tuple[str, str | None]]:
    """(line, quote) per finding: cause — evidence — action [key], and the log line it quotes."""
    if analysis.waiting:
        return [(WAITING, None)]
    out: list[tuple[str, str | None]] = [(f.line(), f.quote) for f in analysis.findings]
    out += [(f"cannot tell: {u}", None) for u in analysis.unknown]
    return out or [(HEALTHY, None)]


def lines(analysis: Analysis) -> list[str]:
    """The items as plain lines, each quote indented under its finding."""
    out = []
    for line, quote in items(analysis):
        out.append(line)
        if quote:
            out.append(f"  log: {quote}")
    return out


def _entry(finding: Finding) -> dict[str, Any]:
    return {"kind": finding.kind, "cause": finding.cause, "rank": finding.rank,
            "evidence": list(finding.evidence), "action": finding.action,
            "key": finding.key, "quote": finding.quote}


def entries(analysis: Analysis) -> list[dict[str, Any]]:
    """The JSON contract's `likely_cause`: findings worst first, then what is unknown."""
    out = [_entry(f) for f in analysis.findings]
    out += [_entry(Finding(UNKNOWN_KIND, f"cannot tell: {u}", 9)) for u in analysis.unknown]
    return out


def hints(snapshot: Snapshot, analysis: Analysis) -> list[Hint]:
    """The hint of each finding that has one, worst first; none when the file is broken
    (the model drill-down says why; an export must still be written)."""
    try:
        book = load_hints()
    except HintsError:
        return []
    dep = snapshot.deployment
    namespace = dep.namespace if dep else "NAMESPACE"
    deployment = dep.name if dep else "DEPLOYMENT"
    found = (finding_hint(book, f, namespace=namespace, deployment=deployment)
             for f in analysis.findings)
    return [h for h in found if h is not None]
