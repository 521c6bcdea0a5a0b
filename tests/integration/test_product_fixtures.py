"""The product fixtures: Kong 3.9 and Envoy AI Gateway 1.1 rendered, LiteLLM 1.108.7 recorded.

Kong and Envoy cannot run here, so their exposition is rendered from their own
exporter code (tests/stack/kong_exposition.py, envoy_exposition.py). These
tests hold the renderers to the products' own test expectations, have the real
`promtool` parse every file, and serve the files through `StaticExporter` to a
real Prometheus to pin what PromQL gives on each product. The recorded LiteLLM
exposition is held against the load that produced it.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from console.clock import FixedClock
from console.config.profiles import PROFILES
from console.config.types import HttpEndpoint, Settings, TargetSettings
from console.manifests import rule_groups
from console.model import ModelFigures
from console.screens.model_detail import errors_text, figures_text
from console.sources.prometheus import PrometheusSource
from tests.stack import envoy_exposition, kong_exposition
from tests.stack.fixture_traffic import ALL_SUCCESS, MIXED, PERIOD_S, ModelTraffic
from tests.stack.litellm_load import standard_mix, warm_up_mix
from tests.stack.litellm_record import FIXTURE as LITELLM_FIXTURE
from tests.stack.prometheus_stack import PrometheusStack
from tests.stack.static_stack import static_products
from tests.stack.write_fixtures import FIXTURES, expected

KONG = FIXTURES / "kong-3.9.prom"
KONG_OK = FIXTURES / "kong-3.9-all-success.prom"
ENVOY = FIXTURES / "envoy-ai-gateway-1.1.prom"
ENVOY_OK = FIXTURES / "envoy-ai-gateway-1.1-all-success.prom"
JOBS = {"kong": KONG, "kong-all-success": KONG_OK, "envoy-gateway-pods": ENVOY,
        "envoy-all-success": ENVOY_OK}
W = "[5s]"
"""Shorter than the scraped span (8 samples): rate() then extrapolates nothing."""


def test_committed_fixtures_are_what_the_renderers_write() -> None:
    for path, text in expected().items():
        assert path.read_text() == text, f"{path.name}: python -m tests.stack.write_fixtures"


def test_kong_renderer_writes_the_lines_kongs_own_spec_expects() -> None:
    """spec/03-plugins/26-prometheus/02-access_spec.lua, "add the count for proxied AI requests"."""
    one = ModelTraffic("gpt-3.5-turbo", "gpt-3.5-turbo", ok=((0.4, 1),), prompt_tokens=25,
                       completion_tokens=12, input_usd_per_mtok=10.0, output_usd_per_mtok=10.0)
    text = kong_exposition.render([one])
    labels = ('ai_provider="openai",ai_model="gpt-3.5-turbo",cache_status="",vector_db="",'
              'embeddings_provider="",embeddings_model=""')
    ws = 'workspace="default"'
    tokens = [f'ai_llm_tokens_total{{{labels},token_type="{kind}",{ws}}} {n}'
              for kind, n in (("completion_tokens", 12), ("prompt_tokens", 25),
                              ("total_tokens", 37))]
    for line in (f"ai_llm_requests_total{{{labels},{ws}}} 1",
                 f"ai_llm_cost_total{{{labels},{ws}}} 0.00037",
                 f'ai_llm_provider_latency_ms_bucket{{{labels},{ws},le="+Inf"}} 1', *tokens):
        assert line in text


def test_envoy_renderer_writes_the_labels_of_its_data_plane_test() -> None:
    """tests/data-plane/vcr/prometheus_metrics_test.go: one chat request's label set."""
    one = ModelTraffic("gpt-5-nano", "gpt-5-nano-2025-08-07", ok=((0.5, 1),))
    families = {f.name: f for f in text_string_to_metric_families(envoy_exposition.render([one]))}
    duration = families["gen_ai_server_request_duration_seconds"].samples[-1]
    assert duration.name == "gen_ai_server_request_duration_seconds_count"
    assert duration.labels == {
        "gen_ai_operation_name": "chat", "gen_ai_provider_name": "openai",
        "gen_ai_original_model": "gpt-5-nano", "gen_ai_request_model": "gpt-5-nano",
        "gen_ai_response_model": "gpt-5-nano-2025-08-07",
        "otel_scope_name": "envoyproxy/ai-gateway", "otel_scope_schema_url": "",
        "otel_scope_version": ""}
    types = {s.labels["gen_ai_token_type"] for s in families["gen_ai_client_token_usage"].samples}
    assert types == {"input", "cached_input", "cache_creation_input", "output", "reasoning"}
    assert envoy_exposition.go_float(1048576) == "1.048576e+06"
    assert envoy_exposition.go_float(81.92) == "81.92"


