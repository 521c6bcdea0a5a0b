"""What must survive an 80x24 terminal, and the keys an on-call engineer expects (issue 17).

The states that change what the screen means (READ-ONLY, PAUSED, REC) stay in the
title at any size; the HPA stays beside ten pods; ctrl+c quits from every screen.
These read what the terminal shows (a widget's rendered lines), not the text the
console meant to draw: the cut happens between the two.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from textual.widget import Widget

from console.app import GatewayConsole
from console.feeds.replay import ReplayFeed
from console.record.reading import load_recording
from console.record.recorder import recorder_for
from console.replay_app import open_replay
from console.screens.fleet import FleetScreen
from console.screens.help import HelpScreen
from console.state.trends import TREND_POINTS
from tests.app_harness import (
    cell_text,
    demo_app,
    demo_fleet_app,
    wait_for_data,
    wait_for_fleet,
)
from tests.perf.ptyproc import PtyProcess, console_command
from widgets.keyed_table import KeyedTable


def shown_lines(widget: Widget) -> list[str]:
    """The widget's lines as the terminal shows them: cut to its width."""
    return [widget.render_line(y).text for y in range(widget.region.height)]


async def test_read_only_and_paused_survive_80_columns(tmp_path: Path) -> None:
    app = demo_app(tmp_path, "hpa-maxed", read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("p")
        await pilot.pause()
        title = shown_lines(app.query_one("#title"))
        assert len(title) == 1 and len(title[0]) <= 80
        assert "READ-ONLY" in title[0] and "PAUSED" in title[0], title


async def test_rec_shows_while_recording_and_goes_when_it_stops(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    settings = dataclasses.replace(app.settings, record=str(tmp_path / "rec.jsonl"))
    app.recorder = recorder_for(settings, app.clock, TREND_POINTS)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("p")
        await pilot.pause()
        title = shown_lines(app.query_one("#title"))[0]
        assert "● REC" in title and "PAUSED" in title, title
        # A full disk stops the recording: the screen must stop claiming it records.
        app.recorder.failed = "recording stopped: disk full"
        app._recorded(app.recorder.failed)
        await pilot.pause()
        assert "REC" not in shown_lines(app.query_one("#title"))[0]


async def test_no_rec_without_recording(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        assert "REC" not in shown_lines(app.query_one("#title"))[0]


async def test_hpa_stays_on_screen_beside_ten_pods_at_80x24(tmp_path: Path) -> None:
    app = demo_app(tmp_path, "hpa-maxed")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        hpa, pods = app.query_one("#hpa"), app.query_one("#pods", KeyedTable)
        assert pods.row_count == 10
        screen = app.screen.region
        assert hpa.region.height >= 2 and screen.contains_region(hpa.region), hpa.region
        hpa_lines = " ".join(shown_lines(hpa))
        assert "PINNED AT MAX" in hpa_lines and "10→10" in hpa_lines, hpa_lines
        # The pods scroll instead of pushing the HPA out: fewer rows shown than there are.
        assert pods.region.height - 3 < pods.row_count


def _quit_paths() -> list[tuple[str, ...]]:
    return [(), ("s",), ("question_mark",), ("l",), ("slash",)]


@pytest.mark.parametrize("before", _quit_paths(), ids=lambda keys: "-".join(keys) or "overview")
async def test_ctrl_c_quits_from_every_screen_like_q(tmp_path: Path, before: tuple[str, ...]
                                                     ) -> None:
    app = demo_app(tmp_path)
    settings = dataclasses.replace(app.settings, record=str(tmp_path / "rec.jsonl"))
    app.recorder = recorder = recorder_for(settings, app.clock, TREND_POINTS)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("tab", "tab")  # the pods table: `l` has a pod to show
        for key in before:
            await pilot.press(key)
            await pilot.pause()
        screen = app.screen
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.return_code == 0, f"still running on {type(screen).__name__}"
    # The same cleanup as `q`: the recording is closed, its last frame on disk.
    assert recorder.frames_written > 0 and recorder._raw is None


def _help_keys(app: GatewayConsole) -> set[str]:
    assert isinstance(app.screen, HelpScreen)
    return {row.key for row in app.screen.rows}


def _bound_here(app: GatewayConsole) -> set[str]:
    """Every key the screen or the App binds and that shows or acts here."""
    screen = app.screen
    return {app.get_key_display(b.binding) for b in screen.active_bindings.values()
            if b.node in (screen, app)}


@pytest.mark.parametrize(("before", "must"), [
    ((), {"f", "^c", "?", "q", "/", ":", "c", "⏎"}),
    (("tab", "tab", "l"), {"P", "f"}),
    (("tab", "tab", "enter"), {"l"}),
], ids=["overview", "logs", "pod-detail"])
async def test_help_lists_every_key_bound_where_it_opens(
        tmp_path: Path, before: tuple[str, ...], must: set[str]) -> None:
    app = demo_app(tmp_path, "crashloop")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        for key in before:
            await pilot.press(key)
            await pilot.pause()
        bound = _bound_here(app)
        await pilot.press("question_mark")
        await pilot.pause()
        listed = _help_keys(app)
        assert bound and bound <= listed, bound - listed
        assert must <= listed, must - listed


async def test_fleet_help_lists_its_sort_key(tmp_path: Path) -> None:
    app = demo_fleet_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_fleet(pilot)
        assert isinstance(app.screen, FleetScreen)
        bound = _bound_here(app)
        await pilot.press("question_mark")
        await pilot.pause()
        listed = _help_keys(app)
        assert {"o", "f", "⏎"} <= listed and bound <= listed, bound - listed


async def test_the_palette_lists_the_consoles_actions_not_textuals(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Restart", "Scale", "Logs", "Events", "Window",
                "Pause", "Export", "Filter", "Help", "Quit"} <= titles, titles
        # What needs a selected pod or alert is offered where one is selected (as the footer).
        assert not {"Delete pod", "Silence"} & titles
        app.query_one("#pods", KeyedTable).focus()
        await pilot.pause()
        assert "Delete pod" in {c.title for c in app.get_system_commands(app.screen)}
        app.query_one("#alerts", KeyedTable).focus()
        await pilot.pause()
        assert "Silence" in {c.title for c in app.get_system_commands(app.screen)}
        app.query_one("#models", KeyedTable).focus()
        assert not titles & {"Theme", "Screenshot", "Maximize", "Keys"}, titles
        assert "Fleet" not in titles  # one target: `f` does nothing here
        # Chosen in the palette, an action runs as its key does.
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"pause")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert app.state.paused and "PAUSED" in shown_lines(app.query_one("#title"))[0]


async def test_the_fleet_palette_offers_the_fleet_actions(tmp_path: Path) -> None:
    app = demo_fleet_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_fleet(pilot)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Sort models", "Overview", "Help", "Quit"} <= titles, titles
        assert "Restart" not in titles


async def test_replay_shows_the_actions_taken_while_recording(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    app = demo_app(tmp_path)
    settings = dataclasses.replace(app.settings, record=str(path))
    app.recorder = recorder_for(settings, app.clock, TREND_POINTS)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("r")
        await pilot.pause(0.2)
        await pilot.press("y")
        for _ in range(100):  # until the restart is written and a poll recorded after it
            await pilot.pause(0.02)
            if app.actions.pending is None:
                break
        app.refresh_now("kubernetes")
        await pilot.pause(0.2)
    recording = load_recording([path])
    actions = [f for f in recording.frames if f.source == "action"]
    assert len(actions) == 1 and actions[0].action is not None
    result = actions[0].action["result"]
    assert result.startswith("ok: restarted deployment/ai-gateway"), result
    assert "user" not in actions[0].action  # who did it stays in the audit log
    replay = open_replay(recording, playing=False, export_dir=tmp_path)
    async with replay.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(replay.feed, ReplayFeed)
        replay.feed.step(len(recording.frames))
        await pilot.pause()
        notes = [(n.title, n.message) for n in replay._notifications]
        assert any(title.startswith("action taken") and
                   message == f"restart deployment/ai-gateway: {result}"
                   for title, message in notes), notes


# ------------------------------------------------------------ panels share the space
def _blank_rows(table: KeyedTable) -> int:
    return max(0, table.region.height - 3 - table.row_count)


def _scrolls(table: KeyedTable) -> bool:
    return table.region.height - 3 < table.row_count


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)])
@pytest.mark.parametrize("scenario", ["hpa-maxed", "crashloop"])
async def test_no_blank_rows_in_one_panel_while_another_scrolls(
        tmp_path: Path, size: tuple[int, int], scenario: str) -> None:
    app = demo_app(tmp_path, scenario)
    async with app.run_test(size=size) as pilot:
        await wait_for_data(pilot)
        await pilot.pause(0.1)
        models, pods = app.query_one("#models", KeyedTable), app.query_one("#pods", KeyedTable)
        events = app.query_one("#events", KeyedTable)
        pairs = [(models, pods), (pods, models)]
        if events.display:
            pairs += [(events, models), (events, pods)]
        for one, other in pairs:
            assert not (_scrolls(one) and _blank_rows(other)), (
                f"{one.id} scrolls while {other.id} has {_blank_rows(other)} blank rows")
        bottom = app.query_one("#status").region.y
        assert pods.region.bottom <= bottom and app.query_one("#hpa").region.bottom <= bottom


