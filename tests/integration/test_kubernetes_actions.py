"""Restart, scale, delete, logs, events and RBAC checks, as the API server sees them.

Each write is asserted in the emulator's request log: exactly one request,
with the method, path, content type and body kubectl would send, and never a
retry, even when the answer is lost.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from console.clock import FixedClock
from console.sources.base import ActionError, SourceError
from console.sources.kubernetes import KubernetesSource
from tests.stack import kube_objects as k
from tests.stack.kube_emulator import KubeEmulator
from tests.stack.kube_fixtures import fetch_until

DEPLOYMENT = "/apis/apps/v1/namespaces/ai-services/deployments/ai-gateway"
SSAR = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"


def writes(emu: KubeEmulator) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in emu.requests if r.method != "GET"
            and r.path != SSAR]


# ---------------------------------------------------------------- restart


async def test_restart_is_one_strategic_merge_patch_like_kubectl(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    await kube_source.fetch()
    stamp = await kube_source.restart()
    assert stamp == "2026-11-26T10:00:00Z"  # RFC 3339, from the source's clock
    patches = kube_emulator.requests_where("PATCH")
    assert len(patches) == 1
    (patch,) = patches
    assert patch.path == DEPLOYMENT
    assert patch.content_type == "application/strategic-merge-patch+json"
    assert patch.body == {"spec": {"template": {"metadata": {"annotations": {
        "kubectl.kubernetes.io/restartedAt": "2026-11-26T10:00:00Z"}}}}}
    stored = kube_emulator.get("Deployment", "ai-gateway")
    assert stored is not None
    assert stored["spec"]["template"]["metadata"]["annotations"] == {
        "kubectl.kubernetes.io/restartedAt": stamp}
    assert stored["spec"]["template"]["spec"]["containers"][0]["name"] == "gateway"
    assert stored["metadata"]["generation"] == 5
    reading = await fetch_until(kube_source, lambda r: r.deployment is not None
                                and r.deployment.restarted_at == stamp)
    assert reading.deployment is not None and reading.deployment.generation == 5
    assert writes(kube_emulator) == [("PATCH", DEPLOYMENT)]


async def test_restart_refused_by_the_api_sends_one_patch_and_changes_nothing(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    kube_emulator.fail(method="PATCH", path=DEPLOYMENT + "$", status=403)
    with pytest.raises(ActionError) as info:
        await kube_source.restart()
    assert str(info.value) == "forbidden: cannot patch deployments in namespace ai-services"
    assert len(kube_emulator.requests_where("PATCH")) == 1
    stored = kube_emulator.get("Deployment", "ai-gateway")
    assert stored is not None and "annotations" not in stored["spec"]["template"]["metadata"]


async def test_restart_without_answer_is_not_retried(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    kube_emulator.fail(method="PATCH", path=DEPLOYMENT + "$", stall_s=1.5)  # applied, answer late
    with pytest.raises(ActionError) as info:
        await kube_source.restart()
    assert str(info.value) == (
        "no answer within 1 s: the restart may or may not have been applied; "
        "check before trying again"
    )
    assert kube_emulator.wait_for(lambda: len(kube_emulator.requests_where("PATCH")) == 1)
    assert len(kube_emulator.requests_where("PATCH")) == 1


async def test_restart_of_a_missing_deployment(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    kube_emulator.delete("Deployment", "ai-gateway")
    with pytest.raises(ActionError, match=r"^Deployment ai-gateway not found in namespace "
                                          r"ai-services$"):
        await kube_source.restart()
    assert len(kube_emulator.requests_where("PATCH")) == 1


async def test_paused_deployment_is_not_restarted(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    kube_emulator.patch("Deployment", "ai-gateway", {"spec": {"paused": True}})
    await kube_source.fetch()
    with pytest.raises(ActionError, match="paused"):
        await kube_source.restart()
    assert kube_emulator.requests_where("PATCH") == []


# ------------------------------------------------------------------ scale


async def test_scale_goes_through_the_scale_subresource(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    await kube_source.fetch()
    await kube_source.scale(5)
    (patch,) = kube_emulator.requests_where("PATCH")
    assert patch.path == DEPLOYMENT + "/scale"
    assert patch.body == {"spec": {"replicas": 5}}
    assert patch.content_type == "application/merge-patch+json"
    stored = kube_emulator.get("Deployment", "ai-gateway")
    assert stored is not None and stored["spec"]["replicas"] == 5
    await fetch_until(kube_source, lambda r: r.deployment is not None
                      and r.deployment.replicas == 5)
    assert writes(kube_emulator) == [("PATCH", DEPLOYMENT + "/scale")]


@pytest.mark.parametrize("bad", [-1, 2.5, True, "3"])
async def test_scale_to_nonsense_sends_nothing(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator, bad: object
) -> None:
    with pytest.raises(ActionError, match="whole number"):
        await kube_source.scale(bad)  # type: ignore[arg-type]
    assert kube_emulator.requests == []


async def test_scale_rejected_by_validation(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    kube_emulator.fail(method="PATCH", path="/scale$", status=422,
                       message='Scale.autoscaling "ai-gateway" is invalid: spec.replicas: '
                               "Invalid value: 500: exceeds quota")
    with pytest.raises(ActionError) as info:
        await kube_source.scale(500)
    assert str(info.value) == (
        'Kubernetes API refused 422 on patch deployments/scale: Scale.autoscaling "ai-gateway" '
        "is invalid: spec.replicas: Invalid value: 500: exceeds quota"
    )


# ----------------------------------------------------------------- delete


async def test_delete_pod_sends_one_delete(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    await kube_source.fetch()
    await kube_source.delete_pod(k.POD_CRASH)
    assert writes(kube_emulator) == [("DELETE", f"/api/v1/namespaces/ai-services/pods/"
                                                f"{k.POD_CRASH}")]
    assert kube_emulator.get("Pod", k.POD_CRASH) is None
    reading = await fetch_until(kube_source, lambda r: len(r.pods) == 2)
    assert k.POD_CRASH not in {p.name for p in reading.pods}


async def test_graceful_delete_shows_terminating(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    kube_emulator.graceful_delete = True
    await kube_source.fetch()
    await kube_source.delete_pod(k.POD_OK_1)
    reading = await fetch_until(kube_source, lambda r: any(
        p.name == k.POD_OK_1 and p.reason == "Terminating" for p in r.pods))
    assert len(reading.pods) == 3


async def test_delete_refuses_pods_that_are_not_the_deployments(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    with pytest.raises(ActionError, match="not known yet"):
        await kube_source.delete_pod(k.POD_OK_1)  # before any fetch
    await kube_source.fetch()
    with pytest.raises(ActionError, match=f"pod {k.POD_UNSELECTED} is not one of deployment "
                                          "ai-gateway's pods"):
        await kube_source.delete_pod(k.POD_UNSELECTED)
    assert kube_emulator.requests_where("DELETE") == []
    assert kube_emulator.get("Pod", k.POD_UNSELECTED) is not None


async def test_delete_of_a_pod_already_gone(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    await kube_source.fetch()
    kube_emulator.fail(method="DELETE", status=404, message=f'pods "{k.POD_OK_2}" not found')
    with pytest.raises(ActionError) as info:
        await kube_source.delete_pod(k.POD_OK_2)
    assert str(info.value) == f"Pod {k.POD_OK_2} not found in namespace ai-services"
    assert len(kube_emulator.requests_where("DELETE")) == 1


# ------------------------------------------------------------------- logs


async def test_logs_tail_of_the_first_container(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    await kube_source.fetch()
    text = await kube_source.logs(k.POD_OK_1)
    assert text == "".join(line + "\n" for line in k.LOG_LINES)
    (req,) = kube_emulator.requests_where("GET", "/log$")
    assert req.path == f"/api/v1/namespaces/ai-services/pods/{k.POD_OK_1}/log"
    assert req.query["tailLines"] == "200"
    assert req.query["container"] == "gateway"
    assert "previous" not in req.query
    assert await kube_source.logs(k.POD_OK_1, tail=1) == k.LOG_LINES[-1] + "\n"


async def test_logs_of_the_previous_container(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    await kube_source.fetch()
    text = await kube_source.logs(k.POD_CRASH, previous=True)
    assert "HOLYSHEEP_API_KEY rejected" in text
    assert kube_emulator.requests_where("GET", "/log$")[-1].query["previous"] == "true"
    with pytest.raises(SourceError) as info:
        await kube_source.logs(k.POD_OK_1, previous=True)
    assert str(info.value) == (
        f'previous terminated container "gateway" in pod "{k.POD_OK_1}" not found')
    assert isinstance(info.value, ActionError)  # either kind of handler catches it


async def test_logs_of_a_missing_pod(kube_source: KubernetesSource) -> None:
    with pytest.raises(SourceError, match=r"^Pod nope not found in namespace ai-services$"):
        await kube_source.logs("nope")


# ----------------------------------------------------------------- events


async def test_events_of_one_object_newest_first(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    events = await kube_source.events("Pod", k.POD_CRASH)
    assert [(e.type, e.reason, e.count) for e in events] == [
        ("Warning", "BackOff", 42), ("Warning", "Unhealthy", 12)]
    (req,) = kube_emulator.requests_where("GET", "/events$")
    assert req.query["fieldSelector"] == (
        f"involvedObject.kind=Pod,involvedObject.name={k.POD_CRASH}")
    normal = await kube_source.events("pod", k.POD_OK_1)  # all types, aliases accepted
    assert [(e.type, e.reason) for e in normal] == [("Normal", "Pulled")]
    hpa = await kube_source.events("HorizontalPodAutoscaler", "ai-gateway-hpa")
    assert [e.reason for e in hpa] == ["SuccessfulRescale"]
    assert await kube_source.events("Deployment", "other") == ()


# ------------------------------------------------------------- permission


async def test_permission_allowed_with_the_apis_reason(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    answer = await kube_source.permission("patch", "deployments")
    assert answer.allowed
    assert answer.reason.startswith("RBAC: allowed by RoleBinding")
    (review,) = kube_emulator.requests_where("POST", SSAR)
    assert review.body == {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {
            "namespace": "ai-services", "verb": "patch", "group": "apps",
            "resource": "deployments", "name": "ai-gateway"}},
    }


async def test_permission_denied_with_and_without_a_reason(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    kube_emulator.deny("delete", "pods")
    kube_emulator.deny("patch", "deployments", "scale",
                       reason='RBAC: "oncall-view" grants get, list, watch only')
    denied = await kube_source.permission("delete", "pods")
    assert (denied.allowed, denied.reason) == (False, "RBAC denies delete pods in ai-services")
    scale = await kube_source.permission("patch", "deployments", "scale")
    assert (scale.allowed, scale.reason) == (
        False, 'RBAC: "oncall-view" grants get, list, watch only')
    attrs = kube_emulator.requests_where("POST", SSAR)[-1].body["spec"]["resourceAttributes"]
    assert (attrs["group"], attrs["subresource"]) == ("apps", "scale")
    assert (await kube_source.permission("patch", "deployments")).allowed


async def test_permission_answers_are_cached_for_three_minutes(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator, kube_clock: FixedClock
) -> None:
    kube_emulator.deny("delete", "pods")
    first = await kube_source.permission("delete", "pods")
    kube_emulator.rbac_rules.clear()  # RBAC changed; the cached answer stands for now
    kube_clock.advance(179)
    assert await kube_source.permission("delete", "pods") == first
    assert len(kube_emulator.requests_where("POST", SSAR)) == 1
    kube_clock.advance(2)
    assert (await kube_source.permission("delete", "pods")).allowed
    assert len(kube_emulator.requests_where("POST", SSAR)) == 2


async def test_permission_that_cannot_be_checked_raises(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    kube_emulator.fail(method="POST", path=SSAR, status=500, message="webhook down", times=1)
    with pytest.raises(SourceError, match=r"^Kubernetes API error 500 on create "
                                          r"selfsubjectaccessreviews: webhook down$"):
        await kube_source.permission("delete", "pods")
    assert (await kube_source.permission("delete", "pods")).allowed  # failures are not cached


def test_emulator_answers_are_valid_for_the_official_models(kubeconfig: Path) -> None:
    """Scale, SelfSubjectAccessReview and list answers, read with the client's typed methods."""
    from kubernetes import client, config

    # The client's loaders are untyped and its models' fields all optional: read as Any.
    kube_config: Any = config
    api = kube_config.new_client_from_config(str(kubeconfig), persist_config=False)
    try:
        apps = client.AppsV1Api(api)
        scale: Any = apps.read_namespaced_deployment_scale("ai-gateway", "ai-services")
        assert (scale.spec.replicas, scale.status.selector) == (3, "app=ai-gateway")
        review: Any = client.AuthorizationV1Api(api).create_self_subject_access_review(
            client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(
                resource_attributes=client.V1ResourceAttributes(
                    namespace="ai-services", verb="delete", resource="pods"))))
        assert review.status.allowed is True
        pods: Any = client.CoreV1Api(api).list_namespaced_pod(
            "ai-services", label_selector="app=ai-gateway")
        assert sorted(p.metadata.name for p in pods.items) == sorted(
            p["metadata"]["name"] for p in k.pods())
        hpa: Any = client.AutoscalingV2Api(api).read_namespaced_horizontal_pod_autoscaler(
            "ai-gateway-hpa", "ai-services")
        assert hpa.status.current_metrics[0].resource.current.average_utilization == 45
    finally:
        api.close()
