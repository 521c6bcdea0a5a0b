"""Silences that match what they show, on the real Alertmanager of the hostile stack (issue 16).

The hostile stack's Prometheus fires `HostileModel` once per model; its `model` label is a
payload of the corpus (ESC, bidi, tags, NUL...) or a 10,000-character name. Those alerts
differ only in that label, so a silence that matched the cleaned text (`␛`) instead of the
value would silence nothing, and one that matched too widely would silence a neighbour.
Alertmanager itself (`/api/v2/alerts`, its RE2) is the judge; its silences are counted.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from console.app import GatewayConsole
from console.model import Alert
from console.screens.confirm import ConfirmScreen
from console.screens.matcher_editor import MatcherEditor, MatcherLines
from console.screens.prompt import PromptScreen
from console.sources.matchers import Matcher, exact
from console.text.safe_text import clean_line
from tests.stack.hostile import CLICK, CORPUS, LONG, by_kind
from tests.stack.hostile_stack import HostileStack
from tests.stack.prometheus_stack import http_get
from tests.tui.test_hostile_pilot import make_app, until
from widgets.keyed_table import KeyedTable

pytestmark = pytest.mark.stack

ESC = by_kind("clear screen").raw  # HX04 ESC [2J ESC [H


@pytest.fixture
def stack(hostile_stack: HostileStack) -> Iterator[HostileStack]:
    """The session's stack, unsilenced before and after (other tests count its alerts)."""
    hostile_stack.expire_active_silences()
    yield hostile_stack
    hostile_stack.expire_active_silences()


def am_alerts(stack: HostileStack, *filters: str) -> list[dict[str, Any]]:
    query = urllib.parse.urlencode([("filter", f) for f in filters])
    status, body = http_get(f"{stack.alertmanager_url}/api/v2/alerts?{query}", timeout=5)
    assert status == 200, body
    found: list[dict[str, Any]] = json.loads(body)
    return found


def suppressed(stack: HostileStack) -> dict[str, bool]:
    """HostileModel's model label -> suppressed, as Alertmanager says."""
    return {a["labels"]["model"]: a["status"]["state"] == "suppressed"
            for a in am_alerts(stack, 'alertname="HostileModel"')}


def active_silences(stack: HostileStack) -> list[dict[str, Any]]:
    return [s for s in stack.silences() if s["status"]["state"] == "active"]


def hostile_model(app: GatewayConsole, raw: str) -> Alert | None:
    return next((a for a in app.snapshot().alerts if a.name == "HostileModel"
                 and a.labels.get("model") == clean_line(raw)), None)


async def open_editor(pilot: Pilot[Any], app: GatewayConsole, raw: str) -> MatcherEditor:
    """Select the HostileModel alert of model `raw`, `S`, the default duration."""
    await until(pilot, lambda: hostile_model(app, raw) is not None, timeout=30)
    alert = hostile_model(app, raw)
    assert alert is not None
    table = app.query_one("#alerts", KeyedTable)
    table.focus()
    await until(pilot, lambda: alert.key in table.row_keys)
    table.move_cursor(row=table.get_row_index(alert.key))
    await pilot.press("S")
    await until(pilot, lambda: isinstance(app.screen, PromptScreen))
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, MatcherEditor))
    assert isinstance(app.screen, MatcherEditor)
    return app.screen


def test_every_corpus_regex_means_one_value_to_alertmanagers_re2(stack: HostileStack) -> None:
    """The pattern each payload becomes, given to Alertmanager's own matcher parser and RE2
    (the alerts filter, amtool's syntax): it selects that payload's alert and no other."""
    for raw in (*(p.raw for p in CORPUS if p is not CLICK), CLICK.raw, LONG):
        matcher = exact("model", raw)
        found = am_alerts(stack, 'alertname="HostileModel"', matcher.amtool())
        assert [a["labels"]["model"] for a in found] == [raw], matcher.text


async def test_default_matchers_silence_the_alert_shown_and_not_its_neighbours(
        stack: HostileStack, tmp_path: Path) -> None:
    app = make_app(stack, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        for raw, line in ((ESC, "model=~HX04\\x1B\\[2J\\x1B\\[H"), (LONG, f"model={LONG}")):
            editor = await open_editor(pilot, app, raw)
            assert line in editor.query_one(MatcherLines).text.splitlines()
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            assert isinstance(app.screen, ConfirmScreen)
            assert f"  {line}" in app.screen.detail  # the dialog lists what is sent
            await pilot.press("y", "y")
            await until(pilot, lambda: app.screen is app.overview and app.actions.pending is None)
        await pilot.pause(0.5)
    state = suppressed(stack)
    assert state[ESC] and state[LONG]
    assert [m for m, s in state.items() if s] == [m for m in state if m in (ESC, LONG)]
    assert len(state) > 20  # the neighbours were there to be (not) silenced
    assert len(active_silences(stack)) == 2  # one write per y


async def test_edited_matchers_are_sent_exactly_and_a_bad_line_sends_nothing(
        stack: HostileStack, tmp_path: Path) -> None:
    app = make_app(stack, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        editor = await open_editor(pilot, app, CLICK.raw)
        await pilot.press("escape")  # Esc: nothing sent
        await until(pilot, lambda: app.screen is app.overview and app.actions.pending is None)
        editor = await open_editor(pilot, app, CLICK.raw)
        lines = editor.query_one(MatcherLines)
        assert lines.text.splitlines() == [  # the click payload literally, never markup
            "alertname=HostileModel", f"model={CLICK.raw}", "provider=hx", "severity=info"]
        await pilot.press("end", "ctrl+n", *"model~~x", "enter")
        await pilot.pause(0.2)
        assert app.screen is editor
        error = str(editor.query_one("#matchers-error").render())
        assert error.startswith("✗ line 2: not a matcher"), error
        await pilot.press("home", "ctrl+k", "ctrl+k")  # the bad line deleted, as in emacs
        await pilot.press(*["up"] * 4, "down", "down", "end", "backspace", "backspace", *"~h.")
        await pilot.press("down", "home", "ctrl+k", "ctrl+k")  # severity=info deleted
        await pilot.press(*["up"] * 4, "end", "ctrl+n", *"pod!=x")
        await pilot.press("tab", "ctrl+a", "ctrl+k", *"[@click=app.quit]")
        assert active_silences(stack) == []  # the bad line sent nothing
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: len(active_silences(stack)) == 1)
        await until(pilot, lambda: app.screen is app.overview and app.actions.pending is None)
    (silence,) = active_silences(stack)
    status, body = http_get(f"{stack.alertmanager_url}/api/v2/silence/{silence['id']}")
    assert status == 200
    sent = json.loads(body)
    expected = [Matcher("alertname", "HostileModel"), Matcher("model", CLICK.raw),
                Matcher("pod", "x", equal=False), Matcher("provider", "h.", regex=True)]
    assert sorted(sent["matchers"], key=lambda m: m["name"]) == [m.body() for m in expected]
    assert sent["comment"] == "[@click=app.quit]" and sent["createdBy"] == "tester"
    state = suppressed(stack)
    assert [m for m, s in state.items() if s] == [CLICK.raw]
    audit = [json.loads(x) for x in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [(a["action"], a["result"].split(":")[0]) for a in audit] == [
        ("silence", "cancelled at the prompt"), ("silence", "ok")]
    assert audit[1]["result"] == f"ok: silenced HostileModel (silence {silence['id']})"
