"""Prometheus and Alertmanager read through the API server's service proxy, kubeconfig only.

`/api/v1/namespaces/NS/services/NAME:PORT/proxy/PATH` on the API server, with the
kubeconfig's own credentials and TLS (its CA, client certificate, token or exec plugin):
an engineer on a jump host needs no Prometheus URL and no port-forward. The sources do
not change: they send to a placeholder origin (`http_client.PLACEHOLDER`), and this transport, given
to their `ApiClient`, rewrites each request to the proxy. So the read limits, the
deadline and the scrubbing of http_client.py all still apply.

The slow part (connecting, which may run an exec plugin for up to its own deadline, and
choosing the Service) is `prepare`, which the ApiClient awaits before its request
deadline starts: a hanging plugin is then reported by name ("exec plugin X: no answer in
10 s"), not as a timed-out query. A 401 (the token expired early, or was revoked) runs
the plugin again once and sends the request once more; the API server refused it before
proxying, so a silence is still created at most once. No Textual here.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from typing import Any

import httpx

from console.config.types import ServiceRef, TargetSettings
from console.sources.base import SourceError
from console.sources.discovery import (
    FALLBACK_NAMESPACES,
    Discovery,
    choose,
    pinned,
    rank,
)
from console.sources.exec_credential import ExecPluginError
from console.sources.http_client import RoutedTransport, ServiceNotFound
from console.sources.kube_session import KubeSession
from console.sources.kube_watch import CallFailed, RequestCounter


def proxy_path(ref: ServiceRef) -> str:
    return f"/api/v1/namespaces/{ref.namespace}/services/{ref.name}:{ref.port}/proxy"


class ServiceLister:
    """Lists the cluster's Services once per discovery, with the target's own session."""

    def __init__(self, session: KubeSession, home: str) -> None:
        self.session = session
        self.home = home
        self.where = "every namespace"

    def services(self) -> list[Mapping[str, Any]]:
        """Every Service of the cluster; when listing them cluster-wide is forbidden, those
        of the gateway's namespace and the usual monitoring namespaces."""
        core = self.session.apis["core"]
        try:
            return self._items(self.session.call(
                "list", "services", core.list_service_for_all_namespaces))
        except CallFailed as failure:
            if failure.status != 403:
                raise SourceError(failure.message) from None
        spaces = dict.fromkeys((self.home, *FALLBACK_NAMESPACES))
        self.where = "namespaces " + ", ".join(spaces) + " (listing every namespace is denied)"
        out: list[Mapping[str, Any]] = []
        for namespace in spaces:
            try:
                out += self._items(self.session.call(
                    "list", "services", core.list_namespaced_service, namespace=namespace))
            except CallFailed as failure:
                if failure.status not in (403, 404):
                    raise SourceError(failure.message) from None
        return out

    def service(self, ref: ServiceRef) -> Mapping[str, Any] | None:
        core = self.session.apis["core"]
        try:
            resp = self.session.call("get", "services", core.read_namespaced_service,
                                     name=ref.name, namespace=ref.namespace)
        except CallFailed as failure:
            if failure.status == 404:
                return None
            raise SourceError(failure.message) from None
        data = self._json(resp)
        return data if isinstance(data, Mapping) else None

    def _items(self, resp: Any) -> list[Mapping[str, Any]]:
        data = self._json(resp)
        items = data.get("items") if isinstance(data, Mapping) else None
        return [i for i in items if isinstance(i, Mapping)] if isinstance(items, list) else []

    def _json(self, resp: Any) -> Any:
        try:
            return self.session.read_json(resp, "list", "services")
        except CallFailed as failure:
            raise SourceError(failure.message) from None
        except ValueError:
            raise SourceError("the Kubernetes API answered the Services list with "
                              "something that is not JSON") from None


def discover(lister: ServiceLister, pins: Mapping[str, ServiceRef | None],
             ) -> dict[str, Discovery]:
    """Prometheus and Alertmanager, each pinned or the best found. Blocking."""
    lister.session.ensure()
    out: dict[str, Discovery] = {}
    listed: list[Mapping[str, Any]] | None = None
    for kind in ("prometheus", "alertmanager"):
        pin = pins.get(kind)
        if pin is not None:
            out[kind] = pinned(kind, pin, lister.service(pin))
            continue
        if listed is None:
            listed = lister.services()
        near = out["prometheus"].chosen if "prometheus" in out else None
        candidates = rank(listed, kind, lister.home, near.namespace if near else None)
        out[kind] = choose(kind, candidates, lister.where)
    return out


