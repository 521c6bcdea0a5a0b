"""The gateway's pods and autoscaler: a bad rollout, crashes, OOM kills, no room, a pinned HPA.

A new ReplicaSet whose pods crash while the old ones still serve is a bad
revision, fixed by rolling back, not by restarting (which only makes more pods of
it). The crashed container's own last words (its termination message, the log's
tail under FallbackToLogsOnError) usually name the cause better than any rule, so
the finding quotes the line that says why, cleaned and capped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from console.analysis.finding import Finding
from console.analysis.rules import CRASH_REASONS, RULES, THRESHOLDS, Thresholds
from console.model import ContainerState, HpaState, PodState, ScrapeTarget, Snapshot
from console.text.safe_text import clean_line

_TELLING = re.compile(r"^\s*(panic|fatal|error|exception|traceback)\b", re.IGNORECASE)
_ERRORISH = re.compile(r"error|fail|denied|refused|not set|missing|invalid", re.IGNORECASE)


def telling_line(message: Sequence[str], limit: int = THRESHOLDS.quote_limit) -> str | None:
    """The line of a log tail that says why: a panic/fatal/error line, else an error-ish
    line, else the last non-empty one; cleaned to one line and capped."""
    lines = [line.strip() for line in message if line.strip()]
    if not lines:
        return None
    for pattern in (_TELLING, _ERRORISH):
        hits = [line for line in lines if pattern.search(line)]
        if hits:
            return clean_line(hits[-1], limit)
    return clean_line(lines[-1], limit)


def crashing(pod: PodState, t: Thresholds = THRESHOLDS) -> bool:
    if pod.ready:
        return False
    reasons = {pod.reason} | {c.reason for c in pod.containers}
    return bool(reasons & CRASH_REASONS) or pod.restarts >= t.crash_restarts


def _crashed_container(pod: PodState) -> ContainerState | None:
    return next((c for c in pod.containers if not c.ready and
                 (c.last_exit_code is not None or c.last_termination_message)), None)


def _crash_evidence(pods: Sequence[PodState]) -> tuple[list[str], str | None]:
    first = pods[0]
    reason = first.reason or "not ready"
    evidence = [f"{len(pods)} pod{'s' if len(pods) > 1 else ''} {reason}, "
                f"{first.restarts} restarts"]
    container = next((c for c in (_crashed_container(p) for p in pods) if c), None)
    quote = None
    if container is not None:
        if container.last_exit_code is not None:
            evidence.append(f"{container.name} exit code {container.last_exit_code}"
                            + (f" ({container.last_termination_reason})"
                               if container.last_termination_reason else ""))
        quote = telling_line(container.last_termination_message)
    return evidence, quote


def _new_revision(snapshot: Snapshot, bad: Sequence[PodState]) -> str | None:
    """The ReplicaSet of the failing pods when it is not the one the ready pods belong to."""
    dep = snapshot.deployment
    owners = {p.owner for p in bad}
    ready_owners = {p.owner for p in snapshot.pods if p.ready}
    if dep is None or not (dep.rolling or dep.stalled) or len(owners) != 1:
        return None
    owner = next(iter(owners))
    if owner is None or owner in ready_owners:
        return None
    return owner


def rollout_findings(snapshot: Snapshot, t: Thresholds = THRESHOLDS) -> list[Finding]:
    """A bad new revision, or pods that crash without one."""
    dep = snapshot.deployment
    bad = [p for p in snapshot.pods if crashing(p, t)]
    stuck = [p for p in snapshot.pods if not p.ready and p.phase != "Pending"]
    stalled = dep is not None and dep.stalled
    if not bad and not stalled:
        return []
    failing = bad or stuck
    revision = _new_revision(snapshot, failing) if failing else None
    evidence, quote = _crash_evidence(failing) if failing else ([], None)
    if stalled:
        evidence.insert(0, "rollout stalled (ProgressDeadlineExceeded)")
    ready = [p for p in snapshot.pods if p.ready]
    if revision is not None or (stalled and failing):
        rule = RULES["bad-rollout"]
        name = f" {revision}" if revision else ""
        what = "crashes" if bad else "never gets ready"
        old = len(snapshot.pods) - len(failing)
        if old:
            evidence.append(f"old pods {len(ready)}/{old} ready still serve")
        return [Finding("bad-rollout", f"the new revision{name} {what}", rule.rank,
                        tuple(evidence), rule.action, rule.key, quote,
                        tuple(p.name for p in failing))]
    if stalled:
        rule = RULES["bad-rollout"]
        return [Finding("bad-rollout", "the rollout is stalled", rule.rank, tuple(evidence),
                        rule.action, rule.key)]
    rule = RULES["pods-crashing"]
    return [Finding("pods-crashing", f"gateway pods crash ({len(bad)}/{len(snapshot.pods)})",
                    rule.rank, tuple(evidence), rule.action, rule.key, quote,
                    tuple(p.name for p in bad))]


def _oom(pod: PodState) -> bool:
    return pod.last_termination_reason == "OOMKilled" or any(
        c.last_termination_reason == "OOMKilled" or c.reason == "OOMKilled"
        for c in pod.containers)


def resource_findings(snapshot: Snapshot) -> list[Finding]:
    """Pods killed for memory, and pods no node has room for."""
    out = []
    oom = [p for p in snapshot.pods if _oom(p)]
    if oom:
        limits = {c.memory_limit_bytes for p in oom for c in p.containers
                  if c.memory_limit_bytes is not None}
        evidence = [f"{len(oom)} pod{'s' if len(oom) > 1 else ''} OOMKilled"]
        if len(limits) == 1:
            evidence.append(f"memory limit {next(iter(limits)) / 2**20:.0f}Mi")
        rule = RULES["pods-oomkilled"]
        out.append(Finding("pods-oomkilled", "gateway pods run out of memory", rule.rank,
                           tuple(evidence), rule.action, rule.key))
    pending = [p for p in snapshot.pods if p.phase == "Pending" and p.reason == "Unschedulable"]
    names = {p.name for p in pending} | {
        e.object_name for e in snapshot.events
        if e.reason == "FailedScheduling" and e.object_kind == "Pod"}
    pending = [p for p in snapshot.pods if p.name in names and p.phase == "Pending"]
    if pending:
        said = next((e.message for e in snapshot.events
                     if e.reason == "FailedScheduling" and e.object_name in names), None)
        evidence = [f"{len(pending)} pod{'s' if len(pending) > 1 else ''} Pending"]
        if said:
            evidence.append(clean_line(said, 160))
        rule = RULES["pods-unschedulable"]
        out.append(Finding("pods-unschedulable", "no node has room for new gateway pods",
                           rule.rank, tuple(evidence), rule.action, rule.key))
    return out


def hpa_findings(hpa: HpaState | None) -> list[Finding]:
    """An HPA at its maximum that still wants more: the load outgrew the bounds."""
    if hpa is None or not hpa.pinned_at_max:
        return []
    over = [m for m in hpa.metrics
            if m.current is not None and m.target is not None and m.current > m.target]
    unknown = all(m.current is None for m in hpa.metrics)
    if not over and not unknown:
        return []
    evidence = [f"{hpa.current_replicas}/{hpa.max_replicas} replicas, "
                f"desired {hpa.desired_replicas}"]
    evidence += [f"{m.name} {m.current:.0f} % over target {m.target:.0f} %" for m in over
                 if m.current is not None and m.target is not None]
    if unknown:
        evidence.append("metrics unknown")
    rule = RULES["hpa-pinned"]
    return [Finding("hpa-pinned", f"HPA {hpa.name} pinned at max {hpa.max_replicas}",
                    rule.rank, tuple(evidence), rule.action, rule.key, about=(hpa.name,))]


def target_findings(targets: Sequence[ScrapeTarget], explained: int) -> list[Finding]:
    """Scrape targets down beyond the `explained` ones (pods already found not ready)."""
    down = [t for t in targets if not t.up]
    if len(down) <= explained:
        return []
    rule = RULES["targets-down"]
    shown = ", ".join(t.instance for t in down[:3]) + (" ..." if len(down) > 3 else "")
    return [Finding("targets-down", f"{len(down)}/{len(targets)} gateway scrape targets down",
                    rule.rank, (shown, "their figures are missing from the models"),
                    rule.action, rule.key)]
