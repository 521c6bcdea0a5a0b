"""The live feed: one poll worker per source per target, posting typed messages to the App.

Each worker lives in a group of its own, `<target>:<source>`, so switching a
target away cancels its workers and nobody else's; each schedules its next poll
only when its last one finished, so a slow source never piles up requests and
never delays another source's panel. A result goes to the App as a message
(console/messages.py), which applies it through the one reducer.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from textual.app import App

from console.clock import Clock
from console.config.settings import WINDOWS, Settings
from console.messages import AlertsPolled, ClusterPolled, HistoryLoaded, MetricsPolled
from console.model import SOURCE_NAMES, SourceName
from console.screens.host import OverviewHost
from console.screens.overview import OverviewScreen
from console.sources.base import SourceSet
from console.state.console_state import NO_DATA, Change, ConsoleState
from console.state.polling import poll
from console.state.trends import TREND_POINTS, trend_step_s
from console.text.durations import format_duration, parse_duration

Fetch = Callable[[], Awaitable[Any]]


class LiveFeed:
    """Polls every target of `fleet` (the App's map of target name to sources)."""

    def __init__(self, app: App[Any], state: ConsoleState, settings: Settings, clock: Clock,
                 fleet: Mapping[str, SourceSet]) -> None:
        self.app = app
        self.state = state
        self.settings = settings
        self.clock = clock
        self.fleet = fleet
        self._wake: dict[tuple[str, SourceName], asyncio.Event] = {}
        self._first_metrics_drawn = asyncio.Event()

    def screen(self, host: OverviewHost) -> OverviewScreen:
        return OverviewScreen(host)

    def start(self) -> None:
        for sources in self.fleet.values():
            self.start_target(sources)
        self.load_history()

    def start_target(self, sources: SourceSet) -> None:
        refresh = self.settings.refresh_s
        polls: tuple[tuple[SourceName, Fetch, Callable[..., Any], float], ...] = (
            ("prometheus", lambda: sources.metrics.fetch(self.state.window_s), MetricsPolled,
             refresh),
            # On a slow link the pods and HPA (which change slowly) follow every 3rd refresh.
            ("kubernetes", sources.cluster.fetch, ClusterPolled,
             refresh * 3 if self.settings.low_bandwidth else refresh),
            ("alertmanager", sources.alerts.fetch, AlertsPolled, refresh),
        )
        name = sources.target
        for source, _, _, _ in polls:
            self._wake[(name, source)] = asyncio.Event()
        for source, fetch, message, every in polls:
            self.app.run_worker(
                self._poll_loop(source, fetch, message, every, sources),
                group=f"{name}:{source}", name=f"{name}:{source}", exclusive=True,
            )

    def stop_target(self, name: str) -> None:
        for source in SOURCE_NAMES:
            self.app.workers.cancel_group(self.app, f"{name}:{source}")
            self._wake.pop((name, source), None)

    async def _poll_loop(self, name: SourceName, fetch: Fetch, message: Callable[..., Any],
                         every_s: float, sources: SourceSet) -> None:
        target = sources.target
        timeout = max(every_s * 3, 5.0)
        wake = self._wake[(target, name)]
        if name == "kubernetes" and self.settings.demo is None:
            await self._after_first_metrics_frame()
        while True:
            if not self.state.paused:
                previous = self.state.latest_of.get(target, NO_DATA).status(name)
                result = await poll(name, fetch, previous, self.clock, timeout)
                self.app.post_message(message(result, target=target, origin=id(sources)))
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), every_s)

    async def _after_first_metrics_frame(self, at_most_s: float = 1.0) -> None:
        """Let the first frame with metrics go out before the Kubernetes client is built.

        Building it (importing `kubernetes.client`, ~0.4 s of CPU) runs in a worker
        thread but holds the GIL, so started at once it halved the speed of the first
        metrics poll and frame: start-up against the real stack went from ~1.5 s to
        ~1.2 s (median, tests/perf). A slow Prometheus holds the cluster back 1 s at most.
        """
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._first_metrics_drawn.wait(), at_most_s)

    def shown(self, change: Change) -> None:
        if change.source == "prometheus" and not self._first_metrics_drawn.is_set():
            self.app.call_after_refresh(self._first_metrics_drawn.set)

    def refresh_now(self, *names: SourceName) -> None:
        """Poll these sources at once (after an action) instead of at the next tick."""
        for name in names or SOURCE_NAMES:
            event = self._wake.get((self.state.current, name))
            if event is not None:
                event.set()

    def load_history(self) -> None:
        sources = self.fleet[self.state.current]
        self.app.run_worker(self._history(sources), group="history", exclusive=True)

    async def _history(self, sources: SourceSet) -> None:
        window_s = self.state.window_s
        step = trend_step_s(self.settings.refresh_s)
        try:
            history = await sources.metrics.history(window_s, step * TREND_POINTS, step)
        except Exception:
            return
        self.app.post_message(HistoryLoaded(history, window_s, origin=id(sources)))

    def toggle_pause(self) -> None:
        self.state.set_paused(not self.state.paused)
        if not self.state.paused:
            self.refresh_now()

    def cycle_window(self) -> bool:
        current = format_duration(self.state.window_s)
        index = WINDOWS.index(current) if current in WINDOWS else -1
        changed = self.state.set_window(parse_duration(WINDOWS[(index + 1) % len(WINDOWS)]))
        self.load_history()
        self.refresh_now("prometheus")
        return changed

    def help_shown(self) -> None:
        return None
