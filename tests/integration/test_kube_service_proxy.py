"""The emulator's Services and service proxy, against the real Prometheus and Alertmanager.

The Services are those of tests/stack/kube_services.py (the common installs, as their
charts and the operator create them). The proxy forwards to the session's real
Prometheus and Alertmanager; figures read through it are compared with the same query
sent to Prometheus directly, and writes are counted at the Alertmanager itself.
Clients: the official `kubernetes` client (raw calls with the kubeconfig's auth) and
`kubectl get --raw`, the reference. The API server is served over HTTPS with its own CA:
kubectl (1.32) sends no bearer token to a plain-HTTP server at all.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from tests.stack import kube_services as ks
from tests.stack.fixtures import GatewayStack
from tests.stack.kube_emulator import KubeEmulator
from tests.stack.kube_fixtures import loaded_emulator
from tests.stack.kube_raw import Answer, api_client, kubectl, raw
from tests.stack.kube_tls import TlsServerMixin, make_tls, server_context
from tests.stack.prometheus_stack import free_port, http_get

pytestmark = pytest.mark.stack

KPS = "kube-prometheus-stack-prometheus"
KPS_AM = "kube-prometheus-stack-alertmanager"
PROXY = "/api/v1/namespaces/{ns}/services/{id}/proxy{path}"


@pytest.fixture
def emu(gateway_stack: GatewayStack) -> Iterator[KubeEmulator]:
    emulator = loaded_emulator()
    for svc in ks.every_install():
        emulator.put(svc)
    emulator.put(ks.service("plain-am", "monitoring", {}, [{"port": 9093, "protocol": "TCP",
                                                            "targetPort": 9093}], {}))
    prom, am = gateway_stack.prometheus_url, gateway_stack.alertmanager_url
    emulator.proxy.register("monitoring", KPS, "http-web", prom)
    emulator.proxy.register("monitoring", "prometheus-operated", "http-web", prom)
    emulator.proxy.register("monitoring", KPS_AM, "http-web", am)
    emulator.proxy.register("monitoring", "plain-am", 9093, am)
    emulator.start(tls=True)  # kubectl sends no bearer token to an http:// server
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def kubeconfig(emu: KubeEmulator, tmp_path: Path) -> Path:
    return emu.write_kubeconfig(tmp_path / "kubeconfig")


def proxied(kubeconfig: Path, service_id: str, path: str, ns: str = "monitoring",
            **kwargs: object) -> Answer:
    api = api_client(kubeconfig)
    try:
        return raw(api, str(kwargs.pop("method", "GET")),
                   PROXY.format(ns=ns, id=service_id, path=path), **kwargs)  # type: ignore[arg-type]
    finally:
        api.close()


def status_of(answer: Answer) -> tuple[int, str, str]:
    body = json.loads(answer.body)
    assert (body["kind"], body["apiVersion"], body["status"]) == ("Status", "v1", "Failure")
    assert body["code"] == answer.status
    return answer.status, body["reason"], body["message"]


# -- Services ---------------------------------------------------------------------------------


def test_services_are_listed_across_namespaces_by_label(kubeconfig: Path) -> None:
    api = api_client(kubeconfig)
    try:
        raw_list = raw(api, "GET", "/api/v1/services",
                       query=[("labelSelector", "operated-prometheus=true")])
        core = client.CoreV1Api(api)
        helm14: Any = core.list_service_for_all_namespaces(
            label_selector="app=prometheus,component=server,heritage=Helm")
        chart: Any = core.list_service_for_all_namespaces(
            label_selector="app.kubernetes.io/name=prometheus,app.kubernetes.io/component=server")
        in_ns: Any = core.list_namespaced_service("monitoring", label_selector="release")
    finally:
        api.close()
    doc = json.loads(raw_list.body)
    assert (doc["kind"], doc["apiVersion"]) == ("ServiceList", "v1")
    assert int(doc["metadata"]["resourceVersion"]) > 0
    # The operator labels a PrometheusAgent's Service the same way; an agent answers no query.
    assert sorted((s["metadata"]["namespace"], s["metadata"]["name"]) for s in doc["items"]) == [
        ("edge", "prometheus-agent-operated"), ("monitoring", "prometheus-operated"),
        ("team-a", "prometheus-operated")]
    # Lens's first provider ("Helm 14.x") finds Kubecost's bundled Prometheus, not the others.
    assert [(s.metadata.namespace, s.metadata.name) for s in helm14.items] == [
        ("kubecost", "kubecost-prometheus-server")]
    (server,) = chart.items
    assert (server.metadata.namespace, server.metadata.name) == ("prometheus", "prometheus-server")
    assert [(p.name, p.port, p.target_port) for p in server.spec.ports] == [("http", 80, 9090)]
    assert sorted(s.metadata.name for s in in_ns.items) == [KPS_AM, KPS]


def test_kubectl_lists_the_same_services(kubeconfig: Path) -> None:
    run = kubectl(kubeconfig, "get", "services", "-A", "-l", "operated-alertmanager=true",
                  "-o", "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}"
                  " {.spec.ports[0].name}:{.spec.ports[0].port}{'\\n'}{end}")
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout.splitlines() == ["monitoring/alertmanager-operated http-web:9093",
                                       "team-a/alertmanager-operated web:9093"]


# -- the proxy against the real Prometheus ---------------------------------------------------


def test_figures_through_the_proxy_equal_prometheus_read_directly(
    kubeconfig: Path, gateway_stack: GatewayStack, emu: KubeEmulator
) -> None:
    at = f"{time.time() - 2:.3f}"
    promql = "sum by (provider, model) (rate(ai_gateway_requests_total[1m]))"
    answer = proxied(kubeconfig, f"{KPS}:http-web", "/api/v1/query",
                     query=[("query", promql), ("time", at)])
    direct_status, direct = http_get(f"{gateway_stack.prometheus_url}/api/v1/query?"
                                     + urllib.parse.urlencode({"query": promql, "time": at}))
    assert (answer.status, direct_status) == (200, 200)
    assert answer.headers["content-type"] == "application/json"
    assert json.loads(answer.body) == json.loads(direct)
    assert len(json.loads(answer.body)["data"]["result"]) == 4
    (sent,) = emu.proxy.requests_to(KPS)
    assert (sent.method, sent.path, sent.port, sent.status) == ("GET", "/api/v1/query",
                                                                "http-web", 200)
    assert urllib.parse.parse_qs(sent.query) == {"query": [promql], "time": [at]}
    assert "Authorization" not in sent.headers  # the API server strips it before proxying


def test_a_form_post_reaches_prometheus_with_its_body(kubeconfig: Path) -> None:
    answer = proxied(kubeconfig, f"{KPS}:9090", "/api/v1/query", method="POST",
                     headers={"Content-Type": "application/x-www-form-urlencoded"},
                     form=[("query", 'count(up{job="ai-gateway"})')])
    assert answer.status == 200
    assert json.loads(answer.body)["data"]["result"][0]["value"][1] == "2"


def test_kubectl_reads_prometheus_through_the_proxy(kubeconfig: Path) -> None:
    query = urllib.parse.quote('sum(up{job="ai-gateway"})')
    path = PROXY.format(ns="monitoring", id="prometheus-operated:http-web",
                        path=f"/api/v1/query?query={query}")
    run = kubectl(kubeconfig, "get", "--raw", path)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["data"]["result"][0]["value"][1] == "1"  # one of two is up


@pytest.mark.parametrize(("service_id", "expected"), [
    (f"{KPS}:http-web", 200),
    (f"{KPS}:9090", 200),
    (f"http:{KPS}:http-web", 200),
    ("plain-am", 200),
    ("plain-am:9093", 200),
    (KPS, (503, "ServiceUnavailable", f'no endpoints available for service "{KPS}"')),
    (f"{KPS}:9091", (503, "ServiceUnavailable", f'no service port 9091 found for service "{KPS}"')),
    (f"{KPS}:web", (503, "ServiceUnavailable", f'no endpoints available for service "{KPS}:web"')),
    (f"ftp:{KPS}:http-web", (400, "BadRequest", f'invalid service request "ftp:{KPS}:http-web"')),
    ("a:b:c:d", (400, "BadRequest", 'invalid service request "a:b:c:d"')),
    ("nosuch:web", (404, "NotFound", 'services "nosuch" not found')),
    ("kubecost-prometheus-server:http",
     (503, "ServiceUnavailable", 'no endpoints available for service "kubecost-prometheus-server"'))
])
def test_the_url_forms_of_the_real_api(kubeconfig: Path, service_id: str,
                                       expected: int | tuple[int, str, str]) -> None:
    ns = "kubecost" if service_id.startswith("kubecost") else "monitoring"
    path = "/-/ready" if "am" not in service_id else "/api/v2/status"
    answer = proxied(kubeconfig, service_id, path, ns=ns)
    if isinstance(expected, int):
        assert answer.status == expected, answer.body
    else:
        assert status_of(answer) == expected


class _EchoHandler(BaseHTTPRequestHandler):
    """Answers what it received: the stand-in for a Service endpoint that serves HTTPS."""

    def do_GET(self) -> None:
        body = json.dumps({"path": self.path, "headers": dict(self.headers.items())}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


def test_https_form_reaches_an_https_backend_without_verifying_it(
    kubeconfig: Path, emu: KubeEmulator, tmp_path: Path
) -> None:
    material = make_tls(tmp_path / "backend-ca")  # a CA the API server does not know
    server_class = type("Tls", (TlsServerMixin, ThreadingHTTPServer),
                        {"ssl_context": server_context(material)})
    backend = server_class(("127.0.0.1", 0), _EchoHandler)
    thread = threading.Thread(target=backend.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        emu.put(ks.service("tls-app", "monitoring", {}, [{"name": "https", "port": 443,
                                                          "protocol": "TCP", "targetPort": 443}],
                           {}))
        emu.proxy.register("monitoring", "tls-app", "https",
                           f"http://127.0.0.1:{backend.server_address[1]}")
        ok = proxied(kubeconfig, "https:tls-app:443", "/api/v1/query", query=[("query", "up")])
        plain = proxied(kubeconfig, "tls-app:https", "/api/v1/query")
    finally:
        backend.shutdown()
        backend.server_close()
        thread.join(timeout=5)
    assert ok.status == 200
    seen = json.loads(ok.body)
    assert seen["path"] == "/api/v1/query?query=up"
    assert "Authorization" not in seen["headers"]  # the caller's token never reaches a backend
    assert seen["headers"]["X-Forwarded-For"] == "127.0.0.1"
    code, reason, message = status_of(plain)  # plain HTTP to a TLS port
    assert (code, reason) == (503, "ServiceUnavailable")
    assert message.startswith("error trying to reach service: ")


def test_a_silence_through_the_proxy_is_one_write_at_the_alertmanager(
    kubeconfig: Path, emu: KubeEmulator, gateway_stack: GatewayStack
) -> None:
    comment = f"proxy test {time.time():.6f}"
    now = time.time()
    silence = {"matchers": [{"name": "alertname", "value": "UpstreamDown", "isRegex": False}],
               "startsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
               "endsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 60)),
               "createdBy": "oncall", "comment": comment}
    answer = proxied(kubeconfig, f"{KPS_AM}:http-web", "/api/v2/silences", method="POST",
                     headers={"Content-Type": "application/json"}, body=silence)
    assert answer.status == 200, answer.body
    silence_id = json.loads(answer.body)["silenceID"]
    status, body = http_get(f"{gateway_stack.alertmanager_url}/api/v2/silences")
    mine = [s for s in json.loads(body) if s["comment"] == comment]
    assert status == 200 and [s["id"] for s in mine] == [silence_id]
    assert [r.method for r in emu.proxy.requests_to(KPS_AM)] == ["POST"]
    assert [r.method for r in emu.requests_where(path="/proxy/")] == ["POST"]


# -- authentication and authorization ---------------------------------------------------------


def test_rbac_can_deny_the_proxy_and_nothing_is_forwarded(kubeconfig: Path,
                                                          emu: KubeEmulator) -> None:
    emu.deny("get", "services", "proxy")
    answer = proxied(kubeconfig, f"{KPS}:http-web", "/api/v1/query", query=[("query", "up")])
    assert status_of(answer) == (
        403, "Forbidden",
        f'services "{KPS}:http-web" is forbidden: User "oncall@example.com" cannot get '
        'resource "services/proxy" in API group "" in the namespace "monitoring"')
    assert json.loads(answer.body)["details"] == {"name": f"{KPS}:http-web", "kind": "services"}
    post = proxied(kubeconfig, f"{KPS}:http-web", "/api/v1/query", method="POST",
                   form=[("query", "up")],
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert post.status == 200  # RBAC's verb for POST is create, which was not denied
    assert [r.method for r in emu.proxy.forwarded] == ["POST"]


def test_rbac_can_deny_listing_services(kubeconfig: Path, emu: KubeEmulator) -> None:
    emu.deny("list", "services")
    api = api_client(kubeconfig)
    try:
        everywhere = raw(api, "GET", "/api/v1/services")
        one = raw(api, "GET", "/api/v1/namespaces/monitoring/services/prometheus-operated")
    finally:
        api.close()
    assert status_of(everywhere) == (
        403, "Forbidden", 'services is forbidden: User "oncall@example.com" cannot list '
        'resource "services" in API group "" at the cluster scope')
    assert one.status == 200  # get was not denied


def test_the_proxy_needs_a_valid_token(emu: KubeEmulator, tmp_path: Path) -> None:
    stale = emu.write_kubeconfig(tmp_path / "stale", user={"token": "revoked-token"})
    answer = proxied(stale, f"{KPS}:http-web", "/api/v1/query", query=[("query", "up")])
    assert status_of(answer) == (401, "Unauthorized", "Unauthorized")
    assert emu.proxy.forwarded == []


def test_a_backend_nobody_answers_at_is_503(kubeconfig: Path, emu: KubeEmulator) -> None:
    port = free_port()
    emu.proxy.register("monitoring", KPS, "http-web", f"http://127.0.0.1:{port}")
    answer = proxied(kubeconfig, f"{KPS}:http-web", "/-/ready")
    assert status_of(answer) == (
        503, "ServiceUnavailable",
        f"error trying to reach service: dial tcp 127.0.0.1:{port}: connect: connection refused")
