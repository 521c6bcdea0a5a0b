"""The writes that fix an incident: roll back, the HPA's bounds, the gateway's ConfigMap.

A mixin of KubernetesSource (kubernetes.py), kept apart so that each stays small. Each
write is one request, never retried (KubeSession.write); the reads before it (the
Deployment and its ReplicaSets, as `kubectl rollout undo` reads them) are reads.
The rollback's rules are kubectl's (kube_rollout.py cites its source).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from console.config.settings import TargetSettings
from console.sources import kube_configmap, kube_rollout
from console.sources.base import ActionError, ConfigConflict
from console.sources.kube_configmap import ConfigMapVersion
from console.sources.kube_mapping import label_selector
from console.sources.kube_rollout import Revision
from console.sources.kube_session import KubeReadError, KubeSession
from console.sources.kube_watch import CallFailed

Obj = Mapping[str, Any]


class KubeFixes:
    """Rollback, HPA bounds and the ConfigMap update through the source's session."""

    _session: KubeSession
    _target: TargetSettings

    # ------------------------------------------------------------ history
    async def rollout_history(self) -> tuple[Revision, ...]:
        """The Deployment's revisions, newest first (as `kubectl rollout history`)."""
        return await asyncio.to_thread(self._history)

    def _history(self) -> tuple[Revision, ...]:
        deployment, replica_sets = self._read_revisions(KubeReadError)
        return kube_rollout.history(deployment, replica_sets)

    def _read_revisions(self, error: type[Exception]) -> tuple[Obj, list[Obj]]:
        """The Deployment (read fresh, not from the watch) and its namespace's ReplicaSets
        that its selector selects: the two reads kubectl makes before it patches."""
        t, session = self._target, self._session
        session.ensure_for(error)
        apps = session.apis["apps"]
        try:
            resp = session.call("get", "deployments", apps.read_namespaced_deployment,
                                name=t.deployment, namespace=t.namespace)
            deployment = session.read_json(resp, "get", "deployments", t.deployment)
            selector = label_selector((deployment.get("spec") or {}).get("selector"))
            resp = session.call("list", "replicasets", apps.list_namespaced_replica_set,
                                namespace=t.namespace, label_selector=selector)
            body = session.read_json(resp, "list", "replicasets")
        except CallFailed as failure:
            raise error(failure.message) from None
        except (ValueError, AttributeError):
            raise error(f"unexpected answer reading deployment {t.deployment}'s "
                        "ReplicaSets") from None
        items = body.get("items") if isinstance(body, Mapping) else None
        return deployment, [i for i in items or () if isinstance(i, Mapping)]

    # ------------------------------------------------------------ rollback
    async def rollback(self, revision: int) -> str:
        """As `kubectl rollout undo --to-revision=N`: one JSON patch; returns what happened."""
        return await asyncio.to_thread(self._rollback, revision)

    def _rollback(self, revision: int) -> str:
        t, session = self._target, self._session
        deployment, replica_sets = self._read_revisions(ActionError)
        rs = kube_rollout.pick(deployment, replica_sets, revision)
        if rs is None:
            raise ActionError(f"unable to find the specified revision {revision} of "
                              f"deployment {t.deployment}: nothing was sent")
        if (deployment.get("spec") or {}).get("paused"):
            raise ActionError(f"deployment {t.deployment} is paused: resume the rollout "
                              "before rolling back; nothing was sent")
        if kube_rollout.same_template(rs, deployment):
            return (f"skipped rollback: the template already matches revision {revision}; "
                    "nothing was sent")
        session.write(
            "patch", "deployments", session.apis["apps"].patch_namespaced_deployment,
            t.deployment, "rollback",
            name=t.deployment, namespace=t.namespace,
            body=kube_rollout.rollback_patch(deployment, rs),
            _content_type="application/json-patch+json",
        )
        return f"rolled back deployment/{t.deployment} to revision {revision}"

    # ---------------------------------------------------------- HPA bounds
    async def set_hpa_bounds(self, min_replicas: int, max_replicas: int) -> None:
        """One merge patch of the HPA's spec.minReplicas and spec.maxReplicas."""
        if not 1 <= min_replicas <= max_replicas:
            raise ActionError(f"need 1 <= min <= max, not {min_replicas} {max_replicas}")
        await asyncio.to_thread(self._set_hpa_bounds, min_replicas, max_replicas)

    def _set_hpa_bounds(self, min_replicas: int, max_replicas: int) -> None:
        t, session = self._target, self._session
        session.ensure_for(ActionError)
        session.write(
            "patch", "horizontalpodautoscalers",
            session.apis["autoscaling"].patch_namespaced_horizontal_pod_autoscaler,
            t.hpa, "HPA change",
            name=t.hpa, namespace=t.namespace,
            body={"spec": {"minReplicas": min_replicas, "maxReplicas": max_replicas}},
            _content_type="application/merge-patch+json",
        )

    # ---------------------------------------------------- the gateway's ConfigMap
    async def gateway_config(self, configured: str) -> ConfigMapVersion:
        """The ConfigMap the pod template uses (else `configured`), exactly as read."""
        return await asyncio.to_thread(self._gateway_config, configured)

    def _gateway_config(self, configured: str) -> ConfigMapVersion:
        deployment, _ = self._read_revisions(KubeReadError)
        name, how = kube_configmap.choose(deployment, configured)
        return self._read_config(name, how, KubeReadError)

    def _read_config(self, name: str, how: str, error: type[Exception]) -> ConfigMapVersion:
        t, session = self._target, self._session
        session.ensure_for(error)
        try:
            resp = session.call("get", "configmaps",
                                session.apis["core"].read_namespaced_config_map,
                                name=name, namespace=t.namespace)
            obj = session.read_json(resp, "get", "configmaps", name)
        except CallFailed as failure:
            raise error(failure.message) from None
        except ValueError:
            raise error(f"unexpected answer to get configmap {name}") from None
        meta = obj.get("metadata") if isinstance(obj, Mapping) else None
        data = obj.get("data") if isinstance(obj, Mapping) else None
        if not isinstance(meta, Mapping) or not meta.get("resourceVersion"):
            raise error(f"configmap {name} came back without a resourceVersion")
        values = {str(k): str(v) for k, v in (data or {}).items()}
        return ConfigMapVersion(name, str(meta["resourceVersion"]), values, how)

    async def replace_config_map(self, version: ConfigMapVersion,
                                 data: Mapping[str, str]) -> str:
        """One update (PUT) of the version read: a 409 is ConfigConflict, never a retry."""
        return await asyncio.to_thread(self._replace_config_map, version, dict(data))

    def _replace_config_map(self, version: ConfigMapVersion, data: dict[str, str]) -> str:
        t, session = self._target, self._session
        session.ensure_for(ActionError)
        body = {"apiVersion": "v1", "kind": "ConfigMap", "data": data,
                "metadata": {"name": version.name, "namespace": t.namespace,
                             "resourceVersion": version.resource_version}}
        try:
            resp = session.call_named("update", "configmaps",
                                      session.apis["core"].replace_namespaced_config_map,
                                      version.name, name=version.name, namespace=t.namespace,
                                      body=body)
            answer = session.read_json(resp, "update", "configmaps", version.name)
        except CallFailed as failure:
            if failure.status == 409:
                raise self._conflict(version) from None
            if failure.timeout:
                raise ActionError(f"no answer within {session.request_timeout[1]:g} s: the "
                                  "update may or may not have been applied; check before "
                                  "trying again") from None
            raise ActionError(failure.message) from None
        except ValueError:
            answer = None
        new_rv = ((answer or {}).get("metadata") or {}).get("resourceVersion", "?")
        return (f"updated configmap/{version.name} (resourceVersion "
                f"{version.resource_version} → {new_rv})")

    def _conflict(self, version: ConfigMapVersion) -> ConfigConflict:
        try:
            theirs: ConfigMapVersion | None = self._read_config(
                version.name, version.chosen_by, ActionError)
        except ActionError:
            theirs = None
        now = f", now {theirs.resource_version}" if theirs else ""
        return ConfigConflict(
            f"configmap/{version.name} was changed by someone else since it was read "
            f"(resourceVersion {version.resource_version}{now}): nothing was overwritten",
            theirs)
