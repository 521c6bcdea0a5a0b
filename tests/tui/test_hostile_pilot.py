"""The four crashes issue 12 found, one pilot test each, on the hostile stack.

Unbalanced markup in data (`[/]`) raised MarkupError and took the console down:
in a model name on `enter`, in an event on `e`, in an alert label on `S` (in the
confirmation dialog itself), and in Prometheus' error text at start-up. Each test
drives the real sources (a real Prometheus, Alertmanager, the Kubernetes
emulator; Prometheus' error through the fault proxy in front of it) and checks
what the screen shows, as written.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual import events
from textual.content import Content
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Static

from console.actions.audit import AuditLog
from console.actions.runner import ActionRunner
from console.app import GatewayConsole
from console.clock import system_clock
from console.config.settings import build_settings
from console.screens.confirm import ConfirmScreen
from console.screens.details import DetailScreen
from console.screens.matcher_editor import MatcherEditor, MatcherLines
from console.screens.model_detail import ModelDetailScreen
from console.screens.prompt import PromptScreen
from console.sources import build_source_set
from tests.app_harness import pilot_until
from tests.stack import kube_objects as ko
from tests.stack.faults import FaultServer
from tests.stack.hostile import ANSWER, MARKUP, UNBALANCED
from tests.stack.hostile_stack import CONTEXT, PROVIDER, HostileStack
from widgets.keyed_table import KeyedTable

pytestmark = pytest.mark.stack


def make_app(stack: HostileStack, home: Path, prometheus_url: str | None = None
             ) -> GatewayConsole:
    flags: dict[str, Any] = {
        "prometheus_url": prometheus_url or stack.prometheus_url,
        "alertmanager_url": stack.alertmanager_url,
        "kubeconfig": str(stack.kubeconfig), "context": CONTEXT, "refresh": "500ms",
    }
    settings = build_settings(flags, env={"HOME": str(home)})
    sources = build_source_set(settings, settings.target, system_clock)
    runner = ActionRunner(settings.target, sources, AuditLog(home / "audit.jsonl", system_clock),
                          read_only=settings.read_only, user="tester")
    return GatewayConsole(settings, sources, runner, system_clock, export_dir=home)


async def until(pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    await pilot_until(pilot, predicate, timeout)


def click_at(app: GatewayConsole, x: int, y: int) -> None:
    """A left click at screen cell (x, y) as the terminal driver delivers one: MouseDown then
    MouseUp, from which the App itself makes the Click.

    `pilot.click` waits for the process to idle around each of its three events (up to 1 s
    each), which a console polling live sources every 500 ms seldom is: 150 clicks took
    minutes. Posted like this they queue behind each other and land in order."""
    for event in (events.MouseDown, events.MouseUp):
        app.post_message(event(None, x, y, 0, 0, 1, False, False, False, screen_x=x, screen_y=y))


def plain_text(widget: Static) -> str:
    return str(widget.render())


def rendered(screen: Screen[Any]) -> str:
    """The text of every Static on the screen as Rich draws it (a table's cells too)."""
    console = Console(width=400, record=True, file=io.StringIO())
    for widget in screen.query(Static):
        console.print(widget.content)
    return console.export_text()


async def test_enter_on_a_model_named_with_unbalanced_markup(
    hostile_stack: HostileStack, tmp_path: Path
) -> None:
    app = make_app(hostile_stack, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        models = app.query_one("#models", KeyedTable)
        key = f"{PROVIDER}/{UNBALANCED.raw}"
        await until(pilot, lambda: key in models.row_keys)
        models.focus()
        models.move_cursor(row=models.get_row_index(key))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ModelDetailScreen))
        await pilot.pause(0.3)
        title = app.screen.query_one("#detail-title", Static)
        assert plain_text(title) == f"{PROVIDER} / {UNBALANCED.raw}"
        assert app.is_running


async def test_events_with_unbalanced_markup(hostile_stack: HostileStack,
                                             tmp_path: Path) -> None:
    app = make_app(hostile_stack, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.latest.cluster is not None)
        await pilot.press("e")  # the models table has the focus: the Deployment's events
        await until(pilot, lambda: isinstance(app.screen, DetailScreen))
        await pilot.pause(0.3)
        shown = rendered(app.screen)
        assert f"events of deployment/{ko.DEPLOYMENT}" in shown
        assert UNBALANCED.raw in shown and ANSWER.raw in shown
        assert app.is_running


async def test_silence_dialog_shows_labels_as_written_and_a_click_confirms_nothing(
    hostile_stack: HostileStack, tmp_path: Path
) -> None:
    hostile_stack.expire_active_silences()
    before = len(hostile_stack.silences())
    app = make_app(hostile_stack, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        alerts = app.query_one("#alerts", KeyedTable)
        def dialog_key() -> str | None:
            return next((a.key for a in app.snapshot().alerts if a.name == "HostileDialog"),
                        None)

        await until(pilot, lambda: (k := dialog_key()) is not None and k in alerts.row_keys)
        alerts.focus()
        key = dialog_key()
        assert key is not None
        alerts.move_cursor(row=alerts.get_row_index(key))  # by key: rows may reorder
        assert alerts.selected_key == key
        await pilot.press("S")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, MatcherEditor))
        editor = app.screen
        assert isinstance(editor, MatcherEditor)
        lines = editor.query_one(MatcherLines).text.splitlines()
        assert f"m{MARKUP.index(ANSWER)}={ANSWER.raw}" in lines  # literal, never markup
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        command = plain_text(dialog.query_one("#confirm-command", Static))
        assert UNBALANCED.raw in command and ANSWER.raw in command
        # Click along the whole command line: no part of it is a button.
        region = dialog.query_one("#confirm-command", Static).region
        for x in range(region.x, region.right):
            click_at(app, x, region.y)
        await pilot.pause()
        await pilot.pause(0.5)
        assert not dialog.answered and app.screen is dialog
        await pilot.press("n")
        await pilot.pause(0.3)
    assert len(hostile_stack.silences()) == before


async def test_prometheus_error_text_with_markup_at_start_up(
    hostile_stack: HostileStack, tmp_path: Path
) -> None:
    error = f"{UNBALANCED.raw} parse error at [bold"
    with FaultServer(hostile_stack.prometheus_url) as proxy:
        proxy.fail_json(400, {"status": "error", "errorType": "bad_data", "error": error})
        app = make_app(hostile_stack, tmp_path, proxy.url)
        async with app.run_test(size=(160, 50)) as pilot:
            await until(pilot, lambda: app.latest.metrics_status is not None)
            await pilot.pause(0.3)
            subtitle = Content.from_markup(app.query_one("#models", KeyedTable).border_subtitle
                                           or "").plain
            status = str(app.query_one("#status", Static).render())
            assert app.is_running
    failed = app.latest.metrics_status
    assert failed is not None and failed.error is not None and error in failed.error
    assert error in status
    assert subtitle.startswith("✗ ") and error in subtitle
