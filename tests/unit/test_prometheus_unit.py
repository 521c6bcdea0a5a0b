"""PrometheusSource on recorded API answers (tests/recorded/prometheus, from `tests.stack.record`).

No network: httpx's MockTransport answers each query with the recorded JSON of
the same figure, optionally rewritten (NaN, missing labels, errors), so the
parsing and the query building are pinned down for every profile.
"""

from __future__ import annotations

import base64
import json
import logging
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from console.clock import FixedClock
from console.config.profiles import PROFILES, Profile
from console.config.settings import HttpEndpoint, Secret, Settings, TargetSettings
from console.sources.base import SourceError
from console.sources.http_client import display_url
from console.sources.prometheus import PrometheusSource
from console.sources.prometheus_answers import parse_vector, to_float
from console.sources.promql import (
    UNLABELLED,
    build_history_queries,
    build_queries,
    suffixed,
    with_matchers,
)
from tests.stack.faults import drop_label, empty_results, inf_values, nan_values, status_error

RECORDED = Path(__file__).parents[1] / "recorded" / "prometheus"
WINDOW_S = 5.0
SEED = PROFILES["seed"]
TOKEN = "tok-unit-9f8e7d6c5b4a"


def recorded(name: str) -> Any:
    return json.loads((RECORDED / f"{name}.json").read_text())


def relabel(payload: Any, profile: Profile) -> Any:
    """A recorded seed answer as a gateway of `profile` would label it."""
    names = {"provider": profile.provider_label, "model": profile.model_label,
             "direction": profile.token_direction_label, "type": profile.error_type_label,
             "code": profile.code_label}
    out = json.loads(json.dumps(payload))
    for item in out["data"]["result"]:
        item["metric"] = {names.get(k) or k: v for k, v in item["metric"].items()}
    return out


Answer = Callable[[str], httpx.Response | None]


class FakePrometheus:
    """Answers the queries of `profile` with the recorded seed answers of the same figure."""

    def __init__(self, profile: Profile = SEED, window_s: float = WINDOW_S) -> None:
        from console.text.durations import format_duration

        window = format_duration(window_s)
        self.profile = profile
        self.figure_of = {q: n for n, q in build_queries(profile, window).queries.items()}
        self.range_of = {q: n for n, q in build_history_queries(profile, window).queries.items()}
        self.rewrite: dict[str, Callable[[Any], Any]] = {}
        self.status: dict[str, httpx.Response] = {}
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        query = request.url.params["query"]
        if request.url.path.endswith("/query_range"):
            name = self.range_of[query]
            payload = recorded(f"range_{name}")
        else:
            name = self.figure_of[query]
            # The seed gateway has no spend or input-token counter: nothing recorded, no series.
            payload = (recorded(f"query_{name}") if name not in ("spend", "input_tokens")
                       else {"status": "success", "data": {"resultType": "vector", "result": []}})
        if name in self.status:
            return self.status[name]
        if self.profile is not SEED:
            payload = relabel(payload, self.profile)
        for key in (name, "*"):
            if key in self.rewrite:
                payload = self.rewrite[key](payload)
        return httpx.Response(200, json=payload)

    def source(self, endpoint: HttpEndpoint | None = None, **settings: Any) -> PrometheusSource:
        settings.setdefault("profile", self.profile.name)
        return PrometheusSource(
            endpoint or HttpEndpoint("http://prometheus.test:9090"),
            Settings(targets=(TargetSettings("unit"),), **settings),
            FixedClock(),
            transport=httpx.MockTransport(self.handler),
        )


def values(figure: str) -> dict[tuple[str, str], float]:
    return {
        (labels["provider"], labels["model"]): v
        for labels, v in parse_vector(recorded(f"query_{figure}"))
        if v is not None
    }


# -- query building --------------------------------------------------------------------------


