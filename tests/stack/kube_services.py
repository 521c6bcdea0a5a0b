"""The Services that common Prometheus installs create, in the API's JSON shape, with sources.

Discovery (issue 15) ranks these; the tests put them into the emulator and register real
backends for some. Each builder follows the templates or Go code cited in its docstring
(the same citations, with what follows from them, are in /work/notes/facts-15.md):

- prometheus-operator v0.93.0-24-g6adcebc5 (commit 6adcebc5076c),
  pkg/prometheus/common.go BuildStatefulSetService, pkg/prometheus/server/operator.go,
  pkg/alertmanager/statefulset.go makeStatefulSetService, pkg/operator/factory.go
  UpdateObject;
- prometheus-community/helm-charts at cf408a290aec: charts/kube-prometheus-stack 88.5.3
  (templates/prometheus/service.yaml, templates/alertmanager/service.yaml, _helpers.tpl,
  values.yaml) and charts/prometheus 29.27.0 (templates/service.yaml, _helpers.tpl,
  values.yaml), charts/alertmanager 1.42.0;
- kubecost/cost-analyzer-helm-chart 2.3.3 (commit b01e76c9ec21):
  cost-analyzer/templates/prometheus-server-service.yaml, templates/_helpers.tpl, values.yaml.
"""

from __future__ import annotations

import uuid
from typing import Any

Obj = dict[str, Any]
KPS_CHART = "kube-prometheus-stack"
KPS_VERSION = "88.5.3"
PROM_CHART_VERSION = "29.27.0"
PROM_APP_VERSION = "v3.14.0"


def _port(name: str, port: int, target: int | str, protocol: str = "TCP") -> Obj:
    return {"name": name, "port": port, "protocol": protocol, "targetPort": target}


def service(name: str, namespace: str, labels: dict[str, str], ports: list[Obj],
            selector: dict[str, str], *, headless: bool = False,
            owner: Obj | None = None, **spec: Any) -> Obj:
    """A v1 Service as the API server returns it (clusterIP filled in unless headless)."""
    ip = "None" if headless else f"10.96.{len(name) % 250}.{len(namespace) % 250 + 1}"
    meta: Obj = {"name": name, "namespace": namespace, "labels": dict(labels),
                 "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"svc/{namespace}/{name}"))}
    if owner is not None:
        meta["ownerReferences"] = [owner]
    return {
        "apiVersion": "v1", "kind": "Service", "metadata": meta,
        "spec": {"clusterIP": ip, "clusterIPs": [ip], "type": "ClusterIP",
                 "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                 "internalTrafficPolicy": "Cluster", "sessionAffinity": "None",
                 "ports": ports, "selector": dict(selector), **spec},
        "status": {"loadBalancer": {}},
    }


def _operator_owner(kind: str, name: str, namespace: str) -> Obj:
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": kind, "name": name,
            "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{kind}/{namespace}/{name}"))}


OPERATOR_MANAGED = {"managed-by": "prometheus-operator",
                    "app.kubernetes.io/managed-by": "prometheus-operator"}
"""pkg/operator/factory.go UpdateObject: on every object the operator creates."""


def operator_prometheus(namespace: str = "monitoring", port_name: str = "web",
                        owner: str = "k8s") -> Obj:
    """`prometheus-operated`: the operator's governing Service, headless, one per namespace,
    selecting every Prometheus pod of the namespace (app.kubernetes.io/name=prometheus).
    Port 9090 named `web` unless the Prometheus sets spec.portName (kube-prometheus-stack
    sets `http-web`). pkg/prometheus/common.go BuildStatefulSetService."""
    return service("prometheus-operated", namespace,
                   {**OPERATOR_MANAGED, "operated-prometheus": "true"},
                   [_port(port_name, 9090, port_name)],
                   {"app.kubernetes.io/name": "prometheus"}, headless=True,
                   owner=_operator_owner("Prometheus", owner, namespace))


def operator_prometheus_agent(namespace: str = "monitoring", owner: str = "agent") -> Obj:
    """`prometheus-agent-operated`: a PrometheusAgent's governing Service. It is built by the
    same BuildStatefulSetService, so it too is labelled operated-prometheus=true, yet an
    agent answers no queries (pkg/prometheus/agent/operator.go)."""
    return service("prometheus-agent-operated", namespace,
                   {**OPERATOR_MANAGED, "operated-prometheus": "true"},
                   [_port("web", 9090, "web")],
                   {"app.kubernetes.io/name": "prometheus-agent"}, headless=True,
                   owner=_operator_owner("PrometheusAgent", owner, namespace))


def operator_alertmanager(namespace: str = "monitoring", port_name: str = "web",
                          owner: str = "main") -> Obj:
    """`alertmanager-operated`: headless, publishNotReadyAddresses, ports web 9093 and the
    mesh ports 9094 tcp/udp. pkg/alertmanager/statefulset.go makeStatefulSetService."""
    return service("alertmanager-operated", namespace,
                   {**OPERATOR_MANAGED, "operated-alertmanager": "true"},
                   [_port(port_name, 9093, port_name), _port("tcp-mesh", 9094, 9094),
                    _port("udp-mesh", 9094, 9094, "UDP")],
                   {"app.kubernetes.io/name": "alertmanager"}, headless=True,
                   publishNotReadyAddresses=True,
                   owner=_operator_owner("Alertmanager", owner, namespace))


