"""The emulator over HTTPS with its own CA, and with client certificates (mTLS).

Both the reference client (`kubectl`) and the official `kubernetes` client read the CA
and the client certificate inline from the kubeconfig, as real kubeconfigs carry them;
a kubeconfig with another CA is refused by both, and so is a client without a
certificate when the emulator requires one.
"""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3
from kubernetes import client

from console.clock import system_clock
from console.config.settings import HttpEndpoint, build_settings
from console.sources import build_source_set
from console.sources.base import SourceError
from console.sources.http_client import ApiClient
from tests.stack.kube_emulator import KubeEmulator
from tests.stack.kube_fixtures import FAKE_TOKEN, loaded_emulator
from tests.stack.kube_raw import api_client, kubectl
from tests.stack.kube_tls import make_tls

POD_NAMES = ["ai-gateway-7d9f8b6c5-m8q2n", "ai-gateway-7d9f8b6c5-r7t9w",
             "ai-gateway-7d9f8b6c5-x2k4p", "ai-gateway-migrate-6kq2z"]


@pytest.fixture(params=[None, "optional", "required"])
def tls_emulator(request: pytest.FixtureRequest) -> Iterator[KubeEmulator]:
    emu = loaded_emulator()
    emu.start(tls=True, client_cert=request.param)
    try:
        yield emu
    finally:
        emu.stop()


def pods_with_client(kubeconfig: Path) -> list[str]:
    api = api_client(kubeconfig)
    try:
        pods: Any = client.CoreV1Api(api).list_namespaced_pod("ai-services")
        return [p.metadata.name for p in pods.items]
    finally:
        api.close()


def test_kubectl_and_the_client_read_pods_over_tls(tls_emulator: KubeEmulator,
                                                    tmp_path: Path) -> None:
    kubeconfig = tls_emulator.write_kubeconfig(tmp_path / "kubeconfig")
    run = kubectl(kubeconfig, "get", "pods", "-n", "ai-services", "-o", "name")
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout.split() == [f"pod/{n}" for n in POD_NAMES]
    assert pods_with_client(kubeconfig) == POD_NAMES
    assert tls_emulator.url.startswith("https://127.0.0.1:")
    lists = tls_emulator.requests_where("GET", "/api/v1/namespaces/ai-services/pods$")
    assert len(lists) == 2
    expected = None if tls_emulator.client_cert else f"Bearer {FAKE_TOKEN}"
    assert {r.authorization for r in lists} == {expected}


def test_the_kubeconfig_carries_the_ca_and_the_client_certificate_inline(
    tmp_path: Path,
) -> None:
    emu = loaded_emulator().start(tls=True, client_cert="required")
    try:
        doc = json.loads(emu.write_kubeconfig(tmp_path / "kubeconfig").read_text())
    finally:
        emu.stop()
    assert emu.tls is not None
    (cluster,) = doc["clusters"]
    (user,) = doc["users"]
    assert base64.b64decode(cluster["cluster"]["certificate-authority-data"]) == emu.tls.ca.cert
    assert base64.b64decode(user["user"]["client-certificate-data"]) == emu.tls.client.cert
    assert base64.b64decode(user["user"]["client-key-data"]) == emu.tls.client.key
    assert "token" not in user["user"]


def test_another_ca_is_refused_by_both_clients(tmp_path: Path) -> None:
    emu = loaded_emulator().start(tls=True)
    try:
        kubeconfig = emu.write_kubeconfig(tmp_path / "kubeconfig")
        doc = json.loads(kubeconfig.read_text())
        doc["clusters"][0]["cluster"]["certificate-authority-data"] = make_tls(
            tmp_path / "other").ca.cert_data
        kubeconfig.write_text(json.dumps(doc))
        run = kubectl(kubeconfig, "get", "pods", "-n", "ai-services", "--request-timeout=5s")
        with pytest.raises(urllib3.exceptions.MaxRetryError) as info:
            pods_with_client(kubeconfig)
    finally:
        emu.stop()
    assert run.returncode == 1
    assert "x509: certificate signed by unknown authority" in run.stderr
    assert isinstance(info.value.reason, urllib3.exceptions.SSLError)
    assert emu.requests == []  # no request got through the handshake


