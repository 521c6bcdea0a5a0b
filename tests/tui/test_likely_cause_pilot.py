"""The first screen (0 keys) of each demo scenario names the scenario's cause in `Likely cause`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from console.app import GatewayConsole
from console.screens.model_detail import ModelDetailScreen
from console.screens.pod_detail import PodDetailScreen
from console.views.overview import model_row_key
from tests.app_harness import demo_app, wait_for_data
from widgets.keyed_table import KeyedTable
from widgets.text_panel import TextPanel

EXPECTED: dict[str, tuple[str, ...]] = {
    "provider-outage": ("provider holysheep is failing, not the gateway pods", "[E]",
                        "4/4 holysheep models failing", "pods 3/3 ready",
                        "openrouter 0/3 failing"),
    "crashloop": ("the new revision ai-gateway-", "crashes", "[u]",
                  "log: panic: config error: HOLYSHEEP_API_KEY is required but not set"),
    "hpa-maxed": ("HPA ai-gateway-hpa pinned at max 10", "[H]", "cpu", "over target 70 %"),
    "latency-spike": ("2 models slow at provider holysheep, not load or a rollout",
                      "claude-sonnet-4.5 P95", "gpt-4.1 P95", "[E]"),
    "steady": ("no cause found",),
}
"""What each scenario's panel must say at 80x24, in words a test can find."""

WRONG: dict[str, tuple[str, ...]] = {
    "provider-outage": ("pods crash", "HPA", "slow"),
    "crashloop": ("provider", "HPA", "slow"),
    "hpa-maxed": ("provider", "crash", "slow"),
    "latency-spike": ("provider holysheep is failing", "crash", "HPA"),
    "steady": ("provider", "crash", "HPA", "slow", "more"),
}
"""Causes that would be false for the scenario."""


def panel_text(app: GatewayConsole) -> str:
    panel = app.screen.query_one("#likely-cause", TextPanel)
    last = panel._last  # what the panel was last given to show: the screen's text
    assert last is not None
    return last[0]


@pytest.mark.parametrize("scenario", list(EXPECTED))
async def test_first_screen_names_the_cause(tmp_path: Path, scenario: str) -> None:
    app = demo_app(tmp_path, scenario)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot, 2)
        for _ in range(100):  # the trends' history may land a refresh later (bounded)
            if all(words in panel_text(app) for words in EXPECTED[scenario]):
                break
            await pilot.pause(0.05)
        text = panel_text(app)
        panel = app.screen.query_one("#likely-cause", TextPanel)
        lines = text.split("\n")
        assert lines[0].startswith("Likely cause ")
        assert 1 <= len(lines) <= 2 and panel.region.height == len(lines)
        assert all(len(line) <= 80 for line in lines)
        for words in EXPECTED[scenario]:
            assert words in text, (words, text)
        for words in WRONG[scenario]:
            assert words not in text, (words, text)


async def wait_loaded(pilot: Any, screen: Any) -> None:
    for _ in range(200):
        if screen.loads >= 1:
            await pilot.pause()
            return
        await pilot.pause(0.02)
    raise AssertionError("the drill-down never finished loading")


async def test_the_crashing_pod_shows_the_crash_hint_with_its_log_line(tmp_path: Path) -> None:
    app = demo_app(tmp_path, "crashloop")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        pods = app.query_one("#pods", KeyedTable)
        pods.focus()  # pods in trouble first: the crashing one is selected
        await pilot.press("enter")
        await pilot.pause(0.1)
        screen = app.screen
        assert isinstance(screen, PodDetailScreen) and screen.pod.reason == "CrashLoopBackOff"
        await wait_loaded(pilot, screen)
        shown = str(screen.query_one("#pod-hints", Static).render())
        assert "the new pods crash at start: panic: config error: HOLYSHEEP_API_KEY is " \
               "required but not set" in shown
        assert "kubectl -n ai-services rollout undo deployment/ai-gateway" in shown


async def test_the_slow_model_shows_the_latency_hint_first(tmp_path: Path) -> None:
    app = demo_app(tmp_path, "latency-spike")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        models = app.query_one("#models", KeyedTable)
        models.focus()
        models.move_cursor(row=models.get_row_index(model_row_key(
            ("holysheep", "claude-sonnet-4.5"))))
        await pilot.press("enter")
        await pilot.pause(0.1)
        screen = app.screen
        assert isinstance(screen, ModelDetailScreen)
        await wait_loaded(pilot, screen)
        assert screen.hints[0].title == "claude-sonnet-4.5 is slow: upstream, load or a rollout"
        assert screen.hints[0].live[0] == (
            "2 models slow at provider holysheep, not load or a rollout")


async def test_the_export_carries_the_cause_the_panel_shows(tmp_path: Path) -> None:
    app = demo_app(tmp_path, "hpa-maxed")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot, 2)
        await pilot.press("x")
        await pilot.pause(0.1)
        (folder,) = tmp_path.glob("incident-*")
        data = json.loads((folder / "snapshot.json").read_text())
        first = data["likely_cause"][0]
        assert (first["kind"], first["key"]) == ("hpa-pinned", "H")
        assert first["cause"] in panel_text(app)
        note = (folder / "incident.md").read_text()
        assert "## Likely cause" in note and "patch hpa ai-gateway-hpa" in note
