"""Which Prometheus and Alertmanager Service of the cluster the console reads, and why.

With no URL the console lists the cluster's Services and ranks those the common installs
create (facts in the README, "A kubeconfig alone is enough"): the Services a Helm release
makes for its own Prometheus come first, since they select one instance; the operator's
`prometheus-operated` next, since it answers from any Prometheus pod of its namespace;
anything merely named like Prometheus last. Kubecost's bundled Prometheus is pushed down
(Lens picks it first whenever Kubecost is installed, and it keeps only what Kubecost
needs); agents, Thanos sidecars, exporters and adapters serve no PromQL and are left out,
with their reason, so `doctor` can list every candidate and say why it chose one.
The port is read from the Service by name, never assumed. No Textual here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from console.config.types import ServiceRef
from console.text.safe_text import one_line

KINDS = ("prometheus", "alertmanager")
PORT_NAMES = ("web", "http-web", "http")
DEFAULT_PORTS = {"prometheus": 9090, "alertmanager": 9093}
NOT_QUERYABLE = ("agent", "thanos", "sidecar", "node-exporter", "kube-state-metrics",
                 "pushgateway", "blackbox", "adapter", "operator", "discovery", "config-reloader")
"""Name parts of Services that carry "prometheus" in their name but answer no PromQL."""
_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_PORT = re.compile(r"[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?")
"""What a namespace, Service and port name may be: anything else from an API (hostile or
broken) would change the proxy path it goes into, so it is no candidate."""
FALLBACK_NAMESPACES = ("monitoring", "prometheus", "observability", "kube-prometheus-stack",
                       "kubecost")
"""Looked in, with the gateway's own namespace, when listing Services cluster-wide is
forbidden."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """One Service that may be the Prometheus (or Alertmanager) to read."""

    namespace: str
    name: str
    port: str | None
    score: int
    why: str

    @property
    def ref(self) -> ServiceRef:
        return ServiceRef(self.namespace, self.name, self.port)

    @property
    def usable(self) -> bool:
        return self.score > 0 and self.port is not None


@dataclass(frozen=True, slots=True)
class Discovery:
    """The ranked candidates of one kind and the one chosen (None: none usable)."""

    kind: str
    candidates: tuple[Candidate, ...]
    chosen: Candidate | None
    how: str
    """How it was chosen, in one line: "pinned", "best of 3", "none found in …"."""


def _labels(service: Mapping[str, Any]) -> Mapping[str, str]:
    meta = service.get("metadata")
    labels = meta.get("labels") if isinstance(meta, Mapping) else None
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, Mapping) else {}


def _meta(service: Mapping[str, Any], key: str) -> str:
    meta = service.get("metadata")
    return one_line(str(meta.get(key) or ""), 63) if isinstance(meta, Mapping) else ""


def pick_port(service: Mapping[str, Any], kind: str, wanted: str | None = None) -> str | None:
    """The Service port to proxy to: the one asked for, else by name (web, http-web, http),
    else the usual number, else the only port. Its name when it has one (the API server
    maps a number to the name anyway), else its number."""
    spec = service.get("spec")
    ports = [p for p in (spec.get("ports") or []) if isinstance(p, Mapping)] if isinstance(
        spec, Mapping) else []

    def ident(port: Mapping[str, Any]) -> str:
        return one_line(str(port.get("name") or port.get("port") or ""), 15)

    if wanted is not None:
        hit = [p for p in ports if wanted in (str(p.get("name") or ""), str(p.get("port")))]
        return ident(hit[0]) if hit else None
    for name in PORT_NAMES:
        for port in ports:
            if port.get("name") == name:
                return name
    for port in ports:
        if port.get("port") == DEFAULT_PORTS[kind] or port.get("targetPort") == DEFAULT_PORTS[kind]:
            return ident(port)
    return ident(ports[0]) if len(ports) == 1 else None


def _score(kind: str, name: str, namespace: str, labels: Mapping[str, str]) -> tuple[int, str]:
    """(score, why) of one Service as the `kind` to read; 0 or less: not a candidate."""
    app = labels.get("app", "")
    if kind == "prometheus" and any(part in name for part in NOT_QUERYABLE):
        return 0, "serves no PromQL (agent, sidecar, exporter or adapter)"
    if kind == "alertmanager" and "operator" in name:
        return 0, "the operator, not an Alertmanager"
    if app == f"kube-prometheus-stack-{kind}":
        release = one_line(labels.get("release", "?"), 63)
        score, why = 100, f"kube-prometheus-stack's {kind} of release {release}"
    elif labels.get("app.kubernetes.io/name") == kind and (
            kind == "alertmanager" or labels.get("app.kubernetes.io/component") == "server"):
        score, why = 90, f"the prometheus-community {kind} chart's Service"
    elif labels.get(f"operated-{kind}") == "true":
        if "agent" in name:
            return 0, "a PrometheusAgent: serves no queries"
        score, why = 70, (f"the Prometheus operator's {name} (answers from any {kind} "
                          "pod of its namespace)")
    elif app == kind and labels.get("component") in ("server", kind):
        score, why = 60, f"an older prometheus chart's {kind} Service"
    elif kind in name:
        score, why = 20, f"named like {kind}"
    else:
        return 0, ""
    if "kubecost" in (namespace, labels.get("release", "")) or "kubecost" in name:
        score, why = score - 50, why + "; Kubecost's bundled one, pushed down"
    return score, why


def rank(services: Iterable[Mapping[str, Any]], kind: str, home: str = "",
         near: str | None = None) -> tuple[Candidate, ...]:
    """Every Service that could be the `kind`, best first. `home` (the gateway's namespace)
    and `near` (the chosen Prometheus's namespace, for Alertmanager) break ties."""
    out: list[Candidate] = []
    for service in services:
        name, namespace = _meta(service, "name"), _meta(service, "namespace")
        if not (_NAME.fullmatch(name) and _NAME.fullmatch(namespace)):
            continue
        score, why = _score(kind, name, namespace, _labels(service))
        if not why:
            continue
        port = pick_port(service, kind)
        if port is not None and not _PORT.fullmatch(port):
            port = None
        if port is None and score > 0:
            why += "; no port named web, http-web or http"
        if score > 0 and near is not None and namespace == near:
            score += 5
            why += "; next to the chosen Prometheus"
        out.append(Candidate(namespace, name, port, score, why))
    out.sort(key=lambda c: (-c.usable, -c.score, c.namespace != home, c.namespace, c.name))
    return tuple(out)


def choose(kind: str, candidates: tuple[Candidate, ...], where: str) -> Discovery:
    usable = [c for c in candidates if c.usable]
    if not usable:
        return Discovery(kind, candidates, None, f"no {kind} Service found in {where}")
    others = len(usable) - 1
    how = f"best of {len(usable)} candidates" if others else "the only candidate"
    return Discovery(kind, candidates, usable[0], how)


def pinned(kind: str, ref: ServiceRef, service: Mapping[str, Any] | None) -> Discovery:
    """The Service the user named; its port read from it when not given."""
    if service is None:
        return Discovery(kind, (), None, f"pinned Service {ref} not found")
    port = pick_port(service, kind, ref.port) if ref.port else pick_port(service, kind)
    if port is None or not _PORT.fullmatch(port):
        return Discovery(kind, (), None, f"pinned Service {ref} has no such port")
    chosen = Candidate(ref.namespace, ref.name, port, 1000, "pinned")
    return Discovery(kind, (chosen,), chosen, "pinned")
