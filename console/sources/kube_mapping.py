"""Kubernetes API objects (as the API's JSON) turned into the console's model.

Pure functions over plain dicts, kept apart from the client so that they are
tested on the API's own JSON shapes and so that the source can read raw JSON
(`_preload_content=False`): the official client's model classes validate every
field, and a response that is valid for the API but not for the generated
models (a new field value, a missing optional-but-declared-required field)
must not turn a good reading into an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from console.model import (
    Condition,
    ContainerState,
    DeploymentState,
    HpaMetric,
    HpaState,
    KubeEvent,
    PodState,
)
from console.text.safe_text import LINE_LIMIT, NOTE_LIMIT, clean_line

Obj = Mapping[str, Any]

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"

SCALING_REASONS = frozenset({
    "ScalingReplicaSet",  # deployment controller
    "SuccessfulRescale",  # HPA
    "FailedRescale",
    "SuccessfulCreate",  # ReplicaSet creating / deleting pods
    "SuccessfulDelete",
})
"""Normal events worth showing next to the warnings: who changed the replica count."""

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
"""What `e` may name a kind by, as kubectl accepts it (`deploy`, `hpa`, `rs`...)."""


def _map(value: Any) -> Obj:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _str(value: Any) -> str | None:
    """A string field, cleaned (console/text/safe_text.py), or None when absent or empty."""
    return clean_line(value) if isinstance(value, str) and value else None


def _text(value: Any, default: str = "", limit: int = LINE_LIMIT) -> str:
    """Any field as clean text: names, reasons and messages are whoever wrote the object's."""
    return clean_line(str(default if value is None else value), limit)


def _note(value: Any) -> str | None:
    """Free text (a condition's or event's message), cleaned with the longer cap."""
    return clean_line(value, NOTE_LIMIT) if isinstance(value, str) and value else None


def parse_time(value: Any) -> float | None:
    """RFC 3339 as the API writes it ("2026-11-26T10:00:00Z", maybe with fractions)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


_QUANTITY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$")
_SUFFIX = {
    "": 1.0, "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
    "P": 1e15, "E": 1e18, "Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40,
    "Pi": 2.0**50, "Ei": 2.0**60,
}


def parse_quantity(value: Any) -> float | None:
    """A resource.Quantity ("250m", "256Mi", "104021337n", "1.5") in base units."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        return None
    m = _QUANTITY.match(value.strip())
    if m is None or m.group(2) not in _SUFFIX:
        return None
    try:
        return float(m.group(1)) * _SUFFIX[m.group(2)]
    except ValueError:
        return None


def label_selector(selector: Any) -> str:
    """A LabelSelector as the `labelSelector` query string; ValueError if it selects all.

    An empty selector selects every pod of the namespace, which must never
    become "this Deployment's pods" (a delete key is bound to that list).
    """
    sel = _map(selector)
    terms = [f"{k}={v}" for k, v in sorted(_map(sel.get("matchLabels")).items())]
    for expr in _list(sel.get("matchExpressions")):
        expr = _map(expr)
        key, op = expr.get("key"), expr.get("operator")
        values = ",".join(sorted(str(v) for v in _list(expr.get("values"))))
        if op == "In":
            terms.append(f"{key} in ({values})")
        elif op == "NotIn":
            terms.append(f"{key} notin ({values})")
        elif op == "Exists":
            terms.append(f"{key}")
        elif op == "DoesNotExist":
            terms.append(f"!{key}")
        else:
            raise ValueError(f"unsupported selector operator {op!r}")
    if not terms:
        raise ValueError("the Deployment's selector is empty")
    return ",".join(terms)


def conditions(items: Any) -> tuple[Condition, ...]:
    return tuple(
        Condition(
            type=_text(_map(c).get("type")),
            status=_text(_map(c).get("status"), "Unknown"),
            reason=_str(_map(c).get("reason")),
            message=_note(_map(c).get("message")),
        )
        for c in _list(items)
    )


