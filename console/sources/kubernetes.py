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

This module decides what is read and when. How each request goes (connected once,
counted, read under the caps, its failure in one scrubbed line, the access review, the
one write) is kube_session.py; the pod CPU/memory poll is kube_metrics.py; turning the
API's objects into the model is kube_mapping.py; which kubeconfig is kubeconfig.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from typing import Any

from console.clock import Clock
from console.config.settings import TargetSettings
from console.model import ClusterReading, HpaState, KubeEvent
from console.sources.base import ActionError, Permission, SourceError
from console.sources.bounded_read import read_body
from console.sources.kube_fixes import KubeFixes
from console.sources.kube_mapping import (
    KIND_ALIASES,
    RESTARTED_AT,
    default_container,
    deployment_state,
    hpa_state,
    kube_event,
    label_selector,
    newest_first,
    pod_state,
    relevant_events,
)
from console.sources.kube_metrics import PodMetrics
from console.sources.kube_session import KubeReadError, KubeSession
from console.sources.kube_watch import CallFailed, Informer, RequestCounter
from console.sources.kubeconfig import IN_CLUSTER, check_context, kubeconfig_path
from console.text.durations import utc_stamp
from console.text.safe_text import clean_line, clean_text

Obj = Mapping[str, Any]

MAX_EVENTS = 50
LOG_LIMIT_BYTES = 4 * 1024 * 1024