def test_seed_queries_are_one_per_figure_grouped_by_provider_and_model() -> None:
    plan = build_queries(SEED, "5m").queries
    assert plan["request_rate"] == "sum by (provider, model) (rate(ai_gateway_requests_total[5m]))"
    assert plan["error_ratio"] == (
        "(sum by (provider, model) (rate(ai_gateway_errors_total[5m]))"
        " / sum by (provider, model) (rate(ai_gateway_requests_total[5m])))"
        " or (0 / sum by (provider, model) (rate(ai_gateway_requests_total[5m]))"
        " and on() group(ai_gateway_errors_total))"
    )
    assert plan["latency"].count("histogram_quantile(") == 3
    assert ("histogram_quantile(0.95, sum by (provider, model, le) "
            "(rate(ai_gateway_request_duration_seconds_bucket[5m])))") in plan["latency"]
    assert plan["ttft_p95"] == (
        "histogram_quantile(0.95, sum by (provider, model, le) "
        "(rate(ai_gateway_time_to_first_token_seconds_bucket[5m])))"
    )
    assert plan["tokens"] == (
        "sum by (provider, model, direction) (rate(ai_gateway_tokens_total[5m]))"
    )
    assert plan["errors_by_type"] == (
        "sum by (provider, model, type) (rate(ai_gateway_errors_total[5m]))"
    )
    assert plan["errors_by_code"] == (
        "sum by (provider, model, code) (rate(ai_gateway_errors_total[5m]))"
    )
    assert plan["up"] == 'up{job="ai-gateway"}'
    assert len(plan) == 8


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_every_profile_groups_by_its_own_labels_and_never_names_a_model(name: str) -> None:
    profile = PROFILES[name]
    plan = build_queries(profile, "15m").queries
    by = f"by ({profile.provider_label}, {profile.model_label}"
    for figure, promql in plan.items():
        if figure != "up":
            assert by in promql, figure
            assert "[15m]" in promql, figure
        for model in ("gpt-4.1", "claude-sonnet-4.5"):
            assert model not in promql
    assert f'job="{profile.up_job}"' in plan["up"]
    assert f"{profile.duration}_bucket[15m]" in plan["latency"]
    assert ("ttft_p95" in plan) == (profile.ttft is not None)
    history = build_history_queries(profile, "15m").queries
    assert set(history) == {"request_rate", "p95_latency_s"}


def test_litellm_queries() -> None:
    """LiteLLM 1.108.7's labels (tests/integration/test_litellm_stack.py pins them on the real
    proxy): every role by requested_model, failures by exception_status/_class, refused
    scrapes and unknown models (api_provider="None") left out."""
    plan = build_queries(PROFILES["litellm"], "5m").queries
    traffic = '{requested_model!="",api_provider!="None"}'
    assert f"litellm_proxy_failed_requests_metric_total{traffic}[5m]" in plan["error_ratio"]
    assert plan["tokens"] == (
        "sum by (api_provider, requested_model) (rate(litellm_output_tokens_metric_total[5m]))"
    )
    assert plan["input_tokens"] == (
        "sum by (api_provider, requested_model) (rate(litellm_input_tokens_metric_total[5m]))"
    )
    assert plan["spend"] == ("sum by (api_provider, requested_model)"
                             " (rate(litellm_spend_metric_total[5m])) * 3600")
    assert "by (api_provider, requested_model, exception_class)" in plan["errors_by_type"]
    assert "by (api_provider, requested_model, exception_status)" in plan["errors_by_code"]
    assert all(" model" not in q.replace("requested_model", "") for q in plan.values())


def test_envoy_errors_are_a_selector_and_tokens_a_histogram_sum() -> None:
    plan = build_queries(PROFILES["envoy-ai-gateway"], "5m").queries
    errors = 'gen_ai_server_request_duration_seconds_count{error_type!=""}[5m]'
    assert f"sum by (gen_ai_provider_name, gen_ai_original_model) (rate({errors}))" in (
        plan["error_ratio"]
    )
    # The guard is the request counter: with no failed request yet the ratio is 0, not unknown.
    assert "group(gen_ai_server_request_duration_seconds_count)" in plan["error_ratio"]
    assert "rate(gen_ai_client_token_usage_sum[5m])" in plan["tokens"]
    assert "gen_ai_token_type" in plan["tokens"]
    assert "rate(gen_ai_server_time_to_first_token_seconds_bucket[5m])" in plan["ttft_p95"]
    # error_type is always _OTHER and no status is recorded: no breakdown to ask for.
    assert "errors_by_code" not in plan and "errors_by_type" not in plan


