"""Several clusters on the real stack (issue 7's done-when).

Three targets: `eu` reads a Prometheus that scrapes two gateways as two
clusters (`cluster="eu"` / `"us"`, standing in for a global store such as
Thanos or Mimir); `lab` has its own Prometheus (the session's); `dead` has a
Prometheus and a Kubernetes API nobody answers at. Two Kubernetes API
emulators serve `eu` and `lab`. The fleet view's figures are checked against
PromQL sent by hand with prometheus-api-client, at the instant the console
evaluated its own.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prometheus_api_client import PrometheusConnect
from rich.text import Text
from textual.pilot import Pilot

from console.actions.audit import AuditLog
from console.app import GatewayConsole
from console.clock import system_clock
from console.config.settings import build_settings
from console.screens.confirm import ConfirmScreen
from console.screens.fleet import FleetScreen
from console.sources import build_source_set
from console.sources.store import StoreRegistry, StoreSlice
from console.state.fleet import fleet_rows
from tests.app_harness import cell_text, pilot_until
from tests.stack import kube_objects
from tests.stack.fixtures import GatewayStack, require_binaries
from tests.stack.gateway_exporter import GatewayExporter, ModelTraffic, seed_models
from tests.stack.kube_emulator import KubeEmulator
from tests.stack.kube_fixtures import FAKE_TOKEN, loaded_emulator
from tests.stack.prometheus_stack import PrometheusStack, ScrapeJob, free_port
from widgets.keyed_table import KeyedTable

CANARY = "ai-canary"


def us_models() -> list[ModelTraffic]:
    """The second cluster: two models only, and other figures, so a mix-up shows."""
    return [ModelTraffic("gpt-4.1", rate=7.0, error_fraction=0.2, p95_latency_s=3.5),
            ModelTraffic("gemini-2.5-flash", rate=4.0, error_fraction=0.0, p95_latency_s=0.4)]


@dataclass
class GlobalStore:
    eu: GatewayExporter
    us: GatewayExporter
    prometheus: PrometheusStack

    @property
    def url(self) -> str:
        return self.prometheus.prometheus_url


@pytest.fixture(scope="module")
def global_store() -> Iterator[GlobalStore]:
    require_binaries()
    eu = GatewayExporter(seed_models()).start()
    us = GatewayExporter(us_models()).start()
    job = ScrapeJob("ai-gateway", [eu.target, us.target],
                    labels={eu.target: {"cluster": "eu"}, us.target: {"cluster": "us"}})
    stack = PrometheusStack([job], with_alertmanager=False)
    try:
        stack.start()
        stack.wait_for_samples("ai-gateway", samples=3)
        yield GlobalStore(eu, us, stack)
    finally:
        stack.stop()
        us.stop()
        eu.stop()


def canary_objects() -> list[dict[str, Any]]:
    """The gateway again in namespace ai-canary, with pods of other names."""
    out = []
    for obj in (kube_objects.namespace(), kube_objects.deployment(), *kube_objects.pods()):
        obj = copy.deepcopy(obj)
        meta = obj["metadata"]
        meta.pop("uid", None)
        if obj["kind"] == "Namespace":
            meta["name"] = CANARY
        else:
            meta["namespace"] = CANARY
            if obj["kind"] == "Pod":
                meta["name"] = "canary-" + meta["name"]
        out.append(obj)
    return out


@pytest.fixture
def emulators() -> Iterator[tuple[KubeEmulator, KubeEmulator]]:
    eu = loaded_emulator(bookmark_interval_s=1.0)
    for obj in canary_objects():
        eu.put(obj)
    lab = loaded_emulator(bookmark_interval_s=1.0)
    eu.start()
    lab.start()
    try:
        yield eu, lab
    finally:
        lab.stop()
        eu.stop()


def write_kubeconfig(path: Path, servers: dict[str, str]) -> Path:
    """One kubeconfig with a context per cluster, as an on-call's own would have."""
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": n, "cluster": {"server": u}} for n, u in servers.items()],
        "users": [{"name": "oncall", "user": {"token": FAKE_TOKEN}}],
        "contexts": [{"name": n, "context": {"cluster": n, "user": "oncall",
                                             "namespace": "ai-services"}} for n in servers],
        "current-context": next(iter(servers)),
    }))
    return path


FleetFactory = Callable[[], GatewayConsole]


