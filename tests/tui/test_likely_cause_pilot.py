"""The first screen (0 keys) of each demo scenario names the scenario's cause in `Likely cause`."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.app import GatewayConsole
from tests.app_harness import demo_app, wait_for_data
from widgets.text_panel import TextPanel

EXPECTED: dict[str, tuple[str, ...]] = {
    "provider-outage": ("provider holysheep is failing, not the gateway pods", "[E]",
                        "4/4 holysheep models failing", "pods 3/3 ready",
                        "openrouter 0/3 failing"),
    "crashloop": ("the new revision ai-gateway-", "crashes", "[u]",
                  "log: panic: config error: HOLYSHEEP_API_KEY is required but not set"),
    "hpa-maxed": ("HPA ai-gateway-hpa pinned at max 10", "[H]", "cpu", "over target 70 %"),
    "latency-spike": ("2 models slow at provider holysheep, not load or a rollout",
                      "claude-sonnet-4.5 P95", "gpt-4.1 P95"),
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
