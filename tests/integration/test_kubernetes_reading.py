"""Reading the gateway's Deployment, pods, HPA and events through the official client.

Everything here goes over HTTP to the emulated API server (tests/stack/
kube_emulator.py) holding the objects of tests/stack/kube_objects.py; the
client is not patched. The mapping helpers get a few direct tests for the
shapes the fixtures do not cover (selector expressions, other HPA metric
types, other pod states).
"""

from __future__ import annotations

from typing import Any

import pytest

from console.clock import FixedClock
from console.model import AlertsReading, MetricsReading
from console.sources.base import History, SourceSet
from console.sources.kube_mapping import (
    hpa_state,
    label_selector,
    parse_quantity,
    pod_reason,
    pod_state,
)
from console.sources.kubernetes import KubernetesSource
from console.state.polling import collect_once
from tests.stack import kube_objects as k
from tests.stack.kube_emulator import KubeEmulator
from tests.stack.kube_fixtures import CONTEXT


async def test_deployment_from_the_api(kube_source: KubernetesSource) -> None:
    reading = await kube_source.fetch()
    dep = reading.deployment
    assert dep is not None
    assert (dep.namespace, dep.name, dep.replicas) == ("ai-services", "ai-gateway", 3)
    assert (dep.ready_replicas, dep.updated_replicas, dep.available_replicas) == (2, 3, 2)
    assert dep.restarted_at is None
    assert dep.uid == k.DEPLOYMENT_UID
    assert (dep.generation, dep.observed_generation) == (4, 4)
    assert [(c.type, c.status, c.reason) for c in dep.conditions] == [
        ("Available", "False", "MinimumReplicasUnavailable"),
        ("Progressing", "True", "NewReplicaSetAvailable"),
    ]
    assert dep.rolling  # 2 of 3 ready