def test_promtool_parses_every_fixture_and_lints_only_the_products_own_names() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool (Debian prometheus) not installed")
    lint = {}
    for path in [*JOBS.values(), LITELLM_FIXTURE]:
        done = subprocess.run([promtool, "check", "metrics"], input=path.read_bytes(),
                              capture_output=True, timeout=30)
        lint[path.name] = sorted(ln.split(" ", 1)[0]
                                 for ln in done.stderr.decode().splitlines() if ln.strip())
    kong = ["kong_ai_llm_provider_latency_ms", "kong_nginx_requests_total",
            "kong_request_latency_ms", "kong_upstream_latency_ms"]
    assert lint == {KONG.name: kong, KONG_OK.name: kong, ENVOY.name: [], ENVOY_OK.name: [],
                    LITELLM_FIXTURE.name: ["litellm_teams_count"]}


def _litellm_samples(name: str) -> list[tuple[dict[str, str], float]]:
    families = text_string_to_metric_families(LITELLM_FIXTURE.read_text())
    return [(s.labels, s.value) for f in families for s in f.samples if s.name == name]


def test_recorded_litellm_exposition_holds_the_load_that_made_it() -> None:
    mixes = [warm_up_mix(), standard_mix()]
    want: Counter[tuple[str, str]] = Counter()
    for mix in mixes:
        for model, m in mix.items():
            for reply, _ in m.requests():
                want[(model, str(reply.status))] += 1
    got: Counter[tuple[str, str]] = Counter()
    for labels, value in _litellm_samples("litellm_proxy_total_requests_metric_total"):
        if labels["route"] == "/v1/chat/completions" and labels["requested_model"] != "other":
            got[(labels["requested_model"], labels["status_code"])] += int(value)
    assert got == want
    failed = {(lb["requested_model"], lb["exception_status"], lb["api_provider"], lb["route"])
              for lb, _ in _litellm_samples("litellm_proxy_failed_requests_metric_total")}
    assert ("other", "400", "None", "/v1/chat/completions") in failed
    assert ("", "None", "None", "/metrics/") in failed
    assert all("model" not in lb for lb, _ in
               _litellm_samples("litellm_proxy_total_requests_metric_total"))


@pytest.fixture(scope="module")
def fixtures_stack() -> Iterator[PrometheusStack]:
    with static_products(JOBS, samples=8) as stack:
        yield stack


def _by(stack: PrometheusStack, promql: str, label: str) -> dict[str, float]:
    return {r["metric"].get(label, ""): float(r["value"][1]) for r in stack.query(promql)}


def _per_s(count: float) -> object:
    return pytest.approx(count / PERIOD_S, rel=0.03)


@pytest.mark.stack
def test_kong_request_rate_counts_upstream_errors_too(fixtures_stack: PrometheusStack) -> None:
    got = _by(fixtures_stack, "sum by (ai_model)"
              f' (rate(kong_ai_llm_requests_total{{job="kong"}}{W}))', "ai_model")
    assert got == {t.model: _per_s(t.upstream_requests) for t in MIXED}


@pytest.mark.stack
def test_kong_ai_metrics_have_no_status_so_a_status_regex_says_100_percent(
        fixtures_stack: PrometheusStack) -> None:
    """The trap of issue 14: `status!~"2.."` matches every series, even with no error at all."""
    labelled = fixtures_stack.query('{__name__=~"kong_ai_llm_.+", status!=""}'
                                    ' or {__name__=~"kong_ai_llm_.+", code!=""}')
    assert labelled == []
    ratio = _by(fixtures_stack, 'sum(rate(kong_ai_llm_requests_total{job="kong-all-success",'
                f'status!~"2.."}}{W})) / sum(rate(kong_ai_llm_requests_total'
                f'{{job="kong-all-success"}}{W}))', "")
    assert ratio == {"": 1.0}


@pytest.mark.stack
def test_kong_errors_are_only_per_route_in_http_requests(fixtures_stack: PrometheusStack) -> None:
    errors = 'kong_http_requests_total{job="%s", code!~"2.."}'
    got = _by(fixtures_stack, f"sum by (route) (rate({errors % 'kong'}{W}))", "route")
    assert got == {f"chat-{t.model}": _per_s(t.failures + t.gateway_401)
                   for t in MIXED if t.failures or t.gateway_401}
    by_source = _by(fixtures_stack, f"sum by (source) (rate({errors % 'kong'}{W}))", "source")
    assert by_source == {"kong": _per_s(6), "service": _per_s(sum(t.failures for t in MIXED))}
    assert fixtures_stack.query(f"sum(rate({errors % 'kong-all-success'}{W}))") == []