@pytest.mark.parametrize(("size", "shown"), [((80, 24), 0), ((120, 40), 8)])
async def test_rows_the_models_leave_free_show_the_events_warnings_first(
        tmp_path: Path, size: tuple[int, int], shown: int) -> None:
    app = demo_app(tmp_path, "crashloop")
    async with app.run_test(size=size) as pilot:
        await wait_for_data(pilot)
        await pilot.pause(0.1)
        events = app.query_one("#events", KeyedTable)
        models = app.query_one("#models", KeyedTable)
        if not shown:  # no rows to spare at 80x24: the panel is not squeezed in
            assert not events.display and events.region.height == 0
            return
        lines = shown_lines(events)[:shown + 1]  # the header and the rows, in the border
        assert events.display and events.region.height == shown + 3  # every event, no scroll
        rows = [line.split() for line in lines[1:]]
        assert sorted(r[:2] for r in rows[:2]) == [["Warning", "BackOff"], ["Warning", "Unhealthy"]]
        assert {r[0] for r in rows[2:]} == {"Normal"}
        assert any("Back-off restarting failed container" in line for line in lines)
        assert _blank_rows(models) <= 2  # before the panel: 16 rows blank here
        assert events.region.bottom <= app.query_one("#status").region.y


async def test_wide_terminals_give_the_free_columns_to_the_hpa(tmp_path: Path) -> None:
    app = demo_app(tmp_path, "crashloop")
    async with app.run_test(size=(200, 60)) as pilot:
        await wait_for_data(pilot)
        await pilot.pause(0.1)
        pods, hpa = app.query_one("#pods", KeyedTable), app.query_one("#hpa")
        # The pods' columns plus borders and a cell of padding, not 150 columns.
        assert pods.region.width <= pods.virtual_size.width + 4, pods.region
        assert pods.region.width + hpa.region.width == 200


