"""The replay feed: a cursor over a recording's frames instead of poll workers.

The frames are folded into the console's state by the live console's own reducer
(console/sources/replay.py's Timeline), so a frame replays with exactly the
figures it showed live. The clock is the recorded time, so ages, "since" and
"data 42s old" read as they did then. An action taken while recording (its audit
line) shows as a notification when the cursor moves past it. Keys: space/p play-pause, `.`/`,` one
frame, `]`/`[` one minute, `g`/`G` first/last (console/screens/replay.py).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime

from console.clock import FixedClock
from console.model import SourceName
from console.screens.host import OverviewHost
from console.screens.replay import ReplayScreen
from console.sources.base import SourceSet
from console.sources.replay import SEEK_STEP_S, Timeline
from console.state.console_state import Change
from console.text.safe_text import clean_line
from console.views.titles import ReplayPlace

TICK_S = 0.1
MAX_IDLE_S = 10.0
"""A longer silence between frames (the console was closed, a laptop slept) is skipped."""
ANNOUNCED_MAX = 5
"""Actions shown at once when a jump passes many: the last ones (the rest are in the audit)."""
KEYS_NOTE = "space/p play-pause · . , one frame · ] [ one minute · g G first/last"


def action_note(action: Mapping[str, str]) -> str:
    """`restart deployment/ai-gateway: ok` from a recorded audit line (data: cleaned)."""
    words = " ".join(action.get(k, "") for k in ("action", "target")).strip()
    return clean_line(f"{words}: {action.get('result', '?')}")[:300]


class ReplayFeed:
    def __init__(self, timeline: Timeline, clock: FixedClock, *, speed: float = 1.0,
                 playing: bool = True) -> None:
        self.timeline = timeline
        self.clock = clock
        """The recorded time on screen (the App's clock)."""
        self.speed = speed
        self.playing = playing
        # The first poll alone draws one panel of three: open where all have answered.
        self.position = timeline.frames[timeline.first_complete()].t
        """The recorded time on screen: a frame's time, or between frames while playing."""
        self._last_tick = time.monotonic()
        self._host: OverviewHost | None = None
        self._screen: ReplayScreen | None = None

    def screen(self, host: OverviewHost) -> ReplayScreen:
        self._host = host
        self._screen = ReplayScreen(host, self)
        return self._screen

    @property
    def overview(self) -> ReplayScreen:
        assert self._screen is not None, "the App asks for the screen first"
        return self._screen

    @property
    def place(self) -> ReplayPlace:
        tl = self.timeline
        return ReplayPlace(self.position, tl.index, len(tl), self.speed, self.playing)

    def start(self) -> None:
        self.show_frame()
        self._last_tick = time.monotonic()
        self.overview.set_interval(TICK_S, self._tick)

    def show_frame(self, position: float | None = None) -> None:
        """Draw the state after the frame under the cursor, as the live console drew it."""
        assert self._host is not None
        recorded = self.timeline.state()
        self.position = self.timeline.frame.t if position is None else position
        state = self._host.state
        state.set_window(recorded.window_s)
        state.restore(recorded.checkpoint())
        screen = self.overview
        # The alerts' ages were computed when their panel was last drawn live.
        self.clock.now = recorded.shown_at.get("alertmanager", self.position)
        screen.render_alerts()
        self.clock.now = self.position
        screen.render_models()
        screen.render_cluster()
        screen.render_status()
        screen.render_title()

    def _tick(self) -> None:
        now = time.monotonic()
        elapsed, self._last_tick = now - self._last_tick, now
        if not self.playing:
            return
        tl = self.timeline
        if tl.at_end:
            self.playing = False
            self.overview.render_title()
            return
        self.position += elapsed * self.speed
        upcoming = tl.frames[tl.index + 1]
        if upcoming.t < tl.frame.t or upcoming.t - self.position > MAX_IDLE_S:
            self.position = upcoming.t  # a new session, or a long idle stretch
        index = tl.index
        while index + 1 < len(tl) and tl.frames[index + 1].t <= self.position:
            index += 1
        if index != tl.index:
            passed = tl.index
            tl.go(index)
            self.show_frame(self.position)
            self._announce(passed)
        else:
            self.clock.now = self.position

    # ------------------------------------------------------------------ keys
    def toggle_pause(self) -> None:
        """space / p: play or pause; playing from the end starts over."""
        if not self.playing and self.timeline.at_end:
            self.timeline.go(0)
            self.show_frame()
        self.playing = not self.playing
        self._last_tick = time.monotonic()

    def step(self, frames: int) -> None:
        self.playing = False
        passed = self.timeline.index
        self.timeline.step(frames)
        self.show_frame()
        self._announce(passed)

    def _announce(self, passed: int) -> None:
        """The actions recorded after frame `passed` up to the cursor, as notifications."""
        tl = self.timeline
        taken = [f for f in tl.frames[passed + 1:tl.index + 1] if f.action is not None]
        for frame in taken[-ANNOUNCED_MAX:]:
            assert frame.action is not None
            stamp = datetime.fromtimestamp(frame.t, UTC).strftime("%H:%M:%SZ")
            self.overview.notify(action_note(frame.action), title=f"action taken {stamp}",
                                 timeout=10, markup=False)

    def seek(self, minutes: int) -> None:
        passed = self.timeline.index
        self.timeline.seek(minutes * SEEK_STEP_S)
        self.show_frame()
        self._announce(passed)

    def jump(self, index: int) -> None:
        self.timeline.go(index if index >= 0 else len(self.timeline) - 1)
        self.show_frame()

    def cycle_window(self) -> bool:
        self.overview.notify("replay: the rate window is the one recorded", severity="warning")
        return False

    def help_shown(self) -> None:
        self.overview.notify(KEYS_NOTE, title="replay keys", timeout=10)

    # A recording has one target and nothing to poll: what a live feed does here, none.
    def shown(self, change: Change) -> None:
        return None

    def refresh_now(self, *names: SourceName) -> None:
        return None

    def start_target(self, sources: SourceSet) -> None:
        return None

    def stop_target(self, name: str) -> None:
        return None

    def load_history(self) -> None:
        return None
