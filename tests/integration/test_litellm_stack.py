"""What the real LiteLLM proxy (1.108.7, from PyPI) exports, pinned against a known load.

A real Prometheus scrapes the real proxy, which calls our fake upstream; every
figure below is PromQL at one instant after the load, held against what the
load generator sent (`litellm_run.load`), never against the mix it was asked
for. These are the ground truth the console's LiteLLM profile is held to.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx
import pytest

from console.clock import FixedClock
from console.config.types import HttpEndpoint, Settings, TargetSettings
from console.model import MetricsReading
from console.sources.prometheus import PrometheusSource
from console.text.durations import parse_duration
from tests.stack.litellm_fixtures import CHAT_ROUTE, JOB, LiteLLMRun, litellm_run
from tests.stack.litellm_load import ERROR_STATUSES
from tests.stack.litellm_stack import DEPLOYMENTS, deployment
from tests.stack.offline_probe import CANARY_HOST, ProbeUnavailable, probe_offline
from tests.stack.prometheus_stack import StackError, wait_until

pytestmark = pytest.mark.stack
__all__ = ["litellm_run"]

PUBLIC = sorted(d.public for d in DEPLOYMENTS)
CHAT = f'route="{CHAT_ROUTE}"'
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0,
                   120.0, 300.0, 420.0, 600.0)
"""litellm/types/integrations/prometheus.py LATENCY_BUCKETS (1.108.7), +Inf left out."""
EXCEPTION_CLASS = {400: "Openai.BadRequestError", 401: "Openai.AuthenticationError",
                   429: "Openai.RateLimitError", 503: "Openai.ServiceUnavailableError"}


def _le(bound: float) -> str:
    return f"{bound:g}" if bound < 1 or bound != int(bound) else f"{bound:.1f}"


def test_each_request_reached_the_upstream_once_and_its_status_came_back(
        litellm_run: LiteLLMRun) -> None:
    load = litellm_run.load
    by_deployment = {d.public: d.deployment for d in DEPLOYMENTS}
    sent = Counter((by_deployment[s.model], s.reply.status, s.stream) for s in load.sent)
    assert litellm_run.upstream.counts() == sent
    assert [s for s in load.sent if s.received != s.reply.status] == []
    assert {r.authorization for r in litellm_run.upstream.received()} == {
        "Bearer sk-fake-upstream"}


def test_requests_are_counted_per_public_name_and_status_code(litellm_run: LiteLLMRun) -> None:
    got = litellm_run.by(
        "sum by (requested_model, status_code)"
        f" (litellm_proxy_total_requests_metric_total{{{CHAT}}})",
        "requested_model", "status_code")
    want = Counter((s.model, str(s.reply.status)) for s in litellm_run.load.sent)
    assert got == {k: float(v) for k, v in want.items()}


def test_the_request_counters_have_no_model_label(litellm_run: LiteLLMRun) -> None:
    for metric in ("litellm_proxy_total_requests_metric_total",
                   "litellm_proxy_failed_requests_metric_total"):
        rows = litellm_run.query(f'{metric}{{{CHAT}}}')
        assert rows, metric
        assert {"model", "model_group"} & set().union(*(r["metric"] for r in rows)) == set()
        assert {r["metric"]["api_provider"] for r in rows} == {"openai"}


def test_failures_carry_the_upstream_status_as_exception_status(litellm_run: LiteLLMRun) -> None:
    load = litellm_run.load
    got = litellm_run.by(
        "sum by (requested_model, exception_status, exception_class)"
        f" (litellm_proxy_failed_requests_metric_total{{{CHAT}}})",
        "requested_model", "exception_status", "exception_class")
    want = Counter((s.model, str(s.reply.status), EXCEPTION_CLASS[s.reply.status])
                   for s in load.sent if not s.ok)
    assert got == {k: float(v) for k, v in want.items()}
    assert {k[1] for k in got} == {str(s) for s in ERROR_STATUSES}
    # A model with no failure has no failed series at all: its error ratio needs `or 0`.
    assert load.count("deepseek-v3.2") > 0 and not any(k[0] == "deepseek-v3.2" for k in got)
    no_code = litellm_run.query('litellm_proxy_failed_requests_metric_total{status_code!=""}')
    assert no_code == []


def test_request_rate_over_the_load_matches_what_was_sent(litellm_run: LiteLLMRun) -> None:
    """rate() extrapolates and misses what came before a series' first scrape: 35 % slack."""
    load = litellm_run.load
    window = math.ceil(litellm_run.at - load.started) + 5
    counter = f"litellm_proxy_total_requests_metric_total{{{CHAT}}}"
    got = litellm_run.by(f"sum by (requested_model) (increase({counter}[{window}s]))",
                         "requested_model")
    for model in PUBLIC:
        assert 0.65 * load.count(model) <= got[(model,)] <= 1.35 * load.count(model), model