class KubernetesSource(KubeFixes):
    """The ClusterSource for one target: a kubeconfig context, namespace, Deployment and HPA.

    The rollback and HPA-bounds writes are KubeFixes' (kube_fixes.py)."""

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
        self._permission_ttl_s = permission_ttl_s
        self._backoff_max_s = backoff_max_s
        self._watch_read_margin_s = watch_read_margin_s
        self._counter = RequestCounter()
        self._session = KubeSession(
            target, self._counter, self._request_timeout,
            target.limits.deadline_s or float(request_timeout_s), self._build_informers)
        self._informers: dict[str, Informer] = {}
        self._metrics = PodMetrics(metrics_interval_s)
        self._permissions: dict[tuple[str, str, str, str], tuple[Permission, float]] = {}
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

    def kubeconfig_path(self) -> str | None:
        """The kubeconfig this source reads (None: the pod's service account)."""
        return kubeconfig_path(self._target.kubeconfig)

    def check_context(self) -> str:
        """The context this source will use, or "in-cluster service account"; SourceError
        naming the problem when the kubeconfig or the context is unusable. Reads files only:
        no request, no exec plugin, so the doctor can say it before anything is sent."""
        path = self.kubeconfig_path()
        if path is None:
            return IN_CLUSTER
        return check_context(path, self._target.context)

    def _build_informers(self) -> None:
        """The four informers, made when the session connects (under its lock)."""
        t, apis = self._target, self._session.apis
        core = apis["core"]
        common: dict[str, Any] = {
            "namespace": t.namespace,
            "counter": self._counter,
            "describe": self._session.describe,
            "request_timeout": self._request_timeout,
            "watch_timeout_s": self._watch_timeout_s,
            "backoff_max_s": self._backoff_max_s,
            "read_margin_s": self._watch_read_margin_s,
            "limits": t.limits,
        }
        self._informers = {
            "deployments": Informer(
                "deployments", apis["apps"].list_namespaced_deployment,
                selector={"field_selector": f"metadata.name={t.deployment}"}, **common,
            ),
            "horizontalpodautoscalers": Informer(
                "horizontalpodautoscalers",
                apis["autoscaling"].list_namespaced_horizontal_pod_autoscaler,
                selector={"field_selector": f"metadata.name={t.hpa}"}, **common,
            ),
            "events": Informer("events", core.list_namespaced_event, **common),
            # The pods' selector is the Deployment's; set once the Deployment is known.
            "pods": Informer("pods", core.list_namespaced_pod, **common),
        }

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
        self._session.ensure()
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
        metrics_note = self._metrics.poll(self._session, selector)
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
            events=relevant_events(inf["events"].items(), t.deployment, t.hpa,
                                   (p.name for p in pods))[:MAX_EVENTS],
            notes=tuple(dict.fromkeys(notes)),
        )

    # ----------------------------------------------------------- permission

    async def permission(self, verb: str, resource: str, subresource: str = "",
                         name: str = "") -> Permission:
        """A SelfSubjectAccessReview in the target namespace, answers cached for 3 minutes.

        Raises KubeReadError when the review itself cannot be made: "could not
        ask" is not "denied", and the caller decides what to show (the
        actions' guard says "cannot check permission: <this message>").
        """
        if "/" in resource and not subresource:
            resource, subresource = resource.split("/", 1)
        key = (verb, resource, subresource, name)
        cached = self._permissions.get(key)
        if cached is not None and cached[1] > self._clock():
            return cached[0]
        answer = await asyncio.to_thread(self._session.review, verb, resource, subresource,
                                         name)
        self._permissions[key] = (answer, self._clock() + self._permission_ttl_s)
        return answer

    # ---------------------------------------------------------------- actions

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
        self._session.ensure_for(ActionError)
        self._session.write(
            "patch", "deployments", self._session.apis["apps"].patch_namespaced_deployment,
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
        self._session.ensure_for(ActionError)
        self._session.write(
            "patch", "deployments/scale",
            self._session.apis["apps"].patch_namespaced_deployment_scale, t.deployment, "scale",
            name=t.deployment, namespace=t.namespace, body={"spec": {"replicas": replicas}},
            _content_type="application/merge-patch+json",
        )

    async def delete_pod(self, name: str) -> None:
        """Delete one of the Deployment's pods; refuses, sending nothing, any other pod."""
        await asyncio.to_thread(self._delete_pod, name)

    def _delete_pod(self, name: str) -> None:
        t = self._target
        self._session.ensure_for(ActionError)
        pods = self._informers["pods"]
        if not pods.listed:
            raise ActionError("the Deployment's pods are not known yet: wait for a refresh")
        if pods.get(name) is None:
            raise ActionError(f"pod {name} is not one of deployment {t.deployment}'s pods")
        self._session.write(
            "delete", "pods", self._session.apis["core"].delete_namespaced_pod, name, "delete",
            name=name, namespace=t.namespace,
        )

    async def logs(self, pod: str, tail: int = 200, previous: bool = False,
                   container: str | None = None) -> str:
        """The last `tail` lines of one container (or of its previous run).

        `container` None: the pod's default one, as `kubectl logs POD` picks it (the
        default-container annotation, else the first); known from the watched pod, so
        a multi-container pod is never asked without a name (the API answers 400)."""
        return await asyncio.to_thread(self._logs, pod, tail, previous, container)

    def _logs(self, pod: str, tail: int, previous: bool, container: str | None) -> str:
        t = self._target
        self._session.ensure_for(KubeReadError)
        kwargs: dict[str, Any] = {
            "name": pod,
            "namespace": t.namespace,
            "tail_lines": max(1, int(tail)),
            "limit_bytes": LOG_LIMIT_BYTES,
        }
        if previous:
            kwargs["previous"] = True
        if container is None:
            cached = self._informers["pods"].get(pod)
            container = default_container(cached) if cached is not None else None
        if container:
            kwargs["container"] = container
        try:
            resp = self._session.call(
                "get", "pods/log", self._session.apis["core"].read_namespaced_pod_log, **kwargs)
        except CallFailed as failure:
            if failure.status == 404:
                raise KubeReadError(f"Pod {pod} not found in namespace {t.namespace}") from None
            if failure.status == 400:
                # e.g. 'previous terminated container "gateway" in pod "x" not found'
                raise KubeReadError(failure.message.split(": ", 1)[-1]) from None
            raise KubeReadError(failure.message) from None
        try:
            data = read_body(resp, self._session.max_bytes, self._session.deadline_s)
        except Exception as exc:
            problem = self._session.describe(exc, "get", "pods/log", pod)
            raise KubeReadError(problem.message) from None
        # Log lines are whatever the gateway (or anyone it logs for) printed.
        return clean_text(data.decode("utf-8", errors="replace"), tail=True)

    async def events(self, kind: str, name: str) -> tuple[KubeEvent, ...]:
        """Every event about one object (all types), newest first, read fresh."""
        return await asyncio.to_thread(self._events, kind, name)

    def _events(self, kind: str, name: str) -> tuple[KubeEvent, ...]:
        kind = KIND_ALIASES.get(kind.lower(), kind)
        self._session.ensure_for(KubeReadError)
        try:
            resp = self._session.call(
                "list", "events", self._session.apis["core"].list_namespaced_event,
                namespace=self._target.namespace,
                field_selector=f"involvedObject.kind={kind},involvedObject.name={name}",
            )
            data = self._session.read_json(resp, "list", "events")
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
        self._session.ensure()
        try:
            resp = self._session.call("get", "configmaps",
                                      self._session.apis["core"].read_namespaced_config_map,
                                      name=name, namespace=ns)
            obj = self._session.read_json(resp, "get", "configmaps", name)
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
        session = self._session
        try:
            session.ensure()
            if namespace is None:
                resp = session.call("list", resource, session.apis["core"].list_namespace)
            else:
                resp = session.call("list", resource,
                                    session.apis["apps"].list_namespaced_deployment,
                                    namespace=namespace)
            body = session.read_json(resp, "list", resource)
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
        self._session.cancel_exec()
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        api = self._session.shut()
        # No informer is made once the session is shut: these are all there will be.
        informers = list(self._informers.values())
        for informer in informers:
            informer.stop(timeout=0)
        for informer in informers:
            informer.stop(timeout=3.0)
        if api is not None:
            with contextlib.suppress(Exception):  # closing must not raise on shutdown
                api.close()
