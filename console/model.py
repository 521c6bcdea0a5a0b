"""The immutable picture of the gateway that every source produces and every view reads.

Sources build these parts, the App keeps the latest part per source, and the
exporters and widgets only read them. Nothing here does I/O or imports Textual:
that keeps the data layer testable on recorded JSON and usable from `snapshot`.

Fields marked ``internal`` in their metadata are for the console's own use
(keys, drill-down details) and are left out of the JSON contract (the README's
`snapshot` section), which must stay exactly as documented.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Literal

from console.text.durations import utc_stamp

INTERNAL: Mapping[str, bool] = {"internal": True}
UNRECORDED: Mapping[str, bool] = {"internal": True, "unrecorded": True}


def internal(default: Any = None, **kwargs: Any) -> Any:
    """A field that the console uses but the JSON contract does not show."""
    if "default_factory" in kwargs:
        return field(metadata=INTERNAL, **kwargs)
    return field(default=default, metadata=INTERNAL, **kwargs)


ModelKey = tuple[str, str]
"""(provider, model): the identity of a row in the models table."""


@dataclass(frozen=True, slots=True)
class ModelFigures:
    """One provider/model's figures over the current window; None means unknown, never 0."""

    provider: str
    model: str
    request_rate: float | None
    error_ratio: float | None
    p95_latency_s: float | None
    ttft_p95_s: float | None = None
    output_tokens_per_s: float | None = None
    cost_per_hour_usd: float | None = None
    p50_latency_s: float | None = internal()
    p99_latency_s: float | None = internal()
    errors_by_type: Mapping[str, float] = internal(default_factory=dict)
    errors_by_code: Mapping[str, float] = internal(default_factory=dict)
    input_tokens_per_s: float | None = internal()
    not_recorded: Mapping[str, str] = internal(default_factory=dict)
    """Figure (`error_ratio`, `errors_by_code`, ...) -> why it is unknown: `not recorded by
    Kong`. Such a figure is None (or empty) because the gateway cannot give it at all."""

    @property
    def key(self) -> ModelKey:
        return (self.provider, self.model)


MODEL_HISTORY_FIGURES = (
    "request_rate", "error_ratio", "p50_latency_s", "p95_latency_s", "p99_latency_s",
    "ttft_p95_s",
)
"""The per-model trends of the model drill-down, in the order they are charted."""


@dataclass(frozen=True, slots=True)
class ModelHistory:
    """One model's figures over a past span, for the drill-down charts.

    Every series sits on the same grid (`start`, `start + step_s`, ...), so the
    charts line up; an instant with no value is NaN (a gap), never 0. A figure
    whose query failed or whose metric does not exist is absent from `series`
    and, when there is a reason to give, named in `missing`.
    """

    provider: str
    model: str
    start: float
    step_s: float
    series: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    missing: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> ModelKey:
        return (self.provider, self.model)


@dataclass(frozen=True, slots=True)
class ScrapeTarget:
    """One scrape target of the gateway job, as Prometheus' `up` reports it."""

    instance: str
    up: bool


@dataclass(frozen=True, slots=True)
class DeploymentState:
    namespace: str
    name: str
    replicas: int
    ready_replicas: int
    updated_replicas: int
    available_replicas: int
    restarted_at: str | None = None
    uid: str = internal("")
    generation: int = internal(0)
    observed_generation: int = internal(0)
    conditions: tuple[Condition, ...] = internal(default_factory=tuple)
    status_replicas: int | None = internal()
    """status.replicas: pods of all its ReplicaSets that are not terminating; more than
    `updated_replicas` while an old ReplicaSet still has pods (a rollout)."""

    @property
    def rolling(self) -> bool:
        """True while a rollout has not converged on the desired replica count."""
        return (
            self.observed_generation < self.generation
            or self.updated_replicas < self.replicas
            or self.available_replicas < self.replicas
            or self.ready_replicas < self.replicas
        )

    @property
    def motion(self) -> Literal["rollout", "scaling", "pending", ""]:
        """What the Deployment is doing. Only a changed template is a rollout: pods of an old
        ReplicaSet remain, or the controller's Progressing condition says a new ReplicaSet is
        progressing (it leaves the condition alone on a scale). A scale is the same template
        with more or fewer pods. "pending": the controller has not seen the latest spec."""
        if self.observed_generation < self.generation:
            return "pending"
        old_pods = self.status_replicas is not None and self.status_replicas > self.updated_replicas
        unsettled = (self.updated_replicas < self.replicas
                     or self.available_replicas < self.replicas)
        reason = next((c.reason for c in self.conditions if c.type == "Progressing"), None)
        if old_pods or (reason in ROLLOUT_REASONS and unsettled) or (
                self.status_replicas is None and self.updated_replicas < self.replicas):
            return "rollout"
        if self.status_replicas is not None and self.status_replicas != self.replicas:
            return "scaling"
        return ""

    @property
    def stalled(self) -> bool:
        return any(
            c.type == "Progressing" and c.reason == "ProgressDeadlineExceeded"
            for c in self.conditions
        )


