"""Keys typed while a dialog opens belong to that dialog (issue 17).

An on-call engineer types `s⌫⌫5⏎y` without waiting for the prompt to show: the
prompt opens after its permission check, the confirmation after the prompt's answer.
The keys in between must wait for the dialog they were meant for, not land on the
screen behind (the model drill-down) or in the prompt's input (`y`). The burst is
posted in one go, before the App has handled any of it, as a terminal delivers it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from textual import events
from textual.pilot import Pilot

from console.app import GatewayConsole
from console.screens.confirm import ConfirmScreen
from console.screens.model_detail import ModelDetailScreen
from console.screens.prompt import PromptScreen
from tests.app_harness import demo_app, wait_for_data
from tests.perf.ptyproc import PtyProcess, console_command

CHARACTERS = {"backspace": "\x08", "enter": "\r", "escape": "\x1b"}


def burst(app: GatewayConsole, *keys: str) -> None:
    """Every key queued at once, as one terminal write would: no pause between them."""
    for key in keys:
        app.post_message(events.Key(key, CHARACTERS.get(key, key if len(key) == 1 else None)))


def audit(tmp_path: Path) -> list[tuple[str, str]]:
    path = tmp_path / "audit.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return [(d["action"], d["result"]) for d in map(json.loads, lines)]


async def settled(pilot: Pilot[Any], app: GatewayConsole, rounds: int = 200) -> None:
    """Until no action is in hand (bounded)."""
    for _ in range(rounds):
        await pilot.pause(0.02)
        if app.actions.pending is None:
            return
    raise AssertionError(f"action still in hand: {app.actions.pending}")


async def test_scale_typed_ahead_sets_the_replicas_typed(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        assert app.latest.cluster is not None and app.latest.cluster.deployment is not None
        assert app.latest.cluster.deployment.replicas != 5
        burst(app, "s", "backspace", "backspace", "5", "enter", "y")
        await settled(pilot, app)
        assert not any(isinstance(s, (ModelDetailScreen, PromptScreen, ConfirmScreen))
                       for s in app.screen_stack), app.screen_stack
        assert audit(tmp_path) == [("scale", "ok: scaled deployment/ai-gateway to 5")]


async def test_a_y_typed_ahead_confirms_and_stays_out_of_the_input(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("s")
        await pilot.pause(0.1)
        assert isinstance(app.screen, PromptScreen)
        prompt = app.screen
        burst(app, "ctrl+a", "ctrl+k", "4", "enter", "y")
        await settled(pilot, app)
        assert prompt.answer == "4"
        assert audit(tmp_path) == [("scale", "ok: scaled deployment/ai-gateway to 4")]


async def test_a_no_typed_ahead_cancels_the_dialog_it_was_meant_for(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        burst(app, "r", "n")
        await settled(pilot, app)
        assert audit(tmp_path) == [("restart", "cancelled: nothing was sent")]
        assert app.screen is app.overview


async def test_action_letters_typed_in_the_filter_box_are_letters(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("slash")
        burst(app, "s", "r", "S", "backspace", "backspace", "o")
        await pilot.pause(0.2)
        assert app.overview.filter_text == "so"
        assert app.screen is app.overview and app.actions.pending is None
        assert audit(tmp_path) == []


async def test_bound_keys_act_in_turn_in_the_input(tmp_path: Path) -> None:
    """Textual's Input acts on a bound key (⌫) only once it bubbled back to the App, after
    the keys behind it: `⌫x` in one write deleted the x (widgets/ordered_input.py)."""
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("slash", "g", "p", "t", "x")
        burst(app, "backspace", "-", "left", "backspace", "4")
        await pilot.pause(0.2)
        assert app.overview.filter_text == "gp4-"


def _audit_results(state: Path) -> list[str]:
    """Every audit result under the state folder (a demo may keep a log of its own)."""
    return [json.loads(line).get("result", "") for path in sorted(state.rglob("*.jsonl"))
            for line in path.read_text().splitlines() if line.strip()]


def test_one_terminal_write_scales_to_what_was_typed(tmp_path: Path) -> None:
    """The real process on a pty: `s⌫⌫5⏎y` arrives in one read, as a fast typist's does."""
    env = {"HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}
    proc = PtyProcess(console_command("--demo", "--seed", "7"), 120, 40, env=env,
                      keep_output=False)
    proc.start([b"gpt-4.1"])
    try:
        assert proc.found_at(b"gpt-4.1", 30) is not None, "no model data within 30 s"
        proc.send(b"s\x7f\x7f5\ry")
        results: list[str] = []
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not results:
            time.sleep(0.1)
            results = _audit_results(tmp_path / "state")
        assert results == ["ok: scaled deployment/ai-gateway to 5"], results
    finally:
        proc.stop()
