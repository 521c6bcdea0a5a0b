"""The doctor's Kubernetes checks: the kubeconfig and context, the Deployment, its pods, the
HPA, metrics.k8s.io, and every RBAC verb the console needs.

It runs the console's own Kubernetes source (or the demo's simulated cluster), so it sees
exactly what the console would see, and the source's messages, which carry no
credentials. The context is named through the source's public `check_context`, so the
doctor can never name another one than the console uses. No Textual here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from console.clock import Clock
from console.config.settings import TargetSettings
from console.doctor.checks import Check, gather_named
from console.manifests import GATEWAY_CONFIG_MAP
from console.model import ClusterReading
from console.sources.base import ClusterSource, Permission, SourceError
from console.sources.kubeconfig import IN_CLUSTER

if TYPE_CHECKING:
    from console.sources.kubernetes import KubernetesSource

RBAC_APPLY = "apply `ai-gateway-console manifests rbac` (and bind your group)"
RBAC_READER = "apply the read-only Role of `ai-gateway-console manifests rbac` for your group"
RBAC_OPERATOR = "apply the operator Role of `ai-gateway-console manifests rbac` for your group"
REVIEW_CHECK = "rbac access review"
REVIEWS_AT_ONCE = 8


@dataclass(frozen=True, slots=True)
class Need:
    """One permission the console needs; `action` ones only outside --read-only."""

    verb: str
    resource: str
    subresource: str = ""
    action: bool = False
    object_name: str = ""
    """For a rule that may name its object (resourceNames): asked by that name."""

    @property
    def name(self) -> str:
        what = f"{self.resource}/{self.subresource}" if self.subresource else self.resource
        return f"rbac {self.verb} {what}"


RBAC_NEEDS: tuple[Need, ...] = (
    *(Need(verb, resource)
      for resource in ("pods", "deployments", "horizontalpodautoscalers", "events")
      for verb in ("get", "list", "watch")),
    Need("get", "pods", "log"),
    Need("patch", "deployments", action=True),
    Need("patch", "deployments", "scale", action=True),
    Need("delete", "pods", action=True),
    Need("list", "replicasets", action=True),
    Need("patch", "horizontalpodautoscalers", action=True),
    Need("update", "configmaps", action=True, object_name=GATEWAY_CONFIG_MAP),
)
"""What the panels (watches), the logs and the actions ask the API for (the rollback's
revisions are the ReplicaSets, listed); the SelfSubjectAccessReview that asks is
itself checked by being answered."""

def kube_context(source: KubernetesSource) -> str:
    """The context the console will use, resolved by the Kubernetes source itself (so the
    doctor can never name a different one); SourceError when the kubeconfig is unusable."""
    return source.check_context()


def _kube_fix(message: str) -> str:
    lowered = message.lower()
    if "forbidden" in lowered:
        return RBAC_APPLY
    if "not found in namespace" in lowered:
        return "check --namespace and --deployment (kubectl get deployments -n NAMESPACE)"
    if "credentials" in lowered:
        return "log in again: the context's credentials were refused"
    if "unreachable" in lowered or "did not answer" in lowered or "dropped" in lowered:
        return "check the cluster address in the kubeconfig, the VPN or network, and --timeout"
    return "see `kubectl get deployment` with the same context and namespace"


async def cluster_checks(cluster: ClusterSource, target: TargetSettings, read_only: bool,
                         context_check: Check) -> list[Check]:
    """Deployment, pods, HPA, metrics.k8s.io and RBAC through a ClusterSource.

    One review goes beside the fetch; only when it was answered are the others asked, a
    few at a time (the client's connection pool holds 10), so an API that does not answer
    costs one timeout, not sixteen.
    """
    limit = asyncio.Semaphore(REVIEWS_AT_ONCE)

    async def ask(need: Need) -> Permission:
        async with limit:
            return await cluster.permission(need.verb, need.resource, need.subresource,
                                            need.object_name)

    first, *rest = RBAC_NEEDS
    got = await gather_named({"fetch": cluster.fetch(), first.name: ask(first)})
    if isinstance(got[first.name], Exception):
        got.update({need.name: got[first.name] for need in rest})
    else:
        got.update(await gather_named({need.name: ask(need) for need in rest}))
    checks = [context_check]
    reading = got["fetch"]
    if isinstance(reading, Exception):
        message = str(reading)
        checks.append(Check("deployment", "fail", message, _kube_fix(message)))
        checks += [Check(name, "skip", "the Deployment could not be read")
                   for name in ("pods", "hpa", "metrics.k8s.io")]
    else:
        checks += _reading_checks(reading, target)
    checks += _rbac_checks(got, read_only)
    return checks


def _reading_checks(reading: ClusterReading, target: TargetSettings) -> list[Check]:
    checks: list[Check] = []
    dep = reading.deployment
    if dep is None:
        checks.append(Check("deployment", "fail",
                            f"{target.deployment} not found in namespace {target.namespace}",
                            _kube_fix("not found in namespace")))
    else:
        checks.append(Check("deployment", "pass", f"{dep.namespace}/{dep.name}: "
                            f"{dep.ready_replicas}/{dep.replicas} ready"))
    pods = reading.pods
    if pods:
        ready = sum(1 for p in pods if p.ready)
        checks.append(Check("pods", "pass", f"{len(pods)} found, {ready} ready"))
    else:
        checks.append(Check("pods", "warn", "none match the Deployment's selector",
                            "scaled to 0? see `kubectl get pods` with its selector"))
    hpa = reading.hpa
    if hpa is None:
        why = next((n for n in reading.notes if "HorizontalPodAutoscaler" in n
                    or "horizontalpodautoscalers" in n), f"{target.hpa} not found")
        checks.append(Check("hpa", "warn", why,
                            "give --hpa NAME (or ignore if the gateway has no HPA)"))
    else:
        checks.append(Check("hpa", "pass", f"{hpa.name}: {hpa.current_replicas} replicas "
                            f"(min {hpa.min_replicas}, max {hpa.max_replicas})"))
    note = next((n for n in reading.notes if "metrics.k8s.io" in n or "CPU/memory" in n), None)
    if note is not None:
        fix = (RBAC_APPLY if "forbidden" in note.lower()
               else "install metrics-server; pod CPU/memory stay unknown without it")
        checks.append(Check("metrics.k8s.io", "warn", note, fix))
    else:
        measured = sum(1 for p in pods if p.cpu_millicores is not None)
        checks.append(Check("metrics.k8s.io", "pass",
                            f"served: CPU/memory of {measured} of {len(pods)} pods"))
    return checks


def _rbac_checks(got: Mapping[str, Any], read_only: bool) -> list[Check]:
    """One line per resource for the watches (get/list/watch), one per action verb."""
    answers = {need: got[need.name] for need in RBAC_NEEDS}
    errors = [a for a in answers.values() if isinstance(a, Exception)]
    if len(errors) == len(answers):
        message = str(errors[0])
        fix = ("SelfSubjectAccessReview must be allowed (the default ClusterRole "
               "system:basic-user grants it)" if "forbidden" in message.lower()
               else _kube_fix(message))
        return [Check(REVIEW_CHECK, "fail", f"cannot ask the API: {message}", fix)]
    checks = [Check(REVIEW_CHECK, "pass", "the console can ask before each action")]
    lines: dict[str, list[tuple[Need, Any]]] = {}
    for need, answer in answers.items():
        what = f"{need.resource}/{need.subresource}" if need.subresource else need.resource
        watched = need.verb in ("get", "list", "watch") and not need.subresource and not need.action
        verbs = "get/list/watch" if watched else need.verb
        lines.setdefault(f"rbac {verbs} {what}", []).append((need, answer))
    for name, group in lines.items():
        action = any(need.action for need, _ in group)
        problems: list[str] = []
        cannot_ask = False
        for need, answer in group:
            if isinstance(answer, Exception):
                problems.append(f"{need.verb}: cannot ask: {answer}")
                cannot_ask = True
            elif isinstance(answer, Permission) and not answer.allowed:
                reason = f" ({answer.reason})" if answer.reason else ""
                problems.append(f"{need.verb} denied{reason}")
        if not problems:
            checks.append(Check(name, "pass", "allowed"))
        elif cannot_ask:
            checks.append(Check(name, "fail", "; ".join(problems), _kube_fix(problems[0])))
        elif action and read_only:
            checks.append(Check(name, "skip", f"{'; '.join(problems)}; not needed with "
                                "--read-only"))
        elif action:
            checks.append(Check(name, "fail", "; ".join(problems),
                                f"{RBAC_OPERATOR}, or run with --read-only"))
        else:
            checks.append(Check(name, "fail", "; ".join(problems), RBAC_READER))
    return checks


async def kubernetes_checks(target: TargetSettings, clock: Clock, read_only: bool,
                            timeout_s: float) -> list[Check]:
    from console.sources.kubernetes import KubernetesSource

    source = KubernetesSource(target, clock, request_timeout_s=timeout_s)
    try:
        try:
            context = await asyncio.to_thread(kube_context, source)
        except SourceError as exc:
            return [Check("kubeconfig", "fail", str(exc),
                          "give --kubeconfig FILE (or set KUBECONFIG) and --context NAME")]
        shown = context if context == IN_CLUSTER else f"context {context}"
        ctx = Check("kubeconfig", "pass", shown)
        return await cluster_checks(source, target, read_only, ctx)
    finally:
        # After a backstop cancellation a fetch thread may still be starting its watches;
        # closing then is best effort (the watch threads are daemons), never a traceback.
        with contextlib.suppress(Exception):
            await source.aclose()