ROLLOUT_REASONS = frozenset({"NewReplicaSetCreated", "FoundNewReplicaSet", "ReplicaSetUpdated"})
"""Progressing reasons the deployment controller sets while a new ReplicaSet rolls out."""


@dataclass(frozen=True, slots=True)
class ContainerState:
    """One container of a pod, for the pod drill-down: why it is not running, what it may use.

    Requests and limits come from the pod spec (CPU in millicores, memory in bytes);
    None means "not set", which for a limit means "unbounded", never 0.
    """

    name: str
    image: str | None
    state: str
    """running | waiting | terminated | unknown"""
    reason: str | None
    ready: bool
    restarts: int
    last_termination_reason: str | None = None
    last_exit_code: int | None = None
    last_termination_message: tuple[str, ...] = ()
    """The kubelet's termination message of the last exit, line by line: with the
    policy FallbackToLogsOnError, the tail of the crashed container's log (what it
    said before it died); each line cleaned, the lines capped."""
    cpu_request_m: float | None = None
    cpu_limit_m: float | None = None
    memory_request_bytes: float | None = None
    memory_limit_bytes: float | None = None


@dataclass(frozen=True, slots=True)
class PodState:
    name: str
    phase: str
    ready: bool
    restarts: int
    age_s: float
    node: str | None
    reason: str | None
    uid: str = internal("")
    cpu_millicores: float | None = internal()
    memory_bytes: float | None = internal()
    last_termination_reason: str | None = internal()
    containers: tuple[ContainerState, ...] = internal(default_factory=tuple)
    owner: str | None = internal()
    """The ReplicaSet that owns the pod (ownerReferences): tells a new revision's pods
    from the old ones during a rollout."""
    init_containers: tuple[ContainerState, ...] = internal(default_factory=tuple)
    """The spec's init containers, in order: a crash in one keeps the pod Init:… forever,
    and its log is where the reason is."""

    default_container: str | None = internal()
    """The container `kubectl logs POD` reads (kubectl.kubernetes.io/default-container),
    when the pod names one; else the first of `containers`."""

    def log_default(self) -> str | None:
        """The container a log view starts on, as `kubectl logs POD` picks it."""
        if self.default_container is not None:
            return self.default_container
        return self.containers[0].name if self.containers else None

    def log_containers(self) -> tuple[str, ...]:
        """Every container that has a log, in the order `kubectl logs --all-containers`
        reads them: init containers first, then the spec's containers."""
        return tuple(c.name for c in (*self.init_containers, *self.containers))


@dataclass(frozen=True, slots=True)
class HpaMetric:
    name: str
    current: float | None
    target: float | None


@dataclass(frozen=True, slots=True)
class Condition:
    type: str
    status: str
    reason: str | None
    message: str | None


@dataclass(frozen=True, slots=True)
class HpaState:
    name: str
    min_replicas: int
    max_replicas: int
    current_replicas: int
    desired_replicas: int
    metrics: tuple[HpaMetric, ...] = ()
    conditions: tuple[Condition, ...] = ()

    @property
    def pinned_at_max(self) -> bool:
        """The HPA wants more than it may have: the cluster cannot absorb more load."""
        limited = any(
            c.type == "ScalingLimited" and c.status == "True" and c.reason == "TooManyReplicas"
            for c in self.conditions
        )
        return limited or (
            self.current_replicas >= self.max_replicas
            and self.desired_replicas >= self.max_replicas
        )


@dataclass(frozen=True, slots=True)
class Alert:
    name: str
    state: str  # firing | pending | suppressed
    severity: str | None
    since: str | None
    summary: str | None
    labels: Mapping[str, str]
    silenced: bool = False
    fingerprint: str = internal("")
    inhibited: bool = internal(False)
    silence_ids: tuple[str, ...] = internal(default_factory=tuple)
    silenced_until: str | None = internal()
    """When the last silence of a silenced alert ends (RFC 3339), if known."""
    annotations: Mapping[str, str] = internal(default_factory=dict)
    """The rule's annotations (summary, description, runbook_url), for the alert detail."""
    source_url: str | None = internal()
    """Where the alert comes from (Alertmanager's generatorURL: the rule's expression)."""
    raw_labels: Mapping[str, str] = field(default_factory=dict, metadata=UNRECORDED)
    """Shown label name -> the value as the source sent it, for the labels whose shown value
    cleaning changed (a control character, a cut): what a silence matches. Never rendered,
    exported or recorded (console/sources/matchers.py)."""

    @property
    def key(self) -> str:
        if self.fingerprint:
            return self.fingerprint
        return self.name + "|" + ",".join(f"{k}={v}" for k, v in sorted(self.labels.items()))


