"""Snapshot tests of the screens at 80x24 and 120x40, on the seeded demo with a fixed clock.

Regenerate after an intended change with `tests/run tests/tui/test_snapshots.py --snapshot-update`
and look at the report before committing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.app_harness import demo_app, wait_for_data
from widgets.text_panel import TextPanel


async def settle(pilot: Pilot[Any]) -> None:
    """Until the screen stops changing (bounded): the panels share the rows after a
    refresh (OverviewScreen.share_space) and the events' messages are cut after that, so
    a fixed pause caught hpa-maxed at 80x24 between two layouts on a loaded machine."""
    await wait_for_data(pilot)
    # The demo's first poll simulates its 15-minute past: on a loaded box it takes over
    # 250 ms and the status line says `slow 533ms` until the next poll (seen in CI).
    status = pilot.app.screen.query_one("#status", TextPanel)
    for _ in range(100):
        if status._last is not None and "slow" not in status._last[0]:
            break
        await pilot.pause(0.1)
    await steady(pilot)


async def steady(pilot: Pilot[Any]) -> None:
    """Pause until two pictures a tenth of a second apart are the same (6 s at most)."""
    last = None
    for _ in range(60):
        await pilot.pause(0.1)
        await pilot.wait_for_scheduled_animations()
        shot = pilot.app.export_screenshot()
        if shot == last:
            return
        last = shot


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pytest.mark.parametrize("scenario", ["provider-outage", "crashloop"])
def test_overview(snap_compare: Any, tmp_path: Path, size: tuple[int, int], scenario: str
                  ) -> None:
    assert snap_compare(demo_app(tmp_path, scenario), terminal_size=size, run_before=settle)


def test_help_screen(snap_compare: Any, tmp_path: Path) -> None:
    async def open_help(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await steady(pilot)

    assert snap_compare(demo_app(tmp_path), terminal_size=(120, 40), run_before=open_help)


def test_restart_confirmation(snap_compare: Any, tmp_path: Path) -> None:
    async def ask_restart(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("r")
        await steady(pilot)

    assert snap_compare(demo_app(tmp_path), terminal_size=(80, 24), run_before=ask_restart)


def test_silence_matcher_editor(snap_compare: Any, tmp_path: Path) -> None:
    """S's editor whole at 80x24: the matchers, a bad line's error under them, the comment."""
    async def edit_matchers(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        pilot.app.query_one("#alerts").focus()
        await pilot.pause(0.1)
        await pilot.press("S")
        await steady(pilot)
        await pilot.press("enter")
        await steady(pilot)
        assert type(pilot.app.screen).__name__ == "MatcherEditor"
        await pilot.press("end", "ctrl+n", *"bad~~line", "enter")
        await steady(pilot)

    assert snap_compare(demo_app(tmp_path, "latency-spike"), terminal_size=(80, 24),
                        run_before=edit_matchers)


def test_read_only_overview(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(demo_app(tmp_path, "hpa-maxed", read_only=True),
                        terminal_size=(120, 40), run_before=settle)


async def _paused(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("p")
    await steady(pilot)


@pytest.mark.parametrize(("scenario", "read_only", "paused"), [
    ("steady", True, False), ("steady", False, True), ("hpa-maxed", False, False)],
    ids=["read-only", "paused", "hpa-maxed"])
def test_what_survives_80x24(snap_compare: Any, tmp_path: Path, scenario: str,
                             read_only: bool, paused: bool) -> None:
    """READ-ONLY and PAUSED stay in the title, the HPA beside ten pods (issue 17)."""
    assert snap_compare(demo_app(tmp_path, scenario, read_only=read_only),
                        terminal_size=(80, 24), run_before=_paused if paused else settle)
