"""Builds the live console on the seeded demo with a fixed clock, for pilot and snapshot tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from console.actions.audit import AuditLog
from console.actions.runner import ActionRunner
from console.app import GatewayConsole
from console.clock import FixedClock
from console.config.settings import build_settings
from console.sources import build_source_set
from widgets.columns import plain
from widgets.keyed_table import KeyedTable


def demo_app(
    tmp_path: Path,
    scenario: str = "steady",
    *,
    read_only: bool = False,
    refresh: str = "2s",
    clock: FixedClock | None = None,
) -> GatewayConsole:
    flags: dict[str, object] = {"demo": scenario, "seed": 7, "refresh": refresh}
    if read_only:
        flags["read_only"] = True
    settings = build_settings(flags, env={"HOME": str(tmp_path)})
    clock = clock or FixedClock()
    sources = build_source_set(settings, settings.target, clock)
    runner = ActionRunner(settings.target, sources, AuditLog(tmp_path / "audit.jsonl", clock),
                          read_only=settings.read_only, user="tester")
    # Build the simulator's pre-history now, so the first poll is as quick as the rest
    # and nothing in a snapshot depends on how fast this machine is.
    sources.cluster.simulation.advance()  # type: ignore[attr-defined]
    return GatewayConsole(settings, sources, runner, clock, export_dir=tmp_path)


async def wait_for_data(pilot: Pilot[int], polls: int = 1, rounds: int = 200) -> None:
    """Wait until every source has been polled `polls` times (bounded, never forever)."""
    app = pilot.app
    assert isinstance(app, GatewayConsole)
    for _ in range(rounds):
        if all(n >= polls for n in app.state.polls.values()):
            await pilot.pause()
            return
        await pilot.pause(0.02)
    raise AssertionError(f"sources not polled {polls} times: {app.state.polls}")


def demo_fleet_app(tmp_path: Path, clusters: int = 3, *, read_only: bool = False,
                   clock: FixedClock | None = None) -> GatewayConsole:
    """The console on a demo fleet of `clusters` simulated clusters (the fleet view first)."""
    flags: dict[str, object] = {"demo": "provider-outage", "seed": 7, "refresh": "2s",
                                "demo_clusters": clusters}
    if read_only:
        flags["read_only"] = True
    settings = build_settings(flags, env={"HOME": str(tmp_path)})
    clock = clock or FixedClock()
    app = GatewayConsole.from_settings(settings, clock,
                                       audit=AuditLog(tmp_path / "audit.jsonl", clock),
                                       user="tester", export_dir=tmp_path)
    for sources in app.switcher.sources.values():
        sources.cluster.simulation.advance()  # type: ignore[attr-defined]
    return app


async def wait_for_fleet(pilot: Pilot[int], rounds: int = 200) -> None:
    """Wait until every target of the fleet has answered from every source."""
    app = pilot.app
    assert isinstance(app, GatewayConsole)
    for _ in range(rounds):
        latest = [app.state.latest_of.get(t.name) for t in app.state.targets]
        if all(lt is not None and None not in (lt.metrics_status, lt.cluster_status,
                                               lt.alerts_status) for lt in latest):
            await pilot.pause()
            return
        await pilot.pause(0.02)
    raise AssertionError(f"fleet not polled: {app.state.latest_of.keys()}")


def cell_text(table: KeyedTable, row: str, col: str) -> str:
    """A cell's text without its styling, as a test compares it."""
    return plain(table.get_cell(row, col))


async def eventually(pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float,
                     step: float = 0.05) -> bool:
    """Whether `predicate` came true within `timeout` seconds, the app running meanwhile:
    a bounded poll, never a sleep for a guessed time."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            return False
        await pilot.pause(step)
    return True


async def pilot_until(pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float,
                      step: float = 0.05) -> None:
    """`eventually`, failing the test when it did not come true."""
    if not await eventually(pilot, predicate, timeout, step):
        raise AssertionError("condition not met in time")