@pytest.fixture
def fleet_app(gateway_stack: GatewayStack, global_store: GlobalStore,
              emulators: tuple[KubeEmulator, KubeEmulator], tmp_path: Path) -> FleetFactory:
    eu, lab = emulators
    dead_port = free_port()
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {
        "eu": eu.url, "lab": lab.url, "dead": f"http://127.0.0.1:{dead_port}"})
    config = tmp_path / "config.toml"
    config.write_text(f"""
refresh = "500ms"
kubeconfig = "{kubeconfig}"

[prometheus]            # the global store, shared by the targets without their own
url = "{global_store.url}"

[[targets]]
name = "eu"
context = "eu"
cluster = "eu"

[[targets]]
name = "lab"
context = "lab"
read_only = true
[targets.prometheus]
url = "{gateway_stack.prometheus_url}"
[targets.alertmanager]
url = "{gateway_stack.alertmanager_url}"

[[targets]]
name = "dead"
context = "dead"
[targets.prometheus]
url = "http://127.0.0.1:{dead_port}"
""")

    def make() -> GatewayConsole:
        settings = build_settings({"config": str(config)}, env={"HOME": str(tmp_path)})
        return GatewayConsole.from_settings(settings, system_clock,
                                            audit=AuditLog(tmp_path / "audit.jsonl",
                                                           system_clock),
                                            user="tester", export_dir=tmp_path)

    return make


async def until(pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    await pilot_until(pilot, predicate, timeout)


def rows_ready(app: GatewayConsole) -> bool:
    rows = {r.target: r for r in fleet_rows(app.targets, app.fleet_latest)}
    return (len(rows) == 3 and all(rows[n].problem is None and rows[n].models
                                   and rows[n].replicas is not None for n in ("eu", "lab"))
            and rows["dead"].problem is not None)


def worst(prom: PrometheusConnect, at: float, scope: str) -> tuple[float, float, float]:
    """Total req/s, max error ratio and max P95 of one cluster, by hand."""
    sel = "{" + scope + "}"

    def one(promql: str) -> float:
        result = prom.custom_query(promql, params={"time": f"{at:.3f}"})
        assert len(result) == 1, (promql, result)
        return float(result[0]["value"][1])

    rate = f"sum by (provider, model) (rate(ai_gateway_requests_total{sel}[5m]))"
    return (
        one(f"sum(rate(ai_gateway_requests_total{sel}[5m]))"),
        one(f"max(sum by (provider, model) (rate(ai_gateway_errors_total{sel}[5m])) / {rate})"),
        one("max(histogram_quantile(0.95, sum by (provider, model, le) "
            f"(rate(ai_gateway_request_duration_seconds_bucket{sel}[5m]))))"),
    )


async def test_fleet_view_figures_equal_promql_and_a_dead_target_says_why(
    fleet_app: FleetFactory, gateway_stack: GatewayStack, global_store: GlobalStore,
) -> None:
    app = fleet_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert isinstance(app.screen, FleetScreen)  # several targets: the fleet view first

        def firing_in_both() -> bool:
            """The stack's HighErrorRate needs its `for:` after a fresh start of the stack."""
            rows = {r.target: r for r in fleet_rows(app.targets, app.fleet_latest)}
            return all(n in rows and (rows[n].firing or 0) >= 1 for n in ("eu", "lab"))

        await until(pilot, lambda: rows_ready(app) and firing_in_both(), timeout=60)
        await pilot.press("p")  # freeze, then ask PromQL at the console's own instants
        await pilot.pause(1.0)
        assert isinstance(app.screen, FleetScreen)
        app.screen.refresh_data()
        rows = {r.target: r for r in fleet_rows(app.targets, app.fleet_latest)}
        eu_metrics = app.fleet_sources["eu"].metrics
        lab_metrics = app.fleet_sources["lab"].metrics
        assert isinstance(eu_metrics, StoreSlice)
        checks = (
            ("eu", global_store.url, eu_metrics.last_eval_time, 'cluster="eu"'),
            ("lab", gateway_stack.prometheus_url,
             lab_metrics.last_eval_time, ""),  # type: ignore[attr-defined]
        )
        table = app.screen.query_one("#fleet-targets", KeyedTable)
        for name, url, at, scope in checks:
            assert at is not None
            rate, ratio, p95 = worst(PrometheusConnect(url=url, disable_ssl=True), at, scope)
            row = rows[name]
            assert row.total_rate == pytest.approx(rate, rel=0.02)
            assert row.max_error_ratio == pytest.approx(ratio, rel=0.02)
            assert row.max_p95_s == pytest.approx(p95, rel=0.02)
            assert (row.replicas, row.ready_replicas, row.hpa_max) == (3, 2, 10)
            # The stack's HighErrorRate (7.8 % of requests fail) fires in both clusters: a
            # cluster with firing alerts is not "✓ ok" and not counted healthy (issue 17).
            assert row.firing is not None and row.firing >= 1
            assert cell_text(table, name, "health").startswith(f"✗ {row.firing} firing")
            assert cell_text(table, name, "rate") == f"{row.total_rate:.1f}"
        # eu's share of the store is eu's: four models, not us' two.
        assert rows["eu"].models == 4
        assert rows["lab"].read_only and not rows["eu"].read_only
        dead = cell_text(table, "dead", "health")
        assert dead.startswith("✗ ") and "refused" in dead and "\n" not in dead
        assert cell_text(table, "dead", "rate") == "—"
        assert Text.from_markup(str(table.border_subtitle)).plain == "0/3 healthy"
        # enter on a healthy row opens its overview, with its own data.
        table.focus()
        table.move_cursor(row=list(table.row_keys).index("eu"))
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, FleetScreen))
        assert app.current_target.name == "eu"
        models = app.query_one("#models", KeyedTable)
        await until(pilot, lambda: models.row_count == 4)
        assert "eu (1/3)" in str(app.query_one("#title").render())


