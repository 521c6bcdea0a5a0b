"""Every key of the live console, driven through Textual's Pilot on the seeded demo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.binding import Binding

from console.app import GatewayConsole
from console.clock import FixedClock
from console.model import SourceName
from console.screens.confirm import ConfirmScreen
from console.screens.details import DetailScreen
from console.screens.help import HelpScreen
from console.screens.logs import LogsScreen
from console.screens.matcher_editor import MatcherEditor, MatcherLines
from console.screens.overview import OverviewScreen
from console.screens.prompt import PromptScreen
from console.text.format import fmt_ratio_pct, fmt_seconds
from tests.app_harness import cell_text, demo_app, wait_for_data
from widgets.keyed_table import KeyedTable


def sim(app: GatewayConsole) -> Any:
    return app.sources.cluster.simulation  # type: ignore[attr-defined]


def audit_lines(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "audit.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


async def refresh(pilot: Any, app: GatewayConsole, *names: SourceName) -> None:
    before = dict(app.polls)
    app.refresh_now(*names)
    for _ in range(200):
        await pilot.pause(0.01)
        if all(app.polls[n] > before[n] for n in (names or tuple(before))):
            break
    await pilot.pause()


async def test_overview_shows_the_sources_figures(tmp_path: Path) -> None:
    app = demo_app(tmp_path, "provider-outage")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        reading = app.latest.metrics
        assert reading is not None
        models = app.query_one("#models", KeyedTable)
        assert models.row_count == len(reading.models) == 7
        for m in reading.models:
            key = f"{m.provider}/{m.model}"
            assert cell_text(models, key, "p95").startswith(fmt_seconds(m.p95_latency_s))
            assert cell_text(models, key, "errors").startswith(fmt_ratio_pct(m.error_ratio))
        # The failing provider's rows come first and are marked without colour too.
        first = models.row_keys[0]
        assert first is not None and first.startswith("holysheep/")
        assert cell_text(models, first, "errors").endswith("✗")
        pods = app.query_one("#pods", KeyedTable)
        cluster = app.latest.cluster
        assert cluster is not None and pods.row_count == len(cluster.pods)
        alerts = app.query_one("#alerts", KeyedTable)
        names = [cell_text(alerts, r, "name") for r in alerts.row_keys]
        assert "HighErrorRate" in names  # a gateway-wide rule: no subject
        assert "PINNED" not in str(app.query_one("#hpa").render())


async def test_alerts_of_one_rule_name_what_they_are_about(tmp_path: Path) -> None:
    """Two HighLatency rows at 80 columns must not look the same: each names its model."""
    app = demo_app(tmp_path, "latency-spike")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        alerts = app.query_one("#alerts", KeyedTable)
        names = sorted(cell_text(alerts, r, "name") for r in alerts.row_keys)
        assert names == ["HighLatency claude-sonnet-4.5", "HighLatency gpt-4.1"]


async def test_help_lists_every_key(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        listed = {row.key for row in app.screen.rows}
        keymap = (*GatewayConsole.BINDINGS, *OverviewScreen.BINDINGS)
        bound = {app.get_key_display(b) for b in keymap if isinstance(b, Binding)}
        assert bound and bound <= listed, bound - listed
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_restart_cancel_sends_nothing(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("r")
        await pilot.pause(0.1)
        assert isinstance(app.screen, ConfirmScreen)
        assert "kubectl -n ai-services rollout restart deployment/ai-gateway" in (
            app.screen.command_text
        )
        await pilot.press("n")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, ConfirmScreen)
        cluster = await app.sources.cluster.fetch()
        assert cluster.deployment is not None and cluster.deployment.restarted_at is None
        # A cancel is an attempt: one line says so (README, Keys).
        assert [(a["action"], a["result"]) for a in audit_lines(tmp_path)] == [
            ("restart", "cancelled: nothing was sent")]


async def test_restart_confirmed_rolls_the_pods_once(tmp_path: Path) -> None:
    clock = FixedClock()
    app = demo_app(tmp_path, clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        before = {p.name for p in app.latest.cluster.pods}  # type: ignore[union-attr]
        await pilot.press("r")
        await pilot.pause(0.1)
        await pilot.press("y", "y")  # a bouncing key must not confirm twice
        await pilot.pause(0.2)
        lines = audit_lines(tmp_path)
        assert len(lines) == 1
        assert lines[0]["action"] == "restart" and lines[0]["result"].startswith("ok")
        assert lines[0]["target"] == "deployment/ai-gateway" and lines[0]["user"] == "tester"
        # A demo action is never mistaken for a real one in the shared audit log.
        assert (lines[0]["demo"], lines[0]["context"]) == (True, "demo")
        await refresh(pilot, app, "kubernetes")
        dep = app.latest.cluster.deployment  # type: ignore[union-attr]
        assert dep is not None and dep.restarted_at is not None
        for _ in range(8):
            clock.advance(5)
            await refresh(pilot, app, "kubernetes")
        after = {p.name for p in app.latest.cluster.pods}  # type: ignore[union-attr]
        assert after.isdisjoint(before), "every pod was replaced by the rollout"


async def test_read_only_refuses_and_says_why(tmp_path: Path) -> None:
    app = demo_app(tmp_path, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        assert "READ-ONLY" in str(app.query_one("#title").render())
        for key in ("r", "s", "ctrl+d"):
            await pilot.press(key)
            await pilot.pause(0.05)
            assert not isinstance(app.screen, (ConfirmScreen, PromptScreen))
        assert any("read-only" in n.message for n in app._notifications)
        cluster = await app.sources.cluster.fetch()
        assert cluster.deployment is not None and cluster.deployment.restarted_at is None


async def test_rbac_denied_sends_nothing_and_shows_reason(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    sim(app).deny("patch", "deployments")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("r")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, ConfirmScreen)
        messages = [n.message for n in app._notifications]
        assert any("patch" in m and "deployments" in m for m in messages), messages
        cluster = await app.sources.cluster.fetch()
        assert cluster.deployment is not None and cluster.deployment.restarted_at is None


async def test_scale_prompts_warns_about_the_hpa_and_scales(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("s")
        await pilot.pause(0.1)
        assert isinstance(app.screen, PromptScreen)
        await pilot.press("ctrl+a", "ctrl+k", "5", "enter")  # clear the default first
        await pilot.pause(0.1)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.warning is not None and "HPA" in app.screen.warning
        assert "--replicas=5" in app.screen.command_text
        await pilot.press("y")
        await pilot.pause(0.2)
        await refresh(pilot, app, "kubernetes")
        assert app.latest.cluster.deployment.replicas == 5  # type: ignore[union-attr]


async def test_scale_rejects_nonsense(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("s")
        await pilot.pause(0.1)
        await pilot.press("ctrl+a", "ctrl+k", "x", "enter")
        await pilot.pause(0.1)
        assert isinstance(app.screen, PromptScreen)
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, (PromptScreen, ConfirmScreen))
        assert [(a["action"], a["result"]) for a in audit_lines(tmp_path)] == [
            ("scale", "cancelled at the prompt: nothing was sent")]


async def test_delete_selected_pod(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        app.query_one("#pods", KeyedTable).focus()
        await pilot.press("down")
        victim = app.overview.selected_pod()
        assert victim is not None
        await pilot.press("ctrl+d")
        await pilot.pause(0.1)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.target_text == f"pod/{victim}"
        await pilot.press("y")
        await pilot.pause(0.2)
        await refresh(pilot, app, "kubernetes")
        # Like a real pod it terminates gracefully: shown as Terminating, then gone.
        states = {p.name: p.reason for p in app.latest.cluster.pods}  # type: ignore[union-attr]
        assert states.get(victim, "Terminating") == "Terminating"
        assert audit_lines(tmp_path)[0]["target"] == f"pod/{victim}"


async def test_logs_of_the_crashlooping_pod(tmp_path: Path) -> None:
    app = demo_app(tmp_path, "crashloop")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        app.query_one("#pods", KeyedTable).focus()
        # Triage order puts the crashlooping pod first.
        pod = app.overview.selected_pod()
        crashing = [p for p in app.latest.cluster.pods  # type: ignore[union-attr]
                    if p.reason == "CrashLoopBackOff"]
        assert crashing and pod == crashing[0].name
        await pilot.press("l")
        await pilot.pause(0.2)
        assert isinstance(app.screen, LogsScreen)
        await pilot.press("P")  # previous container: the crash
        await pilot.pause(0.2)
        assert any("HOLYSHEEP_API_KEY" in line for line in app.screen.lines)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, LogsScreen)


async def test_events_and_drill_down(tmp_path: Path) -> None:
    app = demo_app(tmp_path, "crashloop")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        app.query_one("#pods", KeyedTable).focus()
        await pilot.press("e")
        await pilot.pause(0.2)
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.title_text.startswith("events of pod/")
        await pilot.press("escape")
        await pilot.pause(0.1)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.title_text.startswith("pod ")
        await pilot.press("escape")
        await pilot.pause(0.1)
        app.query_one("#models", KeyedTable).focus()
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, DetailScreen)
        assert " / " in app.screen.title_text


async def test_silence_and_expire_an_alert(tmp_path: Path) -> None:
    app = demo_app(tmp_path, "provider-outage")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        app.query_one("#alerts", KeyedTable).focus()
        alert = app.overview.selected_alert()
        assert alert is not None and alert.name == "HighErrorRate" and not alert.silenced
        await pilot.press("S")
        await pilot.pause(0.1)
        assert isinstance(app.screen, PromptScreen) and app.screen.default == "1h"
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert isinstance(app.screen, MatcherEditor)  # the matchers it will use, editable
        assert app.screen.query_one(MatcherLines).text == "\n".join(
            f"{k}={v}" for k, v in sorted({**alert.labels, "alertname": alert.name}.items()))
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert isinstance(app.screen, ConfirmScreen)
        assert "amtool silence add --duration=1h" in app.screen.command_text
        await pilot.press("y")
        await pilot.pause(0.2)
        await refresh(pilot, app, "alertmanager")
        silenced = app.overview.selected_alert()
        assert silenced is not None and silenced.silenced
        await pilot.press("S")  # on a silenced alert: expire its silence
        await pilot.pause(0.1)
        assert isinstance(app.screen, ConfirmScreen)
        assert "expire" in app.screen.command_text
        await pilot.press("y")
        await pilot.pause(0.2)
        await refresh(pilot, app, "alertmanager")
        again = next(a for a in app.snapshot().alerts if a.name == "HighErrorRate")
        assert not again.silenced
        assert [line["action"] for line in audit_lines(tmp_path)] == ["silence", "expire-silence"]


async def test_window_cycles_and_reaches_the_source(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        assert app.snapshot().window == "5m"
        await pilot.press("w")
        await pilot.pause(0.1)
        assert app.snapshot().window == "15m"
        assert "window 15m" in str(app.query_one("#title").render())
        await pilot.press("w", "w")
        assert app.snapshot().window == "1m"


async def test_filter_keeps_matching_rows(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("slash", "g", "p", "t")
        await pilot.pause(0.1)
        models = app.query_one("#models", KeyedTable)
        assert list(models.row_keys) == ["holysheep/gpt-4.1"]
        assert models.border_subtitle == "1 model"
        await pilot.press("enter", "escape")
        await pilot.pause(0.1)
        assert models.row_count == 7
        assert models.border_subtitle == "7 models"


async def test_pause_stops_polling(tmp_path: Path) -> None:
    app = demo_app(tmp_path, refresh="200ms")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("p")
        await pilot.pause(0.3)
        frozen = dict(app.polls)
        await pilot.pause(0.6)
        assert app.polls == frozen
        assert "PAUSED" in str(app.query_one("#title").render())
        await pilot.press("p")
        await pilot.pause(0.5)
        assert app.polls["prometheus"] > frozen["prometheus"]


async def test_export_writes_markdown_and_json(tmp_path: Path) -> None:
    app = demo_app(tmp_path, "latency-spike")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("x")
        await pilot.pause(0.1)
        folders = list(tmp_path.glob("incident-*"))
        assert len(folders) == 1
        data = json.loads((folders[0] / "snapshot.json").read_text())
        assert {a["name"] for a in data["alerts"]} >= {"HighLatency"}
        note = (folders[0] / "incident.md").read_text()
        assert "HighLatency" in note


async def test_cursor_stays_put_across_refreshes(tmp_path: Path) -> None:
    clock = FixedClock()
    app = demo_app(tmp_path, clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        models = app.query_one("#models", KeyedTable)
        models.focus()
        await pilot.press("down", "down", "down")
        key = models.selected_key
        for _ in range(3):
            clock.advance(2)
            await refresh(pilot, app, "prometheus")
        assert models.selected_key == key
        assert models.cursor_row == 3


async def test_quit(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
