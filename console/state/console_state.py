"""The console's one state and its reducer: what every panel is drawn from.

Live polling and replay both feed it — the live feed with each poll its workers
post, replay with each recorded frame (console/record/frames.py) — so every rule
for applying a poll is written once, here: keep the last good reading, replace
the status, take a trend point every trend step, put history before the points
taken, start the trends again when the window changes, file another target's
poll without touching the overview, drop a late answer of a replaced target.
Each change says what it touched, so the screen redraws those panels only.

No Textual and no I/O: the time is passed in, which is what lets replay rebuild
the screen of any recorded instant and the unit tests run without a terminal.

Not a frozen dataclass: the trends of 1,000 models are appended to in place at
every trend step, and copying them at every poll would cost the refresh what the
keyed tables save. Only the methods below change it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from console.clock import Clock
from console.config.settings import Settings, TargetSettings
from console.model import SOURCE_NAMES, MetricsReading, ModelKey, Snapshot, SourceName
from console.sources.base import History
from console.state.polling import Latest, PollResult, assemble
from console.state.trends import (
    TREND_POINTS,
    TREND_STEP_S,
    Trends,
    add_point,
    empty_trends,
    prepend_history,
    trend_due,
)
from console.text.durations import format_duration

TREND_AT = "trend"
"""`shown_at`'s entry for when the last trend point was taken (checkpoints keep it)."""
NO_DATA = Latest()


@dataclass(frozen=True, slots=True)
class Change:
    """What one poll changed: the overview redraws that source's panel and the status
    line, the fleet view its rows; a dropped poll changes nothing."""

    source: SourceName | None = None
    """The overview's source whose panel is stale; None when the overview is untouched."""
    fleet: bool = False
    trend: bool = False
    """A trend point was taken: the models' sparklines moved."""


