"""Source-level figures against the real stack: queries, API requests, concurrency.

- PromQL queries per refresh with 4 and with 400 models, counted three ways:
  the source's own `queries_per_refresh`, its `requests_sent`, and the requests
  a FaultServer in front of Prometheus saw. They must be equal for 4 and 400.
- Kubernetes API requests per minute at steady state against the emulator, on
  time scaled down 20 x (as tests/integration/test_kubernetes_watch.py does): a 6 s watch
  period stands for the real 120 s, a 0.75 s metrics poll for 15 s, so 6 s of
  fetching every 0.1 s stands for 2 minutes of refreshes every 2 s.
- Concurrency: with every Prometheus answer 300 ms late, one refresh (all
  queries at once) against the slowest single query; and the live console
  (in process, refresh 1 s) counting cluster polls during those slow polls.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

from console.clock import system_clock
from console.config.settings import HttpEndpoint, Settings, TargetSettings
from console.sources.kubernetes import KubernetesSource
from console.sources.prometheus import PrometheusSource
from tests.perf.stack import BenchStack, overrides
from tests.stack.fault_proxy import CONTEXT, build_app
from tests.stack.faults import FaultServer
from tests.stack.prometheus_stack import http_get

WINDOW_S = 300.0


def _source(url: str, models: int = 4) -> PrometheusSource:
    settings = Settings(targets=(TargetSettings("perf"),), metrics_overrides=overrides(models))
    return PrometheusSource(HttpEndpoint(url, timeout_s=5.0), settings, system_clock)


@dataclass
class Queries:
    per_refresh: dict[int, tuple[int, int, int]]
    """models -> (queries_per_refresh, requests_sent, requests seen by the proxy)."""
    models_seen: dict[int, int]


async def queries_per_refresh(stack: BenchStack) -> Queries:
    counts: dict[int, tuple[int, int, int]] = {}
    seen: dict[int, int] = {}
    with FaultServer(stack.prometheus_url) as proxy:
        for models in (4, 400):
            source = _source(proxy.url, models)
            await source.fetch(WINDOW_S)  # the first one also asks about recording rules
            sent0, proxied0 = source.requests_sent, len(proxy.queries())
            reading = await source.fetch(WINDOW_S)
            counts[models] = (source.queries_per_refresh, source.requests_sent - sent0,
                              len(proxy.queries()) - proxied0)
            seen[models] = len(reading.models)
            await source.aclose()
    return Queries(counts, seen)


async def kube_requests_per_minute(stack: BenchStack, scale: float = 20.0
                                   ) -> tuple[float, dict[str, int]]:
    """Requests per (real) minute at steady state, measured on time scaled down `scale` x."""
    target = TargetSettings(CONTEXT, context=CONTEXT, kubeconfig=str(stack.folder / "kubeconfig"))
    source = KubernetesSource(target, system_clock, watch_timeout_s=int(120 / scale),
                              metrics_interval_s=15.0 / scale)
    try:
        await source.fetch()
        await asyncio.sleep(0.5)
        start, before = source.requests_made, source.request_counts()
        period = 120.0 / scale  # one watch period: stands for 2 real minutes
        t0 = time.monotonic()
        while time.monotonic() - t0 < period:
            await source.fetch()
            await asyncio.sleep(2.0 / scale)
        elapsed = time.monotonic() - t0
        after = source.request_counts()
        sent = source.requests_made - start
    finally:
        await source.aclose()
    by_op = {op: n - before.get(op, 0) for op, n in after.items() if n - before.get(op, 0)}
    return sent / (elapsed * scale / 60.0), by_op


@dataclass
class Concurrency:
    refresh_s: list[float]
    slowest_query_s: list[float]
    queries: int
    cluster_polls: int
    metrics_polls: int
    window_s: float
    refresh_every_s: float

    @property
    def ratio(self) -> float:
        return statistics.median(self.refresh_s) / statistics.median(self.slowest_query_s)


async def concurrency(stack: BenchStack, delay_s: float = 0.3, runs: int = 5,
                      window_s: float = 10.0) -> Concurrency:
    refresh, slowest = [], []
    with FaultServer(stack.prometheus_url) as proxy:
        proxy.delay(delay_s)
        source = _source(proxy.url)
        await source.fetch(WINDOW_S)
        for _ in range(runs):
            n0 = len(proxy.queries())
            t0 = time.perf_counter()
            await source.fetch(WINDOW_S)
            refresh.append(time.perf_counter() - t0)
            # The same queries again, one at a time: the slowest is the floor for a refresh.
            sent = list(proxy.queries())[n0:]
            singles = []
            for q in sent:
                url = f"{proxy.url}{q.path}?{urllib.parse.urlencode(q.query, doseq=True)}"
                t1 = time.perf_counter()
                status, _ = await asyncio.to_thread(http_get, url, 5.0)
                singles.append(time.perf_counter() - t1)
                assert status == 200, status
            slowest.append(max(singles))
        queries = source.queries_per_refresh
        await source.aclose()

        # The live console on this slow Prometheus: do the cluster panels keep their pace?
        every = 1.0
        with TemporaryDirectory() as tmp:
            app = build_app({"prometheus": proxy.url, "alertmanager": stack.alertmanager_url,
                             "kubernetes": stack.kube_url}, Path(tmp), refresh=f"{every:g}s",
                            timeout="3s", window="5m")
            async with app.run_test(size=(120, 40)) as pilot:
                deadline = time.monotonic() + 20
                while min(app.polls.values()) < 1 and time.monotonic() < deadline:
                    await pilot.pause(0.05)
                p0, c0 = app.polls["prometheus"], app.polls["kubernetes"]
                await pilot.pause(window_s)
                metrics_polls = app.polls["prometheus"] - p0
                cluster_polls = app.polls["kubernetes"] - c0
    return Concurrency(refresh, slowest, queries, cluster_polls, metrics_polls, window_s, every)
