"""PrometheusSource and AlertmanagerSource against the real Prometheus and Alertmanager.

The session stack (tests/stack/fixtures.py) scrapes a stand-in gateway with
known traffic; a FaultServer in front of Prometheus injects one failure at a
time. Figures are compared with the same PromQL run by hand through another
client (prometheus-api-client) at the same evaluation time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import pytest
from prometheus_api_client import PrometheusConnect

from console.clock import system_clock
from console.config.profiles import PROFILES
from console.config.settings import HttpEndpoint, Secret, Settings, TargetSettings
from console.model import ClusterReading, KubeEvent, MetricsReading
from console.sources.alertmanager import AlertmanagerSource
from console.sources.base import ActionError, Permission, SourceError, SourceSet
from console.sources.kube_configmap import ConfigMapVersion
from console.sources.kube_rollout import Revision
from console.sources.prometheus import PrometheusSource
from console.sources.promql import UNLABELLED
from console.state.polling import collect_once, poll
from tests.stack.faults import FaultServer, drop_label, empty_results, inf_values, nan_values
from tests.stack.fixtures import BENCH_IDLE, BENCH_MODELS, GatewayStack

pytestmark = pytest.mark.stack

WINDOW_S = 5.0
T = TypeVar("T")


def make_source(url: str, *, timeout_s: float = 3.0, token: str | None = None,
                **settings: Any) -> PrometheusSource:
    endpoint = HttpEndpoint(url, timeout_s=timeout_s,
                            bearer_token=Secret(token) if token else None)
    return PrometheusSource(endpoint, Settings(targets=(TargetSettings("stack"),), **settings),
                            system_clock)


async def eventually(fetch: Callable[[], Awaitable[T]], ok: Callable[[T], bool],
                     timeout_s: float = 15.0, what: str = "condition") -> T:
    """Poll `fetch` until `ok(result)`; bounded, since Prometheus needs a few scrapes."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = await fetch()
        if ok(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached in {timeout_s:g}s; last: {result!r}")
        await asyncio.sleep(0.25)


def by_hand(stack: GatewayStack, promql: str, at: float) -> dict[tuple[str, str], float]:
    client = PrometheusConnect(url=stack.prometheus_url, disable_ssl=True)
    rows = client.custom_query(promql, params={"time": f"{at:.3f}"})
    return {(r["metric"]["provider"], r["metric"]["model"]): float(r["value"][1]) for r in rows}


# -- figures ---------------------------------------------------------------------------------


async def test_figures_equal_the_same_promql_run_by_hand(gateway_stack: GatewayStack) -> None:
    source = make_source(gateway_stack.prometheus_url)
    reading = await source.fetch(WINDOW_S)
    await source.aclose()
    at = source.last_eval_time
    assert at is not None
    w = "5s"
    rates = by_hand(
        gateway_stack, f"sum by (provider, model) (rate(ai_gateway_requests_total[{w}]))", at)
    ratios = by_hand(
        gateway_stack,
        f"sum by (provider, model) (rate(ai_gateway_errors_total[{w}]))"
        f" / sum by (provider, model) (rate(ai_gateway_requests_total[{w}]))", at)
    p95 = by_hand(
        gateway_stack,
        "histogram_quantile(0.95, sum by (provider, model, le) "
        f"(rate(ai_gateway_request_duration_seconds_bucket[{w}])))", at)
    models = {m.key: m for m in reading.models}
    assert set(models) == set(rates) and len(models) == 4
    for key, m in models.items():
        assert m.request_rate == pytest.approx(rates[key], rel=0.05)
        assert m.error_ratio == pytest.approx(ratios[key], rel=0.05)
        assert m.p95_latency_s == pytest.approx(p95[key], rel=0.05)
        assert m.output_tokens_per_s is not None and m.output_tokens_per_s > 0
        assert m.cost_per_hour_usd is not None and m.cost_per_hour_usd > 0
        assert m.ttft_p95_s is not None and m.p50_latency_s is not None


async def test_rates_match_the_known_traffic(gateway_stack: GatewayStack) -> None:
    source = make_source(gateway_stack.prometheus_url)
    truth = {(t.provider, t.model): t for t in gateway_stack.exporter.models}

    def close(reading: MetricsReading) -> bool:
        return len(reading.models) == 4 and all(
            m.request_rate is not None
            and abs(m.request_rate - truth[m.key].rate) <= 0.05 * truth[m.key].rate
            for m in reading.models
        )

    reading = await eventually(lambda: source.fetch(WINDOW_S), close, what="configured rates")
    await source.aclose()
    for m in reading.models:
        t = truth[m.key]
        assert m.error_ratio == pytest.approx(t.error_fraction, rel=0.01)
        assert m.output_tokens_per_s == pytest.approx(t.output_tokens_per_s, rel=0.05)
        assert m.input_tokens_per_s == pytest.approx(t.input_tokens_per_s, rel=0.05)
        assert sum(m.errors_by_type.values()) == pytest.approx(
            t.rate * t.error_fraction, rel=0.05)
        price = Settings(targets=()).prices[m.model]
        assert m.cost_per_hour_usd == pytest.approx(
            t.output_tokens_per_s * 3600 * price / 1e6, rel=0.05)
    assert {m.model: set(m.errors_by_code) for m in reading.models}["deepseek-v3.2"] == {
        "429", "503"}


async def test_targets_show_the_dead_one(gateway_stack: GatewayStack) -> None:
    source = make_source(gateway_stack.prometheus_url)
    reading = await source.fetch(WINDOW_S)
    await source.aclose()
    assert {(t.instance, t.up) for t in reading.targets} == {
        (gateway_stack.exporter.target, True), (gateway_stack.dead_target, False)}


async def test_queries_per_refresh_do_not_grow_with_models(
    gateway_stack: GatewayStack, fault_proxy: FaultServer, record_property: Any
) -> None:
    counts = {}
    for label, overrides in (("4", {}), ("400", gateway_stack.bench_overrides())):
        source = make_source(fault_proxy.url, metrics_overrides=overrides)
        before = len(fault_proxy.queries())
        started = time.perf_counter()
        reading = await source.fetch(WINDOW_S)
        elapsed_ms = (time.perf_counter() - started) * 1000
        counts[label] = (source.queries_per_refresh, source.requests_sent,
                         len(fault_proxy.queries()) - before)
        await source.aclose()
        record_property(f"queries_per_refresh_{label}_models", counts[label][2])
        record_property(f"fetch_ms_{label}_models", round(elapsed_ms, 1))
        print(f"{len(reading.models)} models: {counts[label][2]} queries, {elapsed_ms:.0f} ms")
        if label == "400":
            assert len(reading.models) == BENCH_MODELS
            idle_names = {f"model-{i:04d}" for i in range(BENCH_MODELS - BENCH_IDLE, BENCH_MODELS)}
            idle = [m for m in reading.models if m.model in idle_names]
            assert len(idle) == BENCH_IDLE
            # No traffic: rate 0, and the ratios and quantiles Prometheus gives as NaN are None.
            assert all(m.request_rate == 0.0 and m.error_ratio is None
                       and m.p95_latency_s is None for m in idle)
            busy = [m for m in reading.models if m.request_rate]
            never_failed = [m for m in busy if int(m.model.split("-")[1]) % 5 == 0]
            # A model with no error series at all reads 0 %, not unknown.
            assert never_failed and all(m.error_ratio == 0.0 for m in never_failed)
            assert all(m.p95_latency_s is not None for m in busy)
        else:
            assert len(reading.models) == 4
    assert counts["4"] == counts["400"] == (8, 8, 8)


async def test_history_is_one_range_query_per_figure(gateway_stack: GatewayStack) -> None:
    source = make_source(gateway_stack.prometheus_url)
    history = await source.history(WINDOW_S, span_s=4, step_s=1)
    await source.aclose()
    assert source.requests_sent == 2
    assert set(history.series) == {"request_rate", "p95_latency_s"}
    for figure in history.series.values():
        assert len(figure) == 4
        assert all(1 <= len(points) <= 5 for points in figure.values())


@pytest.mark.parametrize("profile", sorted(PROFILES))
async def test_every_profile_is_valid_promql(gateway_stack: GatewayStack, profile: str) -> None:
    """Prometheus parses every query of every profile (empty answers, not errors)."""
    source = make_source(gateway_stack.prometheus_url, profile=profile)
    reading = await source.fetch(WINDOW_S)
    await source.history(WINDOW_S, span_s=4, step_s=1)
    await source.aclose()
    assert len(reading.models) == (4 if profile == "seed" else 0)


# -- alerts ----------------------------------------------------------------------------------


async def test_alerts_fire_and_a_silence_round_trips(gateway_stack: GatewayStack) -> None:
    source = AlertmanagerSource(HttpEndpoint(gateway_stack.prometheus_url),
                                HttpEndpoint(gateway_stack.alertmanager_url))

    def high_error_rate_known(reading: Any) -> bool:
        alert = next((a for a in reading.alerts if a.name == "HighErrorRate"), None)
        return alert is not None and alert.state == "firing" and bool(alert.fingerprint)

    reading = await eventually(source.fetch, high_error_rate_known, 20, "HighErrorRate firing")
    alerts = {a.name: a for a in reading.alerts}
    assert {"HighErrorRate", "HighLatency", "UpstreamDown"} <= set(alerts)
    assert alerts["HighLatency"].labels["model"] == "claude-sonnet-4.5"
    assert alerts["UpstreamDown"].labels["instance"] == gateway_stack.dead_target
    assert alerts["UpstreamDown"].severity == "critical"
    target = alerts["HighErrorRate"]
    assert target.severity == "warning" and target.since and target.since.endswith("Z")
    assert not target.silenced

    silence_id = await source.silence(target, 600, "pytest", "silence round trip")
    try:
        silenced = next(a for a in (await source.fetch()).alerts if a.name == "HighErrorRate")
        assert silenced.silenced and silenced.state == "suppressed"
        assert silenced.silence_ids == (silence_id,)
        others = [a for a in (await source.fetch()).alerts if a.name != "HighErrorRate"]
        assert not any(a.silenced for a in others)
    finally:
        await source.expire(silence_id)
    after = next(a for a in (await source.fetch()).alerts if a.name == "HighErrorRate")
    assert not after.silenced and after.state == "firing" and after.silence_ids == ()
    await source.aclose()


async def test_alertmanager_down_is_a_source_error_and_actions_fail_cleanly(
    gateway_stack: GatewayStack, fault_server: FaultServer
) -> None:
    fault_server.refuse()
    source = AlertmanagerSource(HttpEndpoint(gateway_stack.prometheus_url),
                                HttpEndpoint(fault_server.url, timeout_s=1))
    with pytest.raises(SourceError) as info:
        await source.fetch()
    assert str(info.value) == f"connection refused at {fault_server.url}"
    alert_only = AlertmanagerSource(HttpEndpoint(gateway_stack.prometheus_url), None)
    alerts = (await alert_only.fetch()).alerts
    assert alerts and not alert_only.can_silence
    with pytest.raises(ActionError) as action:
        await source.silence(alerts[0], 60, "pytest", "am down")
    assert str(action.value) == f"silence not created: connection refused at {fault_server.url}"
    fault_server.fail(503, "maintenance")
    with pytest.raises(SourceError, match=r"^HTTP 503 from Alertmanager at .*: maintenance$"):
        await source.fetch()
    await source.aclose()
    await alert_only.aclose()


# -- failures and recovery -------------------------------------------------------------------


async def test_down_at_start_then_recovers(fault_proxy: FaultServer) -> None:
    fault_proxy.refuse()
    source = make_source(fault_proxy.url)
    with pytest.raises(SourceError) as info:
        await source.fetch(WINDOW_S)
    assert str(info.value) == f"connection refused at {fault_proxy.url}"
    fault_proxy.forward()
    assert len((await source.fetch(WINDOW_S)).models) == 4
    await source.aclose()


async def test_down_mid_run_keeps_the_last_good_time_and_recovers(
    fault_proxy: FaultServer,
) -> None:
    source = make_source(fault_proxy.url)
    first = await poll("prometheus", lambda: source.fetch(WINDOW_S), None, system_clock)
    assert first.status.ok and first.reading is not None and first.status.last_ok_at
    fault_proxy.refuse()
    down = await poll("prometheus", lambda: source.fetch(WINDOW_S), first.status, system_clock)
    assert not down.status.ok and down.reading is None
    assert down.status.error == f"connection refused at {fault_proxy.url}"
    assert down.status.last_ok_at == first.status.last_ok_at
    fault_proxy.forward()
    back = await poll("prometheus", lambda: source.fetch(WINDOW_S), down.status, system_clock)
    assert back.status.ok and back.reading is not None and len(back.reading.models) == 4
    await source.aclose()


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (503, "", "HTTP 503 from Prometheus at {url}"),
        (502, "<html>bad gateway</html>", "HTTP 502 from Prometheus at {url}"),
        (500, "internal error", "HTTP 500 from Prometheus at {url}: internal error"),
        (404, "404 page not found", "HTTP 404 from Prometheus at {url}: 404 page not found"),
        (429, "too many requests", "HTTP 429 from Prometheus at {url}: too many requests"),
        (401, "", "unauthorized: check the bearer token (HTTP 401 from Prometheus at {url})"),
        (403, "", "forbidden: check the bearer token (HTTP 403 from Prometheus at {url})"),
    ],
)
async def test_http_errors_are_one_line(
    fault_proxy: FaultServer, status: int, body: str, expected: str
) -> None:
    source = make_source(fault_proxy.url, token="t0ken-for-http-errors")
    fault_proxy.fail(status, body)
    with pytest.raises(SourceError) as info:
        await source.fetch(WINDOW_S)
    assert str(info.value) == expected.format(url=fault_proxy.url)
    fault_proxy.forward()
    assert (await source.fetch(WINDOW_S)).models
    await source.aclose()