def deployment_state(obj: Obj) -> DeploymentState:
    meta, spec, status = _map(obj.get("metadata")), _map(obj.get("spec")), _map(obj.get("status"))
    annotations = _map(_map(_map(spec.get("template")).get("metadata")).get("annotations"))
    return DeploymentState(
        namespace=_text(meta.get("namespace")),
        name=_text(meta.get("name")),
        # spec.replicas defaults to 1 when unset, as the API server defaults it.
        replicas=_int(spec.get("replicas"), 1),
        ready_replicas=_int(status.get("readyReplicas")),
        updated_replicas=_int(status.get("updatedReplicas")),
        available_replicas=_int(status.get("availableReplicas")),
        status_replicas=_int(status.get("replicas")) if status else None,
        restarted_at=_str(annotations.get(RESTARTED_AT)),
        uid=_text(meta.get("uid")),
        generation=_int(meta.get("generation")),
        observed_generation=_int(status.get("observedGeneration")),
        conditions=conditions(status.get("conditions")),
    )


def _container_reason(statuses: Iterable[Any], prefix: str = "") -> str | None:
    for cs in statuses:
        state = _map(_map(cs).get("state"))
        waiting, terminated = _map(state.get("waiting")), _map(state.get("terminated"))
        if _str(waiting.get("reason")):
            return prefix + _text(waiting["reason"])
        if terminated:
            if _str(terminated.get("reason")):
                return prefix + _text(terminated["reason"])
            if terminated.get("signal"):
                return f"{prefix}Signal:{_text(terminated['signal'])}"
            return f"{prefix}ExitCode:{_int(terminated.get('exitCode'))}"
    return None


def pod_reason(obj: Obj) -> str | None:
    """The one word an on-call engineer needs, as `kubectl get pods` shows in STATUS.

    None when nothing is wrong; "Terminating" while being deleted; otherwise the
    first container's waiting or terminated reason (CrashLoopBackOff,
    ImagePullBackOff, OOMKilled, Error), an init container's (prefixed
    "Init:"), or the pod's own status.reason (Evicted, NodeLost).
    """
    meta, status = _map(obj.get("metadata")), _map(obj.get("status"))
    if meta.get("deletionTimestamp"):
        return "Terminating"
    phase = status.get("phase")
    if phase in ("Succeeded", "Failed") and _str(status.get("reason")):
        return _text(status["reason"])
    init = [
        cs for cs in _list(status.get("initContainerStatuses"))
        if _map(_map(_map(cs).get("state")).get("terminated")).get("exitCode", 1) != 0
        or _map(_map(cs).get("state")).get("waiting")
    ]
    init_reason = _container_reason(init, "Init:")
    if init_reason and init_reason != "Init:PodInitializing":
        return init_reason
    reason = _container_reason(_list(status.get("containerStatuses")))
    if reason:
        return reason
    return _str(status.get("reason"))


def pod_state(
    obj: Obj, now: float, usage: tuple[float | None, float | None] | None = None
) -> PodState:
    meta, spec, status = _map(obj.get("metadata")), _map(obj.get("spec")), _map(obj.get("status"))
    statuses = _list(status.get("containerStatuses"))
    ready = any(
        _map(c).get("type") == "Ready" and _map(c).get("status") == "True"
        for c in _list(status.get("conditions"))
    )
    last_termination = next(
        (
            _text(t["reason"])
            for t in (_map(_map(_map(cs).get("lastState")).get("terminated")) for cs in statuses)
            if _str(t.get("reason"))
        ),
        None,
    )
    created = parse_time(meta.get("creationTimestamp"))
    cpu, memory = usage if usage is not None else (None, None)
    return PodState(
        name=_text(meta.get("name")),
        phase=_text(status.get("phase") or "Unknown"),
        ready=ready,
        restarts=sum(_int(_map(cs).get("restartCount")) for cs in statuses),
        age_s=max(0.0, now - created) if created is not None else 0.0,
        node=_str(spec.get("nodeName")),
        reason=pod_reason(obj),
        uid=_text(meta.get("uid")),
        cpu_millicores=cpu,
        memory_bytes=memory,
        last_termination_reason=last_termination,
        containers=container_states(obj),
        owner=_owner(meta, "ReplicaSet"),
        init_containers=container_states(obj, init=True),
        default_container=_str(default_container(obj)),
    )


def _owner(meta: Obj, kind: str) -> str | None:
    """The name of the object's owner of `kind` (its ReplicaSet, for a pod), if any."""
    return next((_str(_map(ref).get("name")) for ref in _list(meta.get("ownerReferences"))
                 if _map(ref).get("kind") == kind), None)


TERMINATION_MESSAGE_LINES = 80
"""The kubelet keeps a log tail of 80 lines (and 2048 bytes) as a termination message."""