class ServiceProxy(RoutedTransport):
    """The transport of a target's proxied Prometheus and Alertmanager (one per target)."""

    def __init__(self, target: TargetSettings, request_timeout_s: float = 5.0) -> None:
        self.timeout_s = request_timeout_s
        self.session = KubeSession(
            target, RequestCounter(), (min(3.0, request_timeout_s), request_timeout_s),
            target.limits.deadline_s or request_timeout_s, lambda: None)
        self._lister = ServiceLister(self.session, target.namespace)
        self._pins = {"prometheus": target.prometheus_service,
                      "alertmanager": target.alertmanager_service}
        self._found: dict[str, Discovery] | None = None
        self._lock = asyncio.Lock()
        self._inner: httpx.AsyncHTTPTransport | None = None
        self.discovery_failure: str | None = None

    async def discoveries(self) -> dict[str, Discovery]:
        """Connect and choose the Services, once (a failure is tried again next time)."""
        async with self._lock:
            if self._found is None:
                try:
                    self._found = await asyncio.to_thread(discover, self._lister, self._pins)
                except ExecPluginError as exc:
                    raise SourceError(str(exc)) from None
        return self._found

    async def prepare(self, base_url: httpx.URL) -> str:
        """The Service this base URL stands for; its display (`service NS/NAME:PORT`)."""
        kind = base_url.host.partition(".")[0]
        found = (await self.discoveries()).get(kind)
        if found is None or found.chosen is None:
            raise ServiceNotFound(found.how if found else f"no {kind} asked for")
        return f"service {found.chosen.ref} via the API server"

    def _route(self, kind: str) -> tuple[str, httpx.AsyncHTTPTransport]:
        found = (self._found or {}).get(kind)
        connection = self.session.connection
        if found is None or found.chosen is None or connection is None:
            raise SourceError(f"{kind}: no Service chosen yet")
        if self._inner is None:
            self._inner = httpx.AsyncHTTPTransport(verify=_tls(connection.configuration))
        host = str(connection.configuration.host).rstrip("/")
        return host + proxy_path(found.chosen.ref), self._inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        base, inner = self._route(request.url.host.partition(".")[0])
        connection = self.session.connection
        assert connection is not None
        body = await request.aread()
        url = httpx.URL(base + request.url.raw_path.decode("ascii"))
        for attempt in (1, 2):
            try:
                bearer = await asyncio.to_thread(connection.bearer)
            except ExecPluginError as exc:
                raise SourceError(str(exc)) from None
            headers = [(k, v) for k, v in request.headers.multi_items()
                       if k.lower() not in ("host", "authorization")]
            if bearer:
                headers.append(("Authorization", bearer))
            sent = httpx.Request(request.method, url, headers=headers, content=body,
                                 extensions=request.extensions)
            response = await inner.handle_async_request(sent)
            if response.status_code != 401 or attempt == 2:
                return response
            try:
                renewed = await asyncio.to_thread(connection.renew_after_401, bearer)
            except ExecPluginError as exc:
                await response.aclose()
                raise SourceError(str(exc)) from None
            if not renewed:
                return response  # no plugin to ask: the 401 is the answer
            await response.aclose()
        raise AssertionError("unreachable")  # pragma: no cover

    async def aclose(self) -> None:
        """Closed by each ApiClient that uses it; the last one closes it. A plugin still
        running is then killed (shut), so `q` never waits for it."""
        if not self.release():
            return
        inner, self._inner = self._inner, None
        if inner is not None:
            await inner.aclose()
        api = self.session.shut()
        if api is not None:
            await asyncio.to_thread(api.close)


def _tls(configuration: Any) -> ssl.SSLContext | bool:
    """The kubeconfig's TLS as the kubernetes client would use it: its CA (or the system's),
    its client certificate, or no verification when the kubeconfig says so."""
    if not str(configuration.host).startswith("https:"):
        return False
    context = ssl.create_default_context(cafile=configuration.ssl_ca_cert or None)
    if configuration.cert_file:
        context.load_cert_chain(configuration.cert_file, configuration.key_file or None)
    if not configuration.verify_ssl:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