@pytest.mark.stack
def test_kong_latency_is_provider_latency_in_ms_and_cost_is_exported(
        fixtures_stack: PrometheusStack) -> None:
    assert fixtures_stack.query("kong_ai_llm_latency_ms_bucket") == []
    p95 = _by(fixtures_stack, "histogram_quantile(0.95, sum by (ai_model, le) (rate("
              f'kong_ai_llm_provider_latency_ms_bucket{{job="kong"}}{W})))', "ai_model")
    # gpt-4.1: 630 observations (successes, streams at their TTFB, upstream errors); the
    # 599th smallest is one of the 240 at 1.4 s, so the P95 is in the (1000, 1500] ms bucket.
    assert 1000 < p95["gpt-4.1"] <= 1500
    assert 3000 < p95["claude-sonnet-4.5"] <= 3500  # 285th of 300: one of the 60 at 3.1 s
    cost = _by(fixtures_stack, f'sum by (ai_model) (rate(kong_ai_llm_cost_total{{job="kong"}}{W}))',
               "ai_model")
    assert cost == {t.model: _per_s(t.successes * t.cost_usd_per_success()) for t in MIXED}


@pytest.mark.stack
def test_envoy_errors_are_duration_observations_with_error_type_other(
        fixtures_stack: PrometheusStack) -> None:
    count = 'gen_ai_server_request_duration_seconds_count{job="envoy-gateway-pods"%s}'
    failed, every = count % ', error_type!=""', count % ""
    ratio = _by(fixtures_stack, f"sum by (gen_ai_original_model) (rate({failed}{W}))"
                f" / sum by (gen_ai_original_model) (rate({every}{W}))", "gen_ai_original_model")
    assert ratio == {t.model: pytest.approx(t.failures / t.upstream_requests, rel=1e-6)
                     for t in MIXED if t.failures}
    types = {r["metric"]["error_type"] for r in fixtures_stack.query(
        'gen_ai_server_request_duration_seconds_count{error_type!=""}')}
    assert types == {"_OTHER"}
    assert fixtures_stack.query('{http_response_status_code!=""}') == []
    assert fixtures_stack.query('gen_ai_server_request_duration_seconds_count'
                                '{job="envoy-all-success", error_type!=""}') == []


@pytest.mark.stack
def test_envoy_model_labels_tokens_and_ttft(fixtures_stack: PrometheusStack) -> None:
    rows = fixtures_stack.query('gen_ai_server_request_duration_seconds_count'
                                '{job="envoy-gateway-pods", error_type=""}')
    names = {(r["metric"]["gen_ai_original_model"], r["metric"]["gen_ai_request_model"])
             for r in rows}
    assert ("deepseek-v3.2", "deepseek-chat") in names and ("gpt-4.1", "gpt-4.1") in names
    out = _by(fixtures_stack, "sum by (gen_ai_original_model) (rate(gen_ai_client_token_usage_sum"
              f'{{job="envoy-gateway-pods", gen_ai_token_type="output"}}{W}))',
              "gen_ai_original_model")
    assert out == {t.model: _per_s(t.successes * t.completion_tokens) for t in MIXED}
    ttft = _by(fixtures_stack, "sum by (gen_ai_original_model) (rate("
               f'gen_ai_server_time_to_first_token_seconds_count{{job="envoy-gateway-pods"}}{W}))',
               "gen_ai_original_model")
    assert ttft == {t.model: _per_s(t.streams) for t in MIXED if t.streams}



# --------------------------------------------------------------------------------------------
# The console's figures with the kong and envoy-ai-gateway profiles (issue 14)

WINDOW_S = 5.0


async def _reading(stack: PrometheusStack, profile: str, job: str) -> dict[str, ModelFigures]:
    """The console's source with `profile`, reading one job's series, at one instant."""
    settings = Settings(targets=(TargetSettings(job),), profile=profile, window_s=WINDOW_S)
    source = PrometheusSource(HttpEndpoint(stack.prometheus_url, timeout_s=10.0), settings,
                              FixedClock(time.time()), scope=f'job="{job}"')
    try:
        reading = await source.fetch(WINDOW_S)
    finally:
        await source.aclose()
    assert source.last_eval_time is not None
    return {m.model: m for m in reading.models}


