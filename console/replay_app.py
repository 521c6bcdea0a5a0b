"""The console opened on a recording: review an incident afterwards, or hand it over.

The same App and overview as live — same layout, same drawing code — so a frame
replays with exactly the figures it showed live; only the feed differs
(console/feeds/replay.py): instead of one poll worker per source, a cursor over
the recorded frames folds them into the state and redraws.

Every action is refused with "replay: actions are disabled": a recording is
history, and the cluster it shows has moved on.
"""

from __future__ import annotations

from pathlib import Path

from console.actions.audit import AuditLog
from console.actions.runner import ActionRunner
from console.app import GatewayConsole
from console.clock import FixedClock
from console.config.settings import HttpEndpoint, Settings, TargetSettings
from console.feeds.replay import ReplayFeed
from console.record.frames import Header
from console.record.reading import Recording
from console.sources.replay import REPLAY_REASON, Timeline, replay_source_set
from console.state.trends import TREND_POINTS


def replay_settings(header: Header) -> Settings:
    """Settings that title and assemble the screen as the recorded session did.

    The Alertmanager endpoint is a placeholder that is never called: it only tells
    `snapshot()` that one was configured, so the status line says the same.
    """
    alertmanager = (HttpEndpoint("http://recorded.invalid")
                    if header.alertmanager_configured and header.demo is None else None)
    target = TargetSettings(
        name=header.target,
        context=header.context,
        namespace=header.namespace,
        deployment=header.deployment,
        hpa=header.hpa,
        alertmanager=alertmanager,
        read_only=True,
    )
    return Settings(
        targets=(target,),
        demo=header.demo,
        profile=header.profile,
        window_s=header.window_s,
        refresh_s=header.refresh_s,
        read_only=True,
    )


def open_replay(recording: Recording, *, speed: float = 1.0, playing: bool = True,
                export_dir: Path | None = None) -> GatewayConsole:
    """The console on `recording`, at its first frame; its clock is the recorded time."""
    timeline = Timeline(recording, TREND_POINTS)
    settings = replay_settings(recording.header)
    sources = replay_source_set(timeline)
    clock = FixedClock(recording.frames[0].t)
    runner = ActionRunner(settings.target, sources, AuditLog(None, clock, persist=False),
                          read_only=True, read_only_reason=REPLAY_REASON)
    feed = ReplayFeed(timeline, clock, speed=speed, playing=playing)
    return GatewayConsole(settings, sources, runner, clock, export_dir, feed=feed)