def test_kong_queries() -> None:
    plan = build_queries(PROFILES["kong"], "1h").queries
    assert "error_ratio" not in plan  # no status on Kong 3.9's AI metrics: unknown, not 100 %
    assert "kong_ai_llm_provider_latency_ms_bucket[1h]" in plan["latency"]
    assert "ttft_p95" not in plan
    assert "by (ai_provider, ai_model, token_type)" in plan["tokens"]
    assert "rate(kong_ai_llm_cost_total[1h])" in plan["spend"]


def test_overridden_names_may_carry_a_selector() -> None:
    profile = SEED.with_overrides({
        "requests": 'gw_requests_total{env="prod"}',
        "duration": 'gw_duration_seconds{env="prod"}',
        "errors": "", "error_selector": 'code=~"5.."', "up_job": 'odd"job',
    })
    plan = build_queries(profile, "5m").queries
    assert 'rate(gw_requests_total{env="prod",code=~"5.."}[5m])' in plan["error_ratio"]
    assert 'gw_duration_seconds_bucket{env="prod"}[5m]' in plan["latency"]
    assert plan["up"] == 'up{job="odd\\"job"}'
    assert with_matchers("m{}", "a=\"b\"") == 'm{a="b"}'
    assert suffixed("m", "_sum") == "m_sum"


# -- parsing ---------------------------------------------------------------------------------


async def test_fetch_parses_every_recorded_figure() -> None:
    fake = FakePrometheus()
    source = fake.source()
    reading = await source.fetch(WINDOW_S)
    await source.aclose()

    rates, ratios, ttft = values("request_rate"), values("error_ratio"), values("ttft_p95")
    assert [m.key for m in reading.models] == sorted(rates)
    by_model = {m.model: m for m in reading.models}
    deepseek = by_model["deepseek-v3.2"]
    assert deepseek.error_ratio == pytest.approx(0.5)
    assert set(deepseek.errors_by_type) == {"rate_limit_error", "upstream_error"}
    assert set(deepseek.errors_by_code) == {"429", "503"}
    for m in reading.models:
        assert m.request_rate == rates[m.key]
        assert m.error_ratio == ratios[m.key]
        assert m.ttft_p95_s == ttft[m.key]
        assert m.p50_latency_s is not None and m.p95_latency_s is not None
        assert m.p99_latency_s is not None
        assert m.p50_latency_s < m.p95_latency_s <= m.p99_latency_s
        assert m.output_tokens_per_s is not None and m.input_tokens_per_s is not None
        price = Settings(targets=()).prices[m.model]
        assert m.cost_per_hour_usd == pytest.approx(m.output_tokens_per_s * 3600 * price / 1e6)
    assert [t.up for t in reading.targets].count(True) == 1
    assert [t.up for t in reading.targets].count(False) == 1

    # One request per figure, all evaluated at the same instant, whatever the models.
    assert len(fake.requests) == source.queries_per_refresh == 8 == source.requests_sent
    times = {r.url.params["time"] for r in fake.requests}
    assert times == {f"{FixedClock().now:.3f}"}
    assert {r.url.params["timeout"] for r in fake.requests} == {"5s"}


async def test_p95_is_scaled_by_the_profile_unit() -> None:
    fake = FakePrometheus(PROFILES["kong"])
    source = fake.source()
    reading = await source.fetch(WINDOW_S)
    await source.aclose()
    raw = {
        (labels["provider"], labels["model"]): v
        for labels, v in parse_vector(recorded("query_latency"))
        if labels["agc_quantile"] == "0.95"
    }
    assert reading.models
    for m in reading.models:
        in_ms = raw[m.key]
        assert in_ms is not None
        assert m.p95_latency_s == pytest.approx(in_ms * 0.001)
        assert m.ttft_p95_s is None  # Kong has no TTFT metric
        assert m.error_ratio is None  # nor any status on its AI metrics
        assert m.not_recorded["error_ratio"] == "not recorded by Kong"