def kps_fullname(release: str) -> str:
    """kube-prometheus-stack.fullname: the release if it contains the chart's name, else
    RELEASE-kube-prometheus-stack, cut to 26 characters (templates/_helpers.tpl)."""
    name = release if KPS_CHART in release else f"{release}-{KPS_CHART}"
    return name[:26].rstrip("-")


def _kps_labels(release: str, app: str) -> dict[str, str]:
    return {"app": f"{KPS_CHART}-{app}", "self-monitor": "true",
            "app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/instance": release,
            "app.kubernetes.io/version": KPS_VERSION, "app.kubernetes.io/part-of": KPS_CHART,
            "chart": f"{KPS_CHART}-{KPS_VERSION}", "release": release, "heritage": "Helm"}


def kps_prometheus(release: str = "kube-prometheus-stack", namespace: str = "monitoring") -> Obj:
    """`<fullname>-prometheus`: ports http-web 9090 and reloader-web 8080, selecting the
    one Prometheus of this release (operator.prometheus.io/name)."""
    full = kps_fullname(release)
    return service(f"{full}-prometheus", namespace, _kps_labels(release, "prometheus"),
                   [_port("http-web", 9090, 9090),
                    {**_port("reloader-web", 8080, "reloader-web"), "appProtocol": "http"}],
                   {"app.kubernetes.io/name": "prometheus",
                    "operator.prometheus.io/name": f"{full}-prometheus"},
                   publishNotReadyAddresses=False)


def kps_alertmanager(release: str = "kube-prometheus-stack",
                     namespace: str = "monitoring") -> Obj:
    """`<fullname>-alertmanager`: http-web 9093 and reloader-web 8080."""
    full = kps_fullname(release)
    return service(f"{full}-alertmanager", namespace, _kps_labels(release, "alertmanager"),
                   [_port("http-web", 9093, 9093),
                    {**_port("reloader-web", 8080, "reloader-web"), "appProtocol": "http"}],
                   {"app.kubernetes.io/name": "alertmanager",
                    "alertmanager": f"{full}-alertmanager"})


def kube_prometheus_stack(release: str = "kube-prometheus-stack",
                          namespace: str = "monitoring") -> list[Obj]:
    """What one kube-prometheus-stack release exposes: its own two Services and the
    operator's two governing ones (whose port names follow the chart's `http-web`)."""
    full = kps_fullname(release)
    return [kps_prometheus(release, namespace), kps_alertmanager(release, namespace),
            operator_prometheus(namespace, "http-web", f"{full}-prometheus"),
            operator_alertmanager(namespace, "http-web", f"{full}-alertmanager")]


def prometheus_chart_server(release: str = "prometheus", namespace: str = "monitoring") -> Obj:
    """prometheus-community/prometheus: `<release>-server` (or RELEASE-prometheus-server),
    port `http` 80 -> 9090. Since chart 25.30.1 its labels carry no
    app.kubernetes.io/managed-by (commit 4dd994bb3)."""
    name = f"{release}-server" if "prometheus" in release else f"{release}-prometheus-server"
    match = {"app.kubernetes.io/component": "server", "app.kubernetes.io/name": "prometheus",
             "app.kubernetes.io/instance": release}
    labels = {**match, "app.kubernetes.io/version": PROM_APP_VERSION,
              "helm.sh/chart": f"prometheus-{PROM_CHART_VERSION}",
              "app.kubernetes.io/part-of": "prometheus"}
    return service(name, namespace, labels, [_port("http", 80, 9090)], match)


def prometheus_chart_alertmanager(release: str = "prometheus",
                                  namespace: str = "monitoring") -> Obj:
    """The chart's alertmanager subchart (1.42.0): `<release>-alertmanager`, port http 9093."""
    match = {"app.kubernetes.io/name": "alertmanager", "app.kubernetes.io/instance": release}
    labels = {"helm.sh/chart": "alertmanager-1.42.0", **match,
              "app.kubernetes.io/version": "v0.34.0", "app.kubernetes.io/managed-by": "Helm"}
    return service(f"{release}-alertmanager", namespace, labels, [_port("http", 9093, "http")],
                   match)


def kubecost_prometheus(release: str = "kubecost", namespace: str = "kubecost") -> Obj:
    """Kubecost's bundled Prometheus: `<release>-prometheus-server`, port http 80 -> 9090,
    with the old chart's labels app=prometheus, component=server, release, heritage=Helm,
    which is what Lens's "Helm 14.x" provider looks for first."""
    match = {"component": "server", "app": "prometheus", "release": release}
    return service(f"{release}-prometheus-server", namespace, {**match, "heritage": "Helm"},
                   [_port("http", 80, 9090)], match)


def every_install() -> list[Obj]:
    """One of each, in separate namespaces, as a busy cluster might hold them."""
    return [*kube_prometheus_stack(), prometheus_chart_server(namespace="prometheus"),
            prometheus_chart_alertmanager(namespace="prometheus"), kubecost_prometheus(),
            operator_prometheus("team-a"), operator_alertmanager("team-a"),
            operator_prometheus_agent("edge")]
