"""The model and pod drill-downs: Pilot tests on the demo, the hints file, and the two new
source calls against the real Prometheus stack and the Kubernetes API emulator."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from console.app import GatewayConsole
from console.config.settings import HttpEndpoint, Settings, TargetSettings
from console.demo.gateway_config import GATEWAY_CONFIG_YAML
from console.hints import (
    HintsError,
    fill,
    flatten,
    hint_values,
    hints_for,
    load_hints,
    parse_config,
    parse_hints,
)
from console.model import MODEL_HISTORY_FIGURES, ContainerState, ModelFigures, PodState
from console.screens.logs import LogsScreen
from console.screens.model_detail import ModelDetailScreen, errors_text, hints_text
from console.screens.pod_detail import PodDetailScreen, resources_text, status_text
from console.sources.base import SourceError
from console.sources.kubernetes import KubernetesSource
from console.sources.prometheus import PrometheusSource
from console.sources.promql import build_model_history_queries
from console.views.overview import model_row_key, pod_row_key
from tests.app_harness import demo_app, wait_for_data
from tests.stack import kube_objects as k
from tests.stack.fixtures import GatewayStack
from tests.stack.kube_emulator import KubeEmulator
from widgets.keyed_table import KeyedTable


def sim(app: GatewayConsole) -> Any:
    return app.sources.cluster.simulation  # type: ignore[attr-defined]


async def wait_loaded(pilot: Any, screen: Any, loads: int = 1) -> None:
    for _ in range(200):
        if screen.loads >= loads:
            await pilot.pause()
            return
        await pilot.pause(0.02)
    raise AssertionError("the drill-down never finished loading")


async def open_model(pilot: Any, app: GatewayConsole, key: tuple[str, str]) -> ModelDetailScreen:
    table = app.query_one("#models", KeyedTable)
    table.focus()
    table.move_cursor(row=table.get_row_index(model_row_key(key)))
    await pilot.press("enter")
    await pilot.pause(0.1)
    screen = app.screen
    assert isinstance(screen, ModelDetailScreen)
    await wait_loaded(pilot, screen)
    return screen


# ------------------------------------------------------------------- model drill-down


async def test_model_drilldown_in_provider_outage_shows_the_503_surge(tmp_path: Path) -> None:
    app = demo_app(tmp_path, "provider-outage")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        reading = app.latest.metrics
        assert reading is not None
        model = next(m for m in reading.models if m.key == ("holysheep", "deepseek-v3.2"))
        screen = await open_model(pilot, app, model.key)
        assert screen.title_text == "holysheep / deepseek-v3.2"
        assert screen.history_error is None and screen.config_error is None

        # errors by code: 503 dominates, and the screen lists it first with its share
        codes = screen.context.model.errors_by_code
        assert max(codes, key=lambda c: codes[c]) == "503"
        assert codes["503"] > 0.8 * math.fsum(codes.values())
        lines = errors_text(screen.context.model).plain.splitlines()
        assert lines[0] == "errors by HTTP code" and lines[1].split()[0] == "503"

        # the likely cause's hint stands in for the general 503 one: it blames the
        # provider, not the pods (3/3 ready), and quotes the live ConfigMap values
        assert [h.code for h in screen.hints].count("503") == 1
        hint = screen.hints[0]
        assert hint.code == "503"
        assert hint.title.startswith("holysheep is failing: its models error")
        assert "pods: 3/3 ready" in hint.live
        assert "providers.holysheep.timeout = 60s, retry max_attempts = 3" in hint.live
        assert not any("set resources" in s for s in hint.steps)
        assert any("E on the overview" in s for s in hint.steps)
        shown = hints_text(screen.hints).plain
        assert "now: providers.holysheep.timeout = 60s" in shown

        # charts: one series per figure, the last point is the overview's figure
        assert screen.history is not None
        assert set(screen.history.series) == set(MODEL_HISTORY_FIGURES)
        ratio = screen.chart("error_ratio")
        assert ratio.last == pytest.approx(model.error_ratio, rel=1e-9)
        assert screen.chart("request_rate").last == pytest.approx(model.request_rate, rel=1e-9)
        finite = [v for v in screen.history.series["error_ratio"] if math.isfinite(v)]
        assert min(finite) < 0.02 < 0.2 < max(finite)  # healthy before the onset, then the surge

        # gateway-wide HighErrorRate concerns every model
        assert "HighErrorRate" in str(screen.query_one("#model-alerts").render())
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ModelDetailScreen)


async def test_model_drilldown_survives_failing_sources(tmp_path: Path) -> None:
    app = demo_app(tmp_path, "provider-outage")
    sim(app).deny("get", "configmaps")

    async def broken(*args: Any) -> Any:
        raise SourceError("connection refused at http://prometheus:9090")

    app.sources.metrics.model_history = broken  # type: ignore[method-assign,assignment]
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        screen = await open_model(pilot, app, ("holysheep", "gpt-4.1"))
        assert screen.history is None
        assert screen.history_error == "connection refused at http://prometheus:9090"
        assert screen.chart("p95_latency_s").message == (
            "— connection refused at http://prometheus:9090")
        assert screen.config_error == (
            "forbidden: cannot get configmap ai-gateway-config in namespace ai-services (RBAC)")
        hint = screen.hints[0]
        assert hint.code == "503"
        assert not any(line.startswith("server.timeout") for line in hint.live)
        assert hint.note == screen.config_error
        status = str(screen.query_one("#model-status").render())
        assert "✗ trends: connection refused" in status and "✗ ConfigMap: forbidden" in status


# --------------------------------------------------------------------- pod drill-down


async def test_pod_drilldown_in_crashloop_shows_restarts_reason_and_logs(tmp_path: Path) -> None:
    app = demo_app(tmp_path, "crashloop")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        cluster = app.latest.cluster
        assert cluster is not None
        crashing = next(p for p in cluster.pods if p.reason == "CrashLoopBackOff")
        table = app.query_one("#pods", KeyedTable)
        table.focus()
        table.move_cursor(row=table.get_row_index(pod_row_key(crashing)))
        await pilot.press("enter")
        await pilot.pause(0.1)
        screen = app.screen
        assert isinstance(screen, PodDetailScreen)
        await wait_loaded(pilot, screen)
        pod = screen.pod
        assert pod.name == crashing.name
        assert pod.restarts == sim(app).cluster.find_pod(pod.name).restarts > 0
        assert pod.reason == "CrashLoopBackOff" and pod.last_termination_reason == "Error"
        container, agent = pod.containers  # the gateway and its telemetry sidecar
        assert (container.name, container.state, container.reason) == (
            "gateway", "waiting", "CrashLoopBackOff")
        assert (agent.name, agent.state, agent.ready) == ("otel-agent", "running", True)
        assert (container.last_termination_reason, container.last_exit_code) == ("Error", 1)
        assert container.restarts == pod.restarts
        assert (container.cpu_limit_m, container.memory_limit_bytes) == (500.0, 512 * 2**20)
        status = status_text(pod).plain
        assert f"restarts  {pod.restarts}" in status
        assert "reason  CrashLoopBackOff" in status and "last termination  Error" in status
        assert "BackOff" in {e.reason for e in screen.events if e.type == "Warning"}
        assert screen.events_error is None

        await pilot.press("l")
        await pilot.pause(0.3)
        logs = app.screen
        assert isinstance(logs, LogsScreen) and logs.pod == pod.name
        assert any("HOLYSHEEP_API_KEY" in line for line in logs.lines)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


def test_resources_against_requests_and_limits() -> None:
    c = ContainerState("gateway", "img", "running", None, True, 0, cpu_request_m=250.0,
                       cpu_limit_m=500.0, memory_request_bytes=256 * 2**20,
                       memory_limit_bytes=512 * 2**20)
    pod = PodState("p", "Running", True, 0, 10.0, "n", None, cpu_millicores=450.0,
                   memory_bytes=128 * 2**20, containers=(c,))
    text = resources_text(pod).plain
    assert "cpu     450m / 250m / 500m (90 %)" in text
    assert "memory  128Mi / 256Mi / 512Mi (25 %)" in text


# ------------------------------------------------------------------------ hints file


def test_packaged_hints_cover_the_runbook_errors() -> None:
    book = load_hints()
    assert book.config_map == "ai-gateway-config" and book.config_key == "config.yaml"
    assert book.context["secret"] == "holysheep-secret"
    assert book.context["secret_key"] == "api-key"
    codes = {c for h in book.hints for c in h.codes}
    assert {"401", "429", "503", "400"} <= codes


def _figures(**codes: float) -> ModelFigures:
    return ModelFigures("holysheep", "deepseek-v3.2", 10.0, 0.3, 1.0, p99_latency_s=4.0,
                        errors_by_code={c.lstrip("_"): r for c, r in codes.items()})


def test_hints_fill_live_values_and_commands() -> None:
    book = load_hints()
    config = dict(parse_config({"config.yaml": GATEWAY_CONFIG_YAML}, "config.yaml"))
    config["providers"] = dict(config["providers"])
    holysheep = dict(config["providers"]["holysheep"])
    holysheep["models"] = ["gpt-4.1", "claude-sonnet-4.5"]  # deepseek-v3.2 left out
    config["providers"]["holysheep"] = holysheep
    model = _figures(_400=0.5, _401=0.2, _429=0.1)
    values = hint_values(book, namespace="ai-services", deployment="ai-gateway", model=model,
                         config=config)
    hints = hints_for(book, model, values)
    assert [h.code for h in hints] == ["400", "401", "429"]
    assert hints[0].live == ("model deepseek-v3.2 is NOT listed in providers.holysheep.models "
                             "(gpt-4.1, claude-sonnet-4.5)",)
    rotate = hints[1].steps
    assert rotate[0].endswith(
        "kubectl -n ai-services get secret holysheep-secret -o jsonpath='{.data.api-key}' "
        "| base64 -d | cut -c1-6")
    assert rotate[-1].endswith("kubectl -n ai-services rollout restart deployment/ai-gateway")
    assert ("rate_limit.enabled = true, requests_per_minute = 60, burst = 10"
            in hints[2].live)
    assert "this model now receives 600 requests/min in total" in hints[2].live
    # the provider's api_key reference may show, a literal key never
    assert values["provider_cfg.api_key"] == "${HOLYSHEEP_API_KEY}"
    assert flatten({"api_key": "sk-live-123"}, "p") == {"p.api_key": "(set, not shown)"}


def test_hints_without_config_drop_live_lines_and_keep_steps() -> None:
    book = load_hints()
    model = _figures(_503=3.0)
    values = hint_values(book, namespace="prod", deployment="gw", model=model)
    (hint,) = hints_for(book, model, values, note="ConfigMap ai-gateway-config not found")
    assert hint.live == ("this model's P99 is 4.00 s now",)
    assert hint.note == "ConfigMap ai-gateway-config not found"
    assert any("https://UPSTREAM/v1/models" in s for s in hint.steps)  # the fallback
    assert all("{" not in s.replace("%{http_code}", "").replace("%{time_total}", "")
               for s in hint.steps)


def test_fill_is_a_plain_lookup() -> None:
    values = {"a": "1", "cfg.x.y": "2"}
    assert fill("{a}-{cfg.x.y}-{{literal}}", values) == "1-2-{literal}"
    assert fill("{missing|dflt} {a}", values) == "dflt 1"
    assert fill("{missing}", values) == "{missing}"
    assert fill("{missing}", values, keep_unknown=False) is None
    assert fill("{a.__class__}", values) == "{a.__class__}"  # no attribute access


def test_hints_file_errors_and_type_fallback(tmp_path: Path) -> None:
    with pytest.raises(HintsError, match=r"bad\.toml"):
        parse_hints("[[hint]]\ntitle = ", "bad.toml")
    with pytest.raises(HintsError, match="title and cause"):
        parse_hints("[[hint]]\ncause = 'x'\n")
    path = tmp_path / "hints.toml"
    path.write_text('[context]\nconfig_map = "gw"\n[[hint]]\ntypes = ["upstream_error"]\n'
                    'title = "{model} upstream"\ncause = "in {namespace}"\n')
    book = load_hints(path)
    assert book.config_map == "gw"
    model = ModelFigures("p", "m", 1.0, 0.1, 1.0, errors_by_type={"upstream_error": 0.1})
    values = hint_values(book, namespace="ns", deployment="d", model=model)
    (hint,) = hints_for(book, model, values)
    assert (hint.code, hint.title, hint.cause) == ("upstream_error", "m upstream", "in ns")


# ------------------------------------------------------------- model_history on the stack


@pytest.mark.stack
async def test_model_history_on_real_prometheus(gateway_stack: GatewayStack) -> None:
    at = time.time() - 1.0
    settings = Settings(targets=(TargetSettings("stack"),))
    source = PrometheusSource(HttpEndpoint(gateway_stack.prometheus_url, timeout_s=5.0),
                              settings, lambda: at)
    key = ("holysheep", "deepseek-v3.2")
    span, step, window = 20.0, 2.0, 5.0
    try:
        before = source.requests_sent
        history = await source.model_history(key, window, span, step)
        plan = build_model_history_queries(source.profile, "5s", key)
        assert source.requests_sent - before == len(plan.queries) == 6  # one per figure
    finally:
        await source.aclose()
    assert history.key == key and history.step_s == step
    assert set(history.series) == set(MODEL_HISTORY_FIGURES) and not history.missing
    params = {"start": f"{at - span:.3f}", "end": f"{at:.3f}", "step": f"{step:g}"}
    with httpx.Client(base_url=gateway_stack.prometheus_url) as client:
        for figure, promql in plan.queries.items():
            assert 'model="deepseek-v3.2"' in promql
            body = client.get("/api/v1/query_range", params={"query": promql, **params}).json()
            (series,) = body["data"]["result"]
            by_hand = {round((float(t) - (at - span)) / step): float(v)
                       for t, v in series["values"]}
            ours = history.series[figure]
            assert len(ours) == round(span / step) + 1
            for i, value in enumerate(ours):
                if i in by_hand and math.isfinite(by_hand[i]):
                    assert value == pytest.approx(by_hand[i]), (figure, i)
                else:
                    assert math.isnan(value), (figure, i)
    ratios = [v for v in history.series["error_ratio"] if math.isfinite(v)]
    assert ratios and all(0.3 < v < 0.7 for v in ratios)  # the exporter's 50 % error share


# ------------------------------------------------------- config_map against the emulator


async def test_config_map_from_the_emulator(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    data = await kube_source.config_map(k.CONFIG_MAP)
    assert data == {"config.yaml": k.CONFIG_YAML}
    config = parse_config(data, "config.yaml")
    assert config["server"]["timeout"] == "120s"
    assert config["rate_limit"]["requests_per_minute"] == 60
    await kube_source.config_map(k.CONFIG_MAP)  # cached: no second request
    gets = kube_emulator.requests_where("GET", "/configmaps/")
    assert len(gets) == 1 and not gets[0].watch
    await kube_source.fetch()
    assert "configmaps" not in kube_source.watching
    assert not kube_emulator.requests_where("GET", "/configmaps$")  # never listed or watched


async def test_config_map_forbidden_and_missing(
    kube_source: KubernetesSource, kube_emulator: KubeEmulator
) -> None:
    kube_emulator.fail(method="GET", path=f"/configmaps/{k.CONFIG_MAP}$", status=403,
                       message='configmaps "ai-gateway-config" is forbidden')
    with pytest.raises(SourceError) as forbidden:
        await kube_source.config_map(k.CONFIG_MAP)
    assert str(forbidden.value) == (
        "forbidden: cannot get configmap ai-gateway-config in namespace ai-services (RBAC)")
    with pytest.raises(SourceError) as missing:
        await kube_source.config_map("other-config")
    assert str(missing.value) == "ConfigMap other-config not found in namespace ai-services"


async def test_pod_containers_from_the_api(kube_source: KubernetesSource) -> None:
    reading = await kube_source.fetch()
    crash = next(p for p in reading.pods if p.name == k.POD_CRASH)
    (c,) = crash.containers
    assert (c.name, c.image, c.state, c.reason, c.ready, c.restarts) == (
        "gateway", "docker.io/apijson/gateway:latest", "waiting", "CrashLoopBackOff", False, 7)
    assert (c.last_termination_reason, c.last_exit_code) == ("Error", 1)
    assert (c.cpu_request_m, c.cpu_limit_m) == (250.0, 500.0)
    assert (c.memory_request_bytes, c.memory_limit_bytes) == (256 * 2**20, 512 * 2**20)
    ok = next(p for p in reading.pods if p.name == k.POD_OK_1)
    assert ok.containers[0].state == "running" and ok.containers[0].last_exit_code is None
