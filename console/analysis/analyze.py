"""Every analyzer over one snapshot, worst finding first, and what could not be told.

An analyzer runs only on sources that answered: with Prometheus down nothing can
be said about errors or latency, and the analysis says so instead of reporting
the gateway healthy.
"""

from __future__ import annotations

from console.analysis.errors import error_findings
from console.analysis.finding import Analysis, Finding, Inputs, TrendSeries
from console.analysis.latency import latency_findings
from console.analysis.rules import THRESHOLDS, Thresholds
from console.analysis.workload import (
    hpa_findings,
    resource_findings,
    rollout_findings,
    target_findings,
)
from console.model import Snapshot

WHAT_EACH_SOURCE_TELLS = {
    "prometheus": "errors and latency unknown",
    "kubernetes": "pods, rollout and HPA unknown",
}
"""What the analysis cannot tell without each source (Alertmanager adds no rule)."""


def _known(snapshot: Snapshot, source: str) -> bool:
    status = snapshot.sources.get(source)
    return status is not None and status.ok


def _unknown(snapshot: Snapshot) -> tuple[str, ...]:
    out = []
    for source, what in WHAT_EACH_SOURCE_TELLS.items():
        status = snapshot.sources.get(source)
        if status is None:
            out.append(f"{source} not read yet: {what}")
        elif not status.ok:
            out.append(f"{source} failed: {what}" if status.configured
                       else f"{source} not configured: {what}")
    return tuple(out)


def _order(finding: Finding) -> int:
    """By rank; within one, the order the analyzers found them (each worst first)."""
    return finding.rank


def analyze(snapshot: Snapshot, trends: TrendSeries | None = None, step_s: float = 10.0,
            t: Thresholds = THRESHOLDS) -> Analysis:
    """All findings over the snapshot (and the overview's trends, when given), worst first."""
    inputs = Inputs(snapshot, trends or {}, step_s)
    metrics, cluster = _known(snapshot, "prometheus"), _known(snapshot, "kubernetes")
    found: list[Finding] = []
    if cluster:
        found += rollout_findings(snapshot, t)
        found += resource_findings(snapshot)
        found += hpa_findings(snapshot.hpa)
    if metrics:
        found += error_findings(snapshot, cluster, t)
        found += latency_findings(inputs, cluster, t)
        not_ready = sum(1 for p in snapshot.pods if not p.ready) if cluster else 0
        found += target_findings(snapshot.targets, not_ready)
    waiting = not any(s.ok for s in snapshot.sources.values()) and all(
        s.last_ok_at is None and s.error is None for s in snapshot.sources.values())
    return Analysis(tuple(sorted(found, key=_order)), _unknown(snapshot), waiting)
