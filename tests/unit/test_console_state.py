"""The one reducer (console/state/console_state.py), on constructed and recorded readings.

Live polling and replay both apply polls through it, so each rule is checked
here once, without a terminal: the last good reading kept, the status replaced,
a trend point every trend step, history before the points taken, a window change
starting the trends again, another target's poll filed away from the overview,
and a replaced target's late answer dropped. The recording in tests/recorded/console
was made by the console before this reducer existed: folding it must give the
state that version's own fold checkpointed.
"""

from __future__ import annotations

from pathlib import Path

from console.config.settings import HttpEndpoint, Settings, TargetSettings
from console.model import AlertsReading, MetricsReading, ModelFigures, SourceStatus
from console.record.frames import apply_frame
from console.record.reading import load_recording
from console.sources.base import History
from console.state.console_state import TREND_AT, Change, ConsoleState
from console.state.polling import Latest, PollResult
from console.state.trends import trend_step_s

RECORDED = Path(__file__).resolve().parents[1] / "recorded" / "console"
# A Prometheus URL each: with none, Alertmanager would be looked for in the cluster.
EU, US = (TargetSettings(name=n, prometheus=HttpEndpoint(f"http://prometheus.{n}:9090"))
          for n in ("eu", "us"))


def reading(*rates: float) -> MetricsReading:
    return MetricsReading(tuple(ModelFigures("holysheep", f"m{i}", rate, 0.01, 0.5 + i)
                                for i, rate in enumerate(rates)), ())


def ok(at: float) -> SourceStatus:
    return SourceStatus(True, None, 3.0, at)


def refused(last_ok: float | None) -> SourceStatus:
    return SourceStatus(False, "connection refused", 1.0, last_ok)


def metrics(rates: tuple[float, ...] | None, status: SourceStatus) -> PollResult[MetricsReading]:
    return PollResult("prometheus", reading(*rates) if rates is not None else None, status)


def fleet() -> ConsoleState:
    state = ConsoleState("eu", window_s=300.0, targets=(EU, US), trend_step_s=10.0)
    state.watch("eu", 1)
    state.watch("us", 2)
    return state


def rate_trend(state: ConsoleState, model: str = "m0") -> list[float | None]:
    return list(state.trends["request_rate"].get(("holysheep", model), ()))


def test_a_failed_poll_keeps_the_last_good_reading_and_replaces_the_status() -> None:
    state = fleet()
    good = metrics((5.0,), ok(100.0))
    assert state.apply("eu", "prometheus", good, 100.0, origin=1) == Change(
        "prometheus", fleet=True, trend=True)
    failed = metrics(None, refused(100.0))
    change = state.apply("eu", "prometheus", failed, 102.0, origin=1)
    assert change == Change("prometheus", fleet=True, trend=False)
    assert state.latest.metrics == good.reading, "the panel keeps its last good figures"
    assert state.latest.metrics_status == failed.status, "and says why they are old"
    assert state.polls == {"prometheus": 2, "kubernetes": 0, "alertmanager": 0}
    assert state.shown_at["prometheus"] == 102.0
    later = metrics((7.0,), ok(104.0))
    state.apply("eu", "prometheus", later, 104.0, origin=1)
    assert (state.latest.metrics, state.latest.metrics_status) == (later.reading, later.status)


def test_a_trend_point_is_taken_every_trend_step_not_every_poll() -> None:
    state = ConsoleState("demo", window_s=300.0, trend_step_s=trend_step_s(2.0))
    changes = [state.apply("", "prometheus", metrics((float(t),), ok(t)), float(t))
               for t in range(100, 132, 2)]
    assert rate_trend(state) == [100.0, 110.0, 120.0, 130.0]
    assert [c.trend for c in changes].count(True) == 4
    assert state.shown_at[TREND_AT] == 130.0
    state.apply("", "prometheus", metrics(None, refused(130.0)), 150.0)
    assert rate_trend(state) == [100.0, 110.0, 120.0, 130.0], "a failed poll adds no point"


def test_trends_keep_their_last_points_only() -> None:
    state = ConsoleState("demo", window_s=300.0, trend_step_s=1.0, trend_points=3)
    for t in range(5):
        state.apply("", "prometheus", metrics((float(t),), ok(t)), float(t))
    assert rate_trend(state) == [2.0, 3.0, 4.0]


def test_history_goes_before_the_points_taken_and_another_window_s_is_dropped() -> None:
    state = fleet()
    state.apply("eu", "prometheus", metrics((9.0,), ok(100.0)), 100.0, origin=1)
    history = History({"request_rate": {("holysheep", "m0"): (6.0, 7.0, 8.0)}})
    assert not state.apply_history(history, 900.0, 101.0, origin=1), "asked for another window"
    assert not state.apply_history(history, 300.0, 101.0, origin=2), "another target's"
    assert rate_trend(state) == [9.0]
    assert state.apply_history(history, 300.0, 101.0, origin=1)
    assert rate_trend(state) == [6.0, 7.0, 8.0, 9.0]
    assert state.shown_at["history"] == 101.0


