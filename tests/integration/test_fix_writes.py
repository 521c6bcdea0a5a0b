"""Rollback and HPA bounds as the API server sees them, held against kubectl itself.

kubectl is run against the emulator (over TLS: kubectl sends no bearer token to an
http:// server), its request recorded, the object put back as it was, and then the
console's source does the same: both requests must be the same PATCH (path, patch
type, operations, template, annotations), and each a single write.
"""

from __future__ import annotations

import shlex
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from console.actions.runner import ActionRequest
from console.clock import FixedClock
from console.config.settings import TargetSettings
from console.sources import kube_rollout
from console.sources.base import ActionError
from console.sources.kubernetes import KubernetesSource
from tests.stack import kube_objects as k
from tests.stack import kube_revisions as kr
from tests.stack.kube_emulator import KubeEmulator, RecordedRequest
from tests.stack.kube_fixtures import loaded_emulator
from tests.stack.kube_raw import kubectl, require_kubectl

DEPLOYMENT = "/apis/apps/v1/namespaces/ai-services/deployments/ai-gateway"
HPA = "/apis/autoscaling/v2/namespaces/ai-services/horizontalpodautoscalers/ai-gateway-hpa"
SSAR = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"


@pytest.fixture
def emu() -> Iterator[KubeEmulator]:
    require_kubectl()
    emulator = loaded_emulator()
    kr.load(emulator)
    emulator.start(tls=True)
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def kubeconfig(emu: KubeEmulator, tmp_path: Path) -> Path:
    return emu.write_kubeconfig(tmp_path / "kubeconfig", context="emu")


@pytest.fixture
async def source(kubeconfig: Path) -> AsyncIterator[KubernetesSource]:
    target = TargetSettings(name="emu", context="emu", kubeconfig=str(kubeconfig))
    made = KubernetesSource(target, FixedClock(), request_timeout_s=5.0)
    yield made
    await made.aclose()


def writes(emu: KubeEmulator) -> list[RecordedRequest]:
    return [r for r in emu.requests if r.method != "GET" and r.path != SSAR]


def kubectls_write(emu: KubeEmulator, kubeconfig: Path, *args: str) -> RecordedRequest:
    """Run kubectl, return its one write, and put the objects back as they were."""
    emu.clear_requests()
    run = kubectl(kubeconfig, *args)
    assert run.returncode == 0, run.stderr
    (request,) = writes(emu)
    emu.put(kr.deployment())
    emu.put(k.hpa())
    emu.clear_requests()
    return request


@pytest.mark.parametrize("to_revision", [None, 3])
async def test_rollback_sends_what_kubectl_rollout_undo_sends(
    emu: KubeEmulator, kubeconfig: Path, source: KubernetesSource, to_revision: int | None
) -> None:
    flag = [] if to_revision is None else [f"--to-revision={to_revision}"]
    theirs = kubectls_write(emu, kubeconfig, "-n", "ai-services", "rollout", "undo",
                            "deployment/ai-gateway", *flag)
    revisions = await source.rollout_history()
    assert [(r.number, r.replica_set, r.current) for r in revisions] == [
        (4, k.REPLICASET, True), (3, kr.OLD_RS, False)]  # the stranger's 9 is not ours
    assert revisions[1].images == (kr.OLD_IMAGE,)
    assert revisions[1].change_cause is not None and "1.4.2" in revisions[1].change_cause
    chosen = to_revision or kube_rollout.previous(revisions).number  # type: ignore[union-attr]
    assert chosen == 3  # the dialog preselects what `rollout undo` picks by itself
    emu.clear_requests()
    message = await source.rollback(chosen)
    assert message == "rolled back deployment/ai-gateway to revision 3"
    (ours,) = writes(emu)
    assert (ours.method, ours.path, ours.content_type) == (
        theirs.method, theirs.path, theirs.content_type) == (
        "PATCH", DEPLOYMENT, "application/json-patch+json")
    assert ours.body == theirs.body
    ops = {op["path"]: op for op in ours.body}
    assert [op["op"] for op in ours.body] == ["replace", "replace"]
    template = ops["/spec/template"]["value"]
    assert template["metadata"]["labels"] == {"app": "ai-gateway"}  # hash label removed
    assert template["spec"]["containers"][0]["image"] == kr.OLD_IMAGE
    assert ops["/metadata/annotations"]["value"] == {
        "deployment.kubernetes.io/revision": "4", kr.LAST_APPLIED: '{"kind":"Deployment"}',
        "kubernetes.io/change-cause": "kubectl set image deployment/ai-gateway gateway=1.4.2"}
    stored = emu.get("Deployment", "ai-gateway")
    assert stored is not None
    assert stored["spec"]["template"]["spec"]["containers"][0]["image"] == kr.OLD_IMAGE


async def test_rollback_to_the_running_revision_or_a_missing_one_sends_nothing(
    emu: KubeEmulator, source: KubernetesSource
) -> None:
    assert (await source.rollback(4)).startswith("skipped rollback")
    with pytest.raises(ActionError, match=r"revision 9 .* nothing was sent"):
        await source.rollback(9)  # exists, but another controller's
    assert writes(emu) == []


async def test_rollback_of_a_paused_deployment_is_refused_unsent(
    emu: KubeEmulator, source: KubernetesSource
) -> None:
    emu.patch("Deployment", "ai-gateway", {"spec": {"paused": True}})
    with pytest.raises(ActionError, match="paused"):
        await source.rollback(3)
    assert writes(emu) == []


async def test_hpa_bounds_send_what_the_dialogs_kubectl_command_sends(
    emu: KubeEmulator, kubeconfig: Path, source: KubernetesSource
) -> None:
    target = TargetSettings(name="emu", context=None, kubeconfig=str(kubeconfig))
    command = ActionRequest("hpa-bounds", bounds=(4, 20)).command(target)
    argv = shlex.split(command)
    assert argv[0] == "kubectl"
    theirs = kubectls_write(emu, kubeconfig, *argv[1:])
    await source.set_hpa_bounds(4, 20)
    (ours,) = writes(emu)
    assert (ours.method, ours.path, ours.content_type, ours.body) == (
        theirs.method, theirs.path, theirs.content_type, theirs.body) == (
        "PATCH", HPA, "application/merge-patch+json",
        {"spec": {"minReplicas": 4, "maxReplicas": 20}})
    stored = emu.get("HorizontalPodAutoscaler", k.HPA)
    assert stored is not None
    assert (stored["spec"]["minReplicas"], stored["spec"]["maxReplicas"]) == (4, 20)


async def test_hpa_bounds_refused_by_the_api_are_one_patch(
    emu: KubeEmulator, source: KubernetesSource
) -> None:
    emu.fail(method="PATCH", path=HPA + "$", status=403)
    with pytest.raises(ActionError, match="forbidden"):
        await source.set_hpa_bounds(3, 20)
    assert [(r.method, r.path) for r in writes(emu)] == [("PATCH", HPA)]