def termination_message(value: Any) -> tuple[str, ...]:
    """A termination message as its last lines, each cleaned (tabs expanded): a log tail
    keeps its lines."""
    if not isinstance(value, str) or not value.strip():
        return ()
    lines = value[-4 * LINE_LIMIT:].splitlines()[-TERMINATION_MESSAGE_LINES:]
    return tuple(clean_line(line.expandtabs()) for line in lines)


def _millicores(value: Any) -> float | None:
    cores = parse_quantity(value)
    return None if cores is None else round(cores * 1000.0, 3)


MAX_CONTAINERS = 64
"""A pod has a handful; a hostile answer may list thousands: the rest are left out."""

DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container"
"""The annotation naming the container `kubectl logs` reads when none is given."""


def default_container(obj: Obj) -> str | None:
    """The container `kubectl logs POD` reads: the annotation's if it names one, else the
    first of the spec (None when the spec lists none)."""
    spec = _map(obj.get("spec"))

    def names(key: str) -> list[str]:
        return [str(_map(c)["name"]) for c in _list(spec.get(key)) if _map(c).get("name")]

    containers = names("containers")
    wanted = _map(_map(obj.get("metadata")).get("annotations")).get(DEFAULT_CONTAINER)
    if isinstance(wanted, str) and wanted in containers + names("initContainers"):
        return wanted
    return containers[0] if containers else None


def container_states(obj: Obj, *, init: bool = False) -> tuple[ContainerState, ...]:
    """Each container of the spec with its status: state, restarts, last exit, requests/limits.

    Spec order, so the first container (the one `kubectl logs` reads) comes first;
    a container with no status yet reads "waiting" with no reason. `init`: the
    init containers (spec.initContainers with status.initContainerStatuses).
    """
    spec, status = _map(obj.get("spec")), _map(obj.get("status"))
    statuses = {
        _text(_map(cs).get("name")): _map(cs)
        for cs in _list(status.get("initContainerStatuses" if init else "containerStatuses"))
    }
    out = []
    for container in _list(spec.get("initContainers" if init else "containers"))[:MAX_CONTAINERS]:
        c = _map(container)
        name = _text(c.get("name") or "?")
        cs = statuses.get(name, {})
        state = _map(cs.get("state"))
        kind = next((k for k in ("running", "waiting", "terminated") if k in state),
                    "waiting" if not cs else "unknown")
        last = _map(_map(cs.get("lastState")).get("terminated"))
        resources = _map(c.get("resources"))
        requests, limits = _map(resources.get("requests")), _map(resources.get("limits"))
        exit_code = last.get("exitCode")
        out.append(ContainerState(
            name=name,
            image=_str(cs.get("image")) or _str(c.get("image")),
            state=kind,
            reason=_str(_map(state.get(kind)).get("reason")),
            ready=cs.get("ready") is True,
            restarts=_int(cs.get("restartCount")),
            last_termination_reason=_str(last.get("reason")),
            last_exit_code=exit_code if isinstance(exit_code, int) and last else None,
            last_termination_message=termination_message(last.get("message")),
            cpu_request_m=_millicores(requests.get("cpu")),
            cpu_limit_m=_millicores(limits.get("cpu")),
            memory_request_bytes=parse_quantity(requests.get("memory")),
            memory_limit_bytes=parse_quantity(limits.get("memory")),
        ))
    return tuple(out)


def pod_usage(item: Obj) -> tuple[float | None, float | None]:
    """(CPU millicores, memory bytes) of one PodMetrics, summed over its containers."""
    cpu = memory = 0.0
    seen_cpu = seen_memory = False
    for container in _list(item.get("containers")):
        usage = _map(_map(container).get("usage"))
        c, m = parse_quantity(usage.get("cpu")), parse_quantity(usage.get("memory"))
        if c is not None:
            cpu, seen_cpu = cpu + c * 1000.0, True
        if m is not None:
            memory, seen_memory = memory + m, True
    return (round(cpu, 3) if seen_cpu else None, memory if seen_memory else None)


def _metric_value(value: Obj) -> float | None:
    """averageUtilization (a percentage, kept as int) or else averageValue / value."""
    if "averageUtilization" in value and _int(value.get("averageUtilization"), -1) >= 0:
        return _int(value.get("averageUtilization"))
    for key in ("averageValue", "value"):
        if key in value:
            return parse_quantity(value.get(key))
    return None