async def test_pods_selected_by_the_deployments_selector(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    reading = await kube_source.fetch()
    by_name = {p.name: p for p in reading.pods}
    assert set(by_name) == {k.POD_OK_1, k.POD_OK_2, k.POD_CRASH}
    assert k.POD_UNSELECTED not in by_name  # same name prefix, other labels
    crash = by_name[k.POD_CRASH]
    assert (crash.phase, crash.ready, crash.restarts) == ("Running", False, 7)
    assert crash.reason == "CrashLoopBackOff"
    assert crash.last_termination_reason == "Error"
    assert crash.node == "node-3"
    ok = by_name[k.POD_OK_1]
    assert (ok.ready, ok.restarts, ok.reason, ok.node) == (True, 0, None, "node-1")
    assert ok.age_s == 3600.0  # created 09:00, FixedClock at 10:00
    assert by_name[k.POD_OK_2].restarts == 1
    # The pod list went to the API with the Deployment's own selector.
    lists = kube_emulator.requests_where("GET", r"/api/v1/namespaces/ai-services/pods$",
                                         watch=False)
    assert [r.query.get("labelSelector") for r in lists] == ["app=ai-gateway"]


async def test_pod_usage_from_metrics_api(kube_source: KubernetesSource) -> None:
    reading = await kube_source.fetch()
    by_name = {p.name: p for p in reading.pods}
    assert by_name[k.POD_OK_1].cpu_millicores == 130.0
    assert by_name[k.POD_OK_1].memory_bytes == 180 * 2**20
    assert by_name[k.POD_OK_2].cpu_millicores == pytest.approx(104.021, abs=1e-3)
    assert by_name[k.POD_OK_2].memory_bytes == 171616 * 1024


async def test_hpa_from_autoscaling_v2(kube_source: KubernetesSource) -> None:
    hpa = (await kube_source.fetch()).hpa
    assert hpa is not None
    assert hpa.name == "ai-gateway-hpa"
    assert (hpa.min_replicas, hpa.max_replicas) == (3, 10)
    assert (hpa.current_replicas, hpa.desired_replicas) == (3, 3)
    assert [(m.name, m.current, m.target) for m in hpa.metrics] == [
        ("cpu", 45, 70), ("memory", 62, 80),
    ]
    assert [(c.type, c.status, c.reason) for c in hpa.conditions] == [
        ("AbleToScale", "True", "ReadyForNewScale"),
        ("ScalingActive", "True", "ValidMetricFound"),
        ("ScalingLimited", "False", "DesiredWithinRange"),
    ]
    assert not hpa.pinned_at_max


async def test_warning_and_scaling_events_of_our_objects_only(
    kube_source: KubernetesSource,
) -> None:
    events = (await kube_source.fetch()).events
    assert [(e.type, e.reason, e.object_kind, e.object_name) for e in events] == [
        ("Warning", "BackOff", "Pod", k.POD_CRASH),
        ("Warning", "Unhealthy", "Pod", k.POD_CRASH),
        ("Normal", "ScalingReplicaSet", "Deployment", "ai-gateway"),
        ("Normal", "SuccessfulRescale", "HorizontalPodAutoscaler", "ai-gateway-hpa"),
    ]  # newest first; no "Pulled", nothing about redis-0
    assert events[0].count == 42
    assert events[0].last_seen == "2026-11-26T09:58:30Z"


async def test_snapshot_json_through_collect_once(kube_source: KubernetesSource) -> None:
    class NoMetrics:
        async def fetch(self, window_s: float) -> MetricsReading:
            return MetricsReading(models=(), targets=())

        async def history(self, window_s: float, span_s: float, step_s: float) -> History:
            return History()

        async def aclose(self) -> None:
            return None

    class NoAlerts:
        can_silence = False

        async def fetch(self) -> AlertsReading:
            return AlertsReading(alerts=())

        async def aclose(self) -> None:
            return None

    sources = SourceSet(target=CONTEXT, metrics=NoMetrics(), alerts=NoAlerts(),  # type: ignore[arg-type]
                        cluster=kube_source, context=CONTEXT)
    snap = await collect_once(sources, window_s=300, window="5m", profile="seed",
                              clock=FixedClock(), alertmanager_configured=True, timeout_s=10)
    data = snap.to_json()
    assert data["sources"]["kubernetes"]["ok"] is True
    assert data["sources"]["kubernetes"]["error"] is None
    assert data["deployment"] == {
        "namespace": "ai-services", "name": "ai-gateway", "replicas": 3, "ready_replicas": 2,
        "updated_replicas": 3, "available_replicas": 2, "restarted_at": None,
    }
    # In the screen's order (issue 17): the crashing pod first, then by name.
    assert [p["name"] for p in data["pods"]] == [k.POD_CRASH, *sorted((k.POD_OK_1, k.POD_OK_2))]
    assert next(p for p in data["pods"] if p["name"] == k.POD_OK_2) == {
        "name": k.POD_OK_2, "phase": "Running", "ready": True, "restarts": 1,
        "age_s": 3600.0, "node": "node-2", "reason": None,
    }
    assert data["pods"][0]["reason"] == "CrashLoopBackOff"
    assert set(data["hpa"]) == {"name", "min_replicas", "max_replicas", "current_replicas",
                                "desired_replicas", "metrics", "conditions"}
    assert data["hpa"]["metrics"] == [{"name": "cpu", "current": 45, "target": 70},
                                      {"name": "memory", "current": 62, "target": 80}]
    assert data["hpa"]["conditions"][2] == {
        "type": "ScalingLimited", "status": "False", "reason": "DesiredWithinRange",
        "message": "the desired count is within the acceptable range",
    }


def test_fixture_objects_are_valid_for_the_official_models() -> None:
    """The emulator's objects are in the API's shapes: the client's own models accept them."""
    from kubernetes import client

    client.V1Namespace.from_dict(k.namespace())
    deployment: Any = client.V1Deployment.from_dict(k.deployment())  # fields all optional
    assert deployment.spec.replicas == 3
    client.V1ReplicaSet.from_dict(k.replicaset())
    for pod in [*k.pods(), k.unselected_pod()]:
        client.V1Pod.from_dict(pod)
    hpa: Any = client.V2HorizontalPodAutoscaler.from_dict(k.hpa())
    assert hpa.spec.behavior.scale_down.stabilization_window_seconds == 300
    for event in k.events():
        client.CoreV1Event.from_dict(event)


# ------------------------------------------------------------ mapping helpers


def test_label_selector_from_match_labels_and_expressions() -> None:
    assert label_selector({"matchLabels": {"app": "ai-gateway"}}) == "app=ai-gateway"
    assert label_selector({
        "matchLabels": {"tier": "edge", "app": "gw"},
        "matchExpressions": [
            {"key": "track", "operator": "In", "values": ["stable", "canary"]},
            {"key": "env", "operator": "NotIn", "values": ["dev"]},
            {"key": "owner", "operator": "Exists"},
            {"key": "legacy", "operator": "DoesNotExist"},
        ],
    }) == "app=gw,tier=edge,track in (canary,stable),env notin (dev),owner,!legacy"
    with pytest.raises(ValueError, match="empty"):
        label_selector({})


async def test_selector_expressions_select_on_the_emulator(
    kube_emulator: KubeEmulator, make_kube_source: object
) -> None:
    dep = k.deployment()
    dep["spec"]["selector"] = {"matchExpressions": [
        {"key": "app", "operator": "In", "values": ["ai-gateway", "ai-gateway-canary"]},
        {"key": "job-name", "operator": "DoesNotExist"},
    ]}
    kube_emulator.put(dep)
    source = make_kube_source()  # type: ignore[operator]
    reading = await source.fetch()
    assert {p.name for p in reading.pods} == {k.POD_OK_1, k.POD_OK_2, k.POD_CRASH}


def test_quantities() -> None:
    assert parse_quantity("250m") == 0.25
    assert parse_quantity("256Mi") == 256 * 2**20
    assert parse_quantity("1.5") == 1.5
    assert parse_quantity("2k") == 2000
    assert parse_quantity("1e3") == 1000
    assert parse_quantity("104021337n") == pytest.approx(0.104021337)
    assert parse_quantity("lots") is None
    assert parse_quantity(None) is None


def test_pod_reasons_like_kubectl() -> None:
    pod = k.pods()[0]
    assert pod_reason(pod) is None
    pod["metadata"]["deletionTimestamp"] = "2026-11-26T09:59:00Z"
    assert pod_reason(pod) == "Terminating"
    pulling = k.pods()[0]
    pulling["status"]["phase"] = "Pending"
    pulling["status"]["containerStatuses"][0]["state"] = {
        "waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}}
    assert pod_reason(pulling) == "ImagePullBackOff"
    oom = k.pods()[0]
    oom["status"]["containerStatuses"][0]["state"] = {
        "terminated": {"reason": "OOMKilled", "exitCode": 137}}
    assert pod_reason(oom) == "OOMKilled"
    evicted = {"metadata": {"name": "e"}, "status": {
        "phase": "Failed", "reason": "Evicted", "message": "low on memory"}}
    assert pod_reason(evicted) == "Evicted"
    init = k.pods()[0]
    init["status"]["phase"] = "Pending"
    init["status"]["initContainerStatuses"] = [{"name": "migrate", "restartCount": 3, "state": {
        "waiting": {"reason": "CrashLoopBackOff"}}}]
    init["status"]["containerStatuses"][0]["state"] = {"waiting": {"reason": "PodInitializing"}}
    assert pod_reason(init) == "Init:CrashLoopBackOff"
    bare = pod_state({"metadata": {"name": "p"}, "status": {}}, now=0.0)
    assert (bare.phase, bare.ready, bare.restarts, bare.reason, bare.node) == (
        "Unknown", False, 0, None, None)


def test_hpa_other_metric_shapes() -> None:
    hpa = k.hpa()
    hpa["spec"]["metrics"] = [
        {"type": "Pods", "pods": {"metric": {"name": "requests_per_second"},
                                  "target": {"type": "AverageValue", "averageValue": "50"}}},
        {"type": "External", "external": {"metric": {"name": "queue_depth"},
                                          "target": {"type": "Value", "value": "100"}}},
        {"type": "ContainerResource", "containerResource": {
            "name": "cpu", "container": "gateway",
            "target": {"type": "Utilization", "averageUtilization": 60}}},
        {"type": "Object", "object": {
            "metric": {"name": "hits"},
            "describedObject": {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                                "name": "ai-gateway-ingress"},
            "target": {"type": "Value", "value": "2k"}}},
    ]
    hpa["status"]["currentMetrics"] = [
        {"type": "Pods", "pods": {"metric": {"name": "requests_per_second"},
                                  "current": {"averageValue": "42500m"}}},
        {"type": "ContainerResource", "containerResource": {
            "name": "cpu", "container": "gateway",
            "current": {"averageUtilization": 75, "averageValue": "190m"}}},
    ]
    state = hpa_state(hpa)
    assert [(m.name, m.current, m.target) for m in state.metrics] == [
        ("requests_per_second", 42.5, 50.0),
        ("queue_depth", None, 100.0),  # no current value reported: unknown, not 0
        ("cpu (gateway)", 75, 60),
        ("hits (ingress/ai-gateway-ingress)", None, 2000.0),
    ]