UNCHANGED = Change()


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The overview's state at one instant, as a recording stores it: a rotated file
    starts with one so that it replays alone. Part of the file format: keep the fields."""

    latest: Latest
    trends: Mapping[str, Mapping[ModelKey, tuple[float | None, ...]]] = field(
        default_factory=dict
    )
    shown_at: Mapping[str, float] = field(default_factory=dict)


class StateView(Protocol):
    """What the fleet view reads, and nothing it could change."""

    @property
    def targets(self) -> Sequence[TargetSettings]: ...

    @property
    def latest_of(self) -> Mapping[str, Latest]: ...

    @property
    def window_s(self) -> float: ...

    @property
    def paused(self) -> bool: ...


def alertmanager_configured(settings: Settings, target: TargetSettings) -> bool:
    """Without an Alertmanager the status line says "not configured" (the demo has one)."""
    return settings.demo is not None or target.has_alertmanager


class ConsoleState:
    """Latest readings per target and source, the overview's trends, window and pause.

    `current` names the target the overview shows; `latest_of` holds every target's
    readings (the fleet view's rows); the trends, poll counts and `shown_at` (when each
    panel was last drawn, and the last trend point) are the overview's.
    """

    def __init__(self, current: str = "", *, window_s: float,
                 targets: Sequence[TargetSettings] = (), trend_step_s: float = TREND_STEP_S,
                 trend_points: int = TREND_POINTS) -> None:
        self.targets: list[TargetSettings] = list(targets)
        self.current = current
        self.latest_of: dict[str, Latest] = {}
        self.origins: dict[str, int] = {}
        """Per target, the source set its results must come from (see `watch`)."""
        self.window_s = window_s
        self.paused = False
        self.trends: Trends = empty_trends()
        self.shown_at: dict[str, float] = {}
        self.polls: dict[SourceName, int] = dict.fromkeys(SOURCE_NAMES, 0)
        self.trend_step_s = trend_step_s
        self.trend_points = trend_points

    # ------------------------------------------------------------- reading
    @property
    def latest(self) -> Latest:
        """The overview's target's latest readings and statuses."""
        return self.latest_of.get(self.current, NO_DATA)

    @property
    def current_target(self) -> TargetSettings:
        return next(t for t in self.targets if t.name == self.current)

    @property
    def is_fleet(self) -> bool:
        return len(self.targets) > 1

    def snapshot(self, settings: Settings, clock: Clock) -> Snapshot:
        """The overview as the JSON contract exports it (README, `snapshot`)."""
        target = self.current_target
        return assemble(self.latest, window=format_duration(self.window_s),
                        profile=settings.profile, clock=clock,
                        alertmanager_configured=alertmanager_configured(settings, target),
                        context=target.context)

    # ------------------------------------------------------------ the reducer
    def watch(self, name: str, origin: int) -> None:
        """Results for `name` come from the source set `origin` (its id) from now on: a late
        answer of the one it replaced (same name, another namespace) must not show."""
        self.origins[name] = origin

    def apply(self, target: str, source: SourceName, result: PollResult[Any], now: float,
              origin: int = 0) -> Change:
        """One poll of one source of `target` ("" for a feed of one: the overview's)."""
        if target and self.origins.get(target) != origin:
            return UNCHANGED
        name = target or self.current
        self.latest_of[name] = self.latest_of.get(name, NO_DATA).polled(
            source, result.status, result.reading)
        if name != self.current:
            return Change(fleet=True)
        self.polls[source] += 1
        self.shown_at[source] = now
        reading, trend = result.reading, False
        if isinstance(reading, MetricsReading) and trend_due(
                self.shown_at.get(TREND_AT), now, self.trend_step_s):
            self.shown_at[TREND_AT] = now
            add_point(self.trends, reading.models, self.trend_points)
            trend = True
        return Change(source, fleet=True, trend=trend)

    def apply_history(self, history: History, window_s: float, now: float,
                      origin: int = 0) -> bool:
        """Prometheus' recent values go before the points taken since; history asked for
        another window, or for a target switched away, is dropped."""
        if window_s != self.window_s or (origin and origin != self.origins.get(self.current)):
            return False
        prepend_history(self.trends, history.series, self.trend_points)
        self.shown_at["history"] = now
        return True

    def set_window(self, window_s: float) -> bool:
        """Another rate window: the trends of the old one would mislead, so they start again."""
        if window_s == self.window_s:
            return False
        self.window_s = window_s
        for per in self.trends.values():
            per.clear()
        return True

    def set_paused(self, paused: bool) -> None:
        self.paused = paused

    def switch(self, name: str) -> None:
        """The overview shows `name`: its readings at once (its workers kept polling), its
        trends and poll counts from nothing."""
        self.current = name
        self.polls = dict.fromkeys(SOURCE_NAMES, 0)
        self.shown_at = {}
        for per in self.trends.values():
            per.clear()

    def replace_target(self, old: str, new: TargetSettings, origin: int) -> None:
        """`new` takes `old`'s place in the fleet (another namespace, Deployment or context),
        with nothing of `old`'s readings."""
        self.origins.pop(old, None)
        self.latest_of.pop(old, None)
        self.latest_of.pop(new.name, None)
        index = next((i for i, t in enumerate(self.targets) if t.name == old), None)
        if index is None:
            self.targets.append(new)
        else:
            self.targets[index] = new
        self.watch(new.name, origin)

    # ------------------------------------------------------------ recordings
    def reset(self) -> None:
        """A new recording session starts: nothing of the previous one stays on screen."""
        self.latest_of.pop(self.current, None)
        self.trends = empty_trends()
        self.shown_at = {}

    def checkpoint(self) -> Checkpoint:
        return Checkpoint(
            self.latest,
            {fig: {k: tuple(v) for k, v in per.items()} for fig, per in self.trends.items()},
            dict(self.shown_at),
        )

    def restore(self, checkpoint: Checkpoint) -> None:
        self.latest_of[self.current] = checkpoint.latest
        self.trends = empty_trends()
        for figure, saved in checkpoint.trends.items():
            self.trends[figure] = {k: deque(v, maxlen=self.trend_points)
                                   for k, v in saved.items()}
        self.shown_at = dict(checkpoint.shown_at)

    def copy(self) -> ConsoleState:
        other = ConsoleState(self.current, window_s=self.window_s, targets=self.targets,
                             trend_step_s=self.trend_step_s, trend_points=self.trend_points)
        other.latest_of = dict(self.latest_of)
        other.origins = dict(self.origins)
        other.paused = self.paused
        other.polls = dict(self.polls)
        other.restore(self.checkpoint())
        return other

