"""The console on real terminals: sizes, no colour, tmux/screen, slow links, a dropped SSH.

On-call engineers reach the console over SSH from whatever terminal they
have: an 80x24 window, a multiplexer with its own TERM, a link that drops.
These tests drive the app with Pilot at several sizes and, where only the
real process can tell, run it under a pseudo-terminal or tmux.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from console.actions.audit import AuditLog
from console.actions.runner import ActionRunner
from console.app import GatewayConsole
from console.cli import parse
from console.clock import FixedClock
from console.config.settings import build_settings
from console.sources import build_source_set
from tests.app_harness import cell_text, demo_app, wait_for_data
from tests.perf.ptyproc import PtyProcess, console_command
from widgets.keyed_table import KeyedTable
from widgets.text_panel import TextPanel


def column_texts(table: KeyedTable, col: str) -> list[str]:
    return [cell_text(table, key, col) for key in table.row_keys]


# ------------------------------------------------------------------------ sizes


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)])
async def test_every_panel_is_there_from_80x24_up(tmp_path: Path, size: tuple[int, int]) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await wait_for_data(pilot)
        models = app.query_one("#models", KeyedTable)
        assert models.display and models.row_count == 7
        assert models.region.height >= 5  # room for the header and rows, not squeezed away
        for panel in ("#pods", "#alerts", "#hpa", "#status"):
            assert app.query_one(panel).region.height > 0, panel
        assert not app.query_one("#too-small").display


async def test_below_80x24_a_message_replaces_the_layout(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(60, 20)) as pilot:
        await wait_for_data(pilot)
        message = app.query_one("#too-small", TextPanel)
        assert message.display and message.region.height > 0
        assert "terminal too small: 60x20, need at least 80x24" in str(message.render())
        assert app.query_one("#models").region.height == 0
        # Data keeps arriving underneath without a crash, and growing the window restores it.
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        await wait_for_data(pilot, polls=2)
        assert not message.display
        assert app.query_one("#models", KeyedTable).region.height > 5
        await pilot.resize_terminal(79, 40)
        await pilot.pause()
        assert "79x40" in str(message.render()) and message.display


# --------------------------------------------------------------------- no colour


async def test_state_reads_without_colour(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """NO_COLOR=1: every red/yellow/green state also carries its symbol."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = demo_app(tmp_path, "crashloop")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        assert app.no_color  # Textual's own reading of NO_COLOR
        statuses = column_texts(app.query_one("#pods", KeyedTable), "status")
        assert statuses and all(s[:1] in "✓✗◌▲" for s in statuses), statuses
        assert any(s.startswith("✗ CrashLoopBackOff") for s in statuses)
    app = demo_app(tmp_path, "provider-outage")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        errors = column_texts(app.query_one("#models", KeyedTable), "errors")
        assert any(e.endswith("✗") for e in errors), errors
        states = column_texts(app.query_one("#alerts", KeyedTable), "state")
        assert any(s.startswith("● firing") for s in states), states
        assert all(s[:1] in "●○◌·" for s in states), states
        status = str(app.query_one("#status", TextPanel).render())
        assert "✓ prometheus" in status


# ------------------------------------------------------------------ low bandwidth


