"""--record and `replay`: a recorded session replays with the figures it showed live."""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from console.app import GatewayConsole
from console.cli import main
from console.clock import FixedClock
from console.config.settings import SCENARIOS, build_settings
from console.feeds.replay import ReplayFeed
from console.model import (
    SOURCE_NAMES,
    Alert,
    AlertsReading,
    ClusterReading,
    Condition,
    DeploymentState,
    MetricsReading,
    ModelFigures,
    PodState,
    Snapshot,
    SourceName,
    SourceStatus,
)
from console.record.codec import dump_snapshot, load_snapshot
from console.record.frames import Frame, Header, RecordError
from console.record.reading import load_recording
from console.record.recorder import Recorder, recorder_for
from console.replay_app import open_replay
from console.screens.confirm import ConfirmScreen
from console.screens.prompt import PromptScreen
from console.sources import build_source_set
from console.sources.base import SourceError
from console.sources.replay import REPLAY_REASON, Timeline
from console.state.polling import collect_once
from console.state.trends import TREND_POINTS
from tests.app_harness import demo_app, wait_for_data
from widgets.columns import plain
from widgets.keyed_table import KeyedTable

HEADER = Header(started_at=1_795_687_200.0, target="demo", namespace="ai-services",
                deployment="ai-gateway", hpa="ai-gateway-hpa", profile="seed",
                window_s=300.0, refresh_s=2.0, demo="steady")


def demo_snapshot(scenario: str, clock: FixedClock | None = None) -> Snapshot:
    settings = build_settings({"demo": scenario, "seed": 7}, env={"HOME": "/nonexistent"})
    clock = clock or FixedClock()
    sources = build_source_set(settings, settings.target, clock)
    return asyncio.run(collect_once(sources, window_s=300.0, window="5m", profile="seed",
                                    clock=clock, alertmanager_configured=True))


# ----------------------------------------------------------------- round trip
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_demo_snapshots_round_trip(scenario: str) -> None:
    snap = demo_snapshot(scenario)
    assert load_snapshot(dump_snapshot(snap)) == snap


def test_a_rich_snapshot_round_trips_with_every_internal_field() -> None:
    snap = Snapshot(
        generated_at=datetime(2026, 11, 26, 10, 0, 1, 123456, tzinfo=UTC),
        window="5m",
        profile="seed",
        sources={
            "prometheus": SourceStatus(True, None, 12.5, 1_795_687_200.5),
            "kubernetes": SourceStatus(False, "forbidden: pods", 30.0, None),
            "alertmanager": SourceStatus(False, "not configured", None, None, configured=False),
        },
        models=(ModelFigures("holysheep", "gpt-4.1", 20.0, 0.01, 1.62, None, 8000.0, 230.4,
                             p50_latency_s=0.4, p99_latency_s=3.2,
                             errors_by_type={"rate_limit_error": 0.2},
                             errors_by_code={"429": 0.2, "503": 0.0},
                             input_tokens_per_s=1200.0),),
        deployment=DeploymentState("ai-services", "ai-gateway", 3, 2, 1, 2, "2026-11-26T09:59Z",
                                   uid="u-1", generation=4, observed_generation=3,
                                   conditions=(Condition("Progressing", "False",
                                                         "ProgressDeadlineExceeded", "m"),)),
        pods=(PodState("p-1", "Running", False, 7, 61.5, None, "CrashLoopBackOff", uid="pu-1",
                       cpu_millicores=250.0, last_termination_reason="Error"),),
        alerts=(Alert("HighErrorRate", "firing", "warning", "2026-11-26T09:58:00Z", "s",
                      {"alertname": "HighErrorRate"}, True, fingerprint="abc",
                      inhibited=True, silence_ids=("s-1", "s-2")),),
        context="prod",
    )
    line = dump_snapshot(snap)
    assert "\n" not in line
    assert load_snapshot(line) == snap
    data = json.loads(line)
    # Internal fields are kept (the JSON contract drops them); defaults are left out.
    assert data["models"][0]["p99_latency_s"] == 3.2
    assert data["alerts"][0]["silence_ids"] == ["s-1", "s-2"]
    assert "memory_bytes" not in data["pods"][0]


def test_a_foreign_line_is_a_value_error_not_a_crash() -> None:
    with pytest.raises(ValueError):
        load_snapshot('{"generated_at": 5, "window": "5m"}')


