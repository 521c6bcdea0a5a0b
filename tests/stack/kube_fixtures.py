"""Pytest fixtures for the Kubernetes source: an emulated API server on loopback.

Registered as a plugin in tests/conftest.py. Each test gets its own emulator
(a fresh port, the gateway's objects from kube_objects), a kubeconfig in its
temporary folder pointing at it with a fake bearer token, and sources built
from that kubeconfig exactly as the CLI builds them. Every source and the
emulator are closed at teardown, so no thread outlives its test.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from console.clock import FixedClock
from console.config.settings import TargetSettings
from console.model import ClusterReading
from console.sources.base import SourceError
from console.sources.kubernetes import KubernetesSource
from tests.stack import kube_objects
from tests.stack.kube_emulator import KubeEmulator

FAKE_TOKEN = "kubetoken-5f3c9a7e1d2b-do-not-print"
CONTEXT = "emulator-ctx"


def loaded_emulator(token: str = FAKE_TOKEN, **kwargs: Any) -> KubeEmulator:
    """An emulator holding the gateway's namespace, Deployment, pods, HPA, events and logs."""
    emu = KubeEmulator(token, **kwargs)
    for obj in kube_objects.all_objects():
        emu.put(obj)
    for pod, usage in kube_objects.pod_usage().items():
        emu.set_usage(pod, usage)
    for pod in (kube_objects.POD_OK_1, kube_objects.POD_OK_2):
        emu.set_log(pod, kube_objects.LOG_LINES)
    emu.set_log(kube_objects.POD_CRASH, kube_objects.LOG_LINES[:1],
                previous=kube_objects.PREVIOUS_LOG_LINES)
    return emu


@pytest.fixture
def kube_emulator() -> Iterator[KubeEmulator]:
    emu = loaded_emulator(bookmark_interval_s=1.0)
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def kubeconfig(kube_emulator: KubeEmulator, tmp_path: Path) -> Path:
    return kube_emulator.write_kubeconfig(tmp_path / "kubeconfig", context=CONTEXT)


@pytest.fixture
def kube_target(kubeconfig: Path) -> TargetSettings:
    return TargetSettings(name=CONTEXT, context=CONTEXT, kubeconfig=str(kubeconfig))


@pytest.fixture
def kube_clock() -> FixedClock:
    return FixedClock()  # 2026-11-26T10:00:00Z, the fixtures' "now"


SourceFactory = Callable[..., KubernetesSource]


@pytest.fixture
async def make_kube_source(
    kube_target: TargetSettings, kube_clock: FixedClock
) -> AsyncIterator[SourceFactory]:
    """Build sources (short timeouts by default); all are closed after the test."""
    made: list[KubernetesSource] = []

    def make(target: TargetSettings | None = None, **kwargs: Any) -> KubernetesSource:
        kwargs.setdefault("request_timeout_s", 1.0)
        kwargs.setdefault("watch_timeout_s", 30)
        kwargs.setdefault("backoff_max_s", 1.0)
        source = KubernetesSource(target or kube_target, kube_clock, **kwargs)
        made.append(source)
        return source

    yield make
    for source in made:
        await source.aclose()
    for source in made:
        assert source.watching == (), "a watch thread outlived its source"


@pytest.fixture
async def kube_source(make_kube_source: SourceFactory) -> KubernetesSource:
    return make_kube_source()


async def fetch_until(
    source: KubernetesSource, predicate: Callable[[ClusterReading], bool], timeout: float = 3.0
) -> ClusterReading:
    """Fetch until the reading satisfies predicate (a watch event is asynchronous).

    A fetch that fails meanwhile is retried: recovery is what is being awaited.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            reading: ClusterReading | SourceError = await source.fetch()
        except SourceError as exc:
            reading = exc
        if isinstance(reading, ClusterReading) and predicate(reading):
            return reading
        if time.monotonic() > deadline:
            raise AssertionError(f"no matching reading within {timeout} s: {reading}")
        await asyncio.sleep(0.05)


async def fetch_error(source: KubernetesSource, timeout: float = 3.0) -> str:
    """Fetch until it fails; the one-line SourceError message."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            await source.fetch()
        except SourceError as exc:
            return str(exc)
        if time.monotonic() > deadline:
            raise AssertionError(f"fetch kept succeeding for {timeout} s")
        await asyncio.sleep(0.05)


def free_port() -> int:
    """A loopback port with nothing listening on it (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
