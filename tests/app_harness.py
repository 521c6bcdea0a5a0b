"""Builds the live console on the seeded demo with a fixed clock, for pilot and snapshot tests."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from console.actions import ActionRunner
from console.app import GatewayConsole
from console.audit import AuditLog
from console.clock import FixedClock
from console.settings import build_settings
from console.sources import build_source_set


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
        if all(n >= polls for n in app.polls.values()):
            await pilot.pause()
            return
        await pilot.pause(0.02)
    raise AssertionError(f"sources not polled {polls} times: {app.polls}")
