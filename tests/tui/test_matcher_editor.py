"""S's matcher editor in the demo (issue 16): edited matchers silence what they say, keys
typed ahead belong to it, read-only refuses before it opens. The real Alertmanager's side
is tests/integration/test_silence_matchers_stack.py."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from console.app import GatewayConsole
from console.model import Alert, AlertsReading
from console.screens.confirm import ConfirmScreen
from console.screens.matcher_editor import MatcherEditor, MatcherLines
from console.screens.prompt import PromptScreen
from console.sources.matchers import RAW_LIMIT
from tests.app_harness import demo_app, wait_for_data
from tests.tui.test_app_pilot import refresh
from tests.tui.test_fleet import _demo_factory
from tests.tui.test_type_ahead import burst, settled
from widgets.keyed_table import KeyedTable


def audit(tmp_path: Path) -> list[tuple[str, str]]:
    path = tmp_path / "audit.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return [(d["action"], d["result"].split(":")[0]) for d in map(json.loads, lines)]


def select(app: GatewayConsole, model: str | None = None) -> Alert:
    alert = next(a for a in app.snapshot().alerts
                 if model is None or a.labels.get("model") == model)
    table = app.query_one("#alerts", KeyedTable)
    table.focus()
    table.move_cursor(row=table.get_row_index(alert.key))
    return alert


async def test_an_edited_matcher_silences_what_it_says_in_the_demo(tmp_path: Path) -> None:
    app = demo_app(tmp_path, "latency-spike")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        select(app, "claude-sonnet-4.5")
        await pilot.press("S")
        await pilot.pause(0.1)
        assert isinstance(app.screen, PromptScreen)
        await pilot.press("enter")
        await pilot.pause(0.1)
        editor = app.screen
        assert isinstance(editor, MatcherEditor)
        assert "model=claude-sonnet-4.5" in editor.query_one(MatcherLines).text.splitlines()
        # Everything replaced: the HighLatency alerts of any model but claude's.
        await pilot.press("f7", *"alertname=HighLatency", "ctrl+n", *"model!~claude.*")
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.command_text.endswith(" alertname=HighLatency 'model!~claude.*'")
        await pilot.press("y")
        await pilot.pause(0.2)
        await refresh(pilot, app, "alertmanager")
        silenced = {a.labels["model"]: a.silenced for a in app.snapshot().alerts}
        assert silenced == {"claude-sonnet-4.5": False, "gpt-4.1": True}
    assert audit(tmp_path) == [("silence", "ok")]


async def test_keys_typed_ahead_go_to_the_editor_then_the_confirmation(tmp_path: Path) -> None:
    app = demo_app(tmp_path, "provider-outage")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        select(app)
        burst(app, "S", "enter", "enter", "y")  # duration, matchers, confirmation: one write
        await settled(pilot, app)
        assert app.screen is app.overview
        simulation = app.sources.cluster.simulation  # type: ignore[attr-defined]
        (made,) = simulation.alerts.silences()
        assert [m.text for m in made.matchers] == ["alertname=HighErrorRate", "severity=warning"]
    assert audit(tmp_path) == [("silence", "ok")]


async def test_read_only_refuses_silence_before_any_editor(tmp_path: Path) -> None:
    app = demo_app(tmp_path, "provider-outage", read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        select(app)
        await pilot.press("S")
        await pilot.pause(0.2)
        assert app.screen is app.overview
        assert any("read-only" in n.message for n in app._notifications)
    assert audit(tmp_path) == [("silence", "refused")]


async def test_a_label_too_long_to_match_exactly_is_refused_before_the_prompt(
        tmp_path: Path) -> None:
    """Past 65,536 characters the raw value is not kept whole: no exact matcher can be
    shown, so S says so (audited) rather than offer a wider silence."""
    app = demo_app(tmp_path, "provider-outage")
    simulation = app.sources.cluster.simulation  # type: ignore[attr-defined]
    reading = simulation.alert_reading

    def with_a_huge_label() -> AlertsReading:
        return AlertsReading(tuple(replace(a, raw_labels={"severity": "w" * (RAW_LIMIT + 1)})
                                   for a in reading().alerts))

    simulation.alert_reading = with_a_huge_label
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        select(app)
        await pilot.press("S")
        await settled(pilot, app)
        assert app.screen is app.overview
        messages = [n.message for n in app._notifications]
        assert any("label severity is longer than 65,536 characters" in m for m in messages)
    assert audit(tmp_path) == [("silence", "refused")]
    assert simulation.alerts.silences() == ()


async def test_a_switch_of_namespace_withdraws_the_editor_and_sends_nothing(
        tmp_path: Path) -> None:
    app = demo_app(tmp_path, "provider-outage")
    app.switcher.make_sources = _demo_factory(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        simulation = app.sources.cluster.simulation  # type: ignore[attr-defined]
        select(app)
        await pilot.press("S")
        await pilot.pause(0.1)
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert isinstance(app.screen, MatcherEditor)
        await app.run_command("ns ai-staging")
        await settled(pilot, app)
        assert not isinstance(app.screen, MatcherEditor)
        await pilot.press("enter", "y")
        await pilot.pause(0.2)
        assert simulation.alerts.silences() == ()
    assert audit(tmp_path) == [("silence", "cancelled")]
