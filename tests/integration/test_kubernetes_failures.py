"""Every way the API can fail becomes one honest line, free of credentials, and recovers.

Essential parts (the Deployment and its pods) fail the source; optional parts
(HPA, events, pod metrics) leave a note and the rest of the reading intact.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from console.clock import FixedClock
from console.config.settings import TargetSettings
from console.sources.base import ActionError, SourceError
from console.sources.kubernetes import KubernetesSource
from tests.stack.kube_emulator import KubeEmulator
from tests.stack.kube_fixtures import (
    CONTEXT,
    FAKE_TOKEN,
    SourceFactory,
    fetch_error,
    fetch_until,
    free_port,
)

PODS = r"/api/v1/namespaces/ai-services/pods$"
DEPLOYMENTS = r"/apis/apps/v1/namespaces/ai-services/deployments$"
HPAS = r"/horizontalpodautoscalers$"
METRICS = r"/apis/metrics.k8s.io/"


def one_clean_line(message: str) -> str:
    assert "\n" not in message and message.strip() == message and message
    assert FAKE_TOKEN not in message
    assert "Bearer" not in message and "token" not in message.lower()
    return message


async def test_unreachable_api(make_kube_source: SourceFactory, tmp_path: Path) -> None:
    emu = KubeEmulator(FAKE_TOKEN)
    emu.port = free_port()  # nothing listens there
    target = TargetSettings(name="gone", context=CONTEXT,
                            kubeconfig=str(emu.write_kubeconfig(tmp_path / "kc", CONTEXT)))
    source = make_kube_source(target)
    with pytest.raises(SourceError) as info:
        await source.fetch()
    assert one_clean_line(str(info.value)) == (
        f"Kubernetes API unreachable at http://127.0.0.1:{emu.port} (connection refused)")
    with pytest.raises(ActionError, match="unreachable"):
        await source.restart()


async def test_expired_credentials_name_the_context(
    make_kube_source: SourceFactory, kube_emulator: KubeEmulator
) -> None:
    kube_emulator.token = "rotated-token"  # the kubeconfig still has the old one
    source = make_kube_source()
    with pytest.raises(SourceError) as info:
        await source.fetch()
    assert one_clean_line(str(info.value)) == (
        f"credentials expired or invalid for context {CONTEXT}")
    assert kube_emulator.requests[0].authorization == f"Bearer {FAKE_TOKEN}"
    kube_emulator.token = FAKE_TOKEN
    assert (await source.fetch()).deployment is not None


async def test_forbidden_read_names_verb_resource_and_namespace(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    kube_emulator.fail(method="GET", path=PODS, status=403,
                       message='pods is forbidden: User "oncall" cannot list resource "pods"')
    with pytest.raises(SourceError) as info:
        await kube_source.fetch()
    assert one_clean_line(str(info.value)) == (
        "forbidden: cannot list pods in namespace ai-services")
    kube_emulator.clear_faults()
    reading = await kube_source.fetch()
    assert len(reading.pods) == 3


async def test_missing_deployment_then_created(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    saved = kube_emulator.get("Deployment", "ai-gateway")
    assert saved is not None
    kube_emulator.delete("Deployment", "ai-gateway")
    message = await fetch_error(kube_source)
    assert one_clean_line(message) == "Deployment ai-gateway not found in namespace ai-services"
    kube_emulator.put(saved)  # the watch brings it back; no re-list needed
    reading = await fetch_until(kube_source, lambda r: r.deployment is not None)
    assert len(reading.pods) == 3
    assert len(kube_emulator.requests_where("GET", DEPLOYMENTS, watch=False)) == 1


async def test_missing_hpa_is_a_note_not_a_failure(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    kube_emulator.delete("HorizontalPodAutoscaler", "ai-gateway-hpa")
    reading = await kube_source.fetch()
    assert reading.hpa is None
    assert reading.deployment is not None and len(reading.pods) == 3
    assert reading.notes == (
        "HorizontalPodAutoscaler ai-gateway-hpa not found in namespace ai-services",)


async def test_forbidden_hpa_is_a_note(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    kube_emulator.fail(method="GET", path=HPAS, status=403)
    reading = await kube_source.fetch()
    assert reading.hpa is None and reading.deployment is not None
    assert reading.notes == (
        "forbidden: cannot list horizontalpodautoscalers in namespace ai-services",)
    kube_emulator.clear_faults()
    reading = await fetch_until(kube_source, lambda r: r.hpa is not None, timeout=4)
    assert reading.notes == ()


async def test_autoscaling_v2_not_served(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    kube_emulator.fail(method="GET", path=HPAS, status=404,
                       message="the server could not find the requested resource")
    reading = await kube_source.fetch()
    assert reading.hpa is None
    assert reading.notes == (
        "the Kubernetes API does not serve horizontalpodautoscalers (404)",)


async def test_server_error(kube_source: KubernetesSource, kube_emulator: KubeEmulator) -> None:
    kube_emulator.fail(method="GET", path=DEPLOYMENTS, status=500,
                       message="etcdserver: request timed out")
    with pytest.raises(SourceError) as info:
        await kube_source.fetch()
    assert one_clean_line(str(info.value)) == (
        "Kubernetes API error 500 on list deployments: etcdserver: request timed out")
    kube_emulator.clear_faults()
    assert (await kube_source.fetch()).deployment is not None


async def test_timeout(make_kube_source: SourceFactory, kube_emulator: KubeEmulator) -> None:
    source = make_kube_source(request_timeout_s=0.3)
    kube_emulator.fail(method="GET", path=DEPLOYMENTS, watch=False, stall_s=1.0, times=1)
    with pytest.raises(SourceError) as info:
        await source.fetch()
    assert one_clean_line(str(info.value)) == (
        f"Kubernetes API at {kube_emulator.url} did not answer within 0.3 s (list deployments)")
    assert (await source.fetch()).deployment is not None


async def test_watch_that_breaks_and_a_list_that_fails(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    await kube_source.fetch()
    # Every watch streaming first, so it is an open pods watch that breaks (one still
    # being opened is the next test's case).
    assert kube_emulator.wait_for(lambda: kube_emulator.open_watches == 4)
    kube_emulator.fail(method="GET", path=PODS, watch=True, drop=True)
    kube_emulator.fail(method="GET", path=PODS, watch=False, status=503,
                       message="the server is currently unable to handle the request")
    kube_emulator.drop_watches()
    message = await fetch_error(kube_source)
    assert one_clean_line(message) == (
        "Kubernetes API error 503 on list pods: "
        "the server is currently unable to handle the request")
    kube_emulator.clear_faults()
    reading = await fetch_until(kube_source, lambda r: len(r.pods) == 3)
    assert reading.deployment is not None


async def test_watch_being_opened_when_the_connection_breaks(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    """The pods watch is still on its way (held 0.5 s by a slow proxy) when every stream is cut.

    It must be cut too, and the source must then fail on the re-list. The emulator
    once took a watch's drop generation only when its stream began, so a watch
    that had passed the fault check before the faults were set, but began to
    stream after `drop_watches()`, was never cut: a healthy watch, and now and
    then "fetch kept succeeding for 3.0 s" in the test above.
    """
    held = kube_emulator.fail(method="GET", path=PODS, watch=True, stall_s=0.5, times=1)
    await kube_source.fetch()
    assert kube_emulator.wait_for(lambda: held.hits == 1)  # in flight, not yet streaming
    kube_emulator.fail(method="GET", path=PODS, watch=True, drop=True)
    kube_emulator.fail(method="GET", path=PODS, watch=False, status=503,
                       message="the server is currently unable to handle the request")
    kube_emulator.drop_watches()
    message = await fetch_error(kube_source)
    assert message == ("Kubernetes API error 503 on list pods: "
                       "the server is currently unable to handle the request")
    kube_emulator.clear_faults()
    assert len((await fetch_until(kube_source, lambda r: len(r.pods) == 3)).pods) == 3


async def test_metrics_api_not_served_is_not_asked_every_tick(
    make_kube_source: SourceFactory, kube_emulator: KubeEmulator
) -> None:
    kube_emulator.metrics_enabled = False
    source = make_kube_source(metrics_interval_s=0.0)
    for _ in range(5):
        reading = await source.fetch()
    assert all(p.cpu_millicores is None and p.memory_bytes is None for p in reading.pods)
    assert reading.notes == (
        "metrics.k8s.io is not served (no metrics-server): pod CPU/memory unknown",)
    assert len(kube_emulator.requests_where("GET", METRICS)) == 1  # backed off for 5 min


async def test_metrics_api_failing_with_500_keeps_the_reading(
    make_kube_source: SourceFactory, kube_emulator: KubeEmulator
) -> None:
    kube_emulator.fail(method="GET", path=METRICS, status=503,
                       message="metrics-server unavailable")
    source = make_kube_source(metrics_interval_s=0.0)
    reading = await source.fetch()
    assert len(reading.pods) == 3 and reading.pods[0].cpu_millicores is None
    assert reading.notes == ("pod CPU/memory unknown: Kubernetes API error 503 on list "
                             "pods.metrics.k8s.io: metrics-server unavailable",)


async def test_kubeconfig_problems_are_one_line(tmp_path: Path, make_kube_source: SourceFactory,
                                                kubeconfig: Path) -> None:
    missing = make_kube_source(TargetSettings(name="x", kubeconfig=str(tmp_path / "nope")))
    with pytest.raises(SourceError, match=f"^kubeconfig {tmp_path / 'nope'} not found$"):
        await missing.fetch()
    wrong = make_kube_source(TargetSettings(name="x", context="prod-eu",
                                            kubeconfig=str(kubeconfig)))
    with pytest.raises(SourceError, match=f"^context prod-eu not found in kubeconfig "
                                          f"{kubeconfig}$"):
        await wrong.fetch()
    broken = tmp_path / "broken"
    broken.write_text(json.dumps({"apiVersion": "v1", "kind": "Config", "clusters": [],
                                  "contexts": [], "users": [], "current-context": ""}))
    none = make_kube_source(TargetSettings(name="x", kubeconfig=str(broken)))
    with pytest.raises(SourceError, match="no current-context"):
        await none.fetch()


async def test_kubeconfig_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, kubeconfig: Path, make_kube_source: SourceFactory
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    source = make_kube_source(TargetSettings(name="env"))  # no --kubeconfig, no --context
    assert (await source.fetch()).deployment is not None


FAULTS = [
    {"status": 401}, {"status": 403}, {"status": 404}, {"status": 500},
    {"status": 500, "message": f"leaked Bearer {FAKE_TOKEN} in an error"},
    {"stall_s": 0.8}, {"drop": True},
]


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: "-".join(f"{k}{v}"[:12]
                                                                for k, v in f.items()))
async def test_no_message_ever_shows_the_token(
    make_kube_source: SourceFactory, kube_emulator: KubeEmulator, fault: dict[str, object]
) -> None:
    source = make_kube_source(request_timeout_s=0.5)
    kube_emulator.fail(**fault)  # every request, every method
    messages: list[str] = []
    with pytest.raises(SourceError) as read_error:
        await source.fetch()
    messages.append(str(read_error.value))
    for action in (source.restart(), source.scale(4), source.logs("x"),
                   source.events("Pod", "x"), source.permission("delete", "pods")):
        try:
            await action
        except (SourceError, ActionError) as exc:
            messages.append(str(exc))
    assert len(messages) == 6
    for message in messages:
        one_clean_line(message)


def test_clock_is_injectable() -> None:
    """Pod ages use the source's clock, not the wall clock (see test_kubernetes_reading)."""
    source = KubernetesSource(TargetSettings(name="x"), FixedClock(0.0))
    assert source.requests_made == 0  # constructing sends nothing, loads nothing