async def test_prometheus_error_payload_is_shown(fault_proxy: FaultServer) -> None:
    source = make_source(fault_proxy.url)
    fault_proxy.fail_json(422, {"status": "error", "errorType": "execution",
                                "error": "query processing would load too many samples"})
    with pytest.raises(SourceError) as info:
        await source.fetch(WINDOW_S)
    assert str(info.value) == (
        f"HTTP 422 from Prometheus at {fault_proxy.url}: "
        "execution: query processing would load too many samples"
    )
    await source.aclose()


async def test_timeout_is_bounded_and_recovers(fault_proxy: FaultServer) -> None:
    source = make_source(fault_proxy.url, timeout_s=0.5)
    fault_proxy.stall(10)
    started = time.monotonic()
    with pytest.raises(SourceError) as info:
        await source.fetch(WINDOW_S)
    assert time.monotonic() - started < 3
    assert str(info.value) == f"timed out after 0.5s waiting for Prometheus at {fault_proxy.url}"
    fault_proxy.forward()
    assert (await source.fetch(WINDOW_S)).models
    await source.aclose()


async def test_malformed_json(fault_proxy: FaultServer) -> None:
    source = make_source(fault_proxy.url)
    fault_proxy.malformed()
    with pytest.raises(SourceError) as info:
        await source.fetch(WINDOW_S)
    assert str(info.value) == f"malformed JSON from Prometheus at {fault_proxy.url}"
    await source.aclose()


