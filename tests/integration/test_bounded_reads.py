"""Answers that never end, or are huge, or trickle: every read stops at the cap or the deadline.

The clients on their own, against real sockets on loopback (tests/stack/hostile_http.py):
the Prometheus/Alertmanager client through httpx, the Kubernetes source through the
official client. The real console process under the same answers is in
tests/integration/test_hostile_process.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import urllib3

from console.clock import FixedClock
from console.config.limits import MB, ReadLimits, TooLarge
from console.config.settings import HttpEndpoint, TargetSettings
from console.sources.base import SourceError
from console.sources.bounded_read import iter_lines, read_body
from console.sources.http_client import ApiClient
from console.sources.kubernetes import KubernetesSource
from tests.stack.hostile_http import HostileServer

pytestmark = pytest.mark.timing

TOKEN = "kube-token-77c1e5a0b9d3"


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    with HostileServer(max_s=60) as server:
        yield server


def kubeconfig_for(server: str, path: Path) -> Path:
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "hostile",
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": {"token": TOKEN}}],
        "contexts": [{"name": "hostile", "context": {"cluster": "c", "user": "u"}}],
    }))
    return path


# -- the Prometheus/Alertmanager client ------------------------------------------------------


async def test_an_endless_answer_stops_at_the_body_cap(hostile: HostileServer) -> None:
    hostile.endless()
    endpoint = HttpEndpoint(hostile.url, timeout_s=5.0,
                            limits=ReadLimits(max_body_bytes=1 * MB, deadline_s=10.0))
    api = ApiClient(endpoint, "Prometheus")
    started = time.monotonic()
    with pytest.raises(SourceError) as info:
        await api.get_json("/api/v1/query", {"query": "up"})
    await api.aclose()
    assert str(info.value) == (f"Prometheus at {hostile.url}: answer over 1 MB, "
                               "stopped reading")
    assert time.monotonic() - started < 5.0
    # What the server got to send is what the cap allows plus the sockets' buffers.
    assert hostile.bytes_sent < 1 * MB + 8 * MB


async def test_a_trickling_answer_ends_at_the_deadline(hostile: HostileServer) -> None:
    hostile.trickle()  # a byte every 0.2 s: httpx's read timeout (2 s) never fires
    endpoint = HttpEndpoint(hostile.url, timeout_s=2.0, limits=ReadLimits(deadline_s=1.0))
    api = ApiClient(endpoint, "Alertmanager")
    started = time.monotonic()
    with pytest.raises(SourceError) as info:
        await api.get_json("/api/v2/alerts")
    await api.aclose()
    assert str(info.value) == (f"timed out after 1s reading the answer of Alertmanager at "
                               f"{hostile.url}")
    assert time.monotonic() - started < 2.0


async def test_a_declared_length_over_the_cap_is_refused_unread() -> None:
    read: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        read.append(1)
        yield b"{}"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-length": str(50 * MB)}, content=body())

    endpoint = HttpEndpoint("http://prom.test", limits=ReadLimits(max_body_bytes=8 * MB))
    api = ApiClient(endpoint, "Prometheus", httpx.MockTransport(handler))
    with pytest.raises(SourceError, match="answer over 8 MB, stopped reading"):
        await api.get_json("/api/v1/query")
    await api.aclose()
    assert read == []


# -- the Kubernetes client -------------------------------------------------------------------


def test_raw_answers_are_read_in_bounded_pieces(hostile: HostileServer) -> None:
    hostile.endless()  # one line that never ends, as a watch stream gone wrong would send
    pool = urllib3.PoolManager()
    resp = pool.request("GET", f"{hostile.url}/api/v1/pods?watch=true", preload_content=False)
    with pytest.raises(TooLarge):
        for _ in iter_lines(resp, max_line=2 * MB):
            pass
    resp.release_conn()
    resp = pool.request("GET", f"{hostile.url}/x", preload_content=False)
    assert len(read_body(resp, 64 * 1024, truncate=True)) == 64 * 1024
    pool.clear()


@pytest.mark.parametrize("status", [200, 502])
async def test_kubernetes_reads_stop_at_the_cap(hostile: HostileServer, tmp_path: Path,
                                                status: int) -> None:
    # 200: the source reads the list itself; 502: the client would read the error body
    # whole before raising, so its REST layer is bounded too (kube_client.BoundedRest).
    hostile.endless(status=status)
    target = TargetSettings("hostile", kubeconfig=str(kubeconfig_for(hostile.url,
                                                                        tmp_path / "kc")),
                            limits=ReadLimits(max_body_bytes=2 * MB))
    source = KubernetesSource(target, FixedClock(), request_timeout_s=3.0)
    started = time.monotonic()
    try:
        with pytest.raises(SourceError) as info:
            await source.fetch()
    finally:
        await source.aclose()
    expected = (f"Kubernetes API at {hostile.url}: answer to list deployments over 2 MB, "
                "stopped reading" if status == 200
                else "Kubernetes API error 502 on list deployments")
    assert str(info.value) == expected
    assert time.monotonic() - started < 5.0
    assert TOKEN not in str(info.value)
