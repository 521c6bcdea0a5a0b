"""A kubeconfig alone: Prometheus and Alertmanager found in the cluster, read through the
API server's service proxy (the emulator over HTTPS with its own CA), backed by the real
Prometheus and Alertmanager of the session's gateway stack.

The emulator holds the Services of every common install (tests/stack/kube_services.py):
the kube-prometheus-stack release's own Service must win over the operator's
`prometheus-operated`, Kubecost's bundled Prometheus and the PrometheusAgent; only the
Services the proxy forwards for are backed, so reading the wrong one fails the test.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_api_client import PrometheusConnect

from console.cli import main
from console.clock import system_clock
from console.config.settings import build_settings
from console.sources import build_source_set
from console.sources.base import SourceError
from tests.stack import kube_services as ks
from tests.stack.faults import FaultServer
from tests.stack.fixtures import GatewayStack
from tests.stack.kube_emulator import KubeEmulator
from tests.stack.kube_fixtures import loaded_emulator

pytestmark = pytest.mark.stack

KPS = "kube-prometheus-stack-prometheus"
KPS_AM = "kube-prometheus-stack-alertmanager"


@pytest.fixture(scope="module")
def emu(gateway_stack: GatewayStack) -> Iterator[KubeEmulator]:
    emulator = loaded_emulator()
    for svc in ks.every_install():
        emulator.put(svc)
    prom, am = gateway_stack.prometheus_url, gateway_stack.alertmanager_url
    emulator.proxy.register("monitoring", KPS, "http-web", prom)
    emulator.proxy.register("monitoring", KPS_AM, "http-web", am)
    emulator.proxy.register("monitoring", "prometheus-operated", "http-web", prom)
    emulator.start(tls=True)
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def kubeconfig(emu: KubeEmulator, tmp_path: Path) -> Path:
    return emu.write_kubeconfig(tmp_path / "kubeconfig")


def proxied_requests(emu: KubeEmulator, service: str) -> int:
    return sum(1 for r in emu.requests_where() if f"/services/{service}:" in r.path)


async def test_figures_read_through_the_proxy_equal_promql(
        emu: KubeEmulator, kubeconfig: Path, gateway_stack: GatewayStack,
        tmp_path: Path) -> None:
    settings = build_settings({"kubeconfig": str(kubeconfig)}, env={"HOME": str(tmp_path)})
    assert settings.target.prometheus is None
    sources = build_source_set(settings, settings.target, system_clock)
    before = proxied_requests(emu, KPS)
    try:
        reading = await asyncio.wait_for(sources.metrics.fetch(settings.window_s), 20)
        alerts = await asyncio.wait_for(sources.alerts.fetch(), 20)
        at = sources.metrics.last_eval_time  # type: ignore[attr-defined]
    finally:
        await sources.aclose()
    assert proxied_requests(emu, KPS) > before
    prom = PrometheusConnect(url=gateway_stack.prometheus_url, disable_ssl=True)
    rates = {r["metric"]["model"]: float(r["value"][1]) for r in prom.custom_query(
        "sum by (provider, model) (rate(ai_gateway_requests_total[5m]))",
        params={"time": f"{at:.3f}"})}
    shown = {m.model: m.request_rate for m in reading.models}
    assert set(shown) == set(rates) and rates
    for model, rate in rates.items():
        assert shown[model] == pytest.approx(rate, rel=1e-9)
    # The alerts came from the discovered Alertmanager as well as Prometheus.
    assert proxied_requests(emu, KPS_AM) >= 1
    assert sources.alerts.can_silence
    assert alerts.alerts is not None


def test_snapshot_with_only_a_kubeconfig(emu: KubeEmulator, kubeconfig: Path,
                                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("PROMETHEUS_URL", "AI_GATEWAY_CONSOLE_PROMETHEUS_URL", "KUBECONFIG"):
        monkeypatch.delenv(name, raising=False)
    code = main(["snapshot", "--kubeconfig", str(kubeconfig), "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data: Any = json.loads(out)
    assert {m["model"] for m in data["models"]} >= {"gpt-4.1", "deepseek-v3.2"}
    assert all(s["ok"] for s in data["sources"].values()), data["sources"]


def test_a_pinned_service_wins_and_a_bad_pin_is_one_line(
        emu: KubeEmulator, kubeconfig: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    before = proxied_requests(emu, "prometheus-operated")
    code = main(["snapshot", "--kubeconfig", str(kubeconfig), "--prometheus-service",
                 "monitoring/prometheus-operated:http-web"])
    assert code == 0, capsys.readouterr().err
    assert proxied_requests(emu, "prometheus-operated") > before
    assert main(["snapshot", "--kubeconfig", str(kubeconfig), "--prometheus-service",
                 "monitoring/Bad Name"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--prometheus-service" in err


def test_doctor_lists_every_candidate_and_the_choice(
        emu: KubeEmulator, kubeconfig: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    code = main(["doctor", "--kubeconfig", str(kubeconfig), "--read-only"])
    out = capsys.readouterr().out
    lines = out.splitlines()
    chosen = [ln for ln in lines if "← chosen" in ln]
    assert len(chosen) == 2, out
    assert "monitoring/kube-prometheus-stack-prometheus:http-web score 100" in chosen[0]
    assert "monitoring/kube-prometheus-stack-alertmanager:http-web" in chosen[1]
    candidates = "\n".join(ln for ln in lines if "prometheus candidate" in ln)
    for seen in ("kubecost/kubecost-prometheus-server:http", "Kubecost's bundled one",
                 "edge/prometheus-agent-operated:web", "serves no PromQL",
                 "team-a/prometheus-operated:web", "prometheus/prometheus-server:http"):
        assert seen in candidates, seen
    service = next(ln for ln in lines if "prometheus service" in ln)
    assert "PASS" in service and "best of" in service
    # Prometheus and Alertmanager checked through the proxy, like any other.
    assert any("PASS" in ln and "alertmanager " in ln and "reachable" in ln for ln in lines), out
    assert code in (0, 1)


async def test_the_live_console_with_only_a_kubeconfig_shows_promql_figures(
        emu: KubeEmulator, kubeconfig: Path, gateway_stack: GatewayStack,
        tmp_path: Path) -> None:
    from console.actions.audit import AuditLog
    from console.app import GatewayConsole

    settings = build_settings({"kubeconfig": str(kubeconfig), "refresh": "500ms"},
                              env={"HOME": str(tmp_path)})
    app = GatewayConsole.from_settings(settings, system_clock,
                                       audit=AuditLog(tmp_path / "audit.jsonl", system_clock),
                                       user="tester", export_dir=tmp_path)
    prom = PrometheusConnect(url=gateway_stack.prometheus_url, disable_ssl=True)
    async with app.run_test(size=(120, 40)) as pilot:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 40  # the first connect imports the client: slow on a busy box
        while not (app.latest.metrics and app.latest.metrics.models
                   and app.latest.alerts_status and app.latest.alerts_status.ok):
            assert loop.time() < deadline, (app.latest.metrics_status,
                                            app.latest.alerts_status)
            await pilot.pause(0.1)
        await pilot.press("p")  # freeze, then ask Prometheus at the console's instant
        await pilot.pause(0.5)
        reading = app.latest.metrics
        at = app.sources.metrics.last_eval_time  # type: ignore[attr-defined]
        p95s = {r["metric"]["model"]: float(r["value"][1]) for r in prom.custom_query(
            "histogram_quantile(0.95, sum by (provider, model, le) "
            "(rate(ai_gateway_request_duration_seconds_bucket[5m])))",
            params={"time": f"{at:.3f}"})}
        shown = {m.model: m.p95_latency_s for m in reading.models}
        assert set(shown) == set(p95s)
        for model, p95 in p95s.items():
            assert shown[model] == pytest.approx(p95, rel=1e-9)
        await pilot.press("q")


async def test_a_client_certificate_kubeconfig_reads_through_the_proxy(
        gateway_stack: GatewayStack, tmp_path: Path) -> None:
    """mTLS: the API server asks for the kubeconfig's client certificate (no token at all)."""
    emulator = loaded_emulator()
    emulator.put(ks.kps_prometheus())
    emulator.proxy.register("monitoring", KPS, "http-web", gateway_stack.prometheus_url)
    emulator.start(tls=True, client_cert="required")
    try:
        kubeconfig = emulator.write_kubeconfig(tmp_path / "kubeconfig")
        assert "token" not in kubeconfig.read_text()
        settings = build_settings({"kubeconfig": str(kubeconfig)}, env={"HOME": str(tmp_path)})
        sources = build_source_set(settings, settings.target, system_clock)
        try:
            reading = await asyncio.wait_for(sources.metrics.fetch(settings.window_s), 20)
        finally:
            await sources.aclose()
        assert {m.model for m in reading.models} >= {"gpt-4.1", "deepseek-v3.2"}
        assert proxied_requests(emulator, KPS) >= 1
    finally:
        emulator.stop()