@pytest.mark.parametrize("transform", [nan_values, inf_values], ids=["NaN", "Inf"])
async def test_nan_and_inf_values_are_none(fault_proxy: FaultServer, transform: Any) -> None:
    source = make_source(fault_proxy.url)
    fault_proxy.transform(transform)
    reading = await source.fetch(WINDOW_S)
    assert len(reading.models) == 4
    assert all(m.request_rate is None and m.error_ratio is None and m.p95_latency_s is None
               and m.cost_per_hour_usd is None for m in reading.models)
    fault_proxy.forward()
    assert all(m.request_rate for m in (await source.fetch(WINDOW_S)).models)
    await source.aclose()


async def test_empty_results_are_no_rows_not_an_error(fault_proxy: FaultServer) -> None:
    source = make_source(fault_proxy.url)
    fault_proxy.transform(empty_results)
    reading = await source.fetch(WINDOW_S)
    assert reading.models == () and reading.targets == ()
    await source.aclose()


async def test_series_without_model_label(fault_proxy: FaultServer) -> None:
    source = make_source(fault_proxy.url)
    fault_proxy.transform(drop_label("model"))
    reading = await source.fetch(WINDOW_S)
    assert [m.key for m in reading.models] == [("holysheep", UNLABELLED)]
    fault_proxy.transform(drop_label("provider"))
    reading = await source.fetch(WINDOW_S)
    assert len(reading.models) == 4
    assert all(m.provider == UNLABELLED and m.request_rate for m in reading.models)
    await source.aclose()