MEAN_OVERHEAD_S = 0.5
"""The proxy's mean overhead per observation (0.03-0.28 s measured at load average 5 on
2 cores; single requests took up to 2.4 s more): observations are never earlier than the
upstream's answer, and on average at most this much later."""


def _assert_buckets(got: dict[tuple[str, ...], float], model: str,
                    latencies: list[float]) -> None:
    """No observation below what was sent (a hard bound), every one of them counted."""
    for bound in LATENCY_BUCKETS:
        most = sum(1 for x in latencies if x <= bound)
        assert got[(model, _le(bound))] <= most, (model, bound, got[(model, _le(bound))])
    assert got[(model, "+Inf")] == len(latencies), model


def test_llm_api_latency_holds_successes_only_with_deployment_and_public_names(
        litellm_run: LiteLLMRun) -> None:
    rows = litellm_run.query("litellm_llm_api_latency_metric_count")
    assert {(r["metric"]["requested_model"], r["metric"]["model_group"], r["metric"]["model"])
            for r in rows} == {(d.public, d.public, d.deployment) for d in DEPLOYMENTS}
    got = litellm_run.by("sum by (requested_model, le) (litellm_llm_api_latency_metric_bucket)",
                         "requested_model", "le")
    sums = litellm_run.by("sum by (requested_model) (litellm_llm_api_latency_metric_sum)",
                          "requested_model")
    for model in PUBLIC:
        latencies = [s.reply.latency_s for s in litellm_run.load.of(model, status=200)]
        _assert_buckets(got, model, latencies)
        sent = sum(latencies)
        assert sent <= sums[(model,)] <= sent + MEAN_OVERHEAD_S * len(latencies), model


