"""Each demo incident is fixed from the first screen in at most three keys plus `y`.

The keys are pressed as an on-call engineer would press them on the overview of the
seeded demo; then the simulated clock runs on and the demo must be healthy again: no
pod crash-looping, the rollout complete, the HPA not pinned, errors under 5 %.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.text import Text

from console.app import GatewayConsole
from console.clock import FixedClock
from console.screens.confirm import ConfirmScreen
from console.screens.details import DetailScreen
from console.screens.matcher_editor import CommentInput, MatcherEditor
from console.screens.prompt import PromptScreen
from console.screens.revisions import RevisionScreen
from console.screens.silences import SilencesScreen
from tests.app_harness import demo_app, wait_for_data
from tests.tui.test_app_pilot import audit_lines, refresh
from widgets.keyed_table import KeyedTable

MAX_KEYS = 3


async def run_for(pilot: object, app: GatewayConsole, clock: FixedClock, seconds: int,
                  step: int = 15) -> list[str]:
    """Let the simulated cluster run on, refreshing as the console would; the pods
    panel's progress line after each refresh."""
    shown: list[str] = []
    for _ in range(seconds // step):
        clock.advance(step)
        await refresh(pilot, app)
        shown.append(str(app.query_one("#pods", KeyedTable).border_subtitle))
    return shown


def healthy(app: GatewayConsole) -> list[str]:
    """What is still wrong, in words (empty when the demo is healthy)."""
    wrong: list[str] = []
    cluster, metrics = app.latest.cluster, app.latest.metrics
    assert cluster is not None and cluster.deployment is not None and metrics is not None
    dep = cluster.deployment
    if dep.rolling or dep.stalled:
        wrong.append(f"rollout not done: {dep.ready_replicas}/{dep.replicas} ready")
    crashing = [p.name for p in cluster.pods if p.restarts and not p.ready]
    if crashing:
        wrong.append(f"crashing: {crashing}")
    if cluster.hpa is not None and cluster.hpa.pinned_at_max:
        wrong.append("HPA pinned at max")
    for m in metrics.models:
        if m.error_ratio is not None and m.error_ratio >= 0.05:
            wrong.append(f"{m.provider}/{m.model} errors {m.error_ratio:.1%}")
    return wrong


async def test_crashloop_is_fixed_by_rolling_back(tmp_path: Path) -> None:
    clock = FixedClock()
    app = demo_app(tmp_path, "crashloop", clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        assert healthy(app), "the scenario starts broken"
        keys = ["u", "enter"]
        await pilot.press("u")
        await pilot.pause(0.2)
        assert isinstance(app.screen, RevisionScreen)
        revisions = app.screen.revisions
        assert [r.current for r in revisions][:2] == [True, False]
        assert app.screen.preselected == revisions[1].number  # the previous one
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.command_text == (
            "kubectl -n ai-services rollout undo deployment/ai-gateway "
            f"--to-revision={revisions[1].number}")
        assert any(line.startswith("+") and "HOLYSHEEP_API_KEY" in line
                   for line in app.screen.detail), app.screen.detail
        assert len(keys) <= MAX_KEYS
        await pilot.press("y")
        await pilot.pause(0.2)
        assert [(a["action"], a["result"].split(":")[0]) for a in audit_lines(tmp_path)] == [
            ("rollback", "ok")]
        await run_for(pilot, app, clock, 240)
        assert healthy(app) == []
        # Back on a ReplicaSet whose pods were up: done at once, the crashing pod gone.
        assert str(app.query_one("#pods", KeyedTable).border_subtitle) == "3 pods"


async def test_hpa_maxed_is_fixed_by_raising_the_max(tmp_path: Path) -> None:
    clock = FixedClock()
    app = demo_app(tmp_path, "hpa-maxed", clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        assert "HPA pinned at max" in healthy(app)
        keys = ["H", "enter"]
        await pilot.press("H")
        await pilot.pause(0.2)
        assert isinstance(app.screen, PromptScreen)
        assert app.screen.default == "3 20"  # pinned at 10: the max is offered doubled
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.command_text == (
            "kubectl -n ai-services patch hpa/ai-gateway-hpa --type=merge "
            "-p '{\"spec\":{\"minReplicas\":3,\"maxReplicas\":20}}'")
        assert len(keys) <= MAX_KEYS
        await pilot.press("y")
        await pilot.pause(0.2)
        assert [(a["action"], a["result"].split(":")[0]) for a in audit_lines(tmp_path)] == [
            ("hpa-bounds", "ok")]
        progress = await run_for(pilot, app, clock, 300)
        assert healthy(app) == []
        # The scale-up the new max allows is shown as it goes (a scale, never called a
        # rollout), then as done.
        assert any("⟳ scaling 10→" in line or "⟳ generation" in line
                   for line in progress), progress
        assert not any("rolling out" in line for line in progress), progress
        assert progress[-1].endswith(" pods"), progress
        hpa = app.latest.cluster.hpa  # type: ignore[union-attr]
        assert hpa is not None and hpa.max_replicas == 20 and hpa.current_replicas > 10


def scripted_editor(tmp_path: Path, sed: str) -> str:
    """An $EDITOR that rewrites the file it is given, as the user would in vi."""
    script = tmp_path / "editor.sh"
    script.write_text(f"#!/bin/sh\nsed -i '{sed}' \"$1\"\n")
    script.chmod(0o700)
    return str(script)


def slow_models(app: GatewayConsole) -> list[str]:
    """Models over the HighLatency threshold (P95 above 2 s) in the latest figures."""
    metrics = app.latest.metrics
    assert metrics is not None
    return [f"{m.provider}/{m.model}" for m in metrics.models
            if m.p95_latency_s is not None and m.p95_latency_s > 2.0]


@pytest.mark.parametrize(("scenario", "run_s"), [("provider-outage", 420),
                                                 ("latency-spike", 600)])
async def test_a_holysheep_incident_is_fixed_by_routing_to_openrouter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scenario: str, run_s: int
) -> None:
    """The outage (503s) and the latency spike are both holysheep's, upstream: its models
    served by openrouter (the ConfigMap's fallback route, then a restart) end either. The
    spike's run is longer: the 5-minute P95 window must move past the restart."""
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", scripted_editor(
        tmp_path, "s/route_to: holysheep/route_to: openrouter/"))
    clock = FixedClock()
    app = demo_app(tmp_path, scenario, clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        if scenario == "provider-outage":
            assert any("holysheep" in w for w in healthy(app)), healthy(app)
        else:
            assert sorted(slow_models(app)) == ["holysheep/claude-sonnet-4.5",
                                                "holysheep/gpt-4.1"]
        keys = ["E", "r"]  # the edit's confirmation `y`, then `r` for the restart offered
        await pilot.press("E")
        await pilot.pause(0.3)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.title_text == "Update ConfigMap ai-gateway-config (resourceVersion 1)?"
        assert app.screen.command_text == "kubectl -n ai-services edit configmap/ai-gateway-config"
        assert "-    route_to: holysheep" in app.screen.detail
        assert "+    route_to: openrouter" in app.screen.detail
        assert app.screen.detail[0] == ("chosen: mounted as volume config in the pod template")
        await pilot.press("y")
        await pilot.pause(0.3)
        assert isinstance(app.screen, ConfirmScreen)  # the restart it needs, offered
        assert app.screen.title_text == "Restart deployment ai-gateway?"
        assert app.screen.confirm_key == "r"
        await pilot.press("r")
        await pilot.pause(0.2)
        assert len(keys) <= MAX_KEYS
        assert [(a["action"], a["result"].split(":")[0]) for a in audit_lines(tmp_path)] == [
            ("edit-config", "ok"), ("restart", "ok")]
        await run_for(pilot, app, clock, run_s)
        assert healthy(app) == [] and slow_models(app) == []


async def test_a_conflicting_edit_is_refused_and_theirs_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", scripted_editor(tmp_path, "s/burst: 10/burst: 20/"))
    app = demo_app(tmp_path, "provider-outage")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("E")
        await pilot.pause(0.3)
        assert isinstance(app.screen, ConfirmScreen)
        simulation = app.sources.cluster.simulation  # type: ignore[attr-defined]
        version = simulation.gateway_config("ai-gateway-config")
        theirs = dict(version.data)
        theirs["config.yaml"] = theirs["config.yaml"].replace("ttl: 3600", "ttl: 60")
        simulation.replace_config_map(version, theirs)  # someone else, meanwhile
        await pilot.press("y")
        await pilot.pause(0.3)
        assert isinstance(app.screen, DetailScreen)
        assert "changed by someone else (resourceVersion 1 → 2)" in app.screen.title_text
        now = simulation.gateway_config("ai-gateway-config")
        assert now.resource_version == "2" and "burst: 10" in now.data["config.yaml"]
        assert "ttl: 60" in now.data["config.yaml"]  # theirs stands, ours was not written
        (line,) = audit_lines(tmp_path)
        assert line["action"] == "edit-config" and line["result"].startswith(
            "failed: configmap/ai-gateway-config was changed by someone else")


async def test_enter_on_an_alert_shows_it_and_the_silence_holding_it(tmp_path: Path) -> None:
    app = demo_app(tmp_path, "provider-outage")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        alerts = app.query_one("#alerts", KeyedTable)
        alerts.focus()
        await pilot.pause()
        alert = app.screen.selected_alert()  # type: ignore[attr-defined]
        assert alert is not None and alert.state == "firing"
        await pilot.press("S")
        await pilot.pause(0.2)
        await pilot.press("ctrl+a", "ctrl+k", *"30m deploy window", "enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, MatcherEditor)  # the comment typed is shown there
        assert app.screen.query_one(CommentInput).value == "deploy window"
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, ConfirmScreen)
        assert "'--comment=deploy window'" in app.screen.command_text
        await pilot.press("y")
        await pilot.pause(0.2)
        await refresh(pilot, app, "alertmanager")
        alerts.focus()
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.title_text == f"alert {alert.name}"
        shown = "\n".join(p.plain for p in app.screen.parts if isinstance(p, Text))
        assert f"since {alert.since}" in shown
        assert "runbook  not set on this rule" in shown  # unknown is said, not invented
        assert "silences holding it" in shown and "by tester  deploy window" in shown


async def test_read_only_lists_silences_but_does_not_expire(tmp_path: Path) -> None:
    app = demo_app(tmp_path, "provider-outage", read_only=True)
    simulation = app.sources.cluster.simulation  # type: ignore[attr-defined]
    alert = next(a for a in simulation.alert_reading().alerts if a.state == "firing")
    sid = simulation.silence(alert, 3600, "alice", "before read-only")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("V")
        await pilot.pause(0.3)
        assert isinstance(app.screen, SilencesScreen)
        assert [(s.id, s.created_by) for s in app.screen.silences] == [(sid, "alice")]
        await pilot.press("ctrl+d")
        await pilot.pause(0.2)
        assert isinstance(app.screen, SilencesScreen)  # no dialog
    assert [(a["action"], a["target"], a["result"].split(":")[0])
            for a in audit_lines(tmp_path)] == [("expire-silence", f"silence/{sid}", "refused")]
    assert [s.id for s in simulation.alerts.silences() if s.active(simulation.now)] == [sid]
