"""One simulated gateway world: traffic, cluster and alerts, moved forward by the injected clock.

All three demo sources share one `Simulation`, so an action taken through the
cluster source (a restart, a scale) shows up in the metrics and alerts the
other sources report, as it would on a real cluster.

Time advances in whole simulated seconds up to `clock()`, always through the
same sequence of ticks, so the state at a given time depends only on the seed
and the actions taken, never on how often or when it was read. Reading does
not draw random numbers: with a clock that stands still, every fetch returns
the same figures, which deterministic screenshots rely on.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping

from console.clock import Clock
from console.config.profiles import DEFAULT_PRICES_PER_MTOK
from console.demo import revisions
from console.demo.alerts import EVAL_INTERVAL_S, AlertEngine
from console.demo.autoscaler import SYNC_PERIOD_S
from console.demo.cluster import Cluster
from console.demo.gateway_config import CONFIG_KEY, CONFIG_MAP, config_map_data, routes
from console.demo.logs import pod_logs
from console.demo.scenarios import PREHISTORY_S, Scenario, get_scenario
from console.demo.traffic import STEP_S, Traffic
from console.model import (
    Alert,
    AlertsReading,
    ClusterReading,
    KubeEvent,
    MetricsReading,
    ModelHistory,
    ModelKey,
)
from console.sources import kube_configmap
from console.sources.base import ActionError, ConfigConflict, History, Permission, SourceError
from console.sources.kube_configmap import ConfigMapVersion
from console.sources.kube_rollout import Revision
from console.sources.matchers import Matcher

DEFAULT_SEED = 7
MAX_CATCH_UP_S = 3600
"""Longer gaps (a laptop that slept) are skipped with no traffic, not replayed second by second."""
MAX_SCALE = 100
DEMO_USER = "demo-user"

_API_GROUPS = {"deployments": "apps", "replicasets": "apps",
               "horizontalpodautoscalers": "autoscaling"}


class Simulation:
    """The shared state behind the demo's metrics, alert and cluster sources."""

    def __init__(
        self,
        *,
        clock: Clock,
        scenario: Scenario | str | None = None,
        seed: int | None = None,
        prices: Mapping[str, float] | None = None,
        namespace: str = "ai-services",
        deployment: str = "ai-gateway",
        hpa: str = "ai-gateway-hpa",
    ) -> None:
        self.scenario = scenario if isinstance(scenario, Scenario) else get_scenario(scenario)
        self.seed = DEFAULT_SEED if seed is None else seed
        self.namespace = namespace
        self._clock = clock
        # Separate generators, so that e.g. a silence or a new pod name never
        # shifts the traffic that follows it.
        self.traffic = Traffic(
            random.Random(f"{self.seed}:traffic"),
            self.scenario,
            DEFAULT_PRICES_PER_MTOK if prices is None else prices,
        )
        self.cluster = Cluster(random.Random(f"{self.seed}:cluster"), namespace, deployment, hpa)
        self.alerts = AlertEngine(random.Random(f"{self.seed}:silences"), namespace)
        self.config_maps: dict[str, tuple[int, dict[str, str]]] = {}
        """Name -> (resourceVersion, data) of the ConfigMaps `E` has changed."""
        self.denied: set[tuple[str, str]] = set()
        """(verb, resource) or (verb, "resource/subresource") pairs RBAC refuses."""
        self.origin: int | None = None
        self.onset = 0
        self.t = 0
        self.now = 0.0

    # ------------------------------------------------------------------ time
    def advance(self) -> float:
        """Bring the world up to clock(); returns the reading time."""
        now = self._clock()
        target = math.floor(now)
        if self.origin is None:
            self.origin = target - PREHISTORY_S
            self.onset = target - self.scenario.onset_before_start_s
            self.cluster.bootstrap(self.origin)
            self.t = self.origin
            self._tick(self.origin)
        elif target - self.t > MAX_CATCH_UP_S:
            self._skip_to(target - MAX_CATCH_UP_S)
        while self.t < target:
            self.t += 1
            self._tick(self.t)
        self.now = max(self.now, now)
        return self.now

    def _tick(self, t: int) -> None:
        assert self.origin is not None
        rel = t - self.origin
        if self.scenario.broken_rollout and t == self.onset:
            self.cluster.break_template(t)
        self.cluster.tick(t, self.origin)
        if rel % STEP_S == 0:
            self.traffic.step(t, self.cluster.ready_count(t), float(t - self.onset))
            self.cluster.update_usage(t, self.traffic.total_rate)
        if rel % SYNC_PERIOD_S == 0:
            self.cluster.autoscale(t)
        if rel % EVAL_INTERVAL_S == 0:
            self.alerts.evaluate(t, self.traffic, self.cluster.target_pods())

    def _skip_to(self, t: int) -> None:
        """Jump over a long gap: counters stand still, as if nobody had been scraping."""
        assert self.origin is not None
        while self.t < t:
            self.t += 1
            if (self.t - self.origin) % STEP_S == 0:
                self.traffic.idle_step(self.t)

    # -------------------------------------------------------------- readings
    def metrics(self, window_s: float) -> MetricsReading:
        now = self.advance()
        return MetricsReading(self.traffic.figures(now, window_s), self.cluster.targets())

    def history(self, window_s: float, span_s: float, step_s: float) -> History:
        now = self.advance()
        return History(self.traffic.history(now, window_s, span_s, step_s))

    def model_history(
        self, key: ModelKey, window_s: float, span_s: float, step_s: float
    ) -> ModelHistory:
        now = self.advance()
        start, step, series = self.traffic.model_history(now, key, window_s, span_s, step_s)
        missing = {} if series else {"request_rate": f"no model {key[0]}/{key[1]} in the demo"}
        return ModelHistory(key[0], key[1], start, step, series, missing)

    def config_map(self, name: str) -> Mapping[str, str]:
        """The gateway's ConfigMap, refused as the API would when RBAC or the name says no."""
        if not self.permission("get", "configmaps").allowed:
            raise SourceError(
                f"forbidden: cannot get configmap {name} in namespace {self.namespace} (RBAC)"
            )
        return self._config(name)[1]

    def _config(self, name: str) -> tuple[int, Mapping[str, str]]:
        if name in self.config_maps:
            return self.config_maps[name]
        data = config_map_data(name)
        if data is None:
            raise SourceError(f"ConfigMap {name} not found in namespace {self.namespace}")
        return 1, data

    def gateway_config(self, configured: str) -> ConfigMapVersion:
        self._require("get", "configmaps")
        c = self.cluster
        name, how = kube_configmap.choose(
            revisions.deployment_object(c.deployment, c.uid, c.current), configured)
        rv, data = self._config(name)
        return ConfigMapVersion(name, str(rv), dict(data), how)

    def replace_config_map(self, version: ConfigMapVersion, data: Mapping[str, str]) -> str:
        """An update of exactly the version read, as the API does it: stale is a conflict."""
        self._require("update", "configmaps")
        rv, _ = self._config(version.name)
        if str(rv) != version.resource_version:
            theirs = self.gateway_config(version.name)
            raise ConfigConflict(
                f"configmap/{version.name} was changed by someone else since it was read "
                f"(resourceVersion {version.resource_version}, now {rv}): nothing was "
                "overwritten", theirs)
        self.config_maps[version.name] = (rv + 1, dict(data))
        return (f"updated configmap/{version.name} (resourceVersion {rv} → {rv + 1})")

    def alert_reading(self) -> AlertsReading:
        now = self.advance()
        return self.alerts.reading(now)

    def cluster_reading(self) -> ClusterReading:
        now = self.advance()
        return self.cluster.reading(self.t, now)

    # ------------------------------------------------------------------ RBAC
    def deny(self, verb: str, resource: str) -> None:
        """Make RBAC refuse verb on resource ("pods", "deployments/scale", ...)."""
        self.denied.add((verb, resource))

    def permission(self, verb: str, resource: str, subresource: str = "") -> Permission:
        full = f"{resource}/{subresource}" if subresource else resource
        if (verb, resource) in self.denied or (verb, full) in self.denied:
            group = _API_GROUPS.get(resource, "")
            return Permission(
                False,
                f'User "{DEMO_USER}" cannot {verb} resource "{full}" in API group "{group}" '
                f'in the namespace "{self.namespace}"',
            )
        return Permission(True)

    def _require(self, verb: str, resource: str, subresource: str = "") -> None:
        answer = self.permission(verb, resource, subresource)
        if not answer.allowed:
            raise ActionError(f"forbidden: {answer.reason}")

    # --------------------------------------------------------------- actions
    def restart(self) -> str:
        self._require("patch", "deployments")
        self.advance()
        # The restart's pods read the ConfigMap as it is now, so its routes take effect
        # (at once in the demo, not pod by pod: the rolling update takes seconds).
        text = self._config(CONFIG_MAP)[1].get(CONFIG_KEY, "")
        self.traffic.routes = routes(text) or self.traffic.routes
        return self.cluster.restart(self.t)

    def scale(self, replicas: int) -> None:
        self._require("patch", "deployments", "scale")
        if replicas < 0 or replicas > MAX_SCALE:
            raise ActionError(f"replicas must be between 0 and {MAX_SCALE}, not {replicas}")
        self.advance()
        self.cluster.scale(self.t, replicas)

    def rollout_history(self) -> tuple[Revision, ...]:
        self._require("list", "replicasets")
        self.advance()
        c = self.cluster
        return revisions.history(c.deployment, c.uid, c.replica_sets, c.current)

    def rollback(self, revision: int) -> str:
        self._require("patch", "deployments")
        self.advance()
        try:
            return self.cluster.rollback(self.t, revision)
        except LookupError as exc:
            raise ActionError(f"{exc}: nothing was sent") from None

    def set_hpa_bounds(self, min_replicas: int, max_replicas: int) -> None:
        self._require("patch", "horizontalpodautoscalers")
        if not 1 <= min_replicas <= max_replicas <= MAX_SCALE:
            raise ActionError(f"need 1 <= min <= max <= {MAX_SCALE}, "
                              f"not {min_replicas} {max_replicas}")
        self.advance()
        self.cluster.autoscaler.min_replicas = min_replicas
        self.cluster.autoscaler.max_replicas = max_replicas

    def delete_pod(self, name: str) -> None:
        self._require("delete", "pods")
        self.advance()
        pod = self.cluster.find_pod(name)
        if pod is None:
            raise ActionError(f'pods "{name}" not found in namespace "{self.namespace}"')
        self.cluster.delete_pod(self.t, pod)

    def logs(self, pod_name: str, tail: int = 200, previous: bool = False,
             container: str | None = None) -> str:
        self._require("get", "pods", "log")
        now = self.advance()
        pod = self.cluster.find_pod(pod_name)
        if pod is None:
            raise ActionError(f'pods "{pod_name}" not found in namespace "{self.namespace}"')
        ready = self.cluster.ready_count(self.t)
        share = 1.0 / ready if ready and pod.ready(self.t) else 0.0
        return pod_logs(pod, self.traffic.conditions, share, now, tail, previous, self.seed,
                        container)

    def events(self, kind: str, name: str) -> tuple[KubeEvent, ...]:
        self.advance()
        return self.cluster.events.about(kind, name)

    def silence(self, alert: Alert, duration_s: float, author: str, comment: str,
                matchers: tuple[Matcher, ...] | None = None) -> str:
        now = self.advance()
        return self.alerts.silence(alert, duration_s, author, comment, now, matchers)

    def expire(self, silence_id: str) -> None:
        now = self.advance()
        self.alerts.expire(silence_id, now)
