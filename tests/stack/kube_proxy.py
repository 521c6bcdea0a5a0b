"""The API server's service proxy and the RBAC of Services, for the Kubernetes API emulator.

On a jump host with only a kubeconfig, the console reads Prometheus and Alertmanager at
`/api/v1/namespaces/NS/services/[SCHEME:]NAME[:PORT]/proxy/PATH?QUERY`, with the
kubeconfig's credentials. This module answers those requests as kube-apiserver does, so
the console's code meets the real rules rather than our guess of them:

- the id is split as apimachinery's `SplitSchemeNamePort` splits it: `NAME`,
  `NAME:PORT`, `SCHEME:NAME:PORT` with SCHEME `http` or `https`; anything else is 400
  `invalid service request "ID"` (k8s.io/apimachinery/pkg/util/net/port_split.go);
- a port number is mapped to the Service port's name; no such port is 503
  `no service port N found for service "NAME"`; a name, or no port at all, must match an
  endpoint port's name, so `NAME` alone reaches only a Service whose one port is unnamed,
  otherwise 503 `no endpoints available for service "ID"` (ResourceLocation in
  kubernetes/kubernetes pkg/registry/core/service/storage/storage.go);
- the request is forwarded with its method, query string, body and headers, except the
  hop-by-hop ones and `Authorization`, which the API server's authentication filter
  removes once it has authenticated the request; the backend's status, headers and body
  come back as they are; a backend nobody answers at is 503 `error trying to reach
  service: ...`;
- authorization is RBAC's: verb from the HTTP method (GET get, POST create, ...),
  resource `services`, subresource `proxy`, name the whole id; a rule from
  `KubeEmulator.deny()` makes it 403 with the API server's Forbidden message. Listing and
  getting Services obey `deny("list", "services")` and `deny("get", "services")` too.

Backends are real servers on loopback (the test Prometheus and Alertmanager), registered
per Service port with `ServiceProxy.register`, as the Endpoints of a real Service would be.
"""

from __future__ import annotations

import http.client
import re
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tests.stack.kube_auth import Identity
from tests.stack.kube_discovery import discovery

if TYPE_CHECKING:
    from tests.stack.kube_emulator import _Handler

PROXY_PATH = re.compile(
    r"^/api/v1/namespaces/(?P<ns>[^/]+)/services/(?P<id>[^/]+)/proxy(?P<rest>/.*)?$")
SERVICES_PATH = re.compile(
    r"^/api/v1/(?:namespaces/(?P<ns>[^/]+)/)?services(?:/(?P<name>[^/]+))?/?$")

VERBS = {"GET": "get", "HEAD": "get", "POST": "create", "PUT": "update", "PATCH": "patch",
         "DELETE": "delete", "OPTIONS": "options"}
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                        "te", "trailer", "trailers", "transfer-encoding", "upgrade"})
NOT_FORWARDED = HOP_BY_HOP | {"authorization", "host", "content-length"}
MAX_BODY = 64 << 20
"""A backend answer larger than this is cut off with 502: no test needs more."""


def split_scheme_name_port(service_id: str) -> tuple[str, str, str] | None:
    """(scheme, name, port) as apimachinery's SplitSchemeNamePort; None when invalid."""
    parts = service_id.split(":")
    if len(parts) == 1:
        scheme, name, port = "", parts[0], ""
    elif len(parts) == 2:
        scheme, name, port = "", parts[0], parts[1]
    elif len(parts) == 3:
        scheme, name, port = parts
    else:
        return None
    if not name or scheme not in ("", "http", "https"):
        return None
    return scheme, name, port


@dataclass(frozen=True)
class Backend:
    """Where one Service port's endpoint really is: host, port and a path prefix."""

    host: str
    port: int
    path: str = ""


@dataclass(frozen=True)
class ProxiedRequest:
    """One request the proxy forwarded, as the backend received it (for counting writes)."""

    method: str
    namespace: str
    service: str
    port: str
    scheme: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    status: int | None
    at: float