def _table_lines(table: KeyedTable) -> str:
    """The rows as the terminal shows them (a cell's text is whole; its column may not be)."""
    return "\n".join(table.render_line(y).text for y in range(table.size.height))


@pytest.mark.parametrize("size", [(120, 40), (200, 60)])
async def test_cost_is_not_cut_while_there_are_free_columns(tmp_path: Path,
                                                            size: tuple[int, int]) -> None:
    app = demo_app(tmp_path, "hpa-maxed")
    async with app.run_test(size=size) as pilot:
        await wait_for_data(pilot)
        await pilot.pause()
        models = app.query_one("#models", KeyedTable)
        costs = [cell_text(models, key, "cost") for key in models.row_keys]
        assert any(c.startswith("$") and "," in c for c in costs), costs  # thousands shown
        shown = _table_lines(models)
        assert all(c in shown for c in costs), (costs, shown)


async def test_fleet_model_names_are_whole_with_free_columns(tmp_path: Path) -> None:
    app = demo_fleet_app(tmp_path)
    async with app.run_test(size=(200, 60)) as pilot:
        await wait_for_fleet(pilot)
        await pilot.pause()
        table = app.screen.query_one("#fleet-models", KeyedTable)
        names = [cell_text(table, key, "model") for key in table.row_keys]
        shown = _table_lines(table)
        assert names and all(n in shown for n in names), (names, shown)


def _footer_keys(app: GatewayConsole) -> set[str]:
    """The keys the footer shows: shown bindings the screen enables right now."""
    return {key for key, b in app.screen.active_bindings.items() if b.binding.show and b.enabled}


async def test_the_footer_offers_only_keys_that_act_where_the_focus_is(tmp_path: Path) -> None:
    app = demo_app(tmp_path, "provider-outage")
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for_data(pilot)
        app.query_one("#models", KeyedTable).focus()
        await pilot.pause()
        assert {"r", "s", "l", "e"} <= _footer_keys(app)
        assert not {"ctrl+d", "S"} & _footer_keys(app)
        app.query_one("#pods", KeyedTable).focus()
        await pilot.pause()
        assert "ctrl+d" in _footer_keys(app) and "S" not in _footer_keys(app)
        app.query_one("#alerts", KeyedTable).focus()
        await pilot.pause()
        assert "S" in _footer_keys(app) and "ctrl+d" not in _footer_keys(app)
        await pilot.press("slash")
        await pilot.pause()
        assert not {"r", "s", "ctrl+d", "S"} & _footer_keys(app)


async def test_read_only_keeps_the_action_keys_to_say_why_not(tmp_path: Path) -> None:
    app = demo_app(tmp_path, read_only=True)
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for_data(pilot)
        app.query_one("#models", KeyedTable).focus()
        await pilot.press("ctrl+d")
        await pilot.pause()
        assert any("read-only" in n.message for n in app._notifications)


def test_ctrl_c_quits_the_real_process_and_restores_the_terminal(tmp_path: Path) -> None:
    """On a pty, ctrl+c is the byte 0x03 (raw mode: no SIGINT): it must quit, exit 0."""
    env = {"HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}
    proc = PtyProcess(console_command("--demo"), 100, 30, env=env, keep_output=True)
    proc.start([b"gpt-4.1"])
    try:
        assert proc.found_at(b"gpt-4.1", 30) is not None, "no model data within 30 s"
        proc.send(b"\x03")
        assert proc.proc is not None
        assert proc.proc.wait(10) == 0
        assert b"\x1b[?1049l" in proc.output  # left the alternate screen: terminal restored
    finally:
        proc.stop()
