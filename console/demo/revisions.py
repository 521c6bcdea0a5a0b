"""The demo Deployment's revisions as the API would show them, for the rollback dialog.

Each simulated ReplicaSet is written out as the JSON the API serves (revision annotation,
owner reference, pod template with its hash label), and then read by the very functions
the Kubernetes source uses (console/sources/kube_rollout.py): the demo's dialog lists
and diffs revisions exactly as it would on a cluster. The broken revision of `crashloop`
is the one whose template lost the HOLYSHEEP_API_KEY variable.
"""

from __future__ import annotations

from typing import Any

from console.demo.gateway_config import CONFIG_MAP
from console.demo.pods import CONTAINER, IMAGE, PORT, ReplicaSet
from console.demo.timefmt import rfc3339
from console.sources import kube_rollout
from console.sources.kube_rollout import HASH_LABEL, REVISION, Revision


def pod_template(app: str, rs: ReplicaSet | None) -> dict[str, Any]:
    """A revision's pod template; the broken one has no HOLYSHEEP_API_KEY."""
    env: list[dict[str, Any]] = [{"name": "LOG_LEVEL", "value": "info"}]
    if rs is None or not rs.broken:
        env.insert(0, {"name": "HOLYSHEEP_API_KEY", "valueFrom": {
            "secretKeyRef": {"name": "holysheep-secret", "key": "api-key"}}})
    labels = {"app": app}
    if rs is not None:
        labels[HASH_LABEL] = rs.name.rsplit("-", 1)[-1]
    return {
        "metadata": {"labels": labels},
        "spec": {"containers": [{
            "name": CONTAINER, "image": IMAGE, "env": env,
            "ports": [{"containerPort": PORT, "protocol": "TCP"}],
            "resources": {"requests": {"cpu": "250m", "memory": "256Mi"},
                          "limits": {"cpu": "500m", "memory": "512Mi"}},
            "volumeMounts": [{"name": "config", "mountPath": "/etc/gateway"}],
        }], "volumes": [{"name": "config", "configMap": {"name": CONFIG_MAP}}]},
    }


def deployment_object(app: str, uid: str, current: ReplicaSet | None) -> dict[str, Any]:
    """The Deployment as the API shows it, as far as the rollback and `E` read it."""
    return {"metadata": {"uid": uid},
            "spec": {"template": kube_rollout.template_without_hash(pod_template(app, current))}}


def history(app: str, uid: str, replica_sets: list[ReplicaSet],
            current: ReplicaSet | None) -> tuple[Revision, ...]:
    """The revisions, newest first, through kube_rollout as the real source reads them."""
    deployment = deployment_object(app, uid, current)
    objects = [{
        "metadata": {
            "name": rs.name, "uid": f"{uid}-{rs.revision}",
            "creationTimestamp": rfc3339(rs.created_at),
            "annotations": {REVISION: str(rs.revision)},
            "ownerReferences": [{"kind": "Deployment", "uid": uid, "controller": True}],
        },
        "spec": {"template": pod_template(app, rs)},
    } for rs in replica_sets]
    return kube_rollout.history(deployment, objects)