@dataclass(frozen=True, slots=True)
class KubeEvent:
    """A Kubernetes event about one of the watched objects."""

    type: str
    reason: str
    message: str
    object_kind: str
    object_name: str
    count: int
    last_seen: str | None


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """How the last poll of one source went, and since when the data is good."""

    ok: bool
    error: str | None
    latency_ms: float | None
    last_ok_at: float | None = internal()
    configured: bool = internal(True)

    def age_s(self, now: float) -> float | None:
        return None if self.last_ok_at is None else max(0.0, now - self.last_ok_at)


@dataclass(frozen=True, slots=True)
class MetricsReading:
    """What a metrics source returns for one refresh."""

    models: tuple[ModelFigures, ...]
    targets: tuple[ScrapeTarget, ...]
    series_note: str | None = internal()
    """`5,000 series, showing the busiest 1,000` when the series cap cut the models."""


@dataclass(frozen=True, slots=True)
class ClusterReading:
    """What a cluster source returns for one refresh."""

    deployment: DeploymentState | None
    pods: tuple[PodState, ...]
    hpa: HpaState | None
    events: tuple[KubeEvent, ...] = ()
    notes: tuple[str, ...] = ()
    """One-line remarks about parts that are missing but do not fail the source
    (no HPA, events forbidden, metrics.k8s.io not served)."""


@dataclass(frozen=True, slots=True)
class AlertsReading:
    alerts: tuple[Alert, ...]
    note: str | None = internal()
    """Where the list came from when it is not the usual place: `from Alertmanager:
    Prometheus ✗, pending unknown` (the status line says why Prometheus failed)."""


SourceName = Literal["prometheus", "kubernetes", "alertmanager"]
"""The three sources of a target; every per-source table, message and recording uses these."""
SOURCE_NAMES: tuple[SourceName, ...] = ("prometheus", "kubernetes", "alertmanager")
"""In the order the status line, the JSON contract and the fleet view list them."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    generated_at: datetime
    window: str
    profile: str
    sources: Mapping[str, SourceStatus]
    models: tuple[ModelFigures, ...] = ()
    targets: tuple[ScrapeTarget, ...] = ()
    deployment: DeploymentState | None = None
    pods: tuple[PodState, ...] = ()
    hpa: HpaState | None = None
    alerts: tuple[Alert, ...] = ()
    events: tuple[KubeEvent, ...] = internal(default_factory=tuple)
    context: str | None = internal()
    alerts_note: str | None = internal()
    """Where the alerts came from when not the usual place (AlertsReading.note)."""

    @property
    def failed_sources(self) -> tuple[str, ...]:
        """Configured sources whose last poll failed: these make `snapshot` exit 1."""
        return tuple(n for n, s in self.sources.items() if s.configured and not s.ok)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = to_json(self)
        return out


def _clean_float(value: float) -> float | None:
    # JSON has no NaN/Inf; an unknowable figure is null, as the README's contract says.
    return value if math.isfinite(value) else None


def to_json(value: Any) -> Any:
    """Serialise a model value to plain JSON types, dropping internal fields."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return _clean_float(value)
    if isinstance(value, datetime):
        return utc_stamp(value)
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [to_json(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {
            f.name: to_json(getattr(value, f.name))
            for f in fields(value)
            if not f.metadata.get("internal")
        }
    raise TypeError(f"cannot serialise {type(value).__name__}")


def sort_pods(pods: Sequence[PodState]) -> tuple[PodState, ...]:
    """Pods not ready or restarting first, then by name: the screen's triage order, which
    every export keeps so the crashing pod is first everywhere."""
    return tuple(sorted(pods, key=lambda p: (p.ready and not p.reason, -p.restarts, p.name)))


def sort_alerts(alerts: tuple[Alert, ...]) -> tuple[Alert, ...]:
    """Firing before pending, critical before warning, oldest first: what needs eyes first."""
    state_rank = {"firing": 0, "pending": 1}
    severity_rank = {"critical": 0, "error": 1, "warning": 2, "info": 3}
    return tuple(
        sorted(
            alerts,
            key=lambda a: (
                a.silenced,
                state_rank.get(a.state, 2),
                severity_rank.get(a.severity or "", 4),
                a.since or "",
                a.name,
            ),
        )
    )
