"""The deployment guide's three alert rules, evaluated on the simulated counters, and silences.

Rules run like Prometheus runs them: every `EVAL_INTERVAL_S`, over the rule's
own 5m range (not the console's window), pending from the first true
evaluation, firing once the condition has held for `for:`, gone at the first
false one. Silences behave like Alertmanager's: their matchers (=, !=, =~, !~,
regexes anchored at both ends, a missing label read as empty) match labels,
they expire on their own, and can be expired early.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from console.demo.pods import Pod
from console.demo.timefmt import rfc3339
from console.demo.traffic import Traffic
from console.model import Alert, AlertsReading, ScrapeTarget
from console.sources.base import ActionError
from console.sources.matchers import Matcher, for_alert

EVAL_INTERVAL_S = 15
RULE_RANGE_S = 300.0
"""The `[5m]` in every rule expression."""
JOB = "ai-gateway"


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    severity: str
    for_s: int
    threshold: float
    summary: str


HIGH_ERROR_RATE = Rule("HighErrorRate", "warning", 120, 0.05,
                       "AI gateway error ratio is above 5%")
HIGH_LATENCY = Rule("HighLatency", "warning", 300, 2.0,
                    "AI gateway P95 latency is above 2 seconds")
UPSTREAM_DOWN = Rule("UpstreamDown", "critical", 60, 0.0,
                     "An AI gateway scrape target is down")
RULES = (HIGH_ERROR_RATE, HIGH_LATENCY, UPSTREAM_DOWN)


@dataclass(slots=True)
class _Active:
    rule: Rule
    labels: dict[str, str]
    active_at: int
    fired_at: int | None = None


@dataclass(frozen=True, slots=True)
class Silence:
    id: str
    matchers: tuple[Matcher, ...]
    starts_at: float
    ends_at: float
    created_by: str
    comment: str

    def active(self, now: float) -> bool:
        return self.starts_at <= now < self.ends_at

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(m.matches(labels) for m in self.matchers)


def fingerprint(labels: Mapping[str, str]) -> str:
    """A stable 16-hex-digit id of a label set, like Alertmanager's."""
    text = "\xff".join(f"{k}\xfe{v}" for k, v in sorted(labels.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class AlertEngine:
    def __init__(self, rng: random.Random, namespace: str) -> None:
        self._rng = rng
        self._namespace = namespace
        self._active: dict[str, _Active] = {}
        self._silences: dict[str, Silence] = {}

    def evaluate(
        self, t: int, traffic: Traffic, targets: Iterable[tuple[ScrapeTarget, Pod]]
    ) -> None:
        found: dict[str, tuple[Rule, dict[str, str]]] = {}

        def hit(rule: Rule, extra: Mapping[str, str]) -> None:
            labels = {"alertname": rule.name, "severity": rule.severity, **extra}
            found[fingerprint(labels)] = (rule, labels)

        delta, _ = traffic.delta(t, RULE_RANGE_S)
        ratio = traffic.error_ratio_total(delta)
        if ratio is not None and ratio > HIGH_ERROR_RATE.threshold:
            hit(HIGH_ERROR_RATE, {})
        for i, m in enumerate(traffic.models):
            p95 = traffic.p95(delta, i)
            if p95 is not None and p95 > HIGH_LATENCY.threshold:
                hit(HIGH_LATENCY, {"job": JOB, "provider": m.provider, "model": m.model})
        for target, pod in targets:
            if not target.up:
                hit(UPSTREAM_DOWN, {"job": JOB, "instance": target.instance,
                                    "namespace": self._namespace, "pod": pod.name})

        for key in list(self._active):
            if key not in found:
                del self._active[key]
        for key, (rule, labels) in found.items():
            entry = self._active.get(key)
            if entry is None:
                entry = self._active[key] = _Active(rule, labels, t)
            if entry.fired_at is None and t - entry.active_at >= rule.for_s:
                entry.fired_at = t

    def reading(self, now: float) -> AlertsReading:
        alerts = []
        for key, entry in self._active.items():
            active = [s for s in self._silences.values()
                      if s.active(now) and s.matches(entry.labels)]
            silences = tuple(s.id for s in active)
            firing = entry.fired_at is not None
            alerts.append(
                Alert(
                    name=entry.rule.name,
                    state="firing" if firing else "pending",
                    severity=entry.rule.severity,
                    since=rfc3339(entry.fired_at if entry.fired_at is not None
                                  else entry.active_at),
                    summary=entry.rule.summary,
                    labels=dict(entry.labels),
                    silenced=bool(silences),
                    fingerprint=key,
                    silence_ids=silences,
                    silenced_until=rfc3339(max(s.ends_at for s in active)) if active else None,
                    annotations={"summary": entry.rule.summary},
                )
            )
        return AlertsReading(tuple(alerts))

    def silence(self, alert: Alert, duration_s: float, author: str, comment: str,
                now: float, matchers: tuple[Matcher, ...] | None = None) -> str:
        """A silence with `matchers` (as edited), or exactly the alert's labels."""
        if duration_s <= 0:
            raise ActionError("a silence needs a duration longer than zero")
        if matchers is None and not alert.labels:
            raise ActionError("an alert without labels cannot be matched by a silence")
        chosen = for_alert(alert) if matchers is None else matchers
        if not chosen or all(m.matches({}) for m in chosen):
            raise ActionError("a silence needs a matcher that a missing label does not meet")
        silence_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        self._silences[silence_id] = Silence(
            silence_id, chosen, now, now + duration_s, author, comment
        )
        return silence_id

    def expire(self, silence_id: str, now: float) -> None:
        silence = self._silences.get(silence_id)
        if silence is None:
            raise ActionError(f"silence {silence_id} not found")
        if not silence.active(now):
            raise ActionError(f"silence {silence_id} already expired")
        self._silences[silence_id] = Silence(
            silence.id, silence.matchers, silence.starts_at, now, silence.created_by,
            silence.comment,
        )

    def silences(self) -> tuple[Silence, ...]:
        return tuple(self._silences.values())
