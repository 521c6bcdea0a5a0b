"""A scale is not a rollout (issue 17), read through the official client from the API
emulator: a Deployment mid-scale and mid-rollout, with the status the deployment
controller writes for each (it leaves Progressing alone on a scale)."""

from __future__ import annotations

from typing import Any

from console.sources.kubernetes import KubernetesSource
from console.state.rollout import rollout_state
from tests.stack.kube_emulator import KubeEmulator
from tests.stack.kube_fixtures import fetch_until


def status(generation: int, pods: int, updated: int, ready: int, reason: str) -> dict[str, Any]:
    return {"status": {
        "observedGeneration": generation, "replicas": pods, "updatedReplicas": updated,
        "readyReplicas": ready, "availableReplicas": ready,
        "conditions": [
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
            {"type": "Progressing", "status": "True", "reason": reason},
        ]}}


async def test_a_scale_reads_scaling_and_a_new_template_rolling_out(
        kube_source: KubernetesSource, kube_emulator: KubeEmulator) -> None:
    emu = kube_emulator
    # `kubectl scale --replicas 10` of 14 pods: the spec changes, the controller sees it,
    # and the ReplicaSet has not yet removed the extra pods.
    dep = emu.patch("Deployment", "ai-gateway", {"spec": {"replicas": 10}})
    generation = int(dep["metadata"]["generation"])
    emu.patch("Deployment", "ai-gateway", {"metadata": {"generation": generation}}
              | status(generation - 1, 14, 14, 14, "NewReplicaSetAvailable"))
    reading = await fetch_until(kube_source, lambda r: r.deployment is not None
                                and r.deployment.replicas == 10
                                and r.deployment.status_replicas == 14)
    assert reading.deployment is not None
    assert rollout_state(reading.deployment) == (
        "⟳", f"generation {generation} not yet seen by the controller")
    emu.patch("Deployment", "ai-gateway",
              status(generation, 14, 14, 14, "NewReplicaSetAvailable"))
    reading = await fetch_until(kube_source, lambda r: r.deployment is not None
                                and r.deployment.observed_generation == generation)
    assert reading.deployment is not None
    assert rollout_state(reading.deployment) == ("⟳", "scaling 14→10")

    # A new pod template: 3 new pods beside 10 of the old ReplicaSet.
    emu.patch("Deployment", "ai-gateway",
              status(generation, 13, 3, 10, "ReplicaSetUpdated"))
    reading = await fetch_until(kube_source, lambda r: r.deployment is not None
                                and r.deployment.updated_replicas == 3)
    assert reading.deployment is not None
    assert rollout_state(reading.deployment) == ("⟳", "rolling out: 3/10 updated")