# ------------------------------------------------------------------- recorder
def readings(scenario: str = "crashloop", n: int = 30) -> list[Frame]:
    """A stream of frames as the App would record them, from the simulator."""
    settings = build_settings({"demo": scenario, "seed": 7}, env={"HOME": "/nonexistent"})
    clock = FixedClock()
    # The simulation itself is synchronous: no event loop needed, so pilot tests can call this.
    sim = build_source_set(settings, settings.target, clock).cluster.simulation  # type: ignore[attr-defined]
    frames = [Frame(clock(), "history", 300.0, history=sim.history(300.0, 80.0, 2.0))]
    for _ in range(n):
        clock.advance(2)
        ok = SourceStatus(True, None, 1.0, clock())
        frames.append(Frame(clock(), "prometheus", 300.0, ok, sim.metrics(300.0)))
        frames.append(Frame(clock(), "kubernetes", 300.0, ok, sim.cluster_reading()))
        frames.append(Frame(clock(), "alertmanager", 300.0, ok, sim.alert_reading()))
    return frames


def test_recorder_rotates_at_the_size_bound_and_each_file_replays(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    frames = readings()
    recorder = Recorder(path, HEADER, max_bytes=40_000, trend_points=TREND_POINTS)
    for frame in frames:
        assert recorder.record(frame) is None
    recorder.close()
    assert path.exists() and path.with_name("rec.jsonl.1").exists()
    assert not path.with_name("rec.jsonl.2").exists(), "only one old file is kept"
    for p in (path, path.with_name("rec.jsonl.1")):
        assert p.stat().st_size <= 40_000
    # The current file starts with a checkpoint, so it replays alone to the same end state.
    alone = load_recording([path])
    assert alone.frames[0].source == "state"
    timeline = Timeline(alone, TREND_POINTS)
    timeline.go(len(timeline) - 1)
    end = timeline.state()
    assert end.latest == recorder.state.latest
    assert end.trends == recorder.state.trends
    assert end.latest.metrics == frames[-3].reading


def test_unchanged_readings_are_not_written_again(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    frames = readings(n=1)
    alerts = frames[-1]
    recorder = Recorder(path, HEADER)
    recorder.record(alerts)
    recorder.record(dataclasses.replace(alerts, t=alerts.t + 2))
    recorder.close()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert "r" in lines[1] and lines[2]["d"] == {}
    loaded = load_recording([path])
    assert loaded.frames[1].reading == alerts.reading


def test_a_changed_reading_is_written_as_the_fields_that_changed(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    cluster = [f for f in readings("hpa-maxed", n=3) if f.source == "kubernetes"]
    assert cluster[0].reading != cluster[1].reading
    recorder = Recorder(path, HEADER)
    for frame in cluster:
        recorder.record(frame)
    recorder.close()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert "pods" in lines[2]["d"] and "events" not in lines[2]["d"]  # pods age; events stay
    assert [f.reading for f in load_recording([path]).frames] == [f.reading for f in cluster]


def test_gzip_recording_survives_a_cut_off_end(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl.gz"
    frames = readings(n=5)
    recorder = Recorder(path, HEADER)
    for frame in frames:
        recorder.record(frame)
    # No close(): the console was killed. Every flushed frame must still be readable.
    data = path.read_bytes()
    assert data[:2] == b"\x1f\x8b"
    loaded = load_recording([path])
    assert len(loaded.frames) == len(frames)
    path.write_bytes(data[: len(data) - 7])
    assert 0 < len(load_recording([path]).frames) <= len(frames)
    recorder.close()


def test_a_failing_disk_stops_the_recording_once_and_never_raises(tmp_path: Path) -> None:
    frames = readings(n=2)
    recorder = Recorder(tmp_path / "rec.jsonl", HEADER)
    assert recorder._raw is not None
    recorder._raw.close()
    recorder._raw = open("/dev/full", "ab")  # noqa: SIM115 - every write fails: ENOSPC
    first = recorder.record(frames[1])
    assert first is not None and "stopped" in first
    assert recorder.record(frames[2]) is None


def test_record_size_flag_is_parsed() -> None:
    settings = build_settings({"demo": "steady", "record": "x.jsonl", "record_max_size": "5MB"},
                              env={"HOME": "/nonexistent"})
    assert settings.record == "x.jsonl" and settings.record_max_bytes == 5 * 1024 * 1024


# ------------------------------------------------------------- live vs replay
def screen(app: GatewayConsole) -> dict[str, Any]:
    """Everything the overview shows except the title (which says REPLAY in replay)."""
    out: dict[str, Any] = {}
    for name in ("models", "pods", "alerts"):
        table = app.query_one(f"#{name}", KeyedTable)
        out[name] = [(key, [plain(c) for c in table.get_row(key)])
                     for key in table.row_keys]
        out[name + "-titles"] = (str(table.border_title), str(table.border_subtitle))
    for name in ("hpa", "status"):
        out[name] = str(app.query_one(f"#{name}").render())
    return out


async def refresh(pilot: Any, app: GatewayConsole, *names: SourceName) -> None:
    before = dict(app.polls)
    app.refresh_now(*names)
    for _ in range(200):
        await pilot.pause(0.01)
        if all(app.polls[n] > before[n] for n in (names or tuple(before))):
            break
    await pilot.pause()


async def record_live_session(tmp_path: Path, path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, dict[str, Any]]]:
    clock = FixedClock()
    app = demo_app(tmp_path, "provider-outage", clock=clock)
    app.recorder = recorder_for(dataclasses.replace(app.settings, record=str(path)), clock,
                                TREND_POINTS)
    seen: list[tuple[int, dict[str, Any]]] = []
    simulation = app.sources.cluster.simulation  # type: ignore[attr-defined]
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        seen.append((app.recorder.frames_written, screen(app)))
        for step in range(6):
            clock.advance(2)
            await refresh(pilot, app)
            seen.append((app.recorder.frames_written, screen(app)))
            if step == 1:
                await pilot.press("r")  # a rollout, so pods change between frames
                await pilot.pause(0.1)
                await pilot.press("y")
                await pilot.pause(0.2)
        # Prometheus fails: the status line's error and "data Ns old" must replay too.
        real = simulation.metrics

        def down(window_s: float) -> MetricsReading:
            raise SourceError("connection refused")

        monkeypatch.setattr(simulation, "metrics", down)
        clock.advance(30)
        await refresh(pilot, app, "prometheus")
        seen.append((app.recorder.frames_written, screen(app)))
        assert "connection refused" in seen[-1][1]["status"]
        monkeypatch.setattr(simulation, "metrics", real)
        clock.advance(2)
        await refresh(pilot, app)
        seen.append((app.recorder.frames_written, screen(app)))
    return seen


async def test_a_recorded_session_replays_with_the_same_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "session.jsonl"
    seen = await record_live_session(tmp_path, path, monkeypatch)
    recording = load_recording([path])
    assert len(recording.frames) == seen[-1][0]
    # Frame 1 is the screen once every source answered, the history's sparklines folded in.
    first = recording.frames[0].checkpoint
    assert first is not None and any(first.trends.values()), "sparklines come from history"
    # The session must actually change from checkpoint to checkpoint, or the test proves nothing.
    assert len({json.dumps(live, sort_keys=True) for _, live in seen}) == len(seen)
    replay = open_replay(recording, playing=False, export_dir=tmp_path)
    feed = replay_feed(replay)
    async with replay.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for frames_written, live in seen:
            feed.jump(frames_written - 1)
            await pilot.pause()
            assert screen(replay) == live, f"frame {frames_written}"
        feed.jump(seen[0][0])  # one frame later than the first checkpoint
        await pilot.pause()
        assert screen(replay) != seen[0][1]
        assert "REPLAY" in str(replay.query_one("#title").render())


# ------------------------------------------------------------------ the keys
def replay_feed(app: GatewayConsole) -> ReplayFeed:
    """The cursor behind a replay (the App is the live one, fed by it)."""
    assert isinstance(app.feed, ReplayFeed)
    return app.feed


RECORDED = Path(__file__).resolve().parents[1] / "recorded" / "console"


@pytest.mark.parametrize(("name", "files"), [("both", ["session.jsonl.1", "session.jsonl"]),
                                             ("current", ["session.jsonl"])])
async def test_a_recording_made_before_replays_as_it_replayed_then(
        name: str, files: list[str]) -> None:
    """tests/recorded/console: a session recorded, and replayed, by the console before
    the replay feed; the same frames must draw the same title and panels."""
    expected = json.loads((RECORDED / f"{name}.expected.json").read_text())
    recording = load_recording([RECORDED / f for f in files])
    assert len(recording.frames) == expected["frames"]
    app = open_replay(recording, playing=False)
    feed = replay_feed(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for shot in expected["shots"]:
            feed.jump(shot["index"])
            await pilot.pause()
            assert str(app.query_one("#title").render()) == shot["title"], shot["index"]
            assert json.loads(json.dumps(screen(app))) == shot["screen"], shot["index"]
    # What the frames drew differs from frame to frame, or this would prove little.
    assert len({json.dumps(shot["screen"]) for shot in expected["shots"]}) > 3
    statuses = " ".join(shot["screen"]["status"] for shot in expected["shots"])
    assert ("connection refused" in statuses) == (name == "both"), "the outage is in .1"


def recorded(tmp_path: Path, n: int = 40) -> Path:
    path = tmp_path / "rec.jsonl"
    recorder = Recorder(path, HEADER, trend_points=TREND_POINTS)
    for frame in readings("steady", n):
        recorder.record(frame)
    recorder.close()
    return path


async def test_step_seek_and_jump_keys_move_the_cursor(tmp_path: Path) -> None:
    recording = load_recording([recorded(tmp_path)])
    app = open_replay(recording, playing=False)
    feed = replay_feed(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        tl = feed.timeline
        # It opens on the first complete state (frame 1 alone draws one panel of three).
        opened = tl.index
        assert opened > 0 and f"frame {opened + 1}/121" in str(app.query_one("#title").render())
        assert all(tl.state().latest.status(name) is not None for name in SOURCE_NAMES)
        assert app.query_one("#models", KeyedTable).row_count > 0
        assert app.query_one("#pods", KeyedTable).row_count > 0
        await pilot.press("full_stop", "full_stop", "full_stop")
        assert tl.index == opened + 3
        await pilot.press("comma")
        assert tl.index == opened + 2
        start = tl.frame.t
        await pilot.press("right_square_bracket")
        assert tl.frame.t <= start + 60 < tl.frames[tl.index + 1].t
        await pilot.press("left_square_bracket")
        assert tl.frame.t <= start
        await pilot.press("G")
        await pilot.pause()
        assert tl.at_end and "END" in str(app.query_one("#title").render())
        assert feed.clock.now == tl.frame.t
        await pilot.press("g")
        assert tl.index == 0
        # Stepping back replays the same state as stepping forward did.
        feed.jump(300)  # past a timeline checkpoint (every 256 frames)... clamped to the end
        feed.jump(40)
        await pilot.pause()
        forward = screen(app)
        await pilot.press(*["full_stop"] * 5, *["comma"] * 5)
        assert tl.index == 40 and screen(app) == forward


async def test_playback_advances_and_pauses(tmp_path: Path) -> None:
    recording = load_recording([recorded(tmp_path)])
    app = open_replay(recording, playing=False, speed=20.0)
    feed = replay_feed(app)
    opened = feed.timeline.index
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        assert feed.timeline.index == opened, "paused does not move"
        assert "PAUSED" in str(app.query_one("#title").render())
        await pilot.press("space")
        await pilot.pause(0.5)
        assert feed.timeline.index > opened
        await pilot.press("p")
        await pilot.pause()
        stopped = feed.timeline.index  # read after the pause took effect, not before
        await pilot.pause(0.3)
        assert feed.timeline.index == stopped and not feed.playing


async def test_actions_are_refused_in_replay_and_nothing_is_sent(tmp_path: Path) -> None:
    recording = load_recording([recorded(tmp_path, 3)])
    app = open_replay(recording, playing=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("G")
        for key in ("r", "s", "ctrl+d", "S"):
            await pilot.press(key)
            await pilot.pause(0.05)
            assert not isinstance(app.screen, (ConfirmScreen, PromptScreen))
        messages = [n.message for n in app._notifications]
        assert sum(REPLAY_REASON in m for m in messages) == 4, messages
        assert not any("read-only mode" in m for m in messages)


# ------------------------------------------------------------------------ CLI
@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read"),
        (b"", "not an ai-gateway-console recording"),
        (b"\x00\xff garbage\n", "not an ai-gateway-console recording"),
        (b'{"hello": "world"}\n', "not an ai-gateway-console recording"),
        (b"\x1f\x8b\x08 not really gzip", "not an ai-gateway-console recording"),
        (b'{"recording": "ai-gateway-console", "v": 99}\n', "version 99"),
        (json.dumps({"recording": "ai-gateway-console", "v": 1, **{
            "started_at": 0.0, "target": "t", "namespace": "n", "deployment": "d", "hpa": "h",
            "profile": "seed", "window_s": 300.0, "refresh_s": 2.0}}).encode() + b"\n",
         "no frames recorded"),
        (json.dumps({"recording": "ai-gateway-console", "v": 1, **{
            "started_at": 0.0, "target": "t", "namespace": "n", "deployment": "d", "hpa": "h",
            "profile": "seed", "window_s": 300.0, "refresh_s": 2.0}}).encode()
         + b'\n{"t": 1, "s": "prometheus", "w": 300, "st": 5}\n{"t": 2}\n',
         "line 2: not a recording frame"),
    ],
)
def test_replay_of_a_bad_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, expected: str
) -> None:
    path = tmp_path / "rec.jsonl"
    if content is not None:
        path.write_bytes(content)
    assert main(["replay", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and expected in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["replay"], "the following arguments are required: FILE"),
        (["replay", "x", "--speed", "0"], "--speed"),
        (["replay", "x", "--speed", "fast"], "--speed"),
        (["--demo", "--record", "/nonexistent/dir/rec.jsonl"], "cannot record to"),
        (["--demo", "--record", "r.jsonl", "--record-max-size", "huge"], "--record-max-size"),
    ],
)
def test_replay_and_record_usage_errors_exit_2(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    assert main(argv) == 2
    _, err = capsys.readouterr()
    assert err.count("\n") == 1 and expected in err, err


def test_record_and_replay_import_no_textual() -> None:
    import subprocess
    import sys

    code = ("import sys, console.record.recorder, console.record.reading, console.sources.replay\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"


def test_a_recording_holds_no_credential(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("s3cr3t-token-value")
    settings = build_settings(
        {"prometheus_url": "https://user:pw@prom.example", "prometheus_token_file": str(token),
         "record": str(tmp_path / "rec.jsonl")}, env={"HOME": str(tmp_path)})
    recorder = recorder_for(settings, FixedClock(), TREND_POINTS)
    recorder.record(Frame(1.0, "alertmanager", 300.0, SourceStatus(True, None, 1.0, 1.0),
                          AlertsReading(())))
    recorder.record(Frame(1.0, "kubernetes", 300.0, SourceStatus(True, None, 1.0, 1.0),
                          ClusterReading(None, (), None)))
    recorder.close()
    text = (tmp_path / "rec.jsonl").read_text()
    assert "s3cr3t" not in text and "pw@" not in text and "prom.example" not in text


def test_load_recording_raises_record_error_for_a_directory(tmp_path: Path) -> None:
    with pytest.raises(RecordError):
        load_recording([tmp_path])


def test_a_crash_cut_last_line_is_dropped_not_fatal(tmp_path: Path) -> None:
    path = recorded(tmp_path, 3)
    text = path.read_text()
    path.write_text(text + '{"t": 99, "s": "prometh')
    assert len(load_recording([path]).frames) == 10


def test_gzip_file_has_header_first(tmp_path: Path) -> None:
    path = tmp_path / "r.gz"
    Recorder(path, HEADER).close()
    with gzip.open(path, "rt") as fh:
        assert json.loads(fh.readline())["recording"] == "ai-gateway-console"


def test_timeline_state_is_the_same_however_the_cursor_got_there(tmp_path: Path) -> None:
    recording = load_recording([recorded(tmp_path, 100)])  # 301 frames: past a checkpoint
    walked = Timeline(recording, TREND_POINTS)
    for target in (300, 270, 257, 5, 290):
        walked.go(target)
        state = walked.state()
        fresh = Timeline(recording, TREND_POINTS)
        fresh.go(target)
        assert state.latest == fresh.state().latest
        assert state.trends == fresh.state().trends
        assert state.shown_at == fresh.state().shown_at


def test_a_second_session_appended_to_the_file_starts_from_a_clean_screen(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rec.jsonl"
    frames = readings(n=2)
    for session in (frames, frames[1:2]):  # the console was restarted with the same FILE
        recorder = Recorder(path, HEADER)
        for frame in session:
            recorder.record(frame)
        recorder.close()
    recording = load_recording([path])
    assert [f.reset for f in recording.frames].count(True) == 2
    timeline = Timeline(recording, TREND_POINTS)
    timeline.go(len(timeline) - 1)
    state = timeline.state()
    assert state.latest.metrics == frames[1].reading
    assert state.latest.cluster is None and state.latest.alerts_status is None
    assert all(len(v) == 1 for v in state.trends["request_rate"].values())