@pytest.mark.parametrize("profile", ["litellm", "envoy-ai-gateway"])
async def test_other_profiles_parse_their_labels(profile: str) -> None:
    fake = FakePrometheus(PROFILES[profile])
    source = fake.source()
    reading = await source.fetch(WINDOW_S)
    await source.aclose()
    assert {m.model for m in reading.models} == {k[1] for k in values("request_rate")}
    assert all(m.provider == "holysheep" for m in reading.models)
    assert all(m.error_ratio is not None and m.p95_latency_s is not None for m in reading.models)


@pytest.mark.parametrize("transform", [nan_values, inf_values], ids=["NaN", "+Inf"])
async def test_nan_and_inf_become_none_never_a_number(transform: Callable[[Any], Any]) -> None:
    fake = FakePrometheus()
    fake.rewrite["*"] = transform
    source = fake.source()
    reading = await source.fetch(WINDOW_S)
    await source.aclose()
    assert len(reading.models) == 4
    for m in reading.models:
        assert m.request_rate is None and m.error_ratio is None and m.p95_latency_s is None
        assert m.output_tokens_per_s is None and m.cost_per_hour_usd is None
        assert m.errors_by_type == {} and m.errors_by_code == {}
    assert all(t.up is False for t in reading.targets)


async def test_series_missing_the_model_label_are_grouped_not_fatal() -> None:
    fake = FakePrometheus()
    fake.rewrite["*"] = drop_label("model")
    source = fake.source()
    reading = await source.fetch(WINDOW_S)
    await source.aclose()
    # Four series fell into one key: which value is right is unknowable, so None.
    assert [m.key for m in reading.models] == [("holysheep", UNLABELLED)]
    assert reading.models[0].request_rate is None


async def test_series_missing_the_provider_label_keep_their_values() -> None:
    fake = FakePrometheus()
    fake.rewrite["*"] = drop_label("provider")
    source = fake.source()
    reading = await source.fetch(WINDOW_S)
    await source.aclose()
    rates = values("request_rate")
    assert {m.key for m in reading.models} == {(UNLABELLED, model) for _, model in rates}
    assert all(m.request_rate == rates[("holysheep", m.model)] for m in reading.models)


async def test_missing_optional_metrics_give_none_and_missing_core_gives_no_rows() -> None:
    fake = FakePrometheus()
    for figure in ("tokens", "ttft_p95", "errors_by_type"):
        fake.rewrite[figure] = empty_results
    source = fake.source(prices={"gpt-4.1": 8.0})
    reading = await source.fetch(WINDOW_S)
    assert len(reading.models) == 4
    for m in reading.models:
        assert m.output_tokens_per_s is None and m.cost_per_hour_usd is None
        assert m.ttft_p95_s is None and m.errors_by_type == {}
        assert m.errors_by_code and m.request_rate is not None
    fake.rewrite["*"] = empty_results
    reading = await source.fetch(WINDOW_S)
    await source.aclose()
    assert reading.models == () and reading.targets == ()


async def test_model_without_price_has_no_cost() -> None:
    fake = FakePrometheus()
    source = fake.source(prices={"gpt-4.1": 8.0})
    reading = await source.fetch(WINDOW_S)
    await source.aclose()
    costs = {m.model: m.cost_per_hour_usd for m in reading.models}
    assert costs.pop("gpt-4.1") is not None
    assert set(costs.values()) == {None}