def test_mtls_refuses_a_client_without_a_certificate(tmp_path: Path) -> None:
    emu = loaded_emulator().start(tls=True, client_cert="required")
    try:
        token_only = emu.write_kubeconfig(tmp_path / "token-only", user={"token": FAKE_TOKEN})
        run = kubectl(token_only, "get", "pods", "-n", "ai-services", "--request-timeout=5s")
        with pytest.raises(urllib3.exceptions.MaxRetryError) as info:
            pods_with_client(token_only)
    finally:
        emu.stop()
    assert run.returncode == 1
    assert "certificate required" in run.stderr or "handshake" in run.stderr, run.stderr
    assert isinstance(info.value.reason, (urllib3.exceptions.SSLError,
                                          urllib3.exceptions.ProtocolError, ssl.SSLError))
    assert emu.requests == []


def test_an_optional_client_certificate_stands_in_for_a_token(tmp_path: Path) -> None:
    emu = loaded_emulator().start(tls=True, client_cert="optional")
    try:
        token_only = emu.write_kubeconfig(tmp_path / "token-only", user={"token": "wrong"})
        with_cert = emu.write_kubeconfig(tmp_path / "with-cert")
        refused = kubectl(token_only, "get", "pods", "-n", "ai-services")
        accepted = kubectl(with_cert, "get", "pods", "-n", "ai-services", "-o", "name")
    finally:
        emu.stop()
    assert refused.returncode == 1
    assert "error: You must be logged in to the server" in refused.stderr
    assert accepted.returncode == 0 and len(accepted.stdout.split()) == 4
    assert emu.auth.refused and set(emu.auth.refused) == {"unknown token"}


async def test_a_refused_client_certificate_is_named_in_the_proxy_reads(tmp_path: Path) -> None:
    """An API server that requires a client certificate ends the TLS session with an alert
    on the first read (TLS 1.3): that is a refused certificate, not a dropped answer."""
    emu = loaded_emulator().start(tls=True, client_cert="required")
    try:
        token_only = emu.write_kubeconfig(tmp_path / "token-only", user={"token": FAKE_TOKEN})
        settings = build_settings({"kubeconfig": str(token_only), "timeout": "5s"},
                                  env={"HOME": str(tmp_path)})
        sources = build_source_set(settings, settings.target, system_clock)
        try:
            with pytest.raises(SourceError) as failed:
                await asyncio.wait_for(sources.metrics.fetch(settings.window_s), 30)
        finally:
            await sources.aclose()
    finally:
        emu.stop()
    assert refusal_said(str(failed.value), "Kubernetes API")
    assert emu.requests == []


async def test_the_http_client_names_a_refused_certificate_too() -> None:
    """The service-proxy reads go through httpx, where the refusal arrives as a reset on the
    first read (anyio loses the alert): not "dropped the connection mid-answer", which
    would send the on-call looking for a crashed server."""
    emu = loaded_emulator().start(tls=True, client_cert="required")
    try:
        assert emu.tls is not None
        api = ApiClient(HttpEndpoint(emu.url, ca_file=str(emu.tls.ca_path)), "Prometheus")
        with pytest.raises(SourceError) as failed:
            await api.get_json("/api/v1/namespaces/ai-services/pods")
        await api.aclose()
    finally:
        emu.stop()
    assert refusal_said(str(failed.value), "Prometheus")
    assert emu.requests == []


def refusal_said(message: str, api: str) -> bool:
    """The server's alert races its close of the session: about one run in two the client
    reads the alert (then it is named), else only the end (then the cause is asked). Never
    "mid-answer" or a bare "TLS error"."""
    assert "mid-answer" not in message and "(TLS error)" not in message, message
    named = (f"{api} at https://127.0.0.1:" in message and message.endswith(
        "refused this client's TLS certificate (certificate required): check the client "
        "certificate the kubeconfig user gives"))
    asked = message.endswith("ended the TLS session before answering (does it require a "
                             "client certificate?)")
    assert named or asked, message
    return True
