"""The gateway's Deployment, pods, HPA and events from the Kubernetes API, and the actions.

Uses the official `kubernetes` client, imported lazily (about 0.3 s) so that
the demo and `--help` never pay for it. The client is blocking, so every call
runs in a thread: `asyncio.to_thread` for fetches and actions, and one daemon
thread per watched kind (see `kube_watch.Informer`). One slow API call never
blocks the event loop, and every call has a request timeout.

How the view stays current
    The first fetch lists the Deployment (by name), the HPA (by name), the
    namespace's events and the pods the Deployment's own `spec.selector`
    selects; then each is watched from the list's resourceVersion. Later
    fetches read the watched caches and send no request, except the pod
    metrics poll (metrics.k8s.io cannot be watched), at most once per
    `metrics_interval_s` (15 s, metrics-server's own resolution). At steady
    state that is about 4 metrics polls plus 4 watch renewals per
    `watch_timeout_s` (120 s): measured 26 requests in 300 s of fetching
    every 2 s, 5.2 per minute, against about 120 for re-listing four kinds
    every 2 s.

Failure is reported, never hidden
    If a watch cannot be re-established, the next fetch re-lists that kind
    itself and raises `SourceError` with the reason if that fails too; a
    cache is served only while its watch is healthy. Only the Deployment and
    its pods are essential: a missing or unreadable HPA, unreadable events
    or an unserved metrics API give `hpa=None` / no events / unknown CPU and
    a line in `ClusterReading.notes`, because an on-call engineer is better
    served by the pods of a cluster without an HPA than by no pods at all.
    Unreachable API and rejected credentials fail the whole source.

Messages are one line and never contain a token, password or certificate
from the kubeconfig: they are built from the request's verb, resource and
the API's status code, and any credential string is scrubbed as a last resort.

Actions send exactly one write request each and are never retried here (a
retried DELETE or PATCH after a lost answer could act twice): urllib3's
retries are switched off for the whole client.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Mapping
from typing import Any

from console.clock import Clock
from console.config.settings import TargetSettings
from console.model import ClusterReading, HpaState, KubeEvent, PodState
from console.sources.base import ActionError, Permission, SourceError
from console.sources.bounded_read import read_body, read_json
from console.sources.exec_credential import ExecRunner
from console.sources.kube_client import Connection, check_context, connect, kubeconfig_path
from console.sources.kube_client import one_line as _one_line
from console.sources.kube_errors import KINDS as KINDS
from console.sources.kube_errors import Where, classify, host_of
from console.sources.kube_mapping import (
    RESTARTED_AT,
    SCALING_REASONS,
    deployment_state,
    hpa_state,
    kube_event,
    label_selector,
    newest_first,
    pod_state,
    pod_usage,
)
from console.sources.kube_watch import CallFailed, Informer, RequestCounter
from console.text.durations import utc_stamp
from console.text.safe_text import clean_line, clean_text
from console.text.scrub import Scrubber

Obj = Mapping[str, Any]

MAX_EVENTS = 50
LOG_LIMIT_BYTES = 4 * 1024 * 1024

API_GROUPS = {
    "deployments": "apps",
    "replicasets": "apps",
    "horizontalpodautoscalers": "autoscaling",
    "pods": "",
    "events": "",
    "configmaps": "",
    "secrets": "",
}
KIND_ALIASES = {
    "pod": "Pod",
    "pods": "Pod",
    "deployment": "Deployment",
    "deployments": "Deployment",
    "deploy": "Deployment",
    "hpa": "HorizontalPodAutoscaler",
    "horizontalpodautoscaler": "HorizontalPodAutoscaler",
    "horizontalpodautoscalers": "HorizontalPodAutoscaler",
    "replicaset": "ReplicaSet",
    "rs": "ReplicaSet",
}


class KubeReadError(SourceError, ActionError):
    """A read the user asked for with a key (logs, events, RBAC check) failed.

    Both a SourceError and an ActionError, so either kind of handler catches it.
    """


class KubernetesSource:
    """The ClusterSource for one target: a kubeconfig context, namespace, Deployment and HPA."""

    def __init__(
        self,
        target: TargetSettings,
        clock: Clock,
        *,
        request_timeout_s: float = 5.0,
        watch_timeout_s: int = 120,
        metrics_interval_s: float = 15.0,
        permission_ttl_s: float = 180.0,
        backoff_max_s: float = 30.0,
        watch_read_margin_s: float = 15.0,
    ) -> None:
        self._target = target
        self._clock = clock
        self._request_timeout = (min(3.0, request_timeout_s), float(request_timeout_s))
        self._watch_timeout_s = int(watch_timeout_s)
        self._metrics_interval_s = metrics_interval_s
        self._permission_ttl_s = permission_ttl_s
        self._backoff_max_s = backoff_max_s
        self._watch_read_margin_s = watch_read_margin_s
        self._counter = RequestCounter()
        self._lock = threading.Lock()
        """Guards the connection's fields; never held while connecting (an exec plugin may
        take its whole deadline), so closing the source never waits for a plugin."""
        self._connect_lock = threading.Lock()
        self._connect_failure: tuple[str, float] | None = None
        self._exec = ExecRunner(target.limits.exec_timeout_s)
        self._connection: Connection | None = None
        self._scrubber = Scrubber()
        self._api_client: Any = None
        self._apis: dict[str, Any] = {}
        self._configuration: Any = None
        self._context_name = target.context or "(current context)"
        self._max_bytes = target.limits.max_body_bytes
        self._deadline_s = target.limits.deadline_s or float(request_timeout_s)
        self._informers: dict[str, Informer] = {}
        self._closed = False
        self._metrics: dict[str, tuple[float | None, float | None]] = {}
        self._metrics_next_at = 0.0
        self._metrics_note: str | None = None
        self._permissions: dict[tuple[str, str, str], tuple[Permission, float]] = {}
        self._config_maps: dict[str, tuple[Mapping[str, str], float]] = {}

    # ------------------------------------------------------------ counters

    @property
    def requests_made(self) -> int:
        """Requests sent to the API so far (lists, watches, polls, actions, reviews)."""
        return self._counter.total

    def request_counts(self) -> dict[str, int]:
        """Requests per operation, e.g. {"list pods": 1, "watch pods": 3}."""
        return self._counter.by_op()

    @property
    def watching(self) -> tuple[str, ...]:
        """Kinds whose watch thread runs: none before the first fetch and after close."""
        return tuple(name for name, inf in self._informers.items() if inf.running)

    # ------------------------------------------------------------- the client

    def _kubeconfig_path(self) -> str | None:
        return kubeconfig_path(self._target)

    def _check_context(self, path: str) -> str:
        return check_context(path, self._target.context)

    CONNECT_RETRY_S = 30.0
    """After a failed connect (an exec plugin that hung or failed), its line is repeated for
    this long instead of running the plugin again at every refresh."""

    def _ensure_client(self) -> None:
        """Connect once (kubeconfig, exec plugin); SourceError if that is impossible.

        One thread connects at a time; the others wait on `_connect_lock`, not on `_lock`,
        and a failure is remembered so that they, and the next refreshes, get its line.
        """
        with self._lock:
            if self._closed:
                raise SourceError("Kubernetes source is closed")
            if self._api_client is not None:
                return
        with self._connect_lock:
            with self._lock:
                if self._api_client is not None:
                    return
                failed = self._connect_failure
            if failed is not None and time.monotonic() - failed[1] < self.CONNECT_RETRY_S:
                raise SourceError(failed[0])
            try:
                connection = connect(self._target, self._exec)
            except SourceError as exc:
                self._connect_failure = (str(exc), time.monotonic())
                raise
            self._install(connection)

    def _install(self, connection: Connection) -> None:
        with self._lock:
            if self._closed:
                with contextlib.suppress(Exception):
                    connection.api_client.close()
                raise SourceError("Kubernetes source is closed")
            self._connection = connection
            self._configuration = connection.configuration
            self._context_name = connection.context_name
            self._scrubber = connection.scrubber()
            self._apis = connection.apis()
            self._api_client = connection.api_client
            self._connect_failure = None
            self._build_informers()

    def _build_informers(self) -> None:
        t, core = self._target, self._apis["core"]
        common: dict[str, Any] = {
            "namespace": t.namespace,
            "counter": self._counter,
            "describe": self._describe,
            "request_timeout": self._request_timeout,
            "watch_timeout_s": self._watch_timeout_s,
            "backoff_max_s": self._backoff_max_s,
            "read_margin_s": self._watch_read_margin_s,
            "limits": t.limits,
        }
        self._informers = {
            "deployments": Informer(
                "deployments", self._apis["apps"].list_namespaced_deployment,
                selector={"field_selector": f"metadata.name={t.deployment}"}, **common,
            ),
            "horizontalpodautoscalers": Informer(
                "horizontalpodautoscalers",
                self._apis["autoscaling"].list_namespaced_horizontal_pod_autoscaler,
                selector={"field_selector": f"metadata.name={t.hpa}"}, **common,
            ),
            "events": Informer("events", core.list_namespaced_event, **common),
            # The pods' selector is the Deployment's; set once the Deployment is known.
            "pods": Informer("pods", core.list_namespaced_pod, **common),
        }

    # ----------------------------------------------------------- error text

    def _scrub(self, text: str) -> str:
        return self._scrubber(text)

    def _describe(
        self, exc: BaseException, verb: str, resource: str, name: str | None = None
    ) -> CallFailed:
        """The one line an on-call engineer reads, from whatever the client raised."""
        where = Where(host_of(self._configuration), self._target.namespace,
                      self._context_name, self._request_timeout[1])
        failure = classify(exc, verb, resource, name, where)
        failure.message = self._scrub(_one_line(failure.message))
        failure.args = (failure.message,)
        return failure

    def _read_json(self, resp: Any, verb: str, resource: str, name: str | None = None) -> Any:
        """The JSON of a raw answer, read under the body cap and the deadline; CallFailed
        when it is too large or too slow, ValueError when it is not JSON."""
        try:
            return read_json(resp, self._max_bytes, self._deadline_s)
        except ValueError:
            raise
        except Exception as exc:
            raise self._describe(exc, verb, resource, name) from None

    def _call(self, verb: str, resource: str, fn: Any, **kwargs: Any) -> Any:
        """One request: counted, raw JSON, errors turned into CallFailed."""
        return self._call_named(verb, resource, fn, kwargs.get("name"), **kwargs)

    def _call_named(
        self, verb: str, resource: str, fn: Any, object_name: str | None, **kwargs: Any
    ) -> Any:
        self._counter.add(f"{verb} {resource}")
        try:
            return fn(_preload_content=False, _request_timeout=self._request_timeout, **kwargs)
        except Exception as exc:
            raise self._describe(exc, verb, resource, object_name) from None

    # ------------------------------------------------------------------ fetch

    async def fetch(self) -> ClusterReading:
        return await asyncio.to_thread(self._fetch)

    def _sync(self, informer: Informer) -> None:
        """Make an essential informer trustworthy: re-list it now if its watch is failing."""
        try:
            informer.relist()
        except CallFailed as failure:
            raise SourceError(failure.message) from None
        informer.start()

    def _sync_optional(self, informer: Informer, notes: list[str]) -> None:
        """List an optional kind the first time; later its own thread retries with backoff."""
        previous = informer.failure
        if not informer.listed and (previous is None or previous.fatal):
            try:
                informer.relist()
            except CallFailed as failure:
                if failure.fatal:
                    raise SourceError(failure.message) from None
        informer.start()
        problem = informer.failure
        if problem is not None:
            notes.append(problem.message)

    def _fetch(self) -> ClusterReading:
        self._ensure_client()
        t = self._target
        notes: list[str] = []
        inf = self._informers
        self._sync(inf["deployments"])
        self._sync_optional(inf["horizontalpodautoscalers"], notes)
        self._sync_optional(inf["events"], notes)
        dep_obj = inf["deployments"].get(t.deployment)
        if dep_obj is None:
            raise SourceError(f"Deployment {t.deployment} not found in namespace {t.namespace}")
        try:
            selector = label_selector(dep_obj.get("spec", {}).get("selector"))
        except ValueError as exc:
            raise SourceError(f"Deployment {t.deployment}: {exc}") from None
        inf["pods"].set_selector({"label_selector": selector})
        self._sync(inf["pods"])
        metrics_note = self._poll_metrics(selector)
        if metrics_note:
            notes.append(metrics_note)

        now = self._clock()
        pods = tuple(sorted(
            (pod_state(p, now, self._metrics.get(str(p.get("metadata", {}).get("name"))))
             for p in inf["pods"].items()),
            key=lambda p: p.name,
        ))
        hpa: HpaState | None = None
        hpa_obj = inf["horizontalpodautoscalers"].get(t.hpa)
        if hpa_obj is not None:
            hpa = hpa_state(hpa_obj)
        elif inf["horizontalpodautoscalers"].listed:
            notes.append(f"HorizontalPodAutoscaler {t.hpa} not found in namespace {t.namespace}")
        return ClusterReading(
            deployment=deployment_state(dep_obj),
            pods=pods,
            hpa=hpa,
            events=self._relevant_events(pods),
            notes=tuple(dict.fromkeys(notes)),
        )

    def _relevant_events(self, pods: tuple[PodState, ...]) -> tuple[KubeEvent, ...]:
        """Warnings and scaling events about the Deployment, its ReplicaSets, pods and HPA."""
        t = self._target
        pod_names = {p.name for p in pods}
        chosen = []
        for obj in self._informers["events"].items():
            involved = obj.get("involvedObject") or {}
            kind, name = involved.get("kind"), str(involved.get("name") or "")
            if obj.get("type") != "Warning" and obj.get("reason") not in SCALING_REASONS:
                continue
            if (
                (kind == "Deployment" and name == t.deployment)
                or (kind == "HorizontalPodAutoscaler" and name == t.hpa)
                or (kind == "Pod" and name in pod_names)
                or (kind == "ReplicaSet" and name.startswith(t.deployment + "-"))
            ):
                chosen.append(kube_event(obj))
        return newest_first(chosen)[:MAX_EVENTS]

    def _poll_metrics(self, selector: str) -> str | None:
        """Pod CPU/memory from metrics.k8s.io, at most once per interval; a note if missing.

        Not served (404) or forbidden: ask again only after 5 minutes, not every
        tick. A connection failure means the API itself is unreachable and
        fails the fetch; a slow aggregated API only makes usage unknown.
        """
        now = time.monotonic()
        if now < self._metrics_next_at:
            return self._metrics_note
        self._metrics_next_at = now + self._metrics_interval_s
        try:
            resp = self._call(
                "list", "pods.metrics.k8s.io",
                self._apis["custom"].list_namespaced_custom_object,
                group="metrics.k8s.io", version="v1beta1", namespace=self._target.namespace,
                plural="pods", label_selector=selector,
            )
            data = self._read_json(resp, "list", "pods.metrics.k8s.io")
        except CallFailed as failure:
            if failure.fatal and not failure.timeout:
                raise SourceError(failure.message) from None
            self._metrics = {}
            if failure.status == 404:
                self._metrics_next_at = now + 300.0
                self._metrics_note = (
                    "metrics.k8s.io is not served (no metrics-server): pod CPU/memory unknown"
                )
            elif failure.status == 403:
                self._metrics_next_at = now + 300.0
                self._metrics_note = failure.message
            else:
                self._metrics_next_at = now + max(60.0, self._metrics_interval_s)
                self._metrics_note = f"pod CPU/memory unknown: {failure.message}"
            return self._metrics_note
        except ValueError:
            self._metrics, self._metrics_note = {}, "unexpected answer from metrics.k8s.io"
            return self._metrics_note
        items = data.get("items") if isinstance(data, Mapping) else None
        self._metrics = {
            str(item.get("metadata", {}).get("name")): pod_usage(item)
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, Mapping)
        }
        self._metrics_note = None
        return None

    # ----------------------------------------------------------- permission

    async def permission(self, verb: str, resource: str, subresource: str = "") -> Permission:
        """A SelfSubjectAccessReview in the target namespace, answers cached for 3 minutes.

        Raises KubeReadError when the review itself cannot be made: "could not
        ask" is not "denied", and the caller decides what to show (the
        actions' guard says "cannot check permission: <this message>").
        """
        if "/" in resource and not subresource:
            resource, subresource = resource.split("/", 1)
        key = (verb, resource, subresource)
        cached = self._permissions.get(key)
        if cached is not None and cached[1] > self._clock():
            return cached[0]
        answer = await asyncio.to_thread(self._review, verb, resource, subresource)
        self._permissions[key] = (answer, self._clock() + self._permission_ttl_s)
        return answer

    def _review(self, verb: str, resource: str, subresource: str) -> Permission:
        self._ensure_client_for(KubeReadError)
        t = self._target
        attrs: dict[str, str] = {
            "namespace": t.namespace,
            "verb": verb,
            "group": API_GROUPS.get(resource, ""),
            "resource": resource,
        }
        if subresource:
            attrs["subresource"] = subresource
        # Name-scoped RBAC (resourceNames) is answered right only with the name.
        if resource == "deployments":
            attrs["name"] = t.deployment
        elif resource == "horizontalpodautoscalers":
            attrs["name"] = t.hpa
        body = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attrs},
        }
        try:
            resp = self._call(
                "create", "selfsubjectaccessreviews",
                self._apis["authorization"].create_self_subject_access_review, body=body,
            )
            data = self._read_json(resp, "create", "selfsubjectaccessreviews")
        except CallFailed as failure:
            raise KubeReadError(failure.message) from None
        except ValueError:
            raise KubeReadError("unexpected answer to a SelfSubjectAccessReview") from None
        status = data.get("status") if isinstance(data, Mapping) else None
        if not isinstance(status, Mapping):
            raise KubeReadError("the SelfSubjectAccessReview came back without a status")
        reason = _one_line(str(status.get("reason") or status.get("evaluationError") or ""))
        what = f"{resource}/{subresource}" if subresource else resource
        if status.get("allowed") is True:
            return Permission(True, reason)
        return Permission(False, reason or f"RBAC denies {verb} {what} in {t.namespace}")

    def _ensure_client_for(self, error: type[Exception]) -> None:
        try:
            self._ensure_client()
        except SourceError as exc:
            raise error(str(exc)) from None

    # ---------------------------------------------------------------- actions

    def _write(self, verb: str, resource: str, fn: Any, object_name: str, what: str,
               **kwargs: Any) -> Any:
        """Exactly one write request; ActionError with the reason, never a retry."""
        self._ensure_client_for(ActionError)
        try:
            resp = self._call_named(verb, resource, fn, object_name, **kwargs)
            return self._read_json(resp, verb, resource, object_name)
        except CallFailed as failure:
            if failure.timeout and not failure.message.startswith("Kubernetes API unreachable"):
                raise ActionError(
                    f"no answer within {self._request_timeout[1]:g} s: the {what} may or may "
                    "not have been applied; check before trying again"
                ) from None
            raise ActionError(failure.message) from None
        except ValueError:
            return None  # sent and accepted (2xx); an odd body does not undo it

    async def restart(self) -> str:
        """As `kubectl rollout restart`: one strategic-merge PATCH of the template annotation."""
        return await asyncio.to_thread(self._restart)

    def _restart(self) -> str:
        t = self._target
        informer = self._informers.get("deployments")
        cached = informer.get(t.deployment) if informer is not None else None
        if cached is not None and (cached.get("spec") or {}).get("paused"):
            raise ActionError(
                f"Deployment {t.deployment} is paused: resume the rollout before restarting"
            )
        stamp = utc_stamp(self._clock())
        body = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
        self._ensure_client_for(ActionError)
        self._write(
            "patch", "deployments", self._apis["apps"].patch_namespaced_deployment,
            t.deployment, "restart",
            name=t.deployment, namespace=t.namespace, body=body,
            _content_type="application/strategic-merge-patch+json",
        )
        return stamp

    async def scale(self, replicas: int) -> None:
        """Set spec.replicas through the scale subresource (what `kubectl scale` uses)."""
        if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
            raise ActionError(f"cannot scale to {replicas!r}: need a whole number of 0 or more")
        await asyncio.to_thread(self._scale, replicas)

    def _scale(self, replicas: int) -> None:
        t = self._target
        self._ensure_client_for(ActionError)
        self._write(
            "patch", "deployments/scale",
            self._apis["apps"].patch_namespaced_deployment_scale, t.deployment, "scale",
            name=t.deployment, namespace=t.namespace, body={"spec": {"replicas": replicas}},
            _content_type="application/merge-patch+json",
        )

    async def delete_pod(self, name: str) -> None:
        """Delete one of the Deployment's pods; refuses, sending nothing, any other pod."""
        await asyncio.to_thread(self._delete_pod, name)

    def _delete_pod(self, name: str) -> None:
        t = self._target
        self._ensure_client_for(ActionError)
        pods = self._informers["pods"]
        if not pods.listed:
            raise ActionError("the Deployment's pods are not known yet: wait for a refresh")
        if pods.get(name) is None:
            raise ActionError(f"pod {name} is not one of deployment {t.deployment}'s pods")
        self._write(
            "delete", "pods", self._apis["core"].delete_namespaced_pod, name, "delete",
            name=name, namespace=t.namespace,
        )

    async def logs(self, pod: str, tail: int = 200, previous: bool = False) -> str:
        """The last `tail` lines of the pod's first container (or of its previous run)."""
        return await asyncio.to_thread(self._logs, pod, tail, previous)

    def _logs(self, pod: str, tail: int, previous: bool) -> str:
        t = self._target
        self._ensure_client_for(KubeReadError)
        kwargs: dict[str, Any] = {
            "name": pod,
            "namespace": t.namespace,
            "tail_lines": max(1, int(tail)),
            "limit_bytes": LOG_LIMIT_BYTES,
        }
        if previous:
            kwargs["previous"] = True
        cached = self._informers["pods"].get(pod)
        containers = ((cached or {}).get("spec") or {}).get("containers") or []
        if containers and isinstance(containers[0], Mapping) and containers[0].get("name"):
            kwargs["container"] = str(containers[0]["name"])
        try:
            resp = self._call("get", "pods/log", self._apis["core"].read_namespaced_pod_log,
                              **kwargs)
        except CallFailed as failure:
            if failure.status == 404:
                raise KubeReadError(f"Pod {pod} not found in namespace {t.namespace}") from None
            if failure.status == 400:
                # e.g. 'previous terminated container "gateway" in pod "x" not found'
                raise KubeReadError(failure.message.split(": ", 1)[-1]) from None
            raise KubeReadError(failure.message) from None
        try:
            data = read_body(resp, self._max_bytes, self._deadline_s)
        except Exception as exc:
            raise KubeReadError(self._describe(exc, "get", "pods/log", pod).message) from None
        # Log lines are whatever the gateway (or anyone it logs for) printed.
        return clean_text(data.decode("utf-8", errors="replace"), tail=True)

    async def events(self, kind: str, name: str) -> tuple[KubeEvent, ...]:
        """Every event about one object (all types), newest first, read fresh."""
        return await asyncio.to_thread(self._events, kind, name)

    def _events(self, kind: str, name: str) -> tuple[KubeEvent, ...]:
        kind = KIND_ALIASES.get(kind.lower(), kind)
        self._ensure_client_for(KubeReadError)
        try:
            resp = self._call(
                "list", "events", self._apis["core"].list_namespaced_event,
                namespace=self._target.namespace,
                field_selector=f"involvedObject.kind={kind},involvedObject.name={name}",
            )
            data = self._read_json(resp, "list", "events")
        except CallFailed as failure:
            raise KubeReadError(failure.message) from None
        except ValueError:
            raise KubeReadError("unexpected answer to list events") from None
        items = data.get("items") if isinstance(data, Mapping) else None
        return newest_first(
            kube_event(o) for o in (items if isinstance(items, list) else [])
            if isinstance(o, Mapping)
        )

    # ------------------------------------------------------------- config map

    CONFIG_MAP_TTL_S = 60.0
    """A ConfigMap read for the drill-down's hints is reused this long: it changes rarely."""

    async def config_map(self, name: str) -> Mapping[str, str]:
        """The data of one ConfigMap: a single GET on demand, cached, never watched."""
        cached = self._config_maps.get(name)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        data = await asyncio.to_thread(self._config_map, name)
        self._config_maps[name] = (data, time.monotonic() + self.CONFIG_MAP_TTL_S)
        return data

    def _config_map(self, name: str) -> Mapping[str, str]:
        ns = self._target.namespace
        self._ensure_client()
        try:
            resp = self._call("get", "configmaps",
                              self._apis["core"].read_namespaced_config_map,
                              name=name, namespace=ns)
            obj = self._read_json(resp, "get", "configmaps", name)
        except CallFailed as failure:
            if failure.status == 404:
                raise SourceError(f"ConfigMap {name} not found in namespace {ns}") from None
            if failure.status == 403:
                raise SourceError(
                    f"forbidden: cannot get configmap {name} in namespace {ns} (RBAC)"
                ) from None
            raise SourceError(failure.message) from None
        except ValueError:
            raise SourceError(f"unexpected answer to get configmap {name}") from None
        data = obj.get("data") if isinstance(obj, Mapping) else None
        if not isinstance(data, Mapping):
            return {}
        return {clean_line(str(k)): clean_text(str(v)) for k, v in data.items()}

    # ------------------------------------------------------- completion lists

    async def namespaces(self) -> tuple[str, ...]:
        """All namespace names (one list request; empty when forbidden or unreachable)."""
        return await asyncio.to_thread(self._names, "namespaces", None)

    async def deployments(self) -> tuple[str, ...]:
        """Deployment names in the target namespace (one list request; empty on failure)."""
        return await asyncio.to_thread(self._names, "deployments", self._target.namespace)

    def _names(self, resource: str, namespace: str | None) -> tuple[str, ...]:
        """Names for the command line's completion: a hint, so a failure is just no names."""
        try:
            self._ensure_client()
            if namespace is None:
                resp = self._call("list", resource, self._apis["core"].list_namespace)
            else:
                resp = self._call("list", resource,
                                  self._apis["apps"].list_namespaced_deployment,
                                  namespace=namespace)
            body = self._read_json(resp, "list", resource)
        except (SourceError, CallFailed, ValueError):
            return ()
        items = body.get("items") if isinstance(body, Mapping) else None
        return tuple(sorted(
            clean_line(str(i["metadata"]["name"])) for i in items or ()
            if isinstance(i, Mapping) and isinstance(i.get("metadata"), Mapping)
            and i["metadata"].get("name")
        ))

    # ------------------------------------------------------------------ close

    async def aclose(self) -> None:
        """Stop the watch threads and close the connection pool.

        An exec plugin still running is killed first, from here (killing waits for
        nothing): the thread that runs it then ends at once, and `q` with it.
        """
        self._exec.cancel()
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        self._exec.cancel()
        with self._lock:
            self._closed = True
            informers = list(self._informers.values())
            api = self._api_client
            self._api_client = None
        for informer in informers:
            informer.stop(timeout=0)
        for informer in informers:
            informer.stop(timeout=3.0)
        if api is not None:
            with contextlib.suppress(Exception):  # closing must not raise on shutdown
                api.close()