async def test_core_query_error_fails_the_refresh_with_prometheus_words() -> None:
    fake = FakePrometheus()
    fake.status["latency"] = httpx.Response(400, json=recorded("error_bad_data"))
    source = fake.source()
    with pytest.raises(SourceError) as info:
        await source.fetch(WINDOW_S)
    await source.aclose()
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("HTTP 400 from Prometheus at http://prometheus.test:9090: bad_data")
    assert "parse error" in message


async def test_optional_query_error_gives_none_and_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = FakePrometheus()
    fake.status["tokens"] = httpx.Response(
        422, json=status_error("execution", "too many samples"))
    source = fake.source()
    with caplog.at_level(logging.WARNING, logger="console.sources.prometheus"):
        first = await source.fetch(WINDOW_S)
        await source.fetch(WINDOW_S)
    await source.aclose()
    assert all(m.output_tokens_per_s is None and m.request_rate for m in first.models)
    warnings = [r for r in caplog.records if "tokens" in r.getMessage()]
    assert len(warnings) == 1 and "execution: too many samples" in warnings[0].getMessage()


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (httpx.Response(200, text="<html>login</html>"),
         "malformed JSON from Prometheus at http://prometheus.test:9090"),
        (httpx.Response(200, json={"status": "error", "errorType": "timeout",
                                   "error": "query timed out"}),
         "Prometheus timeout: query timed out"),
        (httpx.Response(200, json={"status": "success",
                                   "data": {"resultType": "scalar", "result": [1, "1"]}}),
         "unexpected answer from Prometheus: expected a vector"),
        (httpx.Response(200, json=["not", "an", "object"]),
         "malformed answer from Prometheus: no status field"),
        (httpx.Response(503, text="upstream connect error"),
         "HTTP 503 from Prometheus at http://prometheus.test:9090: upstream connect error"),
        (httpx.Response(502, text="<html>" + "x" * 500 + "</html>"),
         "HTTP 502 from Prometheus at http://prometheus.test:9090"),
    ],
    ids=["html", "status-error", "scalar", "not-object", "503-text", "502-html"],
)
async def test_bad_answers_are_one_line_source_errors(
    response: httpx.Response, expected: str
) -> None:
    source = PrometheusSource(
        HttpEndpoint("http://prometheus.test:9090/"), Settings(targets=()), FixedClock(),
        transport=httpx.MockTransport(lambda request: response),
    )
    with pytest.raises(SourceError) as info:
        await source.fetch(WINDOW_S)
    await source.aclose()
    assert str(info.value) == expected


async def test_history_is_one_range_query_per_figure() -> None:
    fake = FakePrometheus()
    fake.rewrite["p95_latency_s"] = lambda p: _first_point(p, "NaN")
    source = fake.source()
    history = await source.history(WINDOW_S, span_s=4, step_s=1)
    await source.aclose()
    assert len(fake.requests) == 2
    assert {r.url.params["step"] for r in fake.requests} == {"1"}
    start, end = (float(fake.requests[0].url.params[k]) for k in ("start", "end"))
    assert end - start == pytest.approx(4)
    rates = history.series["request_rate"]
    assert len(rates) == 4 and all(len(v) == 5 for v in rates.values())
    # The NaN point is dropped, the finite ones are kept in order.
    assert all(len(v) == 4 for v in history.series["p95_latency_s"].values())


def _first_point(payload: Any, raw: str) -> Any:
    out = json.loads(json.dumps(payload))
    for item in out["data"]["result"]:
        item["values"][0][1] = raw
    return out


# -- credentials -----------------------------------------------------------------------------


async def test_credentials_and_headers_are_sent() -> None:
    fake = FakePrometheus()
    endpoint = HttpEndpoint("http://prometheus.test:9090", bearer_token=Secret(TOKEN),
                            headers={"X-Scope-OrgID": "tenant-1"})
    source = fake.source(endpoint)
    await source.fetch(WINDOW_S)
    await source.aclose()
    for request in fake.requests:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["x-scope-orgid"] == "tenant-1"

    fake = FakePrometheus()
    basic = HttpEndpoint("https://mimir.test/prometheus", username="agc",
                         password=Secret("pw-123456"))
    source = fake.source(basic)
    await source.fetch(WINDOW_S)
    await source.aclose()
    expected = "Basic " + base64.b64encode(b"agc:pw-123456").decode()
    assert all(r.headers["authorization"] == expected for r in fake.requests)
    assert all(r.url.path == "/prometheus/api/v1/query" for r in fake.requests)


