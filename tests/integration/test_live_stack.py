"""The live console on the real stack: Prometheus, Alertmanager and the Kubernetes API emulator.

These are the done-when checks of the Prometheus and Kubernetes issues as a user
meets them: figures on screen equal PromQL run by hand, alerts fire and a silence
shows, and `r`/`y` sends exactly one PATCH while `n`, `--read-only` and an RBAC
"no" send nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prometheus_api_client import PrometheusConnect
from textual.pilot import Pilot

from console.actions.audit import AuditLog
from console.actions.runner import ActionRunner
from console.app import GatewayConsole
from console.clock import system_clock
from console.config.settings import build_settings
from console.screens.confirm import ConfirmScreen
from console.screens.matcher_editor import MatcherEditor
from console.screens.prompt import PromptScreen
from console.sources import build_source_set
from console.text.format import fmt_ratio_pct, fmt_seconds
from tests.app_harness import cell_text, pilot_until
from tests.stack.fixtures import GatewayStack
from tests.stack.kube_emulator import KubeEmulator
from tests.stack.kube_fixtures import CONTEXT, FAKE_TOKEN
from widgets.keyed_table import KeyedTable

AppFactory = Callable[..., GatewayConsole]
PROM_TOKEN = "prom-token-77aa91c3-never-shown"


@pytest.fixture
def live_app(gateway_stack: GatewayStack, kubeconfig: Path, tmp_path: Path) -> AppFactory:
    token_file = tmp_path / "prom.token"
    token_file.write_text(PROM_TOKEN)

    def make(read_only: bool = False) -> GatewayConsole:
        flags: dict[str, Any] = {
            "prometheus_url": gateway_stack.prometheus_url,
            "alertmanager_url": gateway_stack.alertmanager_url,
            "prometheus_token_file": str(token_file),
            "kubeconfig": str(kubeconfig),
            "context": CONTEXT,
            "refresh": "500ms",
            "read_only": True if read_only else None,
        }
        settings = build_settings(flags, env={"HOME": str(tmp_path)})
        sources = build_source_set(settings, settings.target, system_clock)
        runner = ActionRunner(settings.target, sources,
                              AuditLog(tmp_path / "audit.jsonl", system_clock),
                              read_only=settings.read_only, user="tester")
        return GatewayConsole(settings, sources, runner, system_clock, export_dir=tmp_path)

    return make


async def until(pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    await pilot_until(pilot, predicate, timeout)


def healthy(app: GatewayConsole) -> bool:
    return all(s is not None and s.ok for s in (
        app.latest.metrics_status, app.latest.cluster_status, app.latest.alerts_status))


async def test_figures_on_screen_equal_promql(live_app: AppFactory,
                                              gateway_stack: GatewayStack) -> None:
    app = live_app()
    prom = PrometheusConnect(url=gateway_stack.prometheus_url, disable_ssl=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: healthy(app) and bool(app.latest.metrics
                                                         and app.latest.metrics.models))
        # Freeze the screen, then ask Prometheus the same PromQL at the instant the
        # console evaluated it: a young series' rate moves every second.
        await pilot.press("p")
        await pilot.pause(1.0)
        reading = app.latest.metrics
        assert reading is not None
        params = {"time": f"{app.sources.metrics.last_eval_time:.3f}"}  # type: ignore[attr-defined]
        rates = {
            r["metric"]["model"]: float(r["value"][1])
            for r in prom.custom_query(
                "sum by (provider, model) (rate(ai_gateway_requests_total[5m]))", params=params)
        }
        p95s = {
            r["metric"]["model"]: float(r["value"][1])
            for r in prom.custom_query(
                "histogram_quantile(0.95, sum by (provider, model, le) "
                "(rate(ai_gateway_request_duration_seconds_bucket[5m])))", params=params)
        }
        models = app.query_one("#models", KeyedTable)
        shown = {m.model: m for m in reading.models}
        assert set(shown) == set(rates) == {"gpt-4.1", "claude-sonnet-4.5", "gemini-2.5-flash",
                                            "deepseek-v3.2"}
        for name, m in shown.items():
            assert m.request_rate == pytest.approx(rates[name], rel=0.05)
            assert m.p95_latency_s == pytest.approx(p95s[name], rel=0.05)
            key = f"{m.provider}/{m.model}"
            assert cell_text(models, key, "p95").startswith(fmt_seconds(m.p95_latency_s))
            assert cell_text(models, key, "errors").startswith(fmt_ratio_pct(m.error_ratio))
        # deepseek fails half its requests and claude's P95 is 2.8 s: both rows come
        # first and are marked bad without colour.
        first_two = set(models.row_keys[:2])
        assert first_two == {"holysheep/deepseek-v3.2", "holysheep/claude-sonnet-4.5"}
        assert cell_text(models, "holysheep/deepseek-v3.2", "errors").endswith("✗")
        assert cell_text(models, "holysheep/claude-sonnet-4.5", "p95").endswith("✗")


async def test_alerts_fire_and_a_silence_shows(live_app: AppFactory) -> None:
    app = live_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: any(a.name == "HighErrorRate" and a.state == "firing"
                                       for a in app.snapshot().alerts), timeout=20)
        alerts = app.query_one("#alerts", KeyedTable)
        alerts.focus()
        keys = list(alerts.row_keys)
        target = next(a for a in app.snapshot().alerts if a.name == "HighErrorRate")
        alerts.move_cursor(row=keys.index(target.key))
        await pilot.press("S")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press("ctrl+a", "ctrl+k", *"10m", "enter")
        await until(pilot, lambda: isinstance(app.screen, MatcherEditor))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")

        def silenced() -> bool:
            return any(a.name == "HighErrorRate" and a.silenced for a in app.snapshot().alerts)

        await until(pilot, silenced)
        assert json.loads(json.dumps(app.snapshot().to_json()))["alerts"]
        assert any(a["silenced"] for a in app.snapshot().to_json()["alerts"]
                   if a["name"] == "HighErrorRate")
        # Expire it again from the console, so the shared Alertmanager is left as found.
        keys = list(alerts.row_keys)
        current = next(a for a in app.snapshot().alerts if a.name == "HighErrorRate")
        alerts.move_cursor(row=keys.index(current.key))
        await pilot.press("S")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: not silenced())


async def _open_restart(pilot: Pilot[Any], app: GatewayConsole) -> None:
    await until(pilot, lambda: healthy(app))
    await pilot.press("r")
    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))


async def test_restart_sends_exactly_one_patch_and_shows_the_rollout(
    live_app: AppFactory, kube_emulator: KubeEmulator
) -> None:
    app = live_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_restart(pilot, app)
        kube_emulator.clear_requests()
        await pilot.press("y", "y")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        await until(pilot, lambda: bool(kube_emulator.requests_where("PATCH")))
        await pilot.pause(0.5)
        patches = kube_emulator.requests_where("PATCH")
        assert len(patches) == 1
        assert "/deployments/ai-gateway" in patches[0].path
        body = patches[0].body
        stamp = body["spec"]["template"]["metadata"]["annotations"][
            "kubectl.kubernetes.io/restartedAt"]
        assert stamp.endswith("Z")
        # Play the Deployment controller: one of three pods updated so far.
        kube_emulator.patch("Deployment", "ai-gateway",
                            {"status": {"updatedReplicas": 1, "observedGeneration": 5}})
        pods = app.query_one("#pods", KeyedTable)
        await until(pilot, lambda: "rolling out: 1/3" in str(pods.border_subtitle))
        dep = app.latest.cluster.deployment if app.latest.cluster else None
        assert dep is not None and dep.restarted_at == stamp


async def test_restart_cancelled_sends_nothing(live_app: AppFactory,
                                               kube_emulator: KubeEmulator) -> None:
    app = live_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_restart(pilot, app)
        kube_emulator.clear_requests()
        await pilot.press("n")
        await pilot.pause(1.0)
        assert kube_emulator.requests_where("PATCH") == []


async def test_read_only_sends_nothing(live_app: AppFactory, kube_emulator: KubeEmulator) -> None:
    app = live_app(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: healthy(app))
        kube_emulator.clear_requests()
        await pilot.press("r")
        await pilot.pause(0.5)
        assert not isinstance(app.screen, ConfirmScreen)
        assert kube_emulator.requests_where("PATCH") == []
        assert kube_emulator.requests_where("POST", "selfsubjectaccessreviews") == []
        assert any("read-only" in n.message for n in app._notifications)


async def test_rbac_no_sends_nothing_and_shows_the_reason(
    live_app: AppFactory, kube_emulator: KubeEmulator
) -> None:
    kube_emulator.deny("patch", "deployments", reason="operators only (on-call-readers group)")
    app = live_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: healthy(app))
        kube_emulator.clear_requests()
        await pilot.press("r")
        await until(pilot, lambda: any("operators only" in n.message
                                       for n in app._notifications))
        assert not isinstance(app.screen, ConfirmScreen)
        assert kube_emulator.requests_where("PATCH") == []


async def test_no_credential_reaches_the_screen_or_exports(
    live_app: AppFactory, tmp_path: Path
) -> None:
    app = live_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: healthy(app))
        await pilot.press("x")
        await pilot.pause(0.2)
        exported = "".join(p.read_text() for p in tmp_path.glob("incident-*/*"))
        assert exported
        shown = app.export_screenshot()
        for secret in (PROM_TOKEN, FAKE_TOKEN):
            assert secret not in exported
            assert secret not in shown
