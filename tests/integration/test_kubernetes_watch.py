"""List once, then watch: changes arrive without re-listing, and every break recovers.

The emulator streams real watch events (with bookmarks, timeoutSeconds, 410
Gone for a compacted resourceVersion and connections cut mid-stream); the
assertions count what the source sent, both with its own counter and in the
emulator's request log.
"""

from __future__ import annotations

import asyncio
import copy
import time
from pathlib import Path
from typing import Any

import pytest

from console.model import ClusterReading
from console.sources.kubernetes import KubernetesSource
from tests.stack import kube_objects as k
from tests.stack.kube_emulator import KubeEmulator
from tests.stack.kube_fixtures import SourceFactory, fetch_error, fetch_until

DEPLOYMENTS = r"/apis/apps/v1/namespaces/ai-services/deployments$"
PODS = r"/api/v1/namespaces/ai-services/pods$"


def lists(emu: KubeEmulator, path: str) -> int:
    return len(emu.requests_where("GET", path, watch=False))


def watches(emu: KubeEmulator, path: str) -> int:
    return len(emu.requests_where("GET", path, watch=True))


async def test_a_change_arrives_by_watch_without_a_relist(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    await kube_source.fetch()
    before = kube_source.request_counts()
    kube_emulator.patch("Deployment", "ai-gateway",
                        {"status": {"readyReplicas": 3, "availableReplicas": 3}})
    pod = copy.deepcopy(k.pods()[2])
    pod["status"]["containerStatuses"][0]["restartCount"] = 8
    kube_emulator.put(pod)
    reading = await fetch_until(
        kube_source,
        lambda r: r.deployment is not None and r.deployment.ready_replicas == 3
        and any(p.restarts == 8 for p in r.pods),
    )
    assert reading.deployment is not None and reading.deployment.available_replicas == 3
    after = kube_source.request_counts()
    assert {op: n for op, n in after.items() if op.startswith("list")} == {
        op: n for op, n in before.items() if op.startswith("list")
    }
    assert kube_source.requests_made == sum(before.values())  # nothing sent at all
    assert lists(kube_emulator, DEPLOYMENTS) == 1 and lists(kube_emulator, PODS) == 1
    # The watches were opened from the lists' resourceVersions, with bookmarks.
    watch = kube_emulator.requests_where("GET", PODS, watch=True)[0]
    assert watch.query["resourceVersion"].isdigit()
    assert watch.query["allowWatchBookmarks"] == "true"
    assert watch.query["labelSelector"] == "app=ai-gateway"
    assert int(watch.query["timeoutSeconds"]) == 30


async def test_pods_come_and_go_and_the_selector_is_followed(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    await kube_source.fetch()
    new = copy.deepcopy(k.pods()[0])
    new["metadata"]["name"] = "ai-gateway-7d9f8b6c5-n3w9p"
    del new["metadata"]["uid"]
    kube_emulator.put(new)
    stranger = copy.deepcopy(k.unselected_pod())
    stranger["metadata"]["name"] = "ai-gateway-migrate-second"
    del stranger["metadata"]["uid"]
    kube_emulator.put(stranger)
    kube_emulator.delete("Pod", k.POD_CRASH)
    reading = await fetch_until(
        kube_source, lambda r: {p.name for p in r.pods} == {
            k.POD_OK_1, k.POD_OK_2, "ai-gateway-7d9f8b6c5-n3w9p"})
    # A pod relabelled out of the selector leaves the view (the watch says DELETED).
    kube_emulator.patch("Pod", k.POD_OK_1, {"metadata": {"labels": {"app": "debug"}}})
    reading = await fetch_until(kube_source, lambda r: k.POD_OK_1 not in {p.name for p in r.pods})
    assert len(reading.pods) == 2
    assert lists(kube_emulator, PODS) == 1


async def test_watch_that_ends_is_reopened_from_its_version(
    make_kube_source: SourceFactory, kube_emulator: KubeEmulator
) -> None:
    source = make_kube_source(watch_timeout_s=1)  # the server ends each watch after 1 s
    await source.fetch()
    await asyncio.sleep(2.3)
    kube_emulator.patch("Deployment", "ai-gateway", {"spec": {"replicas": 4}})
    reading = await fetch_until(source, lambda r: r.deployment is not None
                                and r.deployment.replicas == 4)
    assert reading.deployment is not None and reading.deployment.generation == 5
    assert watches(kube_emulator, DEPLOYMENTS) >= 3
    assert lists(kube_emulator, DEPLOYMENTS) == 1  # re-watched, never re-listed


async def test_410_gone_leads_to_a_fresh_list(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    await kube_source.fetch()
    kube_emulator.compact()  # every version the source has seen is now too old
    kube_emulator.drop_watches()
    kube_emulator.patch("Deployment", "ai-gateway", {"status": {"readyReplicas": 3}})
    reading = await fetch_until(kube_source, lambda r: r.deployment is not None
                                and r.deployment.ready_replicas == 3)
    assert reading.deployment is not None
    assert kube_emulator.wait_for(lambda: lists(kube_emulator, DEPLOYMENTS) == 2)
    assert kube_emulator.wait_for(lambda: lists(kube_emulator, PODS) == 2)
    assert len(reading.pods) == 3


async def test_410_answer_to_the_watch_request_itself(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    await kube_source.fetch()
    kube_emulator.fail(method="GET", path=DEPLOYMENTS, watch=True, status=410,
                       message="too old resource version", times=1)
    kube_emulator.drop_watches()
    assert kube_emulator.wait_for(lambda: lists(kube_emulator, DEPLOYMENTS) == 2)
    reading = await kube_source.fetch()
    assert reading.deployment is not None


async def test_dropped_stream_recovers_without_a_relist(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    await kube_source.fetch()
    for round_ in range(2):
        kube_emulator.drop_watches()  # cut mid-stream, no final chunk
        kube_emulator.patch("Deployment", "ai-gateway", {"spec": {"replicas": 5 + round_}})

        def scaled(r: ClusterReading, n: int = 5 + round_) -> bool:
            return r.deployment is not None and r.deployment.replicas == n

        await fetch_until(kube_source, scaled)
    assert lists(kube_emulator, DEPLOYMENTS) == 1
    assert watches(kube_emulator, DEPLOYMENTS) >= 3


async def test_watch_failing_with_a_working_list_degrades_to_listing(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    await kube_source.fetch()
    kube_emulator.fail(method="GET", path=DEPLOYMENTS, watch=True, status=500,
                       message="watch cache not ready")
    kube_emulator.drop_watches()
    assert kube_emulator.wait_for(
        lambda: kube_emulator.requests_where("GET", DEPLOYMENTS, watch=True)[-1].at
        > time.time() - 1 and not kube_source._informers["deployments"].healthy
    )
    kube_emulator.patch("Deployment", "ai-gateway", {"spec": {"replicas": 6}})
    reading = await kube_source.fetch()  # re-lists, so still fresh
    assert reading.deployment is not None and reading.deployment.replicas == 6
    assert lists(kube_emulator, DEPLOYMENTS) >= 2


async def test_broken_watches_and_failing_list_raise_then_recover(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    await kube_source.fetch()
    kube_emulator.go_down()
    message = await fetch_error(kube_source)
    assert message == f"Kubernetes API unreachable at {kube_emulator.url} (connection refused)"
    kube_emulator.come_back()
    kube_emulator.patch("Deployment", "ai-gateway", {"spec": {"replicas": 7}})
    reading = await fetch_until(kube_source, lambda r: r.deployment is not None
                                and r.deployment.replicas == 7, timeout=5)
    assert len(reading.pods) == 3


async def test_a_silent_watch_is_noticed_by_its_read_timeout(
    make_kube_source: SourceFactory, kube_emulator: KubeEmulator
) -> None:
    """A stream that stays open but says nothing past timeoutSeconds is treated as dead."""
    kube_emulator.bookmark_interval_s = 3600  # no bookmarks either
    kube_emulator.watch_end_after_s = 3600  # the server ignores timeoutSeconds
    source = make_kube_source(watch_timeout_s=1, watch_read_margin_s=0.3)
    await source.fetch()
    assert kube_emulator.wait_for(lambda: watches(kube_emulator, DEPLOYMENTS) >= 2, timeout=4)
    kube_emulator.patch("Deployment", "ai-gateway", {"spec": {"replicas": 8}})
    await fetch_until(source, lambda r: r.deployment is not None and r.deployment.replicas == 8)
    assert lists(kube_emulator, DEPLOYMENTS) == 1


async def test_steady_state_request_rate(
    make_kube_source: SourceFactory, kube_emulator: KubeEmulator
) -> None:
    """Measure requests per minute at steady state, on time scaled down 20 x.

    With watch_timeout 6 s (120 s / 20) and a metrics poll every 0.75 s
    (15 s / 20), fetching every 0.1 s (2 s / 20) for 6 s of steady state
    stands for 2 minutes of real use. The count must match the model: 4
    watch renewals per watch period plus one metrics poll per interval, and
    nothing else, whatever the number of fetches.
    """
    source = make_kube_source(watch_timeout_s=6, metrics_interval_s=0.75)
    await source.fetch()
    await asyncio.sleep(0.5)
    start, fetches = source.requests_made, 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < 6.0:
        await source.fetch()
        fetches += 1
        await asyncio.sleep(0.1)
    sent = source.requests_made - start
    counts = source.request_counts()
    assert fetches >= 40
    assert counts["list deployments"] == counts["list pods"] == 1
    # 6 s = one watch period: each of the 4 watches renewed about once; 8 metrics polls.
    assert sent <= 4 * 2 + 9, counts
    assert sent >= 6, counts


def test_the_official_watch_helper_agrees_with_the_emulator(
    kubeconfig: Path, kube_emulator: KubeEmulator
) -> None:
    """kubernetes.watch.Watch, typed, unpatched: events, timeoutSeconds and 410 Gone."""
    from kubernetes import client, config, watch
    from kubernetes.client.exceptions import ApiException

    # The client's loaders and its Watch are untyped, its models' fields optional: Any.
    kube_config: Any = config
    kube_watch: Any = watch
    api = kube_config.new_client_from_config(str(kubeconfig), persist_config=False)
    try:
        core = client.CoreV1Api(api)
        listed: Any = core.list_namespaced_pod("ai-services", label_selector="app=ai-gateway")
        rv = listed.metadata.resource_version
        kube_emulator.patch("Pod", k.POD_OK_1, {"metadata": {"annotations": {"seen": "yes"}}})
        kube_emulator.patch("Pod", k.POD_UNSELECTED, {"metadata": {"annotations": {"x": "y"}}})
        events = list(kube_watch.Watch().stream(
            core.list_namespaced_pod, "ai-services", label_selector="app=ai-gateway",
            resource_version=rv, timeout_seconds=1))
        assert [(e["type"], e["object"].metadata.name) for e in events] == [
            ("MODIFIED", k.POD_OK_1)]
        assert events[0]["object"].metadata.annotations == {"seen": "yes"}
        kube_emulator.compact()
        with pytest.raises(ApiException) as info:
            list(kube_watch.Watch().stream(core.list_namespaced_pod, "ai-services",
                                      resource_version=rv, timeout_seconds=1))
        assert info.value.status == 410
    finally:
        api.close()
