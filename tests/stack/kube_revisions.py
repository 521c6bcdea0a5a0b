"""A rollout history for the emulator: the Deployment's ReplicaSets with their revisions.

Revision 4 is the running one (the fixtures' ReplicaSet), revision 3 an older image with
its change-cause, and a ReplicaSet with a higher revision that the Deployment's selector
selects but another controller owns: `kubectl rollout undo` ignores it (GetAllReplicaSets
filters by owner), so a rollback that picked it would be caught. The Deployment carries
a last-applied annotation and the older ReplicaSet a desired-replicas one: kubectl keeps
the first and drops the second (annotationsToSkip).
"""

from __future__ import annotations

import copy
from typing import Any

from tests.stack import kube_objects as k
from tests.stack.kube_emulator import KubeEmulator

Obj = dict[str, Any]
OLD_RS = "ai-gateway-5c8d7f9b4"
OLD_IMAGE = "apijson/gateway:1.4.2"
STRANGER_RS = "ai-gateway-canary-6b7c8d9f5"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def _rehash(rs: Obj, name: str, pod_hash: str) -> None:
    rs["metadata"]["name"] = name
    rs["metadata"]["uid"] = f"5b1d3e7a-0c4f-4a55-9d3e-{pod_hash[:6]}000000"
    for labels in (rs["metadata"]["labels"], rs["spec"]["selector"]["matchLabels"],
                   rs["spec"]["template"]["metadata"]["labels"]):
        labels["pod-template-hash"] = pod_hash


def deployment() -> Obj:
    dep = k.deployment()
    dep["metadata"]["annotations"][LAST_APPLIED] = '{"kind":"Deployment"}'
    return dep


def replica_sets() -> list[Obj]:
    current = k.replicaset()
    current["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "4"}
    old = copy.deepcopy(current)
    _rehash(old, OLD_RS, "5c8d7f9b4")
    old["metadata"]["creationTimestamp"] = "2026-11-24T09:00:00Z"
    old["metadata"]["annotations"] = {
        "deployment.kubernetes.io/revision": "3",
        "deployment.kubernetes.io/desired-replicas": "3",
        "kubernetes.io/change-cause": "kubectl set image deployment/ai-gateway gateway=1.4.2",
    }
    old["spec"]["replicas"] = 0
    old["spec"]["template"]["spec"]["containers"][0]["image"] = OLD_IMAGE
    stranger = copy.deepcopy(old)
    _rehash(stranger, STRANGER_RS, "6b7c8d9f5")
    stranger["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "9"
    stranger["metadata"]["ownerReferences"][0]["uid"] = "another-controller"
    stranger["spec"]["template"]["spec"]["containers"][0]["image"] = "apijson/gateway:canary"
    return [current, old, stranger]


def load(emu: KubeEmulator) -> None:
    """Give the loaded emulator the history (and the annotated Deployment)."""
    emu.put(deployment())
    for rs in replica_sets():
        emu.put(rs)
