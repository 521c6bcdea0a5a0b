"""Logs of every container of a pod, through the official client on the emulator, which
answers as the API server's LogLocation does (issue 17): the container parameter is
sent, a multi-container pod asked without one is a 400 naming its containers, init
containers are readable, and all containers read in kubectl's order with a prefix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from console.sources.base import SourceError
from console.sources.kube_mapping import pod_state
from console.sources.kubernetes import KubernetesSource
from console.state.log_tails import LogTails
from tests.stack.kube_emulator import KubeEmulator

POD = json.loads((Path(__file__).parents[1] / "recorded" / "kubernetes"
                  / "pod_init_crash_sidecar.json").read_text())
NAME = POD["metadata"]["name"]
INIT_LOG = ["test -s /etc/ai-gateway/config.yaml: no such file", "exit 1"]
AGENT_LOG = ["Everything is ready.", "Failed to scrape Prometheus endpoint"]


@pytest.fixture
def multi(kube_emulator: KubeEmulator) -> KubeEmulator:
    kube_emulator.put(POD)
    kube_emulator.set_log(NAME, INIT_LOG, previous=["first try"], container="wait-for-config")
    kube_emulator.set_log(NAME, AGENT_LOG, container="otel-agent")
    kube_emulator.set_log(NAME, [], container="gateway")
    return kube_emulator


def sent(emu: KubeEmulator) -> list[str | None]:
    return [r.query.get("container") for r in emu.requests_where("GET", f"{NAME}/log$")]


async def test_each_container_by_name_and_the_default_one(
    kube_source: KubernetesSource, multi: KubeEmulator
) -> None:
    await kube_source.fetch()
    assert await kube_source.logs(NAME) == ""  # the annotation's default: gateway, empty
    assert await kube_source.logs(NAME, container="otel-agent") == "".join(
        f"{line}\n" for line in AGENT_LOG)
    assert await kube_source.logs(NAME, container="wait-for-config", previous=True) == (
        "first try\n")
    assert sent(multi) == ["gateway", "otel-agent", "wait-for-config"]
    assert multi.requests_where("GET", f"{NAME}/log$")[-1].query["previous"] == "true"
    with pytest.raises(SourceError, match=f"^container nope is not valid for pod {NAME}$"):
        await kube_source.logs(NAME, container="nope")


def test_a_multi_container_pod_without_a_container_is_a_400(
    kubeconfig: Path, multi: KubeEmulator
) -> None:
    """What the real API server answers `kubectl logs POD` without -c for such a pod."""
    from kubernetes import client, config
    from kubernetes.client.exceptions import ApiException

    kube_config: Any = config
    api = kube_config.new_client_from_config(str(kubeconfig), persist_config=False)
    try:
        core = client.CoreV1Api(api)
        with pytest.raises(ApiException) as info:
            core.read_namespaced_pod_log(NAME, "ai-services")
        assert info.value.status == 400
        assert json.loads(str(info.value.body))["message"] == (
            f"a container name must be specified for pod {NAME}, choose one of: "
            "[wait-for-config otel-agent gateway]")
        assert core.read_namespaced_pod_log(NAME, "ai-services", container="wait-for-config",
                                            tail_lines=1) == "exit 1\n"
    finally:
        api.close()


async def test_all_containers_in_kubectls_order_with_a_prefix(
    kube_source: KubernetesSource, multi: KubeEmulator
) -> None:
    reading = await kube_source.fetch()
    pod = next(p for p in reading.pods if p.name == NAME)
    names = pod.log_containers()
    assert names == pod_state(POD, 0.0).log_containers() == (
        "wait-for-config", "otel-agent", "gateway")
    lines = await LogTails().read_all(kube_source.logs, NAME, 200, False, names)
    assert lines == [f"[wait-for-config] {x}" for x in INIT_LOG] + [
        f"[otel-agent] {x}" for x in AGENT_LOG]
    assert sent(multi) == ["wait-for-config", "otel-agent", "gateway"]
    previous = await LogTails().read_all(kube_source.logs, NAME, 200, True, names)
    assert previous == [
        "[wait-for-config] first try",
        f'[otel-agent] ✗ cannot read logs: previous terminated container "otel-agent" in '
        f'pod "{NAME}" not found',
        f'[gateway] ✗ cannot read logs: previous terminated container "gateway" in '
        f'pod "{NAME}" not found']