async def test_optional_figure_failing_gives_none_core_failing_gives_error(
    fault_proxy: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    source = make_source(fault_proxy.url)
    fault_proxy.fail(500, "tokens store down", match="ai_gateway_tokens_total")
    with caplog.at_level(logging.WARNING):
        reading = await source.fetch(WINDOW_S)
    assert len(reading.models) == 4
    assert all(m.output_tokens_per_s is None and m.cost_per_hour_usd is None
               and m.request_rate and m.p95_latency_s for m in reading.models)
    assert "figure tokens unavailable: HTTP 500" in caplog.text
    fault_proxy.stall(10, match="histogram_quantile(0.5,")
    source_fast = make_source(fault_proxy.url, timeout_s=0.5)
    with pytest.raises(SourceError, match=r"^timed out after 0\.5s"):
        await source_fast.fetch(WINDOW_S)
    fault_proxy.forward()
    await source.aclose()
    await source_fast.aclose()


async def test_a_bearer_token_never_shows(
    gateway_stack: GatewayStack, fault_proxy: FaultServer,
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str],
) -> None:
    token = "sekrit-bearer-7c1d3e9a"
    caplog.set_level(logging.DEBUG)
    source = make_source(fault_proxy.url, timeout_s=0.5, token=token)
    # Both behind the faulty proxy: with Alertmanager answering, the alerts would come
    # from it (issue 17) and there would be no error message to check.
    alerts = AlertmanagerSource(
        HttpEndpoint(fault_proxy.url, bearer_token=Secret(token), timeout_s=0.5),
        HttpEndpoint(fault_proxy.url, bearer_token=Secret(token), timeout_s=0.5),
    )
    faults: list[Callable[[], None]] = [
        fault_proxy.refuse, lambda: fault_proxy.fail(401), lambda: fault_proxy.fail(403),
        lambda: fault_proxy.fail(500, f"rejected header Authorization: Bearer {token}"),
        fault_proxy.malformed, lambda: fault_proxy.stall(5),
    ]
    messages = []
    for fault in faults:
        fault()
        for fetch in (lambda: source.fetch(WINDOW_S), alerts.fetch):
            result = await poll("prometheus", fetch, None, system_clock)
            assert not result.status.ok
            messages.append(result.status.error or "")
        print(messages[-1])
        fault_proxy.forward()
    assert (await source.fetch(WINDOW_S)).models
    await source.aclose()
    await alerts.aclose()
    assert any(r.headers.get("authorization") == f"Bearer {token}" for r in fault_proxy.requests)
    out, err = capsys.readouterr()
    assert all(m and "\n" not in m for m in messages)
    assert "Bearer ***" in " ".join(messages)
    for text in (*messages, caplog.text, out, err):
        assert token not in text