@pytest.mark.parametrize("status", [401, 403])
async def test_unauthorized_never_shows_the_token(status: int) -> None:
    endpoint = HttpEndpoint("http://prometheus.test:9090", bearer_token=Secret(TOKEN))
    # A server that echoes the header back must not get it into the message either.
    echo = httpx.MockTransport(
        lambda request: httpx.Response(status, text=request.headers["authorization"]))
    source = PrometheusSource(endpoint, Settings(targets=()), FixedClock(), transport=echo)
    with pytest.raises(SourceError) as info:
        await source.fetch(WINDOW_S)
    await source.aclose()
    word = "unauthorized" if status == 401 else "forbidden"
    assert str(info.value) == (
        f"{word}: check the bearer token (HTTP {status} from Prometheus at "
        "http://prometheus.test:9090)"
    )
    assert TOKEN not in str(info.value)


async def test_a_reflected_secret_is_scrubbed_from_error_details() -> None:
    endpoint = HttpEndpoint("http://prometheus.test:9090", bearer_token=Secret(TOKEN))
    echo = httpx.MockTransport(
        lambda request: httpx.Response(500, text=f"bad {request.headers['authorization']}"))
    source = PrometheusSource(endpoint, Settings(targets=()), FixedClock(), transport=echo)
    with pytest.raises(SourceError) as info:
        await source.fetch(WINDOW_S)
    await source.aclose()
    assert str(info.value) == (
        "HTTP 500 from Prometheus at http://prometheus.test:9090: bad Bearer ***"
    )


async def test_user_and_password_in_the_url_become_basic_auth() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(503)

    endpoint = HttpEndpoint("http://ops:hunter2-pw@prometheus.test:9090")
    source = PrometheusSource(endpoint, Settings(targets=()), FixedClock(),
                              transport=httpx.MockTransport(handler))
    with pytest.raises(SourceError) as info:
        await source.fetch(WINDOW_S)
    await source.aclose()
    assert "hunter2" not in str(info.value) and "ops" not in str(info.value)
    assert seen[0].headers["authorization"] == "Basic " + base64.b64encode(
        b"ops:hunter2-pw").decode()
    assert display_url("https://u:p@h:1/x/?q=1") == "https://h:1/x"


def test_to_float() -> None:
    assert to_float("1.5") == 1.5
    for raw in ("NaN", "+Inf", "-Inf", "garbage", None, [1]):
        assert to_float(raw) is None
    assert not math.isnan(to_float("0") or 0.0)


async def test_a_profile_without_any_error_signal_reports_no_error_ratio() -> None:
    profile = SEED.with_overrides({"errors": ""})
    plan = build_queries(profile, "5m").queries
    assert not {"error_ratio", "errors_by_type", "errors_by_code"} & set(plan)
    fake = FakePrometheus()
    source = fake.source(metrics_overrides={"errors": ""})
    fake.figure_of.update({q: n for n, q in plan.items()})
    reading = await source.fetch(WINDOW_S)
    await source.aclose()
    assert source.queries_per_refresh == 5
    assert reading.models and all(
        m.error_ratio is None and m.errors_by_type == {} and m.request_rate
        for m in reading.models)


def test_missing_binaries_skip_locally_and_fail_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.stack import fixtures
    from tests.stack.prometheus_stack import INSTALL_HINT, MissingBinary

    def missing() -> tuple[str, str]:
        raise MissingBinary(f"prometheus not installed: {INSTALL_HINT}")

    monkeypatch.setattr(fixtures, "find_binaries", missing)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install prometheus "
                                                     "prometheus-alertmanager"):
        fixtures.require_binaries()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI needs the real stack"):
        fixtures.require_binaries()
