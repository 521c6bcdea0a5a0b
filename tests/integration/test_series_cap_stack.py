"""The series cap against a real Prometheus scraping a gateway of 5,000 models.

With `max_series = 1000` the models panel says "5,000 series, showing the busiest 1,000",
the table holds exactly the 1,000 busiest models (checked against Prometheus' own
`topk`), and the refreshes after the first ask Prometheus for those only. Only the console's
settings, App and sources are used, so this runs as is against a checkout without the cap
(where it fails: 5,000 rows, no such title).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, start_wsgi_server
from prometheus_client.core import CounterMetricFamily, Metric
from textual.pilot import Pilot

from console.actions.audit import AuditLog
from console.actions.runner import ActionRunner
from console.app import GatewayConsole
from console.clock import system_clock
from console.config.settings import build_settings
from console.sources import build_source_set
from tests.app_harness import pilot_until
from tests.stack.fixtures import require_binaries
from tests.stack.prometheus_stack import PrometheusStack, ScrapeJob
from widgets.keyed_table import KeyedTable

MODELS = 5000
CAP = 1000
JOB = "capped-gateway"


class ManyModels:
    """`capped_requests_total` for MODELS models, model i at (i + 1) requests per second."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.registry = CollectorRegistry()
        self.registry.register(self)
        self.port = 0
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def collect(self) -> Iterable[Metric]:
        elapsed = time.monotonic() - self.started + 100.0
        family = CounterMetricFamily("capped_requests", "Requests.", labels=("provider", "model"))
        for i in range(MODELS):
            family.add_metric(("cap", f"model-{i:04d}"), (i + 1) * elapsed)
        yield family

    def __enter__(self) -> ManyModels:
        self._server, self._thread = start_wsgi_server(0, addr="127.0.0.1",
                                                       registry=self.registry)
        self.port = int(self._server.server_port)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)


@pytest.fixture(scope="module")
def prometheus_of_many() -> Iterator[PrometheusStack]:
    require_binaries()
    with ManyModels() as exporter:
        stack = PrometheusStack([ScrapeJob(JOB, [f"127.0.0.1:{exporter.port}"])],
                                rules="groups: []\n", with_alertmanager=False)
        with stack:
            stack.wait_for_samples(JOB, samples=3)
            yield stack


async def until(pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    await pilot_until(pilot, predicate, timeout, step=0.1)


async def test_the_title_says_how_many_and_the_table_holds_the_busiest(
        prometheus_of_many: PrometheusStack, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        "max_series = 1000\n"
        '[metrics]\nrequests = "capped_requests_total"\nerrors = ""\ntokens = ""\nttft = ""\n'
        f'duration = "capped_request_duration_seconds"\nup_job = "{JOB}"\n')
    flags: dict[str, Any] = {"prometheus_url": prometheus_of_many.prometheus_url,
                             "config": str(config), "window": "1m", "refresh": "1s",
                             "kubeconfig": str(tmp_path / "none")}
    settings = build_settings(flags, env={"HOME": str(tmp_path)})
    sources = build_source_set(settings, settings.target, system_clock)
    runner = ActionRunner(settings.target, sources, AuditLog(tmp_path / "audit.jsonl",
                                                             system_clock),
                          read_only=True, user="tester")
    app = GatewayConsole(settings, sources, runner, system_clock, export_dir=tmp_path)
    busiest = {
        row["metric"]["model"] for row in prometheus_of_many.query(
            f"topk({CAP}, sum by (provider, model) (rate(capped_requests_total[1m])))")
    }
    assert busiest == {f"model-{i:04d}" for i in range(MODELS - CAP, MODELS)}
    async with app.run_test(size=(120, 40)) as pilot:
        models = app.query_one("#models", KeyedTable)
        await until(pilot, lambda: app.polls["prometheus"] >= 3)
        assert models.border_subtitle == f"{MODELS:,} series, showing the busiest {CAP:,}"
        reading = app.latest.metrics
        assert reading is not None
        assert {m.model for m in reading.models} == busiest
        assert models.row_count == CAP
        assert app.sources.metrics.narrowing  # type: ignore[attr-defined]
