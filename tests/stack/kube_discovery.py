"""API discovery for the Kubernetes API emulator, so `kubectl` (the reference client) runs on it.

The official Python client calls fixed paths and needs no discovery; kubectl first asks
`/api` and `/apis` for the groups and then `/api/v1`, `/apis/GROUP/VERSION` for the
resources, to map `get pods` or `get svc` to a path. These are the legacy (unaggregated)
discovery documents, `APIVersions`, `APIGroupList` and `APIResourceList`, which kubectl
accepts from servers that do not offer the aggregated `apidiscovery.k8s.io/v2` form (it
asks for both in its Accept header). They are built from the emulator's RESOURCES, plus
the subresources and the groups it serves outside that table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Obj = dict[str, Any]

SHORT_NAMES = {"pods": ["po"], "services": ["svc"], "configmaps": ["cm"], "events": ["ev"],
               "namespaces": ["ns"], "deployments": ["deploy"], "replicasets": ["rs"],
               "horizontalpodautoscalers": ["hpa"]}
READ = ["get", "list", "watch"]
WRITE = ["create", "delete", "deletecollection", "patch", "update"]
SUBRESOURCES: dict[tuple[str, str], list[Obj]] = {
    ("", "v1"): [
        {"name": "pods/log", "kind": "Pod", "namespaced": True, "verbs": ["get"]},
        {"name": "services/proxy", "kind": "ServiceProxyOptions", "namespaced": True,
         "verbs": ["create", "delete", "get", "patch", "update"]},
    ],
    ("apps", "v1"): [
        {"name": "deployments/scale", "kind": "Scale", "group": "autoscaling",
         "version": "v1", "namespaced": True, "verbs": ["get", "patch", "update"]},
    ],
}
EXTRA_GROUPS: dict[tuple[str, str], list[Obj]] = {
    ("authorization.k8s.io", "v1"): [
        {"name": "selfsubjectaccessreviews", "kind": "SelfSubjectAccessReview",
         "namespaced": False, "verbs": ["create"]},
    ],
    ("metrics.k8s.io", "v1beta1"): [
        {"name": "pods", "kind": "PodMetrics", "namespaced": True, "verbs": READ[:2]},
    ],
}


def _resource(plural: str, kind: str, namespaced: bool) -> Obj:
    return {"name": plural, "singularName": kind.lower(), "namespaced": namespaced,
            "kind": kind, "verbs": [*READ, *WRITE], "shortNames": SHORT_NAMES.get(plural, [])}


def _resources_by_group_version(
    resources: Mapping[tuple[str, str, str], tuple[str, bool]], metrics: bool,
) -> dict[tuple[str, str], list[Obj]]:
    out: dict[tuple[str, str], list[Obj]] = {}
    for (group, version, plural), (kind, namespaced) in resources.items():
        out.setdefault((group, version), []).append(_resource(plural, kind, namespaced))
    for gv, subs in SUBRESOURCES.items():
        out.setdefault(gv, []).extend({**s, "singularName": ""} for s in subs)
    for gv, extra in EXTRA_GROUPS.items():
        if gv[0] == "metrics.k8s.io" and not metrics:
            continue
        out.setdefault(gv, []).extend({**e, "singularName": ""} for e in extra)
    return out


def discovery(path: str, resources: Mapping[tuple[str, str, str], tuple[str, bool]],
              server: str, metrics: bool = True) -> Obj | None:
    """The discovery document at `path`, or None when `path` is not a discovery path."""
    path = path.rstrip("/") or "/"
    by_gv = _resources_by_group_version(resources, metrics)
    if path == "/api":
        return {"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                                "serverAddress": server}]}
    if path == "/apis":
        groups: dict[str, list[str]] = {}
        for group, version in by_gv:
            if group:
                groups.setdefault(group, []).append(version)
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
            {"name": g, "versions": [{"groupVersion": f"{g}/{v}", "version": v} for v in vs],
             "preferredVersion": {"groupVersion": f"{g}/{vs[0]}", "version": vs[0]}}
            for g, vs in sorted(groups.items())]}
    if path == "/api/v1":
        return _resource_list("v1", by_gv.get(("", "v1"), []))
    parts = path.split("/")
    if len(parts) == 4 and parts[1] == "apis" and (parts[2], parts[3]) in by_gv:
        return _resource_list(f"{parts[2]}/{parts[3]}", by_gv[(parts[2], parts[3])])
    return None


def _resource_list(group_version: str, resources: list[Obj]) -> Obj:
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
            "resources": sorted(resources, key=lambda r: str(r["name"]))}