async def test_low_bandwidth_drops_trends_and_slows_the_cluster_panels(tmp_path: Path) -> None:
    assert parse(["--demo", "--low-bandwidth"])[1].low_bandwidth is True
    settings = build_settings({"demo": "steady", "seed": 7, "low_bandwidth": True},
                              env={"HOME": str(tmp_path)})
    assert settings.low_bandwidth
    clock = FixedClock()
    sources = build_source_set(settings, settings.target, clock)
    runner = ActionRunner(settings.target, sources, AuditLog(tmp_path / "audit.jsonl", clock),
                          read_only=True, user="tester")
    app = GatewayConsole(settings, sources, runner, clock, export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        models = app.query_one("#models", KeyedTable)
        keys = [c.key for c in models.columns]
        assert "rate_trend" not in keys and "p95_trend" not in keys
        assert models.row_count == 7 and "p95" in keys
        assert app.animation_level == "none"


def test_low_bandwidth_from_the_environment(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "AI_GATEWAY_CONSOLE_LOW_BANDWIDTH": "1"}
    assert build_settings({"demo": "steady"}, env=env).low_bandwidth
    assert not build_settings({"demo": "steady"}, env={"HOME": str(tmp_path)}).low_bandwidth


# --------------------------------------------------------------- the real process


def _started(tmp_path: Path, *args: str) -> PtyProcess:
    env = {"HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}
    proc = PtyProcess(console_command("--demo", *args), 100, 30, env=env, keep_output=False)
    proc.start([b"gpt-4.1"])
    if proc.found_at(b"gpt-4.1", 30) is None:
        proc.stop()
        pytest.fail("the console showed no model data within 30 s")
    return proc


def _exits_within(proc: PtyProcess, seconds: float) -> int | None:
    assert proc.proc is not None
    try:
        return proc.proc.wait(seconds)
    except subprocess.TimeoutExpired:
        return None


def test_exits_when_the_terminal_goes_away(tmp_path: Path) -> None:
    """SSH drops: the pty's master side closes; the console must exit, not spin."""
    proc = _started(tmp_path)
    try:
        os.close(proc.master)
        code = _exits_within(proc, 5.0)
        assert code is not None, "still running 5 s after its terminal closed"
    finally:
        proc.master = -1
        if proc.proc is not None and proc.proc.poll() is None:
            proc.proc.kill()
            proc.proc.wait(5)


def test_exits_on_sighup(tmp_path: Path) -> None:
    proc = _started(tmp_path)
    try:
        os.kill(proc.pid, signal.SIGHUP)
        assert _exits_within(proc, 5.0) is not None, "still running 5 s after SIGHUP"
    finally:
        proc.stop()


TMUX = shutil.which("tmux")


def _tmux_capture(tmp_path: Path, term: str, scenario: str, extra_env: str = "") -> str:
    """Run the console in a detached tmux pane with `term`; the pane's text once data shows."""
    if TMUX is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tmux is required under CI (tests/run installs it)")
        pytest.skip("tmux not installed (apt-get install tmux)")
    sock = f"agc-test-{uuid.uuid4().hex[:8]}"
    command = " ".join(console_command("--demo", scenario))
    shell = (f"cd {tmp_path} && HOME={tmp_path} TERM={term} {extra_env} exec {command}")
    base = [TMUX, "-L", sock, "-f", "/dev/null"]
    subprocess.run([*base, "new-session", "-d", "-x", "120", "-y", "40", "-s", "agc", shell],
                   check=True, timeout=10, env={**os.environ, "TERM": "xterm-256color"})
    try:
        pane = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            pane = subprocess.run([*base, "capture-pane", "-p", "-t", "agc"], check=True,
                                  capture_output=True, text=True, timeout=10).stdout
            if "gpt-4.1" in pane and "prometheus" in pane:
                time.sleep(0.5)  # one more frame: the whole first screen, not half of it
                return subprocess.run([*base, "capture-pane", "-p", "-t", "agc"], check=True,
                                      capture_output=True, text=True, timeout=10).stdout
            time.sleep(0.2)
        pytest.fail(f"no model data in the tmux pane within 30 s (TERM={term}):\n{pane}")
    finally:
        subprocess.run([*base, "kill-server"], capture_output=True, timeout=10)


@pytest.mark.parametrize("term", ["screen-256color", "tmux-256color"])
def test_runs_under_tmux(tmp_path: Path, term: str) -> None:
    pane = _tmux_capture(tmp_path, term, "steady")
    for model in ("gpt-4.1", "claude-sonnet-4.5", "deepseek-v3.2"):
        assert model in pane
    assert "✓ prometheus" in pane and "✓ kubernetes" in pane and "✓ alertmanager" in pane


def test_no_color_under_tmux_still_marks_trouble(tmp_path: Path) -> None:
    pane = _tmux_capture(tmp_path, "screen", "provider-outage", "NO_COLOR=1")
    assert "✗" in pane and "HighErrorRate" in pane
