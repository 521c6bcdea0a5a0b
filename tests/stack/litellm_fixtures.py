"""pytest fixture of the real LiteLLM stack: fake upstream, proxy, Prometheus, a known load.

`litellm_run` starts once per test module (a fixture imported into two modules
is two fixtures anyway, and the proxy scraped every second costs 6 % of a core,
measured, that the rest of the suite can use): `FakeOpenAI`, the pinned LiteLLM
proxy in front of it, a real Prometheus scraping `/metrics/` every second with the
master key (job "litellm", the name LiteLLM's own prometheus.yml uses), then
sends `warm_up_mix()` then `standard_mix()` (both in `load`) and waits until
Prometheus holds every request of them. Meanwhile the offline probe starts a
second proxy in a network namespace of its own (`offline`).
`at` is an instant after that: query there and the counters are final.

Skips (fails under CI) without the Prometheus binary or the LiteLLM venv.
Import it into a test module (`from tests.stack.litellm_fixtures import
litellm_run`) or list this module in conftest's pytest_plugins.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.stack import litellm_venv
from tests.stack.fake_openai import FakeOpenAI
from tests.stack.fixtures import require_binaries
from tests.stack.litellm_load import Load, send_mix, standard_mix, warm_up_mix
from tests.stack.litellm_stack import DEPLOYMENTS, LiteLLMProxy
from tests.stack.offline_probe import probe_offline
from tests.stack.prometheus_stack import PrometheusStack, running_under_ci, wait_until

JOB = "litellm"
CHAT_ROUTE = "/v1/chat/completions"
NO_RULES = "groups: []\n"


@dataclass
class LiteLLMRun:
    upstream: FakeOpenAI
    proxy: LiteLLMProxy
    prometheus: PrometheusStack
    load: Load
    at: float
    """An instant when Prometheus had scraped the proxy after the whole load."""
    offline: Future[dict[str, Any]]
    """The offline probe's result (tests/stack/offline_probe.py), run meanwhile."""

    def query(self, promql: str) -> list[dict[str, Any]]:
        return self.prometheus.query(promql, at=self.at)

    def by(self, promql: str, *labels: str) -> dict[tuple[str, ...], float]:
        """Instant query result keyed by the values of `labels`."""
        return {tuple(r["metric"].get(k, "") for k in labels): float(r["value"][1])
                for r in self.query(promql)}


def require_litellm() -> Path:
    """Build the LiteLLM venv on first use; skip (fail under CI) when that fails."""
    try:
        return litellm_venv.ensure()
    except (litellm_venv.LiteLLMUnavailable, OSError) as exc:
        if running_under_ci():
            pytest.fail(f"CI needs the LiteLLM proxy: {exc}")
        pytest.skip(f"LiteLLM proxy not installed: {exc}")


def _scraped_everything(stack: PrometheusStack, load: Load) -> bool:
    """Every request, latency observation and output token of `load` is in Prometheus."""
    ok = [s for s in load.sent if s.ok]
    wanted = {
        f'litellm_proxy_total_requests_metric_total{{route="{CHAT_ROUTE}"}}': len(load.sent),
        "litellm_llm_api_latency_metric_count": len(ok),
        "litellm_output_tokens_metric_total": sum(s.reply.completion_tokens for s in ok),
    }
    for series, count in wanted.items():
        rows = stack.query(f"sum({series})")
        if not rows or float(rows[0]["value"][1]) < count:
            return False
    return True


@pytest.fixture(scope="module")
def litellm_run() -> Iterator[LiteLLMRun]:
    require_binaries()
    exe = require_litellm()
    background = ThreadPoolExecutor(max_workers=1)
    offline = background.submit(probe_offline, exe)  # its own proxy, in parallel: ~20 s saved
    upstream = FakeOpenAI(tuple(d.deployment for d in DEPLOYMENTS)).start()
    proxy = LiteLLMProxy(upstream.base_url, executable=exe)
    stack: PrometheusStack | None = None
    try:
        proxy.start()
        stack = PrometheusStack([proxy.scrape_job(JOB)], rules=NO_RULES,
                                with_alertmanager=False).start()
        stack.wait_for_samples(JOB, samples=2)
        load = send_mix(proxy.url, proxy.master_key, warm_up_mix(), concurrency=4)
        load += send_mix(proxy.url, proxy.master_key, standard_mix())
        wait_until(lambda: _scraped_everything(stack, load), 30,
                   "Prometheus to scrape the whole load")
        yield LiteLLMRun(upstream, proxy, stack, load, time.time(), offline)
    finally:
        if stack is not None:
            stack.stop()
        proxy.stop()
        upstream.stop()
        background.shutdown(wait=True)