async def test_query_count_per_refresh_is_the_same_for_one_and_three_targets(
    global_store: GlobalStore, tmp_path: Path,
) -> None:
    """Targets on one store share its reader: 8 queries a refresh for 1 target or 3."""
    counts = {}
    for names in (("eu",), ("eu", "us", "ap")):
        flags = {"prometheus_url": global_store.url, "context": list(names),
                 "kubeconfig": str(tmp_path / "none")}
        settings = build_settings(flags, env={"HOME": str(tmp_path)})
        if len(names) == 1:  # one --context alone reads its own Prometheus: make it a store
            from dataclasses import replace
            settings = replace(settings, targets=(replace(settings.target, cluster="eu"),))
        stores = StoreRegistry()
        sets = [build_source_set(settings, t, system_clock, stores) for t in settings.targets]
        store = stores.stores[0]
        try:
            await asyncio.gather(*(s.metrics.fetch(300.0) for s in sets),  # warm-up
                                 return_exceptions=True)
            before = store.requests_sent
            for _ in range(3):  # three refreshes, every target polling as its worker does
                results = await asyncio.gather(*(s.metrics.fetch(300.0) for s in sets),
                                               return_exceptions=True)
                await asyncio.sleep(0.1)
            counts[len(names)] = (store.requests_sent - before) / 3
            assert store.queries_per_refresh == counts[len(names)]
            by_name = dict(zip(names, results, strict=True))
            assert {m.model for m in by_name["eu"].models} == {  # type: ignore[union-attr]
                "gpt-4.1", "claude-sonnet-4.5", "gemini-2.5-flash", "deepseek-v3.2"}
            if "us" in by_name:
                assert {m.model for m in by_name["us"].models} == {  # type: ignore[union-attr]
                    "gpt-4.1", "gemini-2.5-flash"}
                assert "no series with cluster=\"ap\"" in str(by_name["ap"])
        finally:
            for s in sets:
                await s.aclose()
    assert counts[1] == counts[3] == 8


async def test_switch_context_and_namespace_and_per_target_read_only(
    fleet_app: FleetFactory, emulators: tuple[KubeEmulator, KubeEmulator],
) -> None:
    _, lab_api = emulators
    app = fleet_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: rows_ready(app), timeout=20)
        await pilot.press("enter")  # the first row: eu
        await until(pilot, lambda: not isinstance(app.screen, FleetScreen))
        assert app.current_target.name == "eu" and not app.runner.read_only
        # eu is writable: `r` asks for confirmation (and `n` sends nothing).
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))

        # :ctx lab — no restart; lab is read-only by its config although the console is not.
        await pilot.press("colon", *"ctx lab", "enter")
        await until(pilot, lambda: app.current_target.name == "lab")
        assert app.runner.read_only and not app.settings.read_only
        assert "READ-ONLY" in str(app.query_one("#title").render())
        lab_api.clear_requests()
        await until(pilot, lambda: bool(app.latest.cluster))
        for key in ("r", "s", "ctrl+d"):
            await pilot.press(key)
            await pilot.pause(0.2)
            assert not isinstance(app.screen, ConfirmScreen)
        assert app.runner.read_only
        assert lab_api.requests_where(method="PATCH") == []
        assert lab_api.requests_where(method="DELETE") == []

        # :ctx eu, then :ns ai-canary — the overview shows the canary's pods.
        await pilot.press("colon", *"ctx eu", "enter")
        await until(pilot, lambda: app.current_target.name == "eu")
        await pilot.press("colon", *"ns ai-can", "tab", "enter")
        await until(pilot, lambda: app.current_target.namespace == CANARY)
        pods = app.query_one("#pods", KeyedTable)

        def canary_pods() -> bool:
            cluster = app.latest.cluster
            return bool(cluster and cluster.pods
                        and all(p.name.startswith("canary-") for p in cluster.pods))

        await until(pilot, canary_pods)
        await until(pilot, lambda: pods.row_count > 0)
        assert app.fleet_sources["eu"].cluster is app.sources.cluster
        assert any(t.name == "eu" and t.namespace == CANARY for t in app.targets)
