"""pytest fixtures of the real stack (registered in tests/conftest.py as a plugin).

`gateway_stack` starts once per session: the seed exporter (4 models, job
"ai-gateway", plus one dead target so `up` has a 0), a 400-model exporter under
other metric names (job "ai-gateway-bench", read through profile overrides, so
its series never mix with the seed's), Prometheus and Alertmanager. Sharing it
keeps the suite fast; tests that need faults put a `FaultServer` in front of it
instead of disturbing it.

Without the binaries the stack tests skip with the install command, except
under CI (CI=true), where a missing binary is a failure.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.stack.faults import FaultServer
from tests.stack.gateway_exporter import GatewayExporter, many_models, seed_models
from tests.stack.prometheus_stack import (
    MissingBinary,
    PrometheusStack,
    ScrapeJob,
    find_binaries,
    free_port,
    running_under_ci,
)

SEED_JOB = "ai-gateway"
BENCH_JOB = "ai-gateway-bench"
BENCH_NAMESPACE = "bench_gateway"
BENCH_MODELS = 400
BENCH_IDLE = 4


@dataclass
class GatewayStack:
    exporter: GatewayExporter
    bench: GatewayExporter
    prometheus: PrometheusStack
    dead_target: str

    @property
    def prometheus_url(self) -> str:
        return self.prometheus.prometheus_url

    @property
    def alertmanager_url(self) -> str:
        url = self.prometheus.alertmanager_url
        assert url is not None
        return url

    @staticmethod
    def bench_overrides() -> dict[str, str]:
        """`[metrics]` overrides that point the seed profile at the 400-model exporter."""
        ns = BENCH_NAMESPACE
        return {
            "requests": f"{ns}_requests_total",
            "errors": f"{ns}_errors_total",
            "duration": f"{ns}_request_duration_seconds",
            "tokens": f"{ns}_tokens_total",
            "ttft": f"{ns}_time_to_first_token_seconds",
            "up_job": BENCH_JOB,
        }


def require_binaries() -> None:
    """Skip (or fail under CI) when Prometheus/Alertmanager are not installed."""
    try:
        find_binaries()
    except MissingBinary as exc:
        if running_under_ci():
            pytest.fail(f"CI needs the real stack: {exc}")
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def gateway_stack() -> Iterator[GatewayStack]:
    require_binaries()
    exporter = GatewayExporter(seed_models()).start()
    bench = GatewayExporter(many_models(BENCH_MODELS, idle=BENCH_IDLE),
                            namespace=BENCH_NAMESPACE).start()
    dead = f"127.0.0.1:{free_port()}"
    stack = PrometheusStack(
        [ScrapeJob(SEED_JOB, [exporter.target, dead]), ScrapeJob(BENCH_JOB, [bench.target])]
    )
    try:
        stack.start()
        stack.wait_for_samples(SEED_JOB, samples=3)
        stack.wait_for_samples(BENCH_JOB, samples=3)
        yield GatewayStack(exporter, bench, stack, dead)
    finally:
        stack.stop()
        bench.stop()
        exporter.stop()


@pytest.fixture
def fault_proxy(gateway_stack: GatewayStack) -> Iterator[FaultServer]:
    """A FaultServer forwarding to the session's Prometheus; faults are switched per test."""
    with FaultServer(gateway_stack.prometheus_url) as server:
        yield server


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    """A FaultServer with no upstream, for faults that need no real Prometheus."""
    with FaultServer() as server:
        yield server


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 (cert, key), made with the openssl CLI."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl CLI not installed")
    folder: Path = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=30,
    )
    return str(cert), str(key)
