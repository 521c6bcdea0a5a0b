"""A Deployment's revisions and the rollback patch, exactly as `kubectl rollout` makes them.

Pure functions over the API's JSON (no I/O, no Textual): the Kubernetes source and the
demo both use them, so the dialog lists what `kubectl rollout history` lists and the
write is what `kubectl rollout undo` sends. The rules are kubectl's own, from
k8s.io/kubectl/pkg/polymorphichelpers/rollback.go (`DeploymentRollbacker.Rollback`,
`deploymentRevision`, `getDeploymentPatch`, `annotationsToSkip`) and
k8s.io/kubectl/pkg/util/deployment (`GetAllReplicaSets`: the ReplicaSets the
Deployment's selector selects *and* it controls, by owner uid):

- a revision is a ReplicaSet's `deployment.kubernetes.io/revision` annotation;
- "previous" is the second-highest revision;
- the template sent is the ReplicaSet's pod template minus its `pod-template-hash` label;
- the Deployment's annotations become: the skipped ones it has (revision, last-applied,
  desired/max replicas, revision-history, rollback-to) plus every other annotation of
  the ReplicaSet (so its change-cause comes back with it);
- one JSON patch (application/json-patch+json) replacing `/spec/template` and
  `/metadata/annotations`; nothing is sent when the template already matches.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from console.text.safe_text import clean_line, clean_text

Obj = Mapping[str, Any]

REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
HASH_LABEL = "pod-template-hash"
ANNOTATIONS_TO_SKIP = frozenset({
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
})
MAX_DIFF_LINES = 14
"""The dialog shows at most this many diff lines (and says how many it left out)."""


@dataclass(frozen=True, slots=True)
class Revision:
    """One line of `kubectl rollout history`, with what the dialog shows about it."""

    number: int
    replica_set: str
    images: tuple[str, ...]
    created: str | None
    """The ReplicaSet's creationTimestamp (RFC 3339), for its age."""
    change_cause: str | None
    current: bool
    template: tuple[str, ...]
    """The pod template (hash label removed) as YAML lines, cleaned for the screen."""


def _meta(obj: Obj) -> Obj:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def revision_of(rs: Obj) -> int | None:
    """The ReplicaSet's revision number, None when it has none (kubectl skips those)."""
    annotations = _meta(rs).get("annotations")
    raw = annotations.get(REVISION) if isinstance(annotations, Mapping) else None
    try:
        return int(str(raw))
    except ValueError:
        return None


def controlled_by(rs: Obj, deployment: Obj) -> bool:
    """GetAllReplicaSets' filter: the Deployment is the ReplicaSet's controller (by uid)."""
    uid = _meta(deployment).get("uid")
    owners = _meta(rs).get("ownerReferences")
    return bool(uid) and isinstance(owners, list) and any(
        isinstance(o, Mapping) and o.get("controller") is True and o.get("uid") == uid
        for o in owners)


def template_without_hash(template: Any) -> dict[str, Any]:
    """The pod template as rollback sends it: a copy with `pod-template-hash` removed."""
    result: dict[str, Any] = copy.deepcopy(dict(template)) if isinstance(template, Mapping) else {}
    meta = result.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("labels"), dict):
        meta["labels"].pop(HASH_LABEL, None)
    return result


def _template(obj: Obj) -> Any:
    spec = obj.get("spec")
    return spec.get("template") if isinstance(spec, Mapping) else None


def same_template(rs: Obj, deployment: Obj) -> bool:
    """kubectl's equalIgnoreHash: the templates are equal once the hash label is removed."""
    return template_without_hash(_template(rs)) == template_without_hash(_template(deployment))


def _images(template: Mapping[str, Any]) -> tuple[str, ...]:
    spec = template.get("spec")
    containers = spec.get("containers") if isinstance(spec, Mapping) else None
    return tuple(clean_line(str(c.get("image", "?")))[:200] for c in containers or ()
                 if isinstance(c, Mapping))


def template_lines(template: Mapping[str, Any]) -> tuple[str, ...]:
    """The template as sorted YAML lines: what the diff compares (values cleaned, capped)."""
    text = yaml.safe_dump(template, sort_keys=True, default_flow_style=False, width=100)
    return tuple(clean_line(line)[:200] for line in clean_text(text).splitlines()[:400])


def history(deployment: Obj, replica_sets: Iterable[Obj]) -> tuple[Revision, ...]:
    """The Deployment's revisions, newest first, from the ReplicaSets it controls."""
    found: list[Revision] = []
    for rs in replica_sets:
        number = revision_of(rs)
        if number is None or not controlled_by(rs, deployment):
            continue
        template = template_without_hash(_template(rs))
        annotations = _meta(rs).get("annotations") or {}
        cause = annotations.get(CHANGE_CAUSE) if isinstance(annotations, Mapping) else None
        created = _meta(rs).get("creationTimestamp")
        found.append(Revision(
            number=number, replica_set=clean_line(str(_meta(rs).get("name", "?")))[:253],
            images=_images(template), created=str(created) if created else None,
            change_cause=clean_line(str(cause))[:200] if cause else None,
            current=same_template(rs, deployment), template=template_lines(template)))
    return tuple(sorted(found, key=lambda r: -r.number))


def previous(revisions: Sequence[Revision]) -> Revision | None:
    """What `kubectl rollout undo` picks with no --to-revision: the second-highest number."""
    return revisions[1] if len(revisions) > 1 else None


def pick(deployment: Obj, replica_sets: Iterable[Obj], number: int) -> Obj | None:
    """The ReplicaSet of revision `number` among those the Deployment controls."""
    for rs in replica_sets:
        if revision_of(rs) == number and controlled_by(rs, deployment):
            return rs
    return None


def rollback_patch(deployment: Obj, rs: Obj) -> list[dict[str, Any]]:
    """The JSON patch `kubectl rollout undo` sends to bring `rs`'s template back."""
    current = _meta(deployment).get("annotations") or {}
    annotations = {k: str(v) for k, v in current.items() if k in ANNOTATIONS_TO_SKIP}
    theirs = _meta(rs).get("annotations") or {}
    annotations.update({k: str(v) for k, v in theirs.items() if k not in ANNOTATIONS_TO_SKIP})
    return [
        {"op": "replace", "path": "/spec/template", "value": template_without_hash(_template(rs))},
        {"op": "replace", "path": "/metadata/annotations", "value": annotations},
    ]


def template_diff(current: Sequence[str], target: Sequence[str],
                  max_lines: int = MAX_DIFF_LINES) -> tuple[str, ...]:
    """What changes in the pod template, as a unified diff (now → the revision chosen)."""
    lines = list(difflib.unified_diff(list(current), list(target), "running", "rollback to",
                                      n=1, lineterm=""))
    if not lines:
        return ("(the pod templates are the same)",)
    if len(lines) > max_lines:
        rest = len(lines) - max_lines
        lines = [*lines[:max_lines], f"… {rest} more lines"]
    return tuple(lines)
