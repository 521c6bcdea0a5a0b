"""A recording's frame 1 is a whole screen (issue 17): the first polls are held until
every source answered or failed once (or a deadline passed) and written as one
checkpoint, so a replay opens on the Deployment, pods, models and alerts at frame 1.
Recordings made before still replay (tests/recorded/console, test_record_replay.py)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from console.clock import FixedClock
from console.model import SourceStatus
from console.record.frames import Frame
from console.record.reading import load_recording
from console.record.recorder import Recorder, recorder_for
from console.sources.replay import Timeline
from console.state.trends import TREND_POINTS
from tests.app_harness import demo_app, wait_for_data
from tests.tui.test_record_replay import HEADER, readings


async def test_a_demo_recordings_frame_1_holds_every_panel(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    clock = FixedClock()
    app = demo_app(tmp_path, "crashloop", clock=clock)
    app.recorder = recorder_for(dataclasses.replace(app.settings, record=str(path)), clock,
                                TREND_POINTS)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        clock.advance(2)
        app.refresh_now()
        await wait_for_data(pilot, polls=2)
    recording = load_recording([path])
    first = recording.frames[0]
    assert first.source == "state" and first.reset
    timeline = Timeline(recording, TREND_POINTS)
    assert timeline.first_complete() == 0
    timeline.go(0)
    latest = timeline.state().latest
    assert latest.cluster is not None and latest.cluster.deployment is not None
    assert latest.cluster.deployment.name == "ai-gateway" and len(latest.cluster.pods) >= 3
    assert latest.metrics is not None and len(latest.metrics.models) >= 5
    assert latest.alerts is not None and latest.alerts.alerts, "crashloop fires alerts"
    assert all(latest.status(name) is not None
               for name in ("prometheus", "kubernetes", "alertmanager"))
    assert [f.source for f in recording.frames[1:]].count("state") == 0


def test_frame_1_waits_for_every_source_then_the_rest_follows_as_before(
        tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    frames = readings("steady", 3)  # history, then prometheus, kubernetes, alertmanager, 3 times
    recorder = Recorder(path, HEADER, trend_points=TREND_POINTS, first_wait_s=15.0)
    for frame in frames[:3]:  # history, prometheus, kubernetes: Alertmanager not yet
        recorder.record(frame)
    assert recorder.frames_written == 0
    assert path.read_text().count("\n") == 1, "only the header until frame 1 is whole"
    for frame in frames[3:]:
        recorder.record(frame)
    recorder.close()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["s"] for line in lines[1:]] == ["state"] + [f.source for f in frames[4:]]
    assert all("d" in line for line in lines[2:]), "later frames are deltas of frame 1's"
    loaded = load_recording([path])
    assert len(loaded.frames) == recorder.frames_written == len(frames) - 3
    timeline = Timeline(loaded, TREND_POINTS)
    timeline.go(len(timeline) - 1)
    assert timeline.state().latest == recorder.state.latest


def test_a_source_that_never_answers_holds_frame_1_back_only_until_the_deadline(
        tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    polls = [f for f in readings("steady", 12) if f.source == "prometheus"]
    recorder = Recorder(path, HEADER, trend_points=TREND_POINTS, first_wait_s=15.0)
    for frame in polls:
        recorder.record(frame)
        if frame.t - polls[0].t < 15.0:
            assert recorder.frames_written == 0
    due = next(i for i, f in enumerate(polls) if f.t - polls[0].t >= 15.0)
    assert recorder.frames_written == 1 + len(polls) - (due + 1)  # frame 1 folds 0..due
    recorder.close()
    # Stopped before anything was complete: close() writes what was seen.
    short = tmp_path / "short.jsonl"
    recorder = Recorder(short, HEADER, trend_points=TREND_POINTS, first_wait_s=15.0)
    failed = SourceStatus(False, "connection refused", None, polls[0].t)
    recorder.record(Frame(polls[0].t, "kubernetes", 300.0, failed, None))
    recorder.close()
    (only,) = load_recording([short]).frames
    assert only.checkpoint is not None
    assert only.checkpoint.latest.status("kubernetes") == failed
