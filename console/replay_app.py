"""The live console, opened on a recording: review an incident afterwards, or hand it over.

`ReplayConsole` is the same App as `GatewayConsole` — same layout, same
rendering code — so a frame replays with exactly the figures it showed live.
Only the feed differs: instead of one poll worker per source, a cursor over
the recorded frames sets the App's state (latest readings and statuses, the
trends behind the sparklines, the window) and redraws. The clock is the
recorded time, so ages, "since" and "data 42s old" read as they did then.

Keys added: space/p play-pause, `.`/`,` step one frame, `]`/`[` seek one
minute, `g`/`G` start/end. Every action is refused with "replay: actions are
disabled": a recording is history, and the cluster it shows has moved on.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType

from console.actions.audit import AuditLog
from console.actions.runner import ActionRunner
from console.app import GatewayConsole
from console.clock import FixedClock
from console.config.settings import HttpEndpoint, Settings, TargetSettings
from console.record.recorder import Header, Recording
from console.sources.replay import REPLAY_REASON, SEEK_STEP_S, Timeline, replay_source_set
from console.state.trends import TREND_POINTS
from console.text.durations import format_duration
from widgets.text_panel import TextPanel

TICK_S = 0.1
MAX_IDLE_S = 10.0
"""A longer silence between frames (the console was closed, a laptop slept) is skipped."""


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


class ReplayConsole(GatewayConsole):
    """GatewayConsole fed by a recording's frames instead of live sources."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # The actions stay bound (so they say why they are refused) but leave the footer
        # to the replay keys.
        Binding("r", "restart", "Restart", show=False),
        Binding("s", "scale", "Scale", show=False),
        Binding("ctrl+d", "delete_pod", "Delete pod", show=False),
        Binding("S", "silence", "Silence", show=False),
        Binding("w", "cycle_window", "Window", show=False),
        Binding("p", "pause", "Play/pause", show=False),
        Binding("space", "pause", "Play/pause"),
        Binding("full_stop", "step(1)", "Step", key_display="."),
        Binding("comma", "step(-1)", "Back", key_display=","),
        Binding("right_square_bracket", "seek(1)", "+1m", key_display="]"),
        Binding("left_square_bracket", "seek(-1)", "-1m", key_display="["),
        Binding("g", "jump(0)", "Start", show=False),
        Binding("G", "jump(-1)", "End", key_display="G", show=False),
    ]

    def __init__(
        self,
        recording: Recording,
        *,
        speed: float = 1.0,
        playing: bool = True,
        export_dir: Path | None = None,
    ) -> None:
        self.recording = recording
        self.timeline = Timeline(recording, TREND_POINTS)
        settings = replay_settings(recording.header)
        sources = replay_source_set(self.timeline)
        clock = FixedClock(recording.frames[0].t)
        runner = ActionRunner(settings.target, sources, AuditLog(None, clock, persist=False),
                              read_only=True, read_only_reason=REPLAY_REASON)
        super().__init__(settings, sources, runner, clock, export_dir)
        self.replay_clock = clock
        self.speed = speed
        self.playing = playing
        self.position = recording.frames[0].t
        """The recorded time on screen: a frame's time, or between frames while playing."""
        self._last_tick = time.monotonic()

    # ------------------------------------------------------------- the feed
    def _start_workers(self) -> None:
        # No polling: the cursor feeds the screen.
        self.show_frame()
        self._last_tick = time.monotonic()
        self.set_interval(TICK_S, self._tick)

    def show_frame(self, position: float | None = None) -> None:
        """Draw the state after the frame under the cursor, as the live console drew it."""
        state = self.timeline.state()
        self.position = self.timeline.frame.t if position is None else position
        self.latest = state.latest
        self.window_s = state.window_s or self.settings.window_s
        self.trends = state.copy_trends()
        # The alerts' ages were computed when their panel was last drawn live.
        self.replay_clock.now = state.shown_at.get("alertmanager", self.position)
        self._render_alerts()
        self.replay_clock.now = self.position
        self._render_models()
        self._render_cluster()
        self._render_status()
        self._render_title()

    def _tick(self) -> None:
        now = time.monotonic()
        elapsed, self._last_tick = now - self._last_tick, now
        if not self.playing:
            return
        tl = self.timeline
        if tl.at_end:
            self.playing = False
            self._render_title()
            return
        self.position += elapsed * self.speed
        upcoming = tl.frames[tl.index + 1]
        if upcoming.t < tl.frame.t or upcoming.t - self.position > MAX_IDLE_S:
            self.position = upcoming.t  # a new session, or a long idle stretch
        index = tl.index
        while index + 1 < len(tl) and tl.frames[index + 1].t <= self.position:
            index += 1
        if index != tl.index:
            tl.go(index)
            self.show_frame(self.position)
        else:
            self.replay_clock.now = self.position

    # ------------------------------------------------------------------ keys
    def action_pause(self) -> None:
        """space / p: play or pause; playing from the end starts over."""
        if not self.playing and self.timeline.at_end:
            self.timeline.go(0)
            self.show_frame()
        self.playing = not self.playing
        self._last_tick = time.monotonic()
        self._render_title()

    def action_step(self, frames: int) -> None:
        self.playing = False
        self.timeline.step(frames)
        self.show_frame()

    def action_seek(self, minutes: int) -> None:
        self.timeline.seek(minutes * SEEK_STEP_S)
        self.show_frame()

    def action_jump(self, index: int) -> None:
        self.timeline.go(index if index >= 0 else len(self.timeline) - 1)
        self.show_frame()

    def action_help(self) -> None:
        super().action_help()
        self.notify("space/p play-pause · . , one frame · ] [ one minute · g G first/last",
                    title="replay keys", timeout=10)

    def action_cycle_window(self) -> None:
        self.notify("replay: the rate window is the one recorded", severity="warning")

    # ------------------------------------------------------------- rendering
    def _render_title(self) -> None:
        # Where we are in the recording comes first: on a narrow terminal the rest is cut.
        ts = self.settings.target
        text = Text()
        stamp = datetime.fromtimestamp(self.position, UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        text.append(f" REPLAY {stamp} ", style="bold black on magenta")
        text.append(f"  frame {self.timeline.index + 1}/{len(self.timeline)}")
        text.append(f"  speed {self.speed:g}x")
        if not self.playing:
            label = "  ⏹ END" if self.timeline.at_end else "  ⏸ PAUSED"
            text.append(label, style="bold black on cyan")
        source = f"demo:{self.settings.demo}" if self.settings.demo else (ts.context or "current")
        text.append(f"  {source}  {ts.namespace}/{ts.deployment}")
        text.append(f"  window {format_duration(self.window_s)}", style="bold")
        if self.filter_text:
            text.append(f"  filter: {self.filter_text}", style="italic")
        self.query_one("#title", TextPanel).show(text)