def test_median_latency_is_in_seconds_near_the_sent_median(litellm_run: LiteLLMRun) -> None:
    """histogram_quantile over the end-to-end histogram: seconds, not milliseconds."""
    got = litellm_run.by("histogram_quantile(0.5, sum by (requested_model, le)"
                         " (rate(litellm_request_total_latency_metric_bucket[10m])))",
                         "requested_model")
    for model in PUBLIC:
        latencies = sorted(s.reply.latency_s for s in litellm_run.load.of(model, status=200))
        median = latencies[len(latencies) // 2]
        lower = max(b for b in LATENCY_BUCKETS if b < median)
        upper = min(b for b in LATENCY_BUCKETS if b >= median + MEAN_OVERHEAD_S)
        assert lower < got[(model,)] <= upper, model


def test_time_to_first_token_is_recorded_for_streams_only(litellm_run: LiteLLMRun) -> None:
    got = litellm_run.by("sum by (requested_model, le)"
                         " (litellm_llm_api_time_to_first_token_metric_bucket)",
                         "requested_model", "le")
    for model in PUBLIC:
        ttfts = [s.reply.ttft_s for s in litellm_run.load.of(model, status=200, stream=True)]
        assert ttfts and litellm_run.load.count(model, status=200, stream=False) > 0
        _assert_buckets(got, model, ttfts)


def test_tokens_are_one_counter_per_direction(litellm_run: LiteLLMRun) -> None:
    load = litellm_run.load
    for direction in ("input", "output"):
        got = litellm_run.by(f"sum by (requested_model, model)"
                             f" (litellm_{direction}_tokens_metric_total)",
                             "requested_model", "model")
        assert got == {(m, deployment(m).deployment): float(load.tokens(m, direction))
                       for m in PUBLIC}, direction
    total = litellm_run.by("sum by (requested_model) (litellm_total_tokens_metric_total)",
                           "requested_model")
    assert total == {(m,): float(load.tokens(m, "input") + load.tokens(m, "output"))
                     for m in PUBLIC}


def test_spend_is_exported_from_the_configured_prices(litellm_run: LiteLLMRun) -> None:
    got = litellm_run.by("sum by (requested_model) (litellm_spend_metric_total)",
                         "requested_model")
    for model in PUBLIC:
        want = sum(deployment(model).cost_usd(s.reply.prompt_tokens, s.reply.completion_tokens)
                   for s in litellm_run.load.of(model, status=200))
        assert got[(model,)] == pytest.approx(want, rel=1e-9), model


def test_metrics_want_the_master_key_and_live_under_metrics_slash(
        litellm_run: LiteLLMRun) -> None:
    proxy = litellm_run.proxy
    assert proxy.metrics_text(key="sk-not-the-master-key")[0] != 200
    with httpx.Client(base_url=proxy.url, trust_env=False, timeout=10) as client:
        assert client.get("/metrics/").status_code == 401
        moved = client.get("/metrics", headers={"Authorization": f"Bearer {proxy.master_key}"})
    assert (moved.status_code, moved.headers["location"]) == (307, f"{proxy.url}/metrics/")
    status, text = proxy.metrics_text()
    assert status == 200 and "litellm_proxy_total_requests_metric_total{" in text
    up = litellm_run.query(f'up{{job="{JOB}"}}')
    assert [float(r["value"][1]) for r in up] == [1.0]


def test_a_refused_scrape_and_an_unknown_model_count_as_failed_requests(
        litellm_run: LiteLLMRun) -> None:
    proxy = litellm_run.proxy
    with httpx.Client(base_url=proxy.url, trust_env=False, timeout=10) as client:
        assert client.get("/metrics/").status_code == 401
        bad = client.post("/v1/chat/completions", json={
            "model": "no-such-model", "messages": [{"role": "user", "content": "hi"}]},
            headers={"Authorization": f"Bearer {proxy.master_key}"})
    assert bad.status_code == 400
    text = ""

    def recorded() -> bool:  # failure callbacks run after the answer: poll, bounded
        nonlocal text
        text = proxy.metrics_text()[1]
        return "ProxyModelNotFoundError" in text and 'route="/metrics/"' in text

    with contextlib.suppress(StackError):
        wait_until(recorded, 15, "the failed requests in /metrics/")
    failed = [ln for ln in text.splitlines()
              if ln.startswith("litellm_proxy_failed_requests_metric_total{")]
    scrapes = [ln for ln in failed if 'route="/metrics/"' in ln]
    assert scrapes and all('requested_model=""' in ln and 'api_provider="None"' in ln
                           for ln in scrapes)
    # No key: exception_status "None"; a wrong key (no database to look it up): "400".
    assert {ln.split('exception_status="')[1].split('"')[0] for ln in scrapes} <= {"None", "400"}
    assert any('exception_class="Exception",exception_status="None"' in ln for ln in scrapes)
    unknown = [ln for ln in failed if 'exception_class="ProxyModelNotFoundError"' in ln]
    assert unknown and all('requested_model="other"' in ln and 'api_provider="None"' in ln
                           and 'exception_status="400"' in ln for ln in unknown)
    # The proxy counters bound the label to "other"; the deprecated
    # litellm_llm_api_failed_requests_metric keeps the client's string in `model`.
    raw = {ln.split("{")[0] for ln in text.splitlines() if '"no-such-model"' in ln}
    assert raw == {"litellm_llm_api_failed_requests_metric_total",
                   "litellm_llm_api_failed_requests_metric_created"}


def test_the_proxy_starts_and_answers_with_no_network(litellm_run: LiteLLMRun) -> None:
    """In a network namespace with loopback only; DNS questions are caught, none may come."""
    try:
        result = litellm_run.offline.result(timeout=240)
    except ProbeUnavailable as exc:
        pytest.skip(str(exc))
    assert (result["chat"], result["stream"], result["metrics"]) == (200, 200, 200)
    assert result["dns_questions"] == []


def test_the_offline_probe_catches_a_lookup(litellm_run: LiteLLMRun) -> None:
    """The probe above would see a leak: its canary lookup is caught (no proxy started)."""
    try:
        result = probe_offline(Path(litellm_run.proxy.executable or "litellm"), canary=True)
    except ProbeUnavailable as exc:
        pytest.skip(str(exc))
    assert result["dns_questions"] == [CANARY_HOST]


# --------------------------------------------------------------------------------------------
# The console's figures with --profile litellm, on the same run (issue 14)

FAILED = "litellm_proxy_failed_requests_metric_total"
TOTAL = "litellm_proxy_total_requests_metric_total"


async def _console_reading(run: LiteLLMRun, window: str) -> MetricsReading:
    """The console's source with the litellm profile, evaluated at `run.at` exactly."""
    settings = Settings(targets=(TargetSettings("litellm"),), profile="litellm",
                        window_s=parse_duration(window))
    source = PrometheusSource(HttpEndpoint(run.prometheus.prometheus_url, timeout_s=10.0),
                              settings, FixedClock(run.at))
    try:
        return await source.fetch(settings.window_s)
    finally:
        await source.aclose()


def _window(run: LiteLLMRun) -> str:
    """The whole load fits in it, so nothing of it has left the window at `run.at`."""
    return f"{math.ceil(run.at - run.load.started) + 30}s"


async def test_console_shows_one_row_per_public_model_with_promqls_figures(
        litellm_run: LiteLLMRun) -> None:
    """Each figure equals PromQL written from the facts (route filter, not the console's
    matchers) at the same instant; no "None / —" row of refused scrapes or unknown models."""
    w = _window(litellm_run)
    reading = await _console_reading(litellm_run, w)
    rows = {m.model: m for m in reading.models}
    assert sorted(rows) == PUBLIC
    assert {m.provider for m in reading.models} == {"openai"}

    def promql(expr: str) -> dict[str, float]:
        return {k[0]: v for k, v in litellm_run.by(expr, "requested_model").items()}

    by = "sum by (requested_model)"
    rate = promql(f"{by} (rate({TOTAL}{{{CHAT}}}[{w}]))")
    failed = promql(f"{by} (rate({FAILED}{{{CHAT}}}[{w}]))")
    p95 = promql(f"histogram_quantile(0.95, sum by (requested_model, le)"
                 f" (rate(litellm_request_total_latency_metric_bucket[{w}])))")
    ttft = promql(f"histogram_quantile(0.95, sum by (requested_model, le)"
                  f" (rate(litellm_llm_api_time_to_first_token_metric_bucket[{w}])))")
    out = promql(f"{by} (rate(litellm_output_tokens_metric_total[{w}]))")
    tokens_in = promql(f"{by} (rate(litellm_input_tokens_metric_total[{w}]))")
    spend = promql(f"{by} (rate(litellm_spend_metric_total[{w}])) * 3600")
    for model, m in rows.items():
        assert m.request_rate == pytest.approx(rate[model], rel=1e-9), model
        assert m.error_ratio == pytest.approx(failed.get(model, 0.0) / rate[model], rel=1e-9)
        assert m.p95_latency_s == pytest.approx(p95[model], rel=1e-9), model
        assert m.ttft_p95_s == pytest.approx(ttft[model], rel=1e-9), model
        assert m.output_tokens_per_s == pytest.approx(out[model], rel=1e-9), model
        assert m.input_tokens_per_s == pytest.approx(tokens_in[model], rel=1e-9), model
        # The gateway's own spend, not the price table (whose prices differ from the deployments').
        assert m.cost_per_hour_usd == pytest.approx(spend[model], rel=1e-9), model
        assert m.not_recorded == {}
    assert rows["deepseek-v3.2"].error_ratio == 0.0  # no failed series at all, yet known


async def test_console_errors_by_code_and_type_are_what_the_upstream_returned(
        litellm_run: LiteLLMRun) -> None:
    w = _window(litellm_run)
    reading = await _console_reading(litellm_run, w)
    codes = litellm_run.by(f"sum by (requested_model, exception_status)"
                           f" (rate({FAILED}{{{CHAT}}}[{w}]))",
                           "requested_model", "exception_status")
    for m in reading.models:
        sent = Counter(s.reply.status for s in litellm_run.load.of(m.model) if not s.ok)
        assert set(m.errors_by_code) == {str(code) for code in sent}, m.model
        assert set(m.errors_by_type) == {EXCEPTION_CLASS[code] for code in sent}, m.model
        for code, value in m.errors_by_code.items():
            assert value == pytest.approx(codes[(m.model, code)], rel=1e-9)
        # Every error is one code and one type: both breakdowns add up to the error rate.
        # (A series born at 1 and never increased has a rate of 0: gemini's one error per
        # code reads 0/s, in PromQL as in the console; LiteLLM does not pre-create series.)
        assert m.error_ratio is not None and m.request_rate is not None
        assert math.fsum(m.errors_by_code.values()) == pytest.approx(
            math.fsum(m.errors_by_type.values()), rel=1e-9, abs=1e-12)
        assert math.fsum(m.errors_by_code.values()) == pytest.approx(
            m.error_ratio * m.request_rate, rel=1e-9, abs=1e-12)


def test_snapshot_with_no_profile_detects_litellm(litellm_run: LiteLLMRun,
                                                  tmp_path: Path) -> None:
    """`snapshot --format json` with no --profile (auto): the real proxy's Prometheus says
    litellm, one row per public model name, each figure known."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AI_GATEWAY_CONSOLE_")}
    env |= {"XDG_CONFIG_HOME": str(tmp_path), "KUBECONFIG": str(tmp_path / "none")}
    done = subprocess.run([sys.executable, "-m", "console", "snapshot", "--format", "json",
                           "--prometheus-url", litellm_run.prometheus.prometheus_url,
                           "--window", "10m"], capture_output=True, text=True, env=env,
                          timeout=60, check=False)
    assert "Traceback" not in done.stderr
    data = json.loads(done.stdout)
    assert data["profile"] == "litellm" and data["sources"]["prometheus"]["ok"]
    assert [m["model"] for m in data["models"]] == PUBLIC
    for m in data["models"]:
        known = ("request_rate", "error_ratio", "p95_latency_s", "ttft_p95_s",
                 "output_tokens_per_s", "cost_per_hour_usd")
        assert all(m[k] is not None for k in known), m
