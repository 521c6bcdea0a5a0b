"""Several clusters on the demo and in the settings: fleet view, switching, per-target
read-only, config targets and the shared store's PromQL (real stack: test_fleet_stack.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.pilot import Pilot

from console.cli import main
from console.config.profiles import PROFILES
from console.config.settings import ConfigError, build_settings
from console.screens.command import CommandScreen, parse_command
from console.screens.confirm import ConfirmScreen
from console.screens.fleet import FleetScreen
from console.sources.promql import build_queries, scoped_profile
from console.sources.store import cluster_matcher, split_results
from console.state.fleet import fleet_rows
from tests.app_harness import demo_app, demo_fleet_app, wait_for_data, wait_for_fleet
from widgets.keyed_table import KeyedTable


def test_targets_from_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("""
[prometheus]
url = "http://thanos:9090"
[[targets]]
name = "eu"
context = "eu-ctx"
[[targets]]
name = "us"
cluster = "us-east"
read_only = true
namespace = "gw"
[[targets]]
name = "lab"
[targets.prometheus]
url = "http://lab-prom:9090"
""")
    s = build_settings({"config": str(config)}, env={"HOME": str(tmp_path)})
    eu, us, lab = s.targets
    assert s.fleet
    assert (eu.cluster, eu.context, eu.read_only) == ("eu-ctx", "eu-ctx", False)
    assert (us.cluster, us.namespace, us.read_only) == ("us-east", "gw", True)
    assert lab.cluster is None and lab.prometheus is not None
    assert lab.prometheus.url == "http://lab-prom:9090"


def test_repeated_context_is_a_fleet_on_the_shared_store(tmp_path: Path) -> None:
    s = build_settings({"context": ["a", "b"], "prometheus_url": "http://p:9090"},
                       env={"HOME": str(tmp_path)})
    assert [(t.name, t.cluster) for t in s.targets] == [("a", "a"), ("b", "b")]
    one = build_settings({"context": ["a"], "prometheus_url": "http://p:9090"},
                         env={"HOME": str(tmp_path)})
    assert not one.fleet and one.target.cluster is None  # as before: its own Prometheus


@pytest.mark.parametrize(("text", "message"), [
    ('[[targets]]\ncontext = 3\n', "#1 context must be a string, not an integer"),
    ('[[targets]]\nnamespace = "gw"\n', "give it a name"),
    ('[[targets]]\nname = "a"\nbogus = 1\n', "unknown key 'bogus'"),
    ('[[targets]]\nname = "a"\n[[targets]]\nname = "a"\n', "used twice"),
])
def test_bad_targets_are_one_line_and_exit_2(tmp_path: Path, text: str, message: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[prometheus]\nurl = "http://p:9090"\n' + text)
    with pytest.raises(ConfigError, match=message):
        build_settings({"config": str(config)}, env={"HOME": str(tmp_path)})
    assert main(["snapshot", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_store_queries_group_by_cluster_first() -> None:
    profile = scoped_profile(PROFILES["seed"], cluster_matcher("cluster", ["eu", "us"]))
    plan = build_queries(profile, "5m", ("cluster",), cluster_matcher("cluster", ["eu", "us"]))
    assert len(plan) == len(build_queries(PROFILES["seed"], "5m"))
    assert plan.queries["request_rate"] == (
        'sum by (cluster, provider, model) '
        '(rate(ai_gateway_requests_total{cluster=~"eu|us"}[5m]))')
    assert 'ai_gateway_request_duration_seconds_bucket{cluster=~"eu|us"}' in (
        plan.queries["latency"])
    assert plan.queries["up"] == 'up{job="ai-gateway",cluster=~"eu|us"}'
    rows: dict[str, list[tuple[dict[str, str], float | None]] | None] = {"request_rate": [
                             ({"cluster": "eu", "model": "m"}, 1.0),
                             ({"cluster": "us", "model": "m"}, 2.0)], "ttft_p95": None}
    assert split_results(rows, "cluster", "us") == {
        "request_rate": [({"cluster": "us", "model": "m"}, 2.0)], "ttft_p95": None}


def test_parse_command() -> None:
    assert parse_command(":ctx prod") == ("ctx", "prod")
    assert parse_command("namespace x") == ("ns", "x")
    with pytest.raises(ValueError, match="unknown command"):
        parse_command("rm -rf")


async def test_fleet_first_enter_opens_overview_f_comes_back(tmp_path: Path) -> None:
    app = demo_fleet_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_fleet(pilot)
        assert isinstance(app.screen, FleetScreen)
        rows = {r.target: r for r in fleet_rows(app.targets, app.fleet_latest)}
        table = app.screen.query_one("#fleet-targets", KeyedTable)
        assert list(table.row_keys) == list(rows)
        eu = rows["eu-west-1"]
        models = app.fleet_latest["eu-west-1"].metrics.models  # type: ignore[union-attr]
        assert eu.total_rate == pytest.approx(sum(m.request_rate or 0 for m in models))
        assert eu.max_error_ratio == max(m.error_ratio or 0 for m in models)
        # the all-clusters models table: a cluster column, sorted with `o`
        all_models = app.screen.query_one("#fleet-models", KeyedTable)
        assert all_models.row_count == sum(r.models or 0 for r in rows.values())
        await pilot.press("o")
        assert app.screen.sort == "cluster"
        await pilot.press("down", "enter")
        await wait_for_data(pilot)
        assert not isinstance(app.screen, FleetScreen)
        assert app.current_target.name == "us-east-1"
        await pilot.press("f")
        await pilot.pause(0.1)
        assert isinstance(app.screen, FleetScreen)


async def test_read_only_target_refuses_without_global_read_only(tmp_path: Path) -> None:
    app = demo_fleet_app(tmp_path)  # us-east-1 is read-only in the demo fleet
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_fleet(pilot)
        await pilot.press("enter")  # eu-west-1: writable
        await wait_for_data(pilot)
        await pilot.press("r")
        await pilot.pause(0.2)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await app.run_command("ctx us-east-1")
        await wait_for_data(pilot)
        assert app.runner.read_only and not app.settings.read_only
        await pilot.press("r")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, ConfirmScreen)
        # Refused before anything was asked or sent, and audited with the target's context.
        lines = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
        assert [a["context"] for a in lines] == ["eu-west-1", "us-east-1"]
        # `n`, or the switch right after it if that came first: cancelled either way.
        assert lines[0]["result"].startswith("cancelled")
        assert lines[0]["result"].endswith("nothing was sent")
        assert lines[1]["result"] == ("refused: read-only mode: actions are disabled "
                                      "(started with --read-only)")


async def test_ns_switch_with_completion_on_a_single_target(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    app.switcher.make_sources = _demo_factory(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("colon")
        await pilot.pause(0.2)
        assert isinstance(app.screen, CommandScreen)
        await pilot.press(*"ns ai-st", "tab", "enter")
        await wait_for_data(pilot)
        assert app.current_target.namespace == "ai-staging"
        # The simulated cluster's gateway lives in ai-services only: not found, as a real
        # cluster answers, never an invented `ai-gateway ready 3/3` (issue 17).
        assert_not_found(app, "Deployment ai-gateway not found in namespace ai-staging")


def assert_not_found(app: Any, message: str) -> None:
    status = app.latest.cluster_status
    assert status is not None and (status.ok, status.error) == (False, message)
    assert app.latest.cluster is None
    pods = app.screen.query_one("#pods", KeyedTable)
    assert Text.from_markup(str(pods.border_subtitle)).plain == f"✗ {message}"
    assert Text.from_markup(str(pods.border_title)).plain == "Pods" and pods.row_keys == ()


async def test_the_demo_does_not_invent_a_deployment(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    app.switcher.make_sources = _demo_factory(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await app.run_command("deploy nosuch")
        await wait_for_data(pilot)
        assert app.current_target.deployment == "nosuch"
        assert_not_found(app, "Deployment nosuch not found in namespace ai-services")
        await app.run_command("ns kube-system")
        await wait_for_data(pilot)
        assert_not_found(app, "Deployment nosuch not found in namespace kube-system")
        await app.run_command("deploy ai-gateway")
        await wait_for_data(pilot)
        await app.run_command("ns ai-services")
        await wait_for_data(pilot)
        assert app.latest.cluster is not None and app.latest.cluster.deployment is not None
        assert app.latest.cluster.deployment.name == "ai-gateway"


def _demo_factory(app: Any) -> Any:
    from console.sources import build_source_set

    return lambda target: build_source_set(app.settings, target, app.clock)


async def test_single_target_has_no_fleet_view(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("f")
        assert not isinstance(app.screen, FleetScreen)


def snapshot_settle(pilot: Pilot[Any]) -> Any:
    return wait_for_fleet(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_fleet_snapshot(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    async def settle(pilot: Pilot[Any]) -> None:
        await wait_for_fleet(pilot)
        await pilot.pause(0.1)

    assert snap_compare(demo_fleet_app(tmp_path), terminal_size=size, run_before=settle)