async def test_tls_with_a_custom_ca_or_skipped_verification(
    gateway_stack: GatewayStack, tls_cert: tuple[str, str]
) -> None:
    cert, key = tls_cert
    with FaultServer(gateway_stack.prometheus_url, certfile=cert, keyfile=key) as tls:
        settings = Settings(targets=(TargetSettings("tls"),))
        trusted = PrometheusSource(HttpEndpoint(tls.url, ca_file=cert), settings, system_clock)
        assert len((await trusted.fetch(WINDOW_S)).models) == 4
        insecure = PrometheusSource(HttpEndpoint(tls.url, insecure_skip_tls_verify=True),
                                    settings, system_clock)
        assert len((await insecure.fetch(WINDOW_S)).models) == 4
        strict = PrometheusSource(HttpEndpoint(tls.url), settings, system_clock)
        with pytest.raises(SourceError, match=f"^TLS certificate of {tls.url} is not trusted"):
            await strict.fetch(WINDOW_S)
        for source in (trusted, insecure, strict):
            await source.aclose()


# -- one snapshot, as `snapshot` takes it ----------------------------------------------------


class NoCluster:
    """A ClusterSource double: these tests are about metrics and alerts."""

    async def fetch(self) -> ClusterReading:
        return ClusterReading(deployment=None, pods=(), hpa=None)

    async def permission(self, verb: str, resource: str, subresource: str = "",
                         name: str = "") -> Permission:
        return Permission(False, "no cluster in this test")

    async def restart(self) -> str:
        raise ActionError("no cluster")

    async def scale(self, replicas: int) -> None:
        raise ActionError("no cluster")

    async def delete_pod(self, name: str) -> None:
        raise ActionError("no cluster")

    async def rollout_history(self) -> tuple[Revision, ...]:
        raise ActionError("no cluster")

    async def rollback(self, revision: int) -> str:
        raise ActionError("no cluster")

    async def set_hpa_bounds(self, min_replicas: int, max_replicas: int) -> None:
        raise ActionError("no cluster")

    async def gateway_config(self, configured: str) -> ConfigMapVersion:
        raise ActionError("no cluster")

    async def replace_config_map(self, version: ConfigMapVersion,
                                 data: Mapping[str, str]) -> str:
        raise ActionError("no cluster")

    async def logs(self, pod: str, tail: int = 200, previous: bool = False,
                   container: str | None = None) -> str:
        return ""

    async def events(self, kind: str, name: str) -> tuple[KubeEvent, ...]:
        return ()

    async def config_map(self, name: str) -> Mapping[str, str]:
        return {}

    async def namespaces(self) -> tuple[str, ...]:
        return ()

    async def deployments(self) -> tuple[str, ...]:
        return ()

    async def aclose(self) -> None:
        return None


