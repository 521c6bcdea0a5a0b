"""Credentials never come back out: every form a server echoes them in is scrubbed, the
printed config masks them, a redirect elsewhere never receives them, hints and recordings
do not quote them.

Servers are real loopback sockets (tests/stack/hostile_http.py) where the point is what a
server received or sent; the real console process over the same is in
tests/integration/test_hostile_process.py.
"""

from __future__ import annotations

import base64
import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import httpx
import pytest

from console.clock import FixedClock
from console.config.printout import describe_settings
from console.config.secrets import endpoint_scrubber
from console.config.settings import HttpEndpoint, Secret, Settings, TargetSettings, build_settings
from console.hints import flatten
from console.model import ClusterReading, SourceStatus
from console.record.frames import Frame
from console.record.privacy import private_frame
from console.sources.base import SourceError
from console.sources.http_client import ApiClient
from console.sources.kubernetes import KubernetesSource
from console.sources.prometheus import PrometheusSource
from console.text.scrub import Scrubber, mask_url
from tests.stack.hostile_http import HostileServer

PASSWORD = "pa$$w0rd/with+odd=chars"
TOKEN = "tok-3f9a8b7c6d5e4f30"
API_KEY = "xk-live-5b1e9c0d2a7f"


def forms(user: str, password: str) -> list[str]:
    """The ways a careless server hands a credential back."""
    pair = base64.b64encode(f"{user}:{password}".encode()).decode()
    return [password, pair, pair.rstrip("="), quote(password, safe=""), quote_plus(password),
            quote(password, safe="").lower(), json.dumps(password)[1:-1],
            base64.b64encode(password.encode()).decode()]


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    with HostileServer(max_s=10) as server:
        yield server


# -- the scrubber ---------------------------------------------------------------------------


def test_every_form_of_a_secret_is_scrubbed() -> None:
    scrub = Scrubber([TOKEN], [("ops", PASSWORD)])
    for form in [*forms("ops", PASSWORD), TOKEN, quote(TOKEN)]:
        text = f"server said: <{form}> (that was it)"
        assert scrub(text) == "server said: <***> (that was it)", form
    # Inside a longer base64 blob, at each of the three alignments it can have there.
    for prefix in ("", "x", "xy"):
        blob = base64.b64encode(f"{prefix}Authorization: Bearer {TOKEN}\n".encode()).decode()
        assert base64.b64encode(TOKEN.encode()).decode()[:8] not in scrub(blob)
        assert "***" in scrub(blob)
    assert scrub("nothing secret here") == "nothing secret here"
    assert Scrubber(["ab"])("ab cd") == "ab cd"  # too short to scrub without garbling


def test_an_endpoint_scrubs_its_header_credentials_too() -> None:
    endpoint = HttpEndpoint(
        "https://ops:url-pass-123@prom.example/?x=1",
        headers={"X-Api-Key": API_KEY, "X-Tenant": "tenant-key-999", "X-Scope-OrgID": "team",
                 "Authorization": "Basic " + base64.b64encode(b"hdr:hdr-pass-77").decode()},
        secret_headers=frozenset({"x-tenant"}))
    scrub = endpoint_scrubber(endpoint)
    text = scrub(f"{API_KEY} tenant-key-999 url-pass-123 hdr-pass-77 "
                 f"{base64.b64encode(b'ops:url-pass-123').decode()} team")
    assert text == "*** *** *** *** *** team"


# -- the HTTP client against servers that echo -----------------------------------------------


@pytest.mark.parametrize("status", [500, 401, 404])
async def test_an_echoed_credential_never_reaches_the_message(hostile: HostileServer,
                                                              status: int) -> None:
    hostile.echo(status)
    endpoint = HttpEndpoint(hostile.url, username="ops", password=Secret(PASSWORD),
                            headers={"X-Api-Key": API_KEY})
    api = ApiClient(endpoint, "Prometheus")
    with pytest.raises(SourceError) as info:
        await api.get_json("/api/v1/query", {"query": "up"})
    await api.aclose()
    message = str(info.value)
    assert hostile.requests[0].headers["x-api-key"] == API_KEY  # it was sent, and echoed
    for form in [*forms("ops", PASSWORD), API_KEY]:
        assert form not in message, form
    assert f"HTTP {status} from Prometheus at {hostile.url}" in message


async def test_a_redirect_to_another_origin_is_not_followed(hostile: HostileServer) -> None:
    with HostileServer(max_s=10) as elsewhere:
        hostile.redirect(elsewhere.url)
        endpoint = HttpEndpoint(hostile.url, bearer_token=Secret(TOKEN),
                                headers={"X-Api-Key": API_KEY})
        api = ApiClient(endpoint, "Prometheus")
        with pytest.raises(SourceError) as info:
            await api.get_json("/api/v1/query", {"query": "up"})
        await api.aclose()
        assert list(elsewhere.requests) == []  # not a single header reached it
    assert str(info.value) == (
        f"Prometheus at {hostile.url} redirected to another origin ({elsewhere.url}): "
        "not followed, so no credential or header goes there")


async def test_a_redirect_within_the_origin_keeps_its_credentials() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/api/v1/query":
            return httpx.Response(307, headers={"Location": "/prom/api/v1/query?query=up"})
        return httpx.Response(200, json={"status": "success"})

    endpoint = HttpEndpoint("http://prom.test", username="ops", password=Secret(PASSWORD),
                            headers={"X-Api-Key": API_KEY})
    api = ApiClient(endpoint, "Prometheus", httpx.MockTransport(handler))
    assert await api.get_json("/api/v1/query", {"query": "up"}) == {"status": "success"}
    await api.aclose()
    assert [r.url.path for r in seen] == ["/api/v1/query", "/prom/api/v1/query"]
    assert seen[1].headers["x-api-key"] == API_KEY
    assert seen[1].headers["authorization"].startswith("Basic ")


