"""The demo's metrics, alert and cluster sources: thin async faces of one Simulation.

They implement the same protocols as the Prometheus, Alertmanager and
Kubernetes sources, so the App, `snapshot` and the tests cannot tell the demo
from a cluster except by its data. The simulation is synchronous and cheap
(about a millisecond per refresh with ten pods), so the methods do their work
inline instead of in a thread.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import replace

from console.clock import Clock
from console.config.settings import Settings, TargetSettings
from console.demo.simulator import DEFAULT_SEED, Simulation
from console.demo.timefmt import rfc3339
from console.model import (
    Alert,
    AlertsReading,
    ClusterReading,
    KubeEvent,
    MetricsReading,
    ModelHistory,
    ModelKey,
)
from console.sources.base import ActionError, History, Permission, SourceError, SourceSet
from console.sources.kube_configmap import ConfigMapVersion
from console.sources.kube_rollout import Revision
from console.sources.matchers import Matcher
from console.sources.silences import SilenceInfo
from console.text.safe_text import clean_line, clean_text


class DemoMetricsSource:
    """Per-model figures and scrape targets, as the Prometheus source would report them."""

    def __init__(self, simulation: Simulation) -> None:
        self.simulation = simulation

    async def fetch(self, window_s: float) -> MetricsReading:
        return self.simulation.metrics(window_s)

    async def history(self, window_s: float, span_s: float, step_s: float) -> History:
        return self.simulation.history(window_s, span_s, step_s)

    async def model_history(
        self, key: ModelKey, window_s: float, span_s: float, step_s: float
    ) -> ModelHistory:
        return self.simulation.model_history(key, window_s, span_s, step_s)

    async def aclose(self) -> None:
        return None


class DemoAlertSource:
    """The guide's alert rules and an Alertmanager-like silence store."""

    def __init__(self, simulation: Simulation) -> None:
        self.simulation = simulation

    @property
    def can_silence(self) -> bool:
        return True

    async def fetch(self) -> AlertsReading:
        return self.simulation.alert_reading()

    async def silence(self, alert: Alert, duration_s: float, author: str, comment: str,
                      matchers: tuple[Matcher, ...] | None = None) -> str:
        return self.simulation.silence(alert, duration_s, author, comment, matchers)

    async def expire(self, silence_id: str) -> None:
        self.simulation.expire(silence_id)

    async def silences(self) -> tuple[SilenceInfo, ...]:
        now = self.simulation.advance()
        return tuple(sorted((
            SilenceInfo(s.id, tuple(m.text for m in s.matchers),
                        clean_line(s.created_by), clean_line(s.comment), rfc3339(s.ends_at),
                        "active")
            for s in self.simulation.alerts.silences() if s.active(now)),
            key=lambda s: s.ends_at or ""))

    async def aclose(self) -> None:
        return None


class DemoClusterSource:
    """The gateway Deployment, its pods and HPA, and the actions on them.

    `missing` is set when the target names a Deployment the simulated cluster does not
    have (`:deploy nosuch`, `:ns kube-system`): then every read and write fails with the
    live source's words, as a real cluster would answer; the demo never invents one.
    """

    def __init__(self, simulation: Simulation, missing: str | None = None) -> None:
        self.simulation = simulation
        self.missing = missing

    def _found(self) -> None:
        if self.missing is not None:
            raise SourceError(self.missing)

    def _writable(self) -> None:
        if self.missing is not None:
            raise ActionError(self.missing)

    async def fetch(self) -> ClusterReading:
        self._found()
        return self.simulation.cluster_reading()

    async def permission(self, verb: str, resource: str, subresource: str = "",
                         name: str = "") -> Permission:
        return self.simulation.permission(verb, resource, subresource)  # names: all or none

    async def restart(self) -> str:
        self._writable()
        return self.simulation.restart()

    async def scale(self, replicas: int) -> None:
        self._writable()
        self.simulation.scale(replicas)

    async def delete_pod(self, name: str) -> None:
        self._writable()
        self.simulation.delete_pod(name)

    async def rollout_history(self) -> tuple[Revision, ...]:
        return self.simulation.rollout_history()

    async def rollback(self, revision: int) -> str:
        return self.simulation.rollback(revision)

    async def set_hpa_bounds(self, min_replicas: int, max_replicas: int) -> None:
        self.simulation.set_hpa_bounds(min_replicas, max_replicas)

    async def gateway_config(self, configured: str) -> ConfigMapVersion:
        return self.simulation.gateway_config(configured)

    async def replace_config_map(self, version: ConfigMapVersion,
                                 data: Mapping[str, str]) -> str:
        return self.simulation.replace_config_map(version, data)

    async def logs(self, pod: str, tail: int = 200, previous: bool = False,
                   container: str | None = None) -> str:
        self._found()
        # Cleaned like the real source's (console/text/safe_text.py): a scenario may log anything.
        return clean_text(self.simulation.logs(pod, tail, previous, container), tail=True)

    async def events(self, kind: str, name: str) -> tuple[KubeEvent, ...]:
        return self.simulation.events(kind, name)

    async def config_map(self, name: str) -> Mapping[str, str]:
        return {clean_line(k): clean_text(v) for k, v in self.simulation.config_map(name).items()}

    async def namespaces(self) -> tuple[str, ...]:
        """The simulated cluster's namespaces: the gateway's and the usual system ones."""
        return tuple(sorted({self.simulation.namespace, "default", "kube-system",
                             "monitoring", "ai-staging"}))

    async def deployments(self) -> tuple[str, ...]:
        """The one Deployment there is, and only in its own namespace."""
        return () if self.missing else (self.simulation.cluster.deployment,)

    async def aclose(self) -> None:
        return None


def demo_simulation(settings: Settings, target: TargetSettings, clock: Clock) -> Simulation:
    """The Simulation for these settings: scenario from --demo, seed from --seed (default 7)."""
    seed = settings.seed
    if target.demo is not None:
        # The other clusters of a demo fleet: their own traffic, same for the same name.
        seed = (DEFAULT_SEED if seed is None else seed) + zlib.crc32(target.name.encode()) % 997
    return Simulation(
        clock=clock,
        scenario=target.demo or settings.demo,
        seed=seed,
        prices=settings.prices,
        namespace=target.namespace,
        deployment=target.deployment,
        hpa=target.hpa,
    )


def demo_source_set(settings: Settings, target: TargetSettings, clock: Clock) -> SourceSet:
    """The three demo sources of one target, sharing one Simulation.

    The simulated cluster holds the Deployment the demo started with (its target in the
    settings) and no other: a target switched to another namespace or Deployment reads
    that world and is told its Deployment is not found."""
    home = next((t for t in settings.targets if t.name == target.name), settings.target)
    missing = None
    if (target.namespace, target.deployment) != (home.namespace, home.deployment):
        missing = f"Deployment {target.deployment} not found in namespace {target.namespace}"
        target = replace(target, namespace=home.namespace, deployment=home.deployment,
                         hpa=home.hpa)
    simulation = demo_simulation(settings, target, clock)
    return SourceSet(
        target=target.name,
        metrics=DemoMetricsSource(simulation),
        alerts=DemoAlertSource(simulation),
        cluster=DemoClusterSource(simulation, missing),
        context=target.context,
    )
