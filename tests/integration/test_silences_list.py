"""`V`, the silences list, on the real Alertmanager: what is listed, and expire from there.

A silence is made with Alertmanager's own API (as a colleague's amtool would), the list
must show its creator, comment and end; `ctrl+d` then `y y` expires it once
(Alertmanager refuses a second expire, and the audit log would show it). Before that,
`enter` on a real alert shows Prometheus' link to its rule and its annotations. (Read-only
refusal from the list: tests/tui/test_demo_fixes.py, on the demo.)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.text import Text
from textual.pilot import Pilot

from console.app import GatewayConsole
from console.screens.confirm import ConfirmScreen
from console.screens.details import DetailScreen
from console.screens.silences import SilencesScreen
from tests.integration.test_silence_writes import (
    AppFactory,
    high_error_rate,
    live_app,
    select,
    silences,
    until,
)
from tests.stack.fixtures import GatewayStack

__all__ = ["live_app"]  # the fixture, imported for pytest


def colleagues_silence(am: str, comment: str) -> str:
    now = datetime.now(UTC)
    body = {"matchers": [{"name": "alertname", "value": "NoSuchAlertForTheList",
                          "isRegex": False, "isEqual": True},
                         {"name": "model", "value": "gpt-.*", "isRegex": True, "isEqual": True}],
            "startsAt": now.isoformat(), "endsAt": (now + timedelta(hours=2)).isoformat(),
            "createdBy": "alice", "comment": comment}
    answer = httpx.post(f"{am}/api/v2/silences", json=body, timeout=5.0)
    answer.raise_for_status()
    return str(answer.json()["silenceID"])


def audit(tmp_path: Path) -> list[tuple[str, str, str]]:
    path = tmp_path / "audit.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    return [(a["action"], a["target"], a["result"].split(":")[0]) for a in lines]


async def test_the_list_shows_a_silence_and_expires_it_once(
    live_app: AppFactory, gateway_stack: GatewayStack, tmp_path: Path
) -> None:
    am = gateway_stack.alertmanager_url
    sid = colleagues_silence(am, "deploy window \x1b[31m(ticket 42)")
    app = live_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await enter_on_a_real_alert(pilot, app)  # one console start for both (CI budget)
        await pilot.press("V")
        await until(pilot, lambda: isinstance(app.screen, SilencesScreen)
                    and any(s.id == sid for s in app.screen.silences))
        assert isinstance(app.screen, SilencesScreen)
        mine = next(s for s in app.screen.silences if s.id == sid)
        assert (mine.created_by, mine.state) == ("alice", "active")
        assert mine.comment == "deploy window ␛[31m(ticket 42)"  # the escape made visible
        assert mine.matchers == ("alertname=NoSuchAlertForTheList", "model=~gpt-.*")
        assert mine.ends_at is not None and mine.ends_at.startswith(
            (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H"))
        index = app.screen.silences.index(mine)
        app.screen.query_one("#silences-list").highlighted = index  # type: ignore[attr-defined]
        await pilot.press("ctrl+d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.command_text == f"amtool silence expire {sid}"
        await pilot.press("y", "y")
        await until(pilot, lambda: silences(am)[sid]["status"]["state"] == "expired")
        await until(pilot, lambda: isinstance(app.screen, SilencesScreen)
                    and all(s.id != sid for s in app.screen.silences))
        await pilot.pause(0.5)
    assert audit(tmp_path) == [("expire-silence", f"silence/{sid}", "ok")]


async def enter_on_a_real_alert(pilot: Pilot[Any], app: GatewayConsole) -> None:
    """`enter` on HighErrorRate: its source link and annotations, as the stack serves them."""
    await until(pilot, lambda: high_error_rate(app) is not None
                and high_error_rate(app).source_url is not None)  # type: ignore[union-attr]
    alert = await select(pilot, app)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, DetailScreen))
    assert isinstance(app.screen, DetailScreen)
    shown = "\n".join(p.plain for p in app.screen.parts if isinstance(p, Text))
    # Prometheus' own link (its external URL) to the rule's expression.
    assert alert.source_url is not None and "/graph?g0.expr=" in alert.source_url
    assert "ai_gateway_errors_total" in alert.source_url
    assert f"source   {alert.source_url}" in shown
    assert alert.annotations.get("summary") == alert.summary
    await pilot.press("escape")
    await until(pilot, lambda: not isinstance(app.screen, DetailScreen))
