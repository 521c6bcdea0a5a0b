"""What an analyzer concludes: a cause, the evidence it rests on, and what to do about it.

Frozen values, so the overview, the exporters and the tests read the same finding;
no Textual here (the `Likely cause` panel renders these in console/views/).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from console.model import ModelKey, Snapshot

TrendSeries = Mapping[str, Mapping[ModelKey, Sequence[float | None]]]
"""Per figure ("request_rate", "p95_latency_s"), per model: the points, oldest first."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One likely cause. `rank` 0 is the worst; `key` is the overview key that acts on it."""

    kind: str
    """Which rule found it (`provider-outage`, `bad-rollout`...): hints and tests key on it."""
    cause: str
    rank: int
    evidence: tuple[str, ...] = ()
    action: str = ""
    key: str | None = None
    quote: str | None = None
    """A line a source wrote (the crashed container's log), cleaned and capped: shown
    on its own line, whole, because it usually names the cause better than we can."""
    about: tuple[str, ...] = ()
    """What it concerns: providers, `provider/model` keys, pod names; the drill-downs
    show a finding's hint where it concerns what they show."""

    def concerns(self, provider: str, model: str) -> bool:
        return provider in self.about or f"{provider}/{model}" in self.about

    @property
    def suggestion(self) -> str:
        """`roll back to the previous revision [u]`: the action and its key."""
        return self.action + (f" [{self.key}]" if self.key else "")

    def line(self) -> str:
        """The whole finding on one line, as the exports print it: cause — evidence — action."""
        parts = [self.cause]
        if self.evidence:
            parts.append("; ".join(self.evidence))
        if self.suggestion:
            parts.append(self.suggestion)
        return " — ".join(parts)


@dataclass(frozen=True, slots=True)
class Analysis:
    """Every finding, worst first, and what could not be looked at (a source down)."""

    findings: tuple[Finding, ...] = ()
    unknown: tuple[str, ...] = ()
    """One short line per part that cannot be told, e.g. `prometheus failed: model
    errors and latency unknown`: never read as healthy."""
    waiting: bool = False
    """No source has answered yet."""

    @property
    def healthy(self) -> bool:
        """Nothing found while every source answered: only then may the panel say so."""
        return not self.findings and not self.unknown and not self.waiting


@dataclass(frozen=True, slots=True)
class Inputs:
    """What the analyzers read: the snapshot, and the overview's trends when there are any."""

    snapshot: Snapshot
    trends: TrendSeries = field(default_factory=dict)
    step_s: float = 10.0
    """Seconds between two trend points."""