async def test_the_kubernetes_source_scrubs_an_echoed_basic_auth(hostile: HostileServer,
                                                                 tmp_path: Path) -> None:
    hostile.echo(500)
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": hostile.url}}],
        "users": [{"name": "u", "user": {"username": "kube-admin", "password": PASSWORD}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}))
    source = KubernetesSource(TargetSettings("c", kubeconfig=str(kubeconfig)), FixedClock(),
                              request_timeout_s=3.0)
    try:
        with pytest.raises(SourceError) as info:
            await source.fetch()
    finally:
        await source.aclose()
    assert hostile.requests[0].headers["authorization"].startswith("Basic ")
    message = str(info.value)
    assert message.startswith("Kubernetes API error 500 on list deployments: upstream refused")
    for form in forms("kube-admin", PASSWORD):
        assert form not in message, form


async def test_prometheus_figures_warnings_are_scrubbed(hostile: HostileServer,
                                                        caplog: pytest.LogCaptureFixture
                                                        ) -> None:
    hostile.echo(500)
    endpoint = HttpEndpoint(hostile.url, bearer_token=Secret(TOKEN))
    source = PrometheusSource(endpoint, Settings(targets=(TargetSettings("t"),)), FixedClock())
    with pytest.raises(SourceError) as info:
        await source.fetch(300.0)
    await source.aclose()
    assert TOKEN not in str(info.value) and "Bearer ***" in str(info.value)
    assert TOKEN not in caplog.text


# -- --print-config ---------------------------------------------------------------------------


def test_print_config_masks_queries_userinfo_and_credential_headers(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[prometheus]\nurl = "https://ops:url-secret@mimir.example/prom?api_key=qs-secret&org=a"\n'
        'headers = { "X-Api-Key" = "hdr-secret-1", "X-Auth-Token" = "hdr-secret-2", '
        '"Cookie" = "session=hdr-secret-3", "X-Tenant" = "hdr-secret-4", '
        '"X-Forwarded-Creds" = "Bearer hdr-secret-5", "X-Scope-OrgID" = "team-a" }\n'
        'secret_headers = ["X-Tenant"]\n'
        '[alertmanager]\nurl = "http://am.example:9093/?token=qs-secret-2"\n')
    settings = build_settings({"config": str(config)}, env={"HOME": str(tmp_path)})
    text = describe_settings(settings)
    for secret in ("url-secret", "qs-secret", "hdr-secret-1", "hdr-secret-2", "hdr-secret-3",
                   "hdr-secret-4", "hdr-secret-5", "qs-secret-2"):
        assert secret not in text, secret
    assert 'url = "https://ops:***@mimir.example/prom?api_key=***&org=***"' in text
    assert 'url = "http://am.example:9093/?token=***"' in text
    printed = tomllib.loads(text)
    assert printed["prometheus"]["headers"] == {"X-Scope-OrgID": "team-a"}
    assert printed["prometheus"]["secret_headers"] == ["x-tenant"]
    assert printed["max_body_size"] == "8MB" and printed["max_series"] == 2000
    for name in ("X-Api-Key", "X-Auth-Token", "Cookie", "X-Tenant", "X-Forwarded-Creds"):
        assert f'"{name}" = "***"  (secret: not printed)' in text, name
    assert mask_url("not a url ?api_key=x") == "not a url ?api_key=x"


# -- hints and recordings ---------------------------------------------------------------------


def test_hints_mask_config_credentials_at_any_depth() -> None:
    config = {
        "providers": {"holysheep": {
            "base_url": "https://user:pw-in-url@api.example/v1?api_key=sk-in-query&region=eu",
            "keys": ["sk-live-aaa", "sk-live-bbb"],
            "upstreams": [{"name": "primary", "api_key": "sk-live-ccc"},
                          {"name": "backup", "auth": {"bearer": "sk-live-ddd"}}],
            "credentials": {"primary": "sk-live-eee", "env": "${HOLYSHEEP_KEY}"},
            "apiKey": "sk-live-fff",
            "timeout": "30s",
        }},
    }
    values = flatten(config, "cfg")
    shown = " ".join(values.values())
    for secret in ("pw-in-url", "sk-in-query", "sk-live-aaa", "sk-live-bbb", "sk-live-ccc",
                   "sk-live-ddd", "sk-live-eee", "sk-live-fff"):
        assert secret not in shown, secret
    p = "cfg.providers.holysheep"
    assert values[f"{p}.base_url"] == "https://user:***@api.example/v1?api_key=***&region=***"
    assert values[f"{p}.upstreams"] == ("{name: primary, api_key: (set, not shown)}, "
                                        "{name: backup, auth: {bearer: (set, not shown)}}")
    assert values[f"{p}.credentials.env"] == "${HOLYSHEEP_KEY}"  # a reference may show
    assert values[f"{p}.timeout"] == "30s"


def test_recorded_status_lines_hold_no_url_and_no_credential() -> None:
    status = SourceStatus(False, f"HTTP 500 from Prometheus at https://prom.internal:9090/x: "
                          f"echo {TOKEN}", 12.0, None)
    reading = ClusterReading(None, (), None, notes=(f"see http://10.0.0.1/?t={TOKEN}",))
    frame = private_frame(Frame(1.0, "prometheus", 300.0, status=status, reading=reading),
                          Scrubber([TOKEN]))
    assert frame.status is not None and isinstance(frame.reading, ClusterReading)
    assert frame.status.error == "HTTP 500 from Prometheus at <url>: echo ***"
    assert frame.reading.notes == ("see <url>",)