async def test_collect_once_builds_the_json_contract(
    gateway_stack: GatewayStack, fault_proxy: FaultServer
) -> None:
    sources = SourceSet(
        target="stack",
        metrics=make_source(fault_proxy.url),
        alerts=AlertmanagerSource(HttpEndpoint(gateway_stack.prometheus_url),
                                  HttpEndpoint(gateway_stack.alertmanager_url)),
        cluster=NoCluster(),
    )
    kwargs: dict[str, Any] = dict(window_s=WINDOW_S, window="5s", profile="seed",
                                  clock=system_clock, alertmanager_configured=True)
    snapshot = await collect_once(sources, **kwargs)
    doc = snapshot.to_json()
    assert doc["sources"]["prometheus"]["ok"] and doc["sources"]["alertmanager"]["ok"]
    assert len(doc["models"]) == 4 and doc["alerts"]
    assert set(doc["models"][0]) == {"provider", "model", "request_rate", "error_ratio",
                                     "p95_latency_s", "ttft_p95_s", "output_tokens_per_s",
                                     "cost_per_hour_usd"}
    assert {"instance", "up"} == set(doc["targets"][0])
    fault_proxy.refuse()
    snapshot = await collect_once(sources, **kwargs)
    status = snapshot.sources["prometheus"]
    assert not status.ok and status.error == f"connection refused at {fault_proxy.url}"
    assert snapshot.models == () and "prometheus" in snapshot.failed_sources
    await sources.aclose()
