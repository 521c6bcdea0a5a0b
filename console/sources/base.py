"""The interfaces every source implements, real or simulated.

The App and `snapshot` only talk to these protocols, so the demo simulator,
Prometheus, Alertmanager and the Kubernetes API are interchangeable per target.
All methods are async; a source that wraps a blocking client runs it in a
thread itself, so that one slow source never blocks another.

Failures are raised as `SourceError` with a one-line, credential-free message;
the caller turns it into a `SourceStatus` and keeps the last good data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from console.model import (
    Alert,
    AlertsReading,
    ClusterReading,
    KubeEvent,
    MetricsReading,
    ModelHistory,
    ModelKey,
)
from console.sources.kube_configmap import ConfigMapVersion
from console.sources.kube_rollout import Revision
from console.sources.matchers import Matcher
from console.sources.silences import SilenceInfo
from console.text.safe_text import one_line


class SourceError(Exception):
    """A source could not deliver; str(error) is the one line the status bar shows.

    The message is made one clean line here (console/text/safe_text.py): it is often a
    server's or proxy's own words, and every error builder then gets that for free.
    """

    def __init__(self, message: object = "") -> None:
        super().__init__(one_line(str(message)))


class ActionError(Exception):
    """An action was refused or failed; str(error) is what the user reads (cleaned as
    SourceError's, since it quotes the API's answer)."""

    def __init__(self, message: object = "") -> None:
        super().__init__(one_line(str(message)))


class ConfigConflict(ActionError):
    """Someone else changed the ConfigMap since it was read (409): nothing was overwritten.
    `theirs` is their version, when it could be read, so the console can show it."""

    def __init__(self, message: object, theirs: ConfigMapVersion | None) -> None:
        super().__init__(message)
        self.theirs = theirs


@dataclass(frozen=True, slots=True)
class Permission:
    """The answer to "may I?" for one verb on one resource."""

    allowed: bool
    reason: str = ""


HistoryFigure = str
"""Name of a figure with a trend: "request_rate" or "p95_latency_s"."""


@dataclass(frozen=True, slots=True)
class History:
    """Recent values per model for the sparklines, oldest first."""

    series: Mapping[HistoryFigure, Mapping[ModelKey, tuple[float, ...]]] = field(
        default_factory=dict
    )


class MetricsSource(Protocol):
    """Per-model figures and scrape targets (Prometheus or the simulator)."""

    async def fetch(self, window_s: float) -> MetricsReading: ...

    async def history(self, window_s: float, span_s: float, step_s: float) -> History:
        """Trend values for sparklines; one range query per figure, not per model."""
        ...

    async def model_history(
        self, key: ModelKey, window_s: float, span_s: float, step_s: float
    ) -> ModelHistory:
        """One model's figures over the last span_s, for its drill-down charts.

        One range query per figure filtered to this provider/model: asked only
        when someone opens the model, so it never weighs on the refresh.
        """
        ...

    async def aclose(self) -> None: ...


class AlertSource(Protocol):
    """Alerts (Prometheus rules, merged with Alertmanager state) and silences."""

    @property
    def can_silence(self) -> bool:
        """False when no Alertmanager is configured: silencing needs one."""
        ...

    async def fetch(self) -> AlertsReading: ...

    async def silence(self, alert: Alert, duration_s: float, author: str, comment: str,
                      matchers: tuple[Matcher, ...] | None = None) -> str:
        """Create a silence with `matchers`, or (None) one matching exactly the alert's
        labels as the source sent them; returns the silence id."""
        ...

    async def expire(self, silence_id: str) -> None: ...

    async def silences(self) -> tuple[SilenceInfo, ...]:
        """The silences in force (active or pending), for the silences list."""
        ...

    async def aclose(self) -> None: ...


class ClusterSource(Protocol):
    """The gateway's Deployment, pods, HPA and events, and the actions on them."""

    async def fetch(self) -> ClusterReading: ...

    async def permission(self, verb: str, resource: str, subresource: str = "",
                         name: str = "") -> Permission:
        """Whether the current user may do verb on resource (SelfSubjectAccessReview);
        `name` for an object RBAC may name (resourceNames): a review without it is
        refused where the rule names the object."""
        ...

    async def restart(self) -> str:
        """Restart as `kubectl rollout restart`; returns the restartedAt value set."""
        ...

    async def scale(self, replicas: int) -> None: ...

    async def delete_pod(self, name: str) -> None: ...

    async def rollout_history(self) -> tuple[Revision, ...]:
        """The Deployment's revisions from its ReplicaSets, newest first."""
        ...

    async def rollback(self, revision: int) -> str:
        """As `kubectl rollout undo --to-revision`; returns what happened."""
        ...

    async def set_hpa_bounds(self, min_replicas: int, max_replicas: int) -> None:
        """Set the HPA's spec.minReplicas and spec.maxReplicas (one merge patch)."""
        ...

    async def gateway_config(self, configured: str) -> ConfigMapVersion:
        """The ConfigMap the pod template uses (else `configured`), as read, uncleaned."""
        ...

    async def replace_config_map(self, version: ConfigMapVersion,
                                 data: Mapping[str, str]) -> str:
        """Update exactly `version`; ConfigConflict when it changed since."""
        ...

    async def logs(self, pod: str, tail: int = 200, previous: bool = False,
                   container: str | None = None) -> str:
        """The last `tail` lines of one container's log, cleaned (or of its previous run).

        `container` None: the pod's default container, as `kubectl logs POD` picks it.
        """
        ...

    async def events(self, kind: str, name: str) -> tuple[KubeEvent, ...]: ...

    async def config_map(self, name: str) -> Mapping[str, str]:
        """The data of one ConfigMap in the target namespace (read on demand, not watched).

        Raises SourceError with a one-line reason when it is missing or forbidden:
        the drill-down's hints quote its live settings when they can.
        """
        ...

    async def namespaces(self) -> tuple[str, ...]:
        """Names of the cluster's namespaces, for the command line's `ns` completion."""
        ...

    async def deployments(self) -> tuple[str, ...]:
        """Names of the Deployments in the target namespace, for `deploy` completion."""
        ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class SourceSet:
    """The sources of one target: a cluster context with its Prometheus and Alertmanager."""

    target: str
    metrics: MetricsSource
    alerts: AlertSource
    cluster: ClusterSource
    context: str | None = None

    async def aclose(self) -> None:
        for source in (self.metrics, self.alerts, self.cluster):
            await source.aclose()