@dataclass
class ServiceProxy:
    """Backends per Service port and the log of what was forwarded to them."""

    timeout_s: float = 30.0
    forwarded: list[ProxiedRequest] = field(default_factory=list)
    _backends: dict[tuple[str, str, str], Backend] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def register(self, namespace: str, service: str, port: str | int, url: str) -> None:
        """Route the Service port `port` (its name, or its number) to the server at `url`.

        An unnamed port is registered by number; `url` is `http://127.0.0.1:PORT[/prefix]`
        (the scheme of the real connection comes from the proxy URL, as in the API server).
        """
        parts = urlsplit(url)
        if parts.hostname is None or parts.port is None:
            raise ValueError(f"backend URL needs a host and a port: {url!r}")
        with self._lock:
            self._backends[(namespace, service, str(port))] = Backend(
                parts.hostname, parts.port, parts.path.rstrip("/"))

    def unregister(self, namespace: str, service: str, port: str | int) -> None:
        with self._lock:
            self._backends.pop((namespace, service, str(port)), None)

    def backends_of(self, namespace: str, service: str) -> dict[str, Backend]:
        with self._lock:
            return {p: b for (ns, s, p), b in self._backends.items()
                    if (ns, s) == (namespace, service)}

    def requests_to(self, service: str, method: str | None = None) -> list[ProxiedRequest]:
        with self._lock:
            return [r for r in self.forwarded
                    if r.service == service and (method is None or r.method == method)]

    # -------------------------------------------------------------- the hook

    def handle(self, handler: _Handler, method: str, path: str, query: str, raw: bytes,
               identity: Identity) -> bool:
        """Answer what issue 15 adds to the emulator's routes: discovery (for kubectl),
        the service proxy and Services' RBAC; False when `path` is none of them."""
        if method == "GET" and path.rstrip("/").count("/") <= 3:
            from tests.stack.kube_emulator import RESOURCES  # imported there: no cycle now

            emu = handler.emulator
            doc = discovery(path, RESOURCES, f"127.0.0.1:{emu.port}", emu.metrics_enabled)
            if doc is not None:
                handler._send_json(200, doc)
                return True
        m = PROXY_PATH.match(path)
        if m is not None:
            self._proxy(handler, method, m["ns"], m["id"], m["rest"] or "/", query, raw,
                        identity)
            return True
        s = SERVICES_PATH.match(path)
        if s is not None and method == "GET":
            verb = "get" if s["name"] else ("watch" if "watch=" in query else "list")
            return _forbid(handler, identity, verb, "", s["ns"], s["name"])
        return False

    def _proxy(self, handler: _Handler, method: str, ns: str, service_id: str, rest: str,
               query: str, raw: bytes, identity: Identity) -> None:
        if method not in VERBS:
            handler._error(405, f"{method} is not supported by the service proxy")
            return
        if _forbid(handler, identity, VERBS[method], "proxy", ns, service_id):
            return
        split = split_scheme_name_port(service_id)
        if split is None:
            handler._error(400, f'invalid service request "{service_id}"')
            return
        scheme, name, port = split
        target = self._resolve(handler, ns, name, port, service_id)
        if target is None:
            return
        port_key, backend = target
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in NOT_FORWARDED}
        headers["X-Forwarded-For"] = handler.client_address[0]
        forward_path = backend.path + rest + (f"?{query}" if query else "")
        try:
            status, reason, answer_headers, body = self._forward(
                scheme or "http", backend, method, forward_path, headers, raw)
        except (OSError, http.client.HTTPException) as exc:
            self._log(method, ns, name, port_key, scheme, rest, query, headers, raw, None)
            handler._error(503, f"error trying to reach service: {_dial_error(backend, exc)}")
            return
        self._log(method, ns, name, port_key, scheme, rest, query, headers, raw, status)
        handler.send_response(status, reason)
        for key, value in answer_headers:
            if key.lower() not in HOP_BY_HOP | {"content-length", "date", "server"}:
                handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if method != "HEAD":
            handler.wfile.write(body)

    def _resolve(self, handler: _Handler, ns: str, name: str, port: str,
                 service_id: str) -> tuple[str, Backend] | None:
        """The Service port and its backend, or None after answering the API's error."""
        svc = handler.emulator.get("Service", name, ns)
        if svc is None:
            handler._error(404, f'services "{name}" not found',
                           {"name": name, "kind": "services"})
            return None
        ports: list[dict[str, Any]] = (svc.get("spec") or {}).get("ports") or []
        if port.isdigit():
            match = next((p for p in ports if str(p.get("port")) == port), None)
            if match is None:
                handler._error(503, f'no service port {port} found for service "{name}"')
                return None
            port = str(match.get("name") or "")
        backends = self.backends_of(ns, name)
        if not backends:
            handler._error(503, f'no endpoints available for service "{name}"')
            return None
        for p in ports:
            if str(p.get("name") or "") == port:
                for key in (port, str(p.get("port"))):
                    if key and key in backends:
                        return key, backends[key]
        handler._error(503, f'no endpoints available for service "{service_id}"')
        return None

    def _forward(self, scheme: str, backend: Backend, method: str, path: str,
                 headers: dict[str, str], body: bytes,
                 ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        conn: http.client.HTTPConnection
        if scheme == "https":
            # The API server does not verify a Service endpoint's certificate.
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection(backend.host, backend.port,
                                               timeout=self.timeout_s, context=context)
        else:
            conn = http.client.HTTPConnection(backend.host, backend.port,
                                              timeout=self.timeout_s)
        try:
            conn.request(method, path, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read(MAX_BODY + 1)
            if len(data) > MAX_BODY:
                raise http.client.HTTPException(f"answer over {MAX_BODY} bytes")
            return resp.status, resp.reason, resp.getheaders(), data
        finally:
            conn.close()

    def _log(self, method: str, ns: str, name: str, port: str, scheme: str, path: str,
             query: str, headers: dict[str, str], body: bytes, status: int | None) -> None:
        with self._lock:
            self.forwarded.append(ProxiedRequest(method, ns, name, port, scheme or "http", path,
                                                 query, dict(headers), body, status,
                                                 time.time()))


def _dial_error(backend: Backend, exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return f"dial tcp {backend.host}:{backend.port}: connect: connection refused"
    if isinstance(exc, TimeoutError):
        return f"dial tcp {backend.host}:{backend.port}: i/o timeout"
    return f"{type(exc).__name__}: {exc}"


def _forbid(handler: _Handler, identity: Identity, verb: str, subresource: str,
            ns: str | None, name: str | None) -> bool:
    """403 as the API server words it when an RBAC deny rule matches; True if it did."""
    attrs = {"verb": verb, "resource": "services", "subresource": subresource, "group": "",
             "namespace": ns or "", "name": name or ""}
    rule = next((r for r in handler.emulator.rbac_rules if r.matches(attrs)), None)
    if rule is None or rule.allowed:
        return False
    resource = "services/proxy" if subresource else "services"
    what = f'services "{name}"' if name else "services"
    scope = f'in the namespace "{ns}"' if ns else "at the cluster scope"
    message = (f'{what} is forbidden: User "{identity.user}" cannot {verb} resource '
               f'"{resource}" in API group "" {scope}')
    if rule.reason:
        message += f": {rule.reason}"
    details: dict[str, Any] = {"kind": "services"}
    if name:
        details["name"] = name
    handler._error(403, message, details)
    return True
