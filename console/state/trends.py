"""The trend sparklines beside each model: how many points, and how far apart.

One rule, applied by the one reducer (console/state/console_state.py) that both
the live feed and replay feed, so a replay draws exactly the sparklines the live
console drew.

A point is added at most every TREND_STEP_S, not at every refresh: the figures
beside the sparklines are live, and a sparkline of nine 2-second points spans
18 s, too little to show a trend, while shifting every row's two sparklines on
every refresh was most of the bytes each refresh sent over SSH (tests/perf).
At 10 s the nine cells show the last 90 s, and the 40 points kept (filled from
Prometheus at start) cover 400 s, which the model drill-down's window exceeds.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence

from console.model import ModelFigures, ModelKey

Trends = dict[str, dict[ModelKey, deque[float | None]]]
"""Per figure ("request_rate", "p95_latency_s"), per model: the points, oldest first."""

TREND_POINTS = 40
"""Points kept per model and figure (the table shows the last nine)."""

TREND_STEP_S = 10.0

TREND_FIGURES = ("request_rate", "p95_latency_s")
"""The figures with a sparkline, in the order of their columns."""


def empty_trends() -> Trends:
    return {figure: {} for figure in TREND_FIGURES}


def trend_step_s(refresh_s: float) -> float:
    """Seconds between trend points: TREND_STEP_S, or the refresh when that is slower."""
    return max(TREND_STEP_S, refresh_s)


def trend_due(last_at: float | None, now: float, step_s: float) -> bool:
    """Whether a poll at `now` adds a point: the first poll does, then one a step later.

    A clock that stands still (tests, a paused replay) adds none after the first.
    """
    return last_at is None or now - last_at >= step_s


def trend(trends: Trends, figure: str, key: ModelKey, points: int) -> deque[float | None]:
    """The model's points for `figure`, an empty trend of `points` at most when new."""
    per = trends.setdefault(figure, {})
    if key not in per:
        per[key] = deque(maxlen=points)
    return per[key]


def add_point(trends: Trends, models: Iterable[ModelFigures], points: int) -> None:
    """One point per model for each charted figure, from a poll's figures."""
    for m in models:
        trend(trends, "request_rate", m.key, points).append(m.request_rate)
        trend(trends, "p95_latency_s", m.key, points).append(m.p95_latency_s)


def prepend_history(trends: Trends,
                    series: Mapping[str, Mapping[ModelKey, Sequence[float | None]]],
                    points: int) -> None:
    """Put Prometheus' history before the points already taken (it comes back later)."""
    for figure, per_model in series.items():
        target = trends.setdefault(figure, {})
        for key, values in per_model.items():
            merged: deque[float | None] = deque(values, maxlen=points)
            merged.extend(target.get(key, ()))
            target[key] = merged