def _metric_identity(metric: Obj) -> tuple[str, str] | None:
    """(type, display name) of a v2 MetricSpec or MetricStatus."""
    type_ = _text(metric.get("type"))
    if type_ == "Resource":
        return type_, _text(_map(metric.get("resource")).get("name"), "?")
    if type_ == "ContainerResource":
        body = _map(metric.get("containerResource"))
        return type_, f"{_text(body.get('name'), '?')} ({_text(body.get('container'), '?')})"
    if type_ in ("Pods", "Object", "External"):
        body = _map(metric.get({"Pods": "pods", "Object": "object", "External": "external"}[type_]))
        name = _text(_map(body.get("metric")).get("name"), "?")
        if type_ == "Object":
            described = _map(body.get("describedObject"))
            kind = _text(described.get("kind"), "?").lower()
            name = f"{name} ({kind}/{_text(described.get('name'))})"
        return type_, name
    return None


def _metric_body(metric: Obj) -> Obj:
    key = {"Resource": "resource", "ContainerResource": "containerResource", "Pods": "pods",
           "Object": "object", "External": "external"}.get(str(metric.get("type")), "")
    return _map(metric.get(key))


def hpa_state(obj: Obj) -> HpaState:
    """An autoscaling/v2 HPA; each spec metric paired with its current value by identity."""
    meta, spec, status = _map(obj.get("metadata")), _map(obj.get("spec")), _map(obj.get("status"))
    current: dict[tuple[str, str], float | None] = {}
    for metric in _list(status.get("currentMetrics")):
        ident = _metric_identity(_map(metric))
        if ident is not None:
            current[ident] = _metric_value(_map(_metric_body(_map(metric)).get("current")))
    metrics = []
    for metric in _list(spec.get("metrics")):
        ident = _metric_identity(_map(metric))
        if ident is None:
            continue
        target = _metric_value(_map(_metric_body(_map(metric)).get("target")))
        metrics.append(HpaMetric(name=ident[1], current=current.get(ident), target=target))
    return HpaState(
        name=_text(meta.get("name")),
        min_replicas=_int(spec.get("minReplicas"), 1),
        max_replicas=_int(spec.get("maxReplicas")),
        current_replicas=_int(status.get("currentReplicas")),
        desired_replicas=_int(status.get("desiredReplicas")),
        metrics=tuple(metrics),
        conditions=conditions(status.get("conditions")),
    )


def event_last_seen(obj: Obj) -> str | None:
    """When it last happened: core/v1 keeps it in one of four places, by API age."""
    series = _map(obj.get("series"))
    for value in (
        obj.get("lastTimestamp"),
        series.get("lastObservedTime"),
        obj.get("eventTime"),
        obj.get("firstTimestamp"),
        _map(obj.get("metadata")).get("creationTimestamp"),
    ):
        if _str(value):
            return _text(value)
    return None


def kube_event(obj: Obj) -> KubeEvent:
    involved = _map(obj.get("involvedObject"))
    series = _map(obj.get("series"))
    count = _int(obj.get("count")) or _int(series.get("count")) or 1
    message = " ".join(str(obj.get("message") or "").split())
    return KubeEvent(
        type=_text(obj.get("type") or "Normal"),
        reason=_text(obj.get("reason") or ""),
        message=_text(message, limit=NOTE_LIMIT),
        object_kind=_text(involved.get("kind") or ""),
        object_name=_text(involved.get("name") or ""),
        count=count,
        last_seen=event_last_seen(obj),
    )


def newest_first(events: Iterable[KubeEvent]) -> tuple[KubeEvent, ...]:
    return tuple(
        sorted(events, key=lambda e: (parse_time(e.last_seen) or 0.0, e.reason), reverse=True)
    )


def relevant_events(items: Iterable[Obj], deployment: str, hpa: str,
                    pod_names: Iterable[str]) -> tuple[KubeEvent, ...]:
    """Warnings and scaling events about the Deployment, its ReplicaSets, pods and HPA,
    newest first: the namespace's other events are someone else's business."""
    pods = set(pod_names)
    chosen = []
    for obj in items:
        involved = obj.get("involvedObject") or {}
        kind, name = involved.get("kind"), str(involved.get("name") or "")
        if obj.get("type") != "Warning" and obj.get("reason") not in SCALING_REASONS:
            continue
        if (
            (kind == "Deployment" and name == deployment)
            or (kind == "HorizontalPodAutoscaler" and name == hpa)
            or (kind == "Pod" and name in pods)
            or (kind == "ReplicaSet" and name.startswith(deployment + "-"))
        ):
            chosen.append(kube_event(obj))
    return newest_first(chosen)
