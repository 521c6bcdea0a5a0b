"""Silence and expire through the real Alertmanager of tests/stack: one write per `y` (issue 12).

The silences are counted with Alertmanager's own API (`GET /api/v2/silences`),
before and after, so a second silence or a second expire would show there and
in the audit log (Alertmanager refuses to expire a silence twice).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot

from console.actions.audit import AuditLog
from console.app import GatewayConsole
from console.clock import system_clock
from console.config.settings import build_settings
from console.model import Alert
from console.screens.confirm import ConfirmScreen
from console.screens.matcher_editor import MatcherEditor
from console.screens.prompt import PromptScreen
from tests.app_harness import pilot_until
from tests.stack.fixtures import GatewayStack
from tests.stack.kube_fixtures import CONTEXT
from widgets.keyed_table import KeyedTable

AppFactory = Callable[[], GatewayConsole]


@pytest.fixture
def live_app(gateway_stack: GatewayStack, kubeconfig: Path, tmp_path: Path) -> AppFactory:
    def make() -> GatewayConsole:
        settings = build_settings({
            "prometheus_url": gateway_stack.prometheus_url,
            "alertmanager_url": gateway_stack.alertmanager_url,
            "kubeconfig": str(kubeconfig), "context": CONTEXT, "refresh": "500ms",
        }, env={"HOME": str(tmp_path)})
        return GatewayConsole.from_settings(
            settings, system_clock, audit=AuditLog(tmp_path / "audit.jsonl", system_clock),
            user="tester", export_dir=tmp_path)

    return make


def silences(url: str) -> dict[str, dict[str, Any]]:
    answer = httpx.get(f"{url}/api/v2/silences", timeout=5.0)
    answer.raise_for_status()
    return {s["id"]: s for s in answer.json()}


async def until(pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    await pilot_until(pilot, predicate, timeout)


Labels = dict[str, str]


def high_error_rate(app: GatewayConsole, labels: Labels | None = None) -> Alert | None:
    """A firing HighErrorRate not silenced (there is one per model too), or the one of `labels`.

    By labels, not by row key: the key becomes Alertmanager's fingerprint once it knows it;
    silenced, its state is Alertmanager's "suppressed".
    """
    if labels is not None:
        return next((a for a in app.snapshot().alerts if dict(a.labels) == labels), None)
    return next((a for a in app.snapshot().alerts if a.name == "HighErrorRate"
                 and a.state == "firing" and not a.silenced), None)


async def select(pilot: Pilot[Any], app: GatewayConsole, labels: Labels | None = None) -> Alert:
    alert = high_error_rate(app, labels)
    assert alert is not None
    table = app.query_one("#alerts", KeyedTable)
    table.focus()
    table.move_cursor(row=list(table.row_keys).index(alert.key))
    await pilot.pause(0.05)
    return alert


async def test_one_silence_per_y_and_one_expire_per_y(
    live_app: AppFactory, gateway_stack: GatewayStack, tmp_path: Path,
) -> None:
    am = gateway_stack.alertmanager_url
    before = set(silences(am))
    app = live_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: high_error_rate(app) is not None)
        alert = await select(pilot, app)
        await pilot.press("S")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        for typed in ("²h", "\u0661h", "1h\u00b2"):  # ², Arabic-Indic 1: refused, no crash
            await pilot.press("ctrl+a", "ctrl+k", *typed, "enter")
            await pilot.pause(0.1)
            assert isinstance(app.screen, PromptScreen), typed
            error = str(app.screen.query_one("#prompt-error").render())
            assert error == "✗ a duration like 30m, 1h or 2d (digits 0-9)", typed
        await pilot.press("ctrl+a", "ctrl+k", *"10m", "enter")
        await until(pilot, lambda: isinstance(app.screen, MatcherEditor))
        await pilot.press("enter")  # the matchers as they are
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert isinstance(app.screen, ConfirmScreen)
        command = app.screen.command_text
        assert app.screen.where_text == f"the Alertmanager of {CONTEXT}"
        await pilot.press("y", "y")
        await until(pilot, lambda: len(set(silences(am)) - before) >= 1)
        await until(pilot, lambda: (a := high_error_rate(app, dict(alert.labels))) is not None
                    and a.silenced)
        await pilot.pause(1.0)
        created = {k: v for k, v in silences(am).items() if k not in before}
        assert len(created) == 1, created
        ((sid, silence),) = created.items()
        assert silence["status"]["state"] == "active" and silence["createdBy"] == "tester"
        sent = sorted((m["name"], m["value"], m["isEqual"], m["isRegex"])
                      for m in silence["matchers"])
        assert sent == sorted((k, v, True, False) for k, v in alert.labels.items())
        for name, value in alert.labels.items():  # the dialog listed exactly those
            assert f"{name}={value}" in command

        await select(pilot, app, dict(alert.labels))
        await pilot.press("S", "S")  # a bouncing key on a silenced alert: expire, once
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.command_text == f"amtool silence expire {sid}"
        await pilot.press("y", "y")
        for _ in range(3):  # a second dialog, if one came up, is confirmed too
            await pilot.pause(0.5)
            if isinstance(app.screen, ConfirmScreen):
                await pilot.press("y")
        await until(pilot, lambda: silences(am)[sid]["status"]["state"] == "expired")
        await pilot.pause(0.5)
    assert {k for k in silences(am) if k not in before} == {sid}
    lines = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    results = [(a["action"], a["result"].split(":")[0]) for a in lines]
    assert results[0] == ("silence", "ok") and lines[0]["target"] == "alert/HighErrorRate"
    expires = [r for kind, r in results[1:] if kind == "expire-silence"]
    assert expires.count("ok") == 1 and set(expires) <= {"ok", "refused"}, results
    assert lines[-1]["result"] == f"ok: expired silence {sid}"
