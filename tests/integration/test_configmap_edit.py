"""`E`'s reads and its one write on the emulated API: which ConfigMap, the exact version.

The update is a PUT carrying the resourceVersion read; when someone else changed the
ConfigMap meanwhile the API answers 409 and nothing is overwritten: the source says so
and reads theirs. Secrets are never read, even when the pod template uses only Secrets.
"""

from __future__ import annotations

import pytest

from console.actions.runner import ActionRequest
from console.sources.base import ConfigConflict
from console.sources.kubernetes import KubernetesSource
from tests.stack import kube_objects as k
from tests.stack.kube_emulator import KubeEmulator

CONFIG = "/api/v1/namespaces/ai-services/configmaps/"


def puts(emu: KubeEmulator) -> list[str]:
    return [r.path for r in emu.requests if r.method == "PUT"]


def use_volumes(emu: KubeEmulator, volumes: list[dict[str, object]],
                env_from: list[dict[str, object]] | None = None) -> None:
    dep = k.deployment()
    dep["spec"]["template"]["spec"]["volumes"] = volumes
    if env_from is not None:
        dep["spec"]["template"]["spec"]["containers"][0]["envFrom"] = env_from
    emu.put(dep)


async def test_the_mounted_config_map_is_chosen_and_read_as_is(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    other = k.config_map()
    other["metadata"]["name"] = "gateway-routes"
    other["data"] = {"routes.yaml": "holysheep: openrouter\n\x1b[31mraw\n"}
    kube_emulator.put(other)
    use_volumes(kube_emulator, [{"name": "key", "secret": {"secretName": "holysheep-secret"}},
                                {"name": "routes", "configMap": {"name": "gateway-routes"}}])
    version = await kube_source.gateway_config("ai-gateway-config")
    assert version.name == "gateway-routes"
    assert version.chosen_by == "mounted as volume routes in the pod template"
    stored = kube_emulator.get("ConfigMap", "gateway-routes")
    assert stored is not None
    assert version.resource_version == stored["metadata"]["resourceVersion"]
    # Read as is: what is written back must be what the editor showed, byte for byte.
    assert version.data == {"routes.yaml": "holysheep: openrouter\n\x1b[31mraw\n"}


async def test_secrets_are_never_opened(kube_source: KubernetesSource,
                                        kube_emulator: KubeEmulator) -> None:
    use_volumes(kube_emulator, [{"name": "key", "secret": {"secretName": "holysheep-secret"}}],
                env_from=[{"secretRef": {"name": "holysheep-secret"}}])
    version = await kube_source.gateway_config("ai-gateway-config")
    assert (version.name, version.chosen_by) == (
        "ai-gateway-config", "the configured name (the pod template names no ConfigMap)")
    assert [r.path for r in kube_emulator.requests if "secrets" in r.path] == []


async def test_the_update_is_one_put_of_the_version_read(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    version = await kube_source.gateway_config("ai-gateway-config")
    edited = {"config.yaml": version.data["config.yaml"].replace("burst: 10", "burst: 20")}
    kube_emulator.clear_requests()
    message = await kube_source.replace_config_map(version, edited)
    (put,) = [r for r in kube_emulator.requests if r.method == "PUT"]
    assert put.path == CONFIG + k.CONFIG_MAP
    assert put.body["metadata"]["resourceVersion"] == version.resource_version
    assert put.body["data"] == edited
    stored = kube_emulator.get("ConfigMap", k.CONFIG_MAP)
    assert stored is not None and stored["data"] == edited
    assert message == (f"updated configmap/{k.CONFIG_MAP} (resourceVersion "
                       f"{version.resource_version} → {stored['metadata']['resourceVersion']})")
    assert [r.method for r in kube_emulator.requests if r.method != "GET"] == ["PUT"]


async def test_a_stale_update_is_refused_and_theirs_is_read(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    version = await kube_source.gateway_config("ai-gateway-config")
    kube_emulator.patch("ConfigMap", k.CONFIG_MAP, {"data": {"config.yaml": "theirs: 1\n"}})
    kube_emulator.clear_requests()
    with pytest.raises(ConfigConflict) as info:
        await kube_source.replace_config_map(version, {"config.yaml": "ours: 1\n"})
    assert "changed by someone else" in str(info.value)
    assert "nothing was overwritten" in str(info.value)
    assert info.value.theirs is not None
    assert info.value.theirs.data == {"config.yaml": "theirs: 1\n"}
    assert puts(kube_emulator) == [CONFIG + k.CONFIG_MAP]  # one PUT, never retried
    stored = kube_emulator.get("ConfigMap", k.CONFIG_MAP)
    assert stored is not None and stored["data"] == {"config.yaml": "theirs: 1\n"}


async def test_the_rbac_check_names_the_config_map_it_will_update(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    """`manifests rbac` grants the update by name (resourceNames); a review without the
    name is refused by the API server under such a rule, so the check asks by name."""
    other = k.config_map()
    other["metadata"]["name"] = "gateway-routes"
    kube_emulator.put(other)
    use_volumes(kube_emulator, [{"name": "routes", "configMap": {"name": "gateway-routes"}}])
    version = await kube_source.gateway_config("ai-gateway-config")
    request = ActionRequest("edit-config", config=version)
    assert request.rbac is not None
    kube_emulator.clear_requests()
    assert (await kube_source.permission(*request.rbac)).allowed
    (review,) = [r.body["spec"]["resourceAttributes"] for r in kube_emulator.requests
                 if r.path.endswith("selfsubjectaccessreviews")]
    assert review == {"namespace": "ai-services", "verb": "update", "group": "",
                      "resource": "configmaps", "name": "gateway-routes"}