def test_a_window_change_starts_the_trends_again() -> None:
    state = ConsoleState("demo", window_s=300.0, trend_step_s=10.0)
    state.apply("", "prometheus", metrics((1.0, 2.0), ok(100.0)), 100.0)
    assert rate_trend(state, "m1") == [2.0]
    assert not state.set_window(300.0), "the same window keeps them"
    assert rate_trend(state, "m1") == [2.0]
    assert state.set_window(900.0)
    assert state.window_s == 900.0 and state.trends == {"request_rate": {}, "p95_latency_s": {}}
    assert state.latest.metrics is not None, "the figures stay: only their trends went"


def test_another_targets_poll_is_filed_without_touching_the_overview() -> None:
    state = fleet()
    state.apply("eu", "prometheus", metrics((1.0,), ok(100.0)), 100.0, origin=1)
    before = (state.latest, dict(state.polls), dict(state.shown_at), rate_trend(state))
    us = metrics((50.0,), ok(101.0))
    assert state.apply("us", "prometheus", us, 101.0, origin=2) == Change(fleet=True)
    assert (state.latest, dict(state.polls), dict(state.shown_at), rate_trend(state)) == before
    assert state.latest_of["us"].metrics == us.reading
    state.switch("us")
    assert state.latest.metrics == us.reading, "switching shows its readings at once"
    assert state.polls == {"prometheus": 0, "kubernetes": 0, "alertmanager": 0}
    assert state.trends == {"request_rate": {}, "p95_latency_s": {}} and not state.shown_at


def test_a_late_answer_of_a_replaced_target_is_dropped() -> None:
    state = fleet()
    state.apply("eu", "prometheus", metrics((1.0,), ok(100.0)), 100.0, origin=1)
    canary = TargetSettings(name="eu", namespace="ai-canary")
    state.replace_target("eu", canary, origin=3)
    state.switch("eu")
    late = metrics((99.0,), ok(102.0))
    assert state.apply("eu", "prometheus", late, 102.0, origin=1) == Change()
    assert state.latest == Latest() and state.polls["prometheus"] == 0
    assert state.apply("gone", "prometheus", late, 102.0, origin=9) == Change()
    assert state.targets == [canary, US] and "gone" not in state.latest_of
    fresh = metrics((2.0,), ok(103.0))
    assert state.apply("eu", "prometheus", fresh, 103.0, origin=3).source == "prometheus"
    assert state.latest.metrics == fresh.reading


def test_checkpoint_and_restore_rebuild_the_same_screen() -> None:
    state = ConsoleState("demo", window_s=300.0, trend_step_s=1.0)
    for t in range(3):
        state.apply("", "prometheus", metrics((float(t), 10.0 + t), ok(t)), float(t))
    other = ConsoleState("demo", window_s=300.0, trend_step_s=1.0)
    other.restore(state.checkpoint())
    assert (other.latest, other.trends, other.shown_at) == (
        state.latest, state.trends, state.shown_at)
    copied = state.copy()
    state.apply("", "prometheus", metrics((5.0, 5.0), ok(9.0)), 9.0)
    assert copied.trends != state.trends, "a copy does not share its trends"
    state.reset()
    assert state.latest == Latest() and not state.shown_at and not state.trends["request_rate"]


def test_the_snapshot_is_the_overviews_target_as_exported() -> None:
    state = fleet()
    state.apply("eu", "prometheus", metrics((4.0,), ok(100.0)), 100.0, origin=1)
    snap = state.snapshot(Settings(targets=(EU, US)), lambda: 200.0)
    assert snap.window == "5m" and [m.request_rate for m in snap.models] == [4.0]
    assert snap.sources["kubernetes"].error == "no data yet"
    state.apply("eu", "alertmanager", PollResult("alertmanager", AlertsReading(()), ok(100.0)),
                100.0, origin=1)
    snap = state.snapshot(Settings(targets=(EU, US)), lambda: 200.0)
    assert snap.sources["alertmanager"].error == "not configured", "alerts from Prometheus"
    assert not snap.sources["alertmanager"].configured


def test_a_recording_from_before_folds_to_the_state_it_checkpointed() -> None:
    """The rotated file begins with the checkpoint the old recorder took of its own fold of
    everything before; folding those frames through this reducer must give the same."""
    older = load_recording([RECORDED / "session.jsonl.1"])
    current = load_recording([RECORDED / "session.jsonl"])
    checkpoint = current.frames[0].checkpoint
    assert checkpoint is not None and older.frames[0].reset
    header = older.header
    state = ConsoleState(header.target, window_s=header.window_s,
                         trend_step_s=trend_step_s(header.refresh_s))
    for frame in older.frames:
        apply_frame(state, frame)
    assert state.checkpoint() == checkpoint
    assert state.window_s == current.frames[0].window_s == 900.0
    assert state.latest.metrics_status is not None and state.latest.metrics_status.ok
    assert len(rate_trend(state, "claude-sonnet-4.5")) > 1