@pytest.mark.stack
@pytest.mark.parametrize("job", ["kong", "kong-all-success"])
async def test_console_on_kong_error_ratio_is_unknown_p95_and_cost_known(
        fixtures_stack: PrometheusStack, job: str) -> None:
    rows = await _reading(fixtures_stack, "kong", job)
    assert sorted(rows) == sorted(t.model for t in MIXED)
    traffic = {t.model: t for t in (MIXED if job == "kong" else ALL_SUCCESS)}
    for model, m in rows.items():
        assert m.provider == "openai"
        assert m.error_ratio is None  # unknown: never 100 % (the old status!~"2.." trap), nor 0
        assert m.not_recorded["error_ratio"] == "not recorded by Kong"
        assert m.errors_by_code == {} and "errors_by_code" in m.not_recorded
        assert m.request_rate == _per_s(traffic[model].upstream_requests)
        assert m.cost_per_hour_usd == pytest.approx(
            traffic[model].successes * traffic[model].cost_usd_per_success() / PERIOD_S * 3600,
            rel=0.03)
        assert m.output_tokens_per_s == _per_s(traffic[model].successes
                                               * traffic[model].completion_tokens)
        assert m.ttft_p95_s is None and m.not_recorded["ttft"] == "not recorded by Kong"
    # P95 in seconds from Kong's milliseconds; the buckets as pinned above for the mixed job.
    assert 1.0 < (rows["gpt-4.1"].p95_latency_s or 0) <= 1.5
    assert 3.0 < (rows["claude-sonnet-4.5"].p95_latency_s or 0) <= 3.5


@pytest.mark.stack
async def test_console_on_envoy_errors_known_but_no_breakdown(
        fixtures_stack: PrometheusStack) -> None:
    rows = await _reading(fixtures_stack, "envoy-ai-gateway", "envoy-gateway-pods")
    assert sorted(rows) == sorted(t.model for t in MIXED)  # gen_ai_original_model
    for t in MIXED:
        m = rows[t.model]
        assert m.error_ratio == pytest.approx(t.failures / t.upstream_requests, rel=1e-6, abs=0)
        assert m.errors_by_code == {} and m.errors_by_type == {}
        assert m.not_recorded["errors_by_code"] == "not recorded by Envoy AI Gateway"
        assert m.output_tokens_per_s == _per_s(t.successes * t.completion_tokens)
        assert (m.ttft_p95_s is not None) == bool(t.streams)


@pytest.mark.stack
def test_kong_rules_evaluate_sensibly_on_the_fixture(fixtures_stack: PrometheusStack) -> None:
    """The shipped alert expressions, evaluated by the real Prometheus on Kong's data."""
    alerts = {r["alert"]: r["expr"] for g in rule_groups(PROFILES["kong"]) for r in g["rules"]
              if "alert" in r}
    assert not {"HighErrorRate", "HighErrorRatePerModel"} & set(alerts)  # no error signal
    firing = {r["metric"]["ai_model"] for r in fixtures_stack.query(
        alerts["HighLatencyPerModel"])}
    # claude-sonnet-4.5's 95th observation is one of its 60 at 3.1 s, over the 2 s threshold;
    # every other model's is at most 1.4 s (tests/stack/fixture_traffic.py).
    assert firing == {"claude-sonnet-4.5"}
    # HighLatency sums the buckets by (le, model) before the quantile: one alert per model,
    # whatever the number of Kong jobs or providers reporting it.
    per_model = [r["metric"] for r in fixtures_stack.query(alerts["HighLatency"])]
    assert per_model == [{"ai_model": "claude-sonnet-4.5"}], per_model
    assert fixtures_stack.query(alerts["UpstreamDown"]) == []


@pytest.mark.stack
async def test_kong_drilldown_says_not_recorded_instead_of_none(
        fixtures_stack: PrometheusStack) -> None:
    rows = await _reading(fixtures_stack, "kong", "kong")
    model = rows["gpt-4.1"]
    errors = errors_text(model).plain.splitlines()
    assert errors == ["errors by HTTP code", "  not recorded by Kong",
                      "errors by type", "  not recorded by Kong"]
    figures = {ln.strip().split("  ", 1)[0]: ln.strip() for ln in
               figures_text(model, "5s").plain.splitlines()[1:]}
    assert figures["error ratio"] == "error ratio  — (not recorded by Kong)"
    assert figures["TTFT P95"] == "TTFT P95  — (not recorded by Kong)"
    settings = Settings(targets=(TargetSettings("kong"),), profile="kong", window_s=WINDOW_S)
    source = PrometheusSource(HttpEndpoint(fixtures_stack.prometheus_url, timeout_s=10.0),
                              settings, FixedClock(time.time()), scope='job="kong"')
    try:
        history = await source.model_history(model.key, WINDOW_S, 60.0, 5.0)
    finally:
        await source.aclose()
    assert history.missing == {"error_ratio": "not recorded by Kong",
                               "ttft_p95_s": "not recorded by Kong"}
    assert any(v == v for v in history.series["p95_latency_s"])  # known (not all NaN)
