"""The demo's Kubernetes side: objects shaped like the real ones, and actions that act."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from console.clock import FixedClock
from console.config.settings import Settings, TargetSettings
from console.demo.simulator import Simulation
from console.demo.sources import DemoClusterSource, demo_source_set
from console.model import ClusterReading, PodState
from console.sources.base import ActionError, SourceSet

SUFFIX = "[bcdfghjklmnpqrstvwxz2456789]"
POD_NAME = re.compile(rf"ai-gateway-{SUFFIX}{{9,10}}-{SUFFIX}{{5}}")


def demo(scenario: str = "steady", **target: Any) -> tuple[SourceSet, FixedClock]:
    clock = FixedClock()
    settings = Settings(targets=(TargetSettings("demo", **target),), demo=scenario)
    return demo_source_set(settings, settings.target, clock), clock


def simulation(sources: SourceSet) -> Simulation:
    assert isinstance(sources.cluster, DemoClusterSource)
    return sources.cluster.simulation


def live(reading: ClusterReading) -> list[PodState]:
    return [p for p in reading.pods if p.reason != "Terminating"]


async def test_the_initial_cluster_looks_like_the_guide() -> None:
    sources, _ = demo()
    reading = await sources.cluster.fetch()
    d = reading.deployment
    assert d is not None
    assert (d.namespace, d.name, d.replicas) == ("ai-services", "ai-gateway", 3)
    assert d.ready_replicas == d.updated_replicas == d.available_replicas == 3
    assert d.restarted_at is None and not d.rolling and not d.stalled
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                        d.uid)
    assert d.generation == d.observed_generation > 0
    conditions = {c.type: (c.status, c.reason) for c in d.conditions}
    assert conditions == {"Available": ("True", "MinimumReplicasAvailable"),
                          "Progressing": ("True", "NewReplicaSetAvailable")}

    assert len(reading.pods) == 3
    hashes = {p.name.rsplit("-", 1)[0] for p in reading.pods}
    assert len(hashes) == 1, "all pods belong to one ReplicaSet"
    for pod in reading.pods:
        assert POD_NAME.fullmatch(pod.name), pod.name
        assert (pod.phase, pod.ready, pod.restarts, pod.reason) == ("Running", True, 0, None)
        assert pod.node in ("node-1", "node-2", "node-3")
        assert pod.age_s > 3600
        assert pod.cpu_millicores is not None and 30 < pod.cpu_millicores < 500
        assert pod.memory_bytes is not None and pod.memory_bytes > 32 * 1024 * 1024
    assert len({p.node for p in reading.pods}) == 3, "spread over the nodes"

    hpa = reading.hpa
    assert hpa is not None
    assert (hpa.name, hpa.min_replicas, hpa.max_replicas) == ("ai-gateway-hpa", 3, 10)
    assert (hpa.current_replicas, hpa.desired_replicas) == (3, 3)
    assert {(m.name, m.target) for m in hpa.metrics} == {("cpu", 70), ("memory", 80)}
    cpu = next(m for m in hpa.metrics if m.name == "cpu")
    assert cpu.current is not None and 20 < cpu.current < 70
    assert [c.type for c in hpa.conditions] == ["AbleToScale", "ScalingActive", "ScalingLimited"]
    assert all(c.status == "True" for c in hpa.conditions[:2])
    assert not hpa.pinned_at_max


async def test_names_come_from_the_target_settings() -> None:
    sources, _ = demo(namespace="gw", deployment="edge", hpa="edge-hpa")
    reading = await sources.cluster.fetch()
    assert reading.deployment is not None
    assert (reading.deployment.namespace, reading.deployment.name) == ("gw", "edge")
    assert reading.hpa is not None and reading.hpa.name == "edge-hpa"
    assert all(p.name.startswith("edge-") for p in reading.pods)


async def test_restart_rolls_the_pods_one_at_a_time() -> None:
    sources, clock = demo()
    before = {p.name for p in (await sources.cluster.fetch()).pods}
    restarted_at = await sources.cluster.restart()
    assert restarted_at == "2026-11-26T10:00:00Z"
    reading = await sources.cluster.fetch()
    assert reading.deployment is not None
    assert reading.deployment.restarted_at == restarted_at
    assert reading.deployment.rolling

    seen_surge = False
    updated_seen = set()
    for _ in range(25):
        clock.advance(2.0)
        reading = await sources.cluster.fetch()
        d = reading.deployment
        assert d is not None
        # maxUnavailable rounds down to 0 for 3 replicas: capacity never drops.
        assert d.available_replicas >= 3
        seen_surge |= len(live(reading)) == 4
        updated_seen.add(d.updated_replicas)
    assert seen_surge
    assert {1, 2, 3} <= updated_seen
    assert d is not None
    assert d.restarted_at == restarted_at and not d.rolling
    after = {p.name for p in reading.pods}
    assert len(after) == 3 and not (after & before), "every pod was replaced"
    messages = [e.message for e in await sources.cluster.events("Deployment", "ai-gateway")]
    assert any(m.startswith("Scaled up replica set") for m in messages)
    assert any(m.startswith("Scaled down replica set") for m in messages)


async def test_a_rollout_takes_between_10_and_60_seconds() -> None:
    sources, clock = demo()
    await sources.cluster.restart()
    elapsed = 0
    while True:
        clock.advance(1.0)
        elapsed += 1
        d = (await sources.cluster.fetch()).deployment
        assert d is not None
        if not d.rolling:
            break
        assert elapsed < 60
    assert elapsed >= 10


async def test_scale_up_is_pulled_back_by_the_hpa() -> None:
    sources, clock = demo()
    await sources.cluster.scale(8)
    reading = await sources.cluster.fetch()
    assert reading.deployment is not None and reading.deployment.replicas == 8
    clock.advance(30.0)
    reading = await sources.cluster.fetch()
    assert reading.deployment is not None and reading.deployment.replicas < 8
    assert reading.hpa is not None
    limited = next(c for c in reading.hpa.conditions if c.type == "ScalingLimited")
    assert (limited.status, limited.reason) == ("True", "ScaleDownLimit")
    events = await sources.cluster.events("HorizontalPodAutoscaler", "ai-gateway-hpa")
    assert any(e.reason == "SuccessfulRescale" and "below target" in e.message for e in events)
    clock.advance(900.0)
    reading = await sources.cluster.fetch()
    assert reading.deployment is not None and reading.deployment.replicas <= 4
    assert len(live(reading)) == reading.deployment.replicas


async def test_scale_below_the_minimum_is_restored_at_once() -> None:
    sources, clock = demo()
    await sources.cluster.scale(1)
    clock.advance(20.0)
    reading = await sources.cluster.fetch()
    assert reading.deployment is not None and reading.deployment.replicas == 3
    events = await sources.cluster.events("HorizontalPodAutoscaler", "ai-gateway-hpa")
    assert any("below Spec.MinReplicas" in e.message for e in events)


async def test_scale_to_zero_disables_the_hpa() -> None:
    sources, clock = demo()
    await sources.cluster.scale(0)
    clock.advance(60.0)
    reading = await sources.cluster.fetch()
    assert reading.deployment is not None and reading.deployment.replicas == 0
    assert reading.pods == ()
    assert reading.hpa is not None
    active = next(c for c in reading.hpa.conditions if c.type == "ScalingActive")
    assert (active.status, active.reason) == ("False", "ScalingDisabled")
    assert (await sources.metrics.fetch(300.0)).targets == ()


async def test_scale_rejects_nonsense() -> None:
    sources, _ = demo()
    with pytest.raises(ActionError):
        await sources.cluster.scale(-1)
    with pytest.raises(ActionError):
        await sources.cluster.scale(10_000)


async def test_a_deleted_pod_is_replaced() -> None:
    sources, clock = demo()
    victim = (await sources.cluster.fetch()).pods[0]
    await sources.cluster.delete_pod(victim.name)
    reading = await sources.cluster.fetch()
    gone = next(p for p in reading.pods if p.name == victim.name)
    assert gone.reason == "Terminating" and not gone.ready
    clock.advance(2.0)
    reading = await sources.cluster.fetch()
    fresh = [p for p in reading.pods if p.age_s < 10]
    assert len(fresh) == 1 and POD_NAME.fullmatch(fresh[0].name)
    assert fresh[0].name.rsplit("-", 1)[0] == victim.name.rsplit("-", 1)[0], "same ReplicaSet"
    clock.advance(10.0)
    reading = await sources.cluster.fetch()
    assert victim.name not in {p.name for p in reading.pods}
    assert len(reading.pods) == 3 and all(p.ready for p in reading.pods)
    events = await sources.cluster.events("Pod", victim.name)
    assert [e.reason for e in events] == ["Killing"]


async def test_deleting_an_unknown_pod_is_an_action_error() -> None:
    sources, _ = demo()
    with pytest.raises(ActionError, match="not found"):
        await sources.cluster.delete_pod("ai-gateway-nope")


async def test_logs_are_json_access_lines() -> None:
    sources, _ = demo()
    pod = (await sources.cluster.fetch()).pods[0]
    text = await sources.cluster.logs(pod.name, tail=50)
    lines = text.splitlines()
    assert len(lines) == 50
    models = set()
    for line in lines:
        entry = json.loads(line)
        assert {"time", "level", "msg", "model", "provider", "status", "latency_ms"} <= set(entry)
        assert entry["time"].endswith("Z")
        models.add(entry["model"])
    assert len(models) >= 3
    assert [json.loads(x)["time"] for x in lines] == sorted(json.loads(x)["time"] for x in lines)
    assert await sources.cluster.logs(pod.name, tail=50) == text, "same second, same lines"
    with pytest.raises(ActionError, match="previous terminated container"):
        await sources.cluster.logs(pod.name, previous=True)
    with pytest.raises(ActionError, match="not found"):
        await sources.cluster.logs("ai-gateway-nope")


async def test_outage_logs_show_the_upstream_errors() -> None:
    sources, _ = demo("provider-outage")
    pod = (await sources.cluster.fetch()).pods[0]
    entries = [json.loads(x) for x in (await sources.cluster.logs(pod.name, 400)).splitlines()]
    failed = [e for e in entries if e["status"] == 503]
    assert len(failed) > 20
    assert all(e["provider"] == "holysheep" and e["error_type"] == "upstream_error"
               for e in failed)


async def test_a_fresh_pod_logs_its_startup() -> None:
    sources, clock = demo()
    victim = (await sources.cluster.fetch()).pods[0]
    await sources.cluster.delete_pod(victim.name)
    clock.advance(1.0)
    fresh = next(p for p in (await sources.cluster.fetch()).pods if p.age_s < 5)
    with pytest.raises(ActionError, match="waiting to start"):
        await sources.cluster.logs(fresh.name)
    clock.advance(5.0)
    text = await sources.cluster.logs(fresh.name)
    assert "starting ai-gateway" in text.splitlines()[0]


async def test_crashloop_logs_explain_the_crash() -> None:
    sources, _ = demo("crashloop")
    pod = next(p for p in (await sources.cluster.fetch()).pods if not p.ready)
    previous = await sources.cluster.logs(pod.name, previous=True)
    assert "panic:" in previous and "HOLYSHEEP_API_KEY" in previous
    current = await sources.cluster.logs(pod.name)
    assert "HOLYSHEEP_API_KEY" in current
    events = await sources.cluster.events("Pod", pod.name)
    backoff = next(e for e in events if e.reason == "BackOff")
    assert backoff.type == "Warning" and backoff.count >= 3
    assert backoff.last_seen is not None and backoff.last_seen.endswith("Z")


async def test_restart_does_not_cure_a_broken_revision() -> None:
    sources, clock = demo("crashloop")
    await sources.cluster.restart()
    clock.advance(60.0)
    reading = await sources.cluster.fetch()
    assert reading.deployment is not None and reading.deployment.rolling
    assert reading.deployment.ready_replicas == 3
    assert any(not p.ready and p.restarts > 0 for p in reading.pods)


async def test_cluster_reading_carries_recent_events() -> None:
    sources, _ = demo("hpa-maxed")
    events = (await sources.cluster.fetch()).events
    assert events
    assert {"SuccessfulRescale", "ScalingReplicaSet", "SuccessfulCreate"} <= {
        e.reason for e in events
    }
    # Newest first, as the live source gives them (kube_mapping.newest_first).
    assert [e.last_seen for e in events] == sorted((e.last_seen or "" for e in events),
                                                   reverse=True)


async def test_permission_is_granted_unless_denied() -> None:
    sources, _ = demo()
    assert (await sources.cluster.permission("delete", "pods")).allowed
    sim = simulation(sources)
    sim.deny("delete", "pods")
    sim.deny("patch", "deployments/scale")
    refused = await sources.cluster.permission("delete", "pods")
    assert not refused.allowed and "cannot delete" in refused.reason
    assert not (await sources.cluster.permission("patch", "deployments", "scale")).allowed
    assert (await sources.cluster.permission("patch", "deployments")).allowed
    pod = (await sources.cluster.fetch()).pods[0]
    with pytest.raises(ActionError, match="forbidden"):
        await sources.cluster.delete_pod(pod.name)
    with pytest.raises(ActionError, match="forbidden"):
        await sources.cluster.scale(5)
    await sources.cluster.restart()  # still allowed
    assert len((await sources.cluster.fetch()).pods) == 3


async def test_demo_pods_have_a_telemetry_sidecar_with_its_own_log() -> None:
    """Two containers, as most gateway pods have: `-c otel-agent` is the agent's log, no
    container is the gateway's, an unknown one is the API's 400 (issue 17)."""
    sources, _ = demo("crashloop")
    pods = (await sources.cluster.fetch()).pods
    crashing = next(p for p in pods if not p.ready)
    assert crashing.log_containers() == ("gateway", "otel-agent")
    assert crashing.log_default() == "gateway"
    gateway, agent = crashing.containers
    assert agent.state == "running" and agent.ready and agent.restarts == 0
    assert gateway.last_exit_code == 1, "the crash stays the gateway container's"
    agent_log = await sources.cluster.logs(crashing.name, container="otel-agent")
    assert "Everything is ready" in agent_log or "Failed to scrape" in agent_log
    assert "connection refused" in agent_log.splitlines()[-1], "the gateway beside it is down"
    assert "HOLYSHEEP_API_KEY" not in agent_log
    assert "HOLYSHEEP_API_KEY" in await sources.cluster.logs(crashing.name, container="gateway")
    with pytest.raises(ActionError, match="previous terminated container \"otel-agent\""):
        await sources.cluster.logs(crashing.name, previous=True, container="otel-agent")
    with pytest.raises(ActionError, match="container nope is not valid"):
        await sources.cluster.logs(crashing.name, container="nope")