async def test_reads_through_the_proxy_keep_the_timeout_given(
        emu: KubeEmulator, kubeconfig: Path, fault_server: FaultServer,
        tmp_path: Path) -> None:
    """`--timeout` holds for the proxied reads too (they have no endpoint of their own to
    carry it): a Service whose backend stalls fails after the timeout given, not after the
    one derived from the refresh."""
    fault_server.stall(30.0)
    emu.put(ks.service("prometheus", "slow", {"app.kubernetes.io/name": "prometheus"},
                       [{"name": "http-web", "port": 9090, "protocol": "TCP",
                         "targetPort": 9090}], {"app.kubernetes.io/name": "prometheus"}))
    emu.proxy.register("slow", "prometheus", "http-web", fault_server.url)
    settings = build_settings({"kubeconfig": str(kubeconfig), "timeout": "1500ms",
                               "refresh": "5s", "prometheus_service": "slow/prometheus"},
                              env={"HOME": str(tmp_path)})
    assert settings.target.request_timeout_s == 1.5
    sources = build_source_set(settings, settings.target, system_clock)
    try:
        with pytest.raises(SourceError) as failed:
            await asyncio.wait_for(sources.metrics.fetch(settings.window_s), 20)
    finally:
        await sources.aclose()
    assert "timed out after 1.5s" in str(failed.value), failed.value
