"""Record what the console showed, one line per source poll, so an incident can be replayed.

Why per source poll rather than one assembled Snapshot per refresh: the App
receives exactly one message per poll of one source and renders that panel
from it, so a frame of "source + status + reading + time + window" is both the
smallest faithful record and the one that lets replay rebuild *the same
screen*: the latest reading per source, its status (with `last_ok_at`, so
"data 42s old" reads the same), the trends behind the sparklines and the time
each panel was drawn at. After the first full reading of a source in a file
(`"r"`), a frame holds only the fields of the reading that changed (`"d"`):
the events, the HPA and the targets are then written only when they change.

The file is JSON Lines (gzip when FILE ends in `.gz`): a header line naming
the target, then frames. Every field of every model dataclass is kept,
including the ones marked internal (p50/p99, errors by type/code, pod uid,
conditions, fingerprints, silence ids, events), because drill-downs show them;
fields equal to their default are left out, which is what makes it compact.
Nothing in a Snapshot carries a credential, and the header holds only names,
so neither does a recording.

Size is bounded: past `max_bytes` the file is rotated to FILE.1 (the previous
FILE.1 is dropped) and FILE starts again with its header and a checkpoint of
the current state, so either file replays on its own.

No Textual here: this is data layer, shared by the App's recorder hook and by
the replay sources.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import types
import typing
import zlib
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Union

from console.actions.files import open_append
from console.clock import Clock
from console.config.secrets import settings_scrubber
from console.config.settings import Settings
from console.model import (
    AlertsReading,
    ClusterReading,
    MetricsReading,
    ModelKey,
    Snapshot,
    SourceStatus,
)
from console.record.privacy import private_frame
from console.sources.base import History
from console.state.polling import Latest
from console.state.trends import (
    TREND_POINTS,
    TREND_STEP_S,
    Trends,
    add_point,
    prepend_history,
    trend_due,
    trend_step_s,
)
from console.text.safe_text import NOTE_LIMIT, clean_line, json_escape
from console.text.scrub import Scrubber

MAGIC = "ai-gateway-console"
VERSION = 1
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
KEEP_OLD_FILES = 1
DEFAULT_TREND_POINTS = TREND_POINTS

POLLED = ("prometheus", "kubernetes", "alertmanager")
READING_TYPES: Mapping[str, type] = {
    "prometheus": MetricsReading,
    "kubernetes": ClusterReading,
    "alertmanager": AlertsReading,
}
TREND_FIGURES = ("request_rate", "p95_latency_s")
TREND_AT = "trend"
"""ReplayState.shown_at's entry for the last trend point (checkpoints keep it)."""

Reading = MetricsReading | ClusterReading | AlertsReading


class RecordError(Exception):
    """A recording cannot be written or read; str(error) is one line for the user."""


# ------------------------------------------------------------------ the codec
def encode(value: Any) -> Any:
    """A model value as plain JSON types, internal fields included, defaults left out.

    Unlike `model.to_json` (the public contract) this keeps everything the screen
    needs and keeps datetimes at full precision, so `decode(encode(x)) == x`.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            v = getattr(value, f.name)
            if not _is_default(f, v):
                out[f.name] = encode(v)
        return out
    if isinstance(value, Mapping):
        if all(isinstance(k, str) for k in value):
            return {k: encode(v) for k, v in value.items()}
        return [[encode(k), encode(v)] for k, v in value.items()]  # tuple keys (ModelKey)
    if isinstance(value, (tuple, list, deque)):
        return [encode(v) for v in value]
    raise TypeError(f"cannot record a {type(value).__name__}")


def _is_default(f: dataclasses.Field[Any], value: Any) -> bool:
    if f.default is not dataclasses.MISSING:
        default = f.default
    elif f.default_factory is not dataclasses.MISSING:
        default = f.default_factory()
    else:
        return False
    # Strict: 0 must not pass for False, nor 0.0 for a None default.
    return (type(value) is type(default) and value == default) or (
        isinstance(default, Mapping) and isinstance(value, Mapping) and not value and not default
    )


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = typing.get_type_hints(cls)
        _HINTS[cls] = hints
    return hints


def decode(tp: Any, data: Any) -> Any:
    """Rebuild a value of type `tp` from `encode`'s output, driven by the type hints.

    Written once over dataclass fields, so a field added to console/model.py is
    recorded and replayed without touching this module. Raises ValueError on data
    that does not fit the type (a corrupt or foreign file).
    """
    if tp is Any:
        return data
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        args = typing.get_args(tp)
        if data is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return decode(arg, data)
            except ValueError as exc:
                errors.append(str(exc))
        raise ValueError("; ".join(errors) or f"null where {tp} is expected")
    if tp is bool:
        if isinstance(data, bool):
            return data
    elif tp is int:
        if isinstance(data, int) and not isinstance(data, bool):
            return data
    elif tp is float:
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return float(data)
    elif tp is str:
        if isinstance(data, str):
            return clean_line(data, NOTE_LIMIT)  # a file from outside, like an answer
    elif tp is datetime:
        if isinstance(data, str):
            return datetime.fromisoformat(data)
    elif origin is tuple:
        args = typing.get_args(tp)
        if isinstance(data, list):
            if len(args) == 2 and args[1] is Ellipsis:
                return tuple(decode(args[0], d) for d in data)
            if len(args) == len(data):
                return tuple(decode(a, d) for a, d in zip(args, data, strict=True))
    elif origin in (Mapping, dict) or tp in (dict, Mapping):
        key_t, value_t = typing.get_args(tp) or (Any, Any)
        if isinstance(data, dict):
            return {decode(key_t, k): decode(value_t, v) for k, v in data.items()}
        if isinstance(data, list) and all(isinstance(p, list) and len(p) == 2 for p in data):
            return {decode(key_t, k): decode(value_t, v) for k, v in data}
    elif isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if isinstance(data, dict):
            hints = _hints(tp)
            kwargs = {
                f.name: decode(hints[f.name], data[f.name])
                for f in dataclasses.fields(tp)
                if f.name in data
            }
            try:
                return tp(**kwargs)
            except TypeError as exc:  # a required field is missing
                raise ValueError(f"{tp.__name__}: {exc}") from None
    else:
        raise ValueError(f"cannot read a {tp}")
    raise ValueError(f"{type(data).__name__} where {getattr(tp, '__name__', tp)} is expected")


def dump_snapshot(snapshot: Snapshot) -> str:
    """One compact JSON line holding the whole Snapshot, internal fields included."""
    return json_escape(json.dumps(encode(snapshot), separators=(",", ":"), ensure_ascii=False))


def load_snapshot(text: str) -> Snapshot:
    value: Snapshot = decode(Snapshot, json.loads(text))
    return value


# ---------------------------------------------------------- header and frames
@dataclass(frozen=True, slots=True)
class Header:
    """What replay needs to title the screen as live did; names only, never a credential."""

    started_at: float
    target: str
    namespace: str
    deployment: str
    hpa: str
    profile: str
    window_s: float
    refresh_s: float
    context: str | None = None
    demo: str | None = None
    alertmanager_configured: bool = True


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The whole replay state at one instant: starts a rotated file so it replays alone."""

    latest: Latest
    trends: Mapping[str, Mapping[ModelKey, tuple[float | None, ...]]] = field(
        default_factory=dict
    )
    shown_at: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Frame:
    """One recorded event: a source poll, a trend history load, or a checkpoint.

    `t` is the console's clock when it handled the event (what "now" was on the
    screen); `window_s` the rate window then.
    """

    t: float
    source: str  # prometheus | kubernetes | alertmanager | history | state
    window_s: float
    status: SourceStatus | None = None
    reading: Reading | None = None
    history: History | None = None
    checkpoint: Checkpoint | None = None
    reset: bool = False
    """The first frame of a recording session: forget everything before it."""


def encode_frame(frame: Frame, previous: Reading | None = None) -> dict[str, Any]:
    """A frame as JSON; with `previous` (same source, same file) only the changed fields."""
    out: dict[str, Any] = {"t": frame.t, "s": frame.source, "w": frame.window_s}
    if frame.status is not None:
        out["st"] = encode(frame.status)
    if frame.reading is not None:
        if type(previous) is type(frame.reading):
            out["d"] = {
                f.name: encode(getattr(frame.reading, f.name))
                for f in dataclasses.fields(frame.reading)
                if getattr(frame.reading, f.name) != getattr(previous, f.name)
            }
        else:
            out["r"] = encode(frame.reading)
    if frame.history is not None:
        out["h"] = encode(frame.history)
    if frame.checkpoint is not None:
        out["cp"] = encode(frame.checkpoint)
    return out


def decode_frame(data: Any, previous: dict[str, Reading | None]) -> Frame:
    """A frame from its JSON; `previous` holds the reading a delta (`"d"`) applies to."""
    if not isinstance(data, dict) or not isinstance(data.get("s"), str):
        raise ValueError("not a frame")
    source = data["s"]
    t = decode(float, data.get("t"))
    window_s = decode(float, data.get("w"))
    if source in POLLED:
        status: SourceStatus = decode(SourceStatus, data.get("st"))
        reading: Reading | None = None
        if "r" in data:
            reading = decode(READING_TYPES[source], data["r"])
        elif "d" in data:
            before = previous.get(source)
            delta = data["d"]
            if before is None or not isinstance(delta, dict):
                raise ValueError(f"{source} frame changes a reading the file does not hold")
            hints = _hints(type(before))
            names = {f.name for f in dataclasses.fields(before)}
            reading = dataclasses.replace(
                before, **{k: decode(hints[k], v) for k, v in delta.items() if k in names}
            )
        if reading is not None:
            previous[source] = reading
        return Frame(t, source, window_s, status=status, reading=reading)
    if source == "history":
        return Frame(t, source, window_s, history=decode(History, data.get("h")))
    if source == "state":
        cp: Checkpoint = decode(Checkpoint, data.get("cp"))
        previous.update(prometheus=cp.latest.metrics, kubernetes=cp.latest.cluster,
                        alertmanager=cp.latest.alerts)
        return Frame(t, source, window_s, checkpoint=cp)
    raise ValueError(f"unknown frame source {source!r}")


# ------------------------------------------------------------ the replay fold
class ReplayState:
    """The App's state rebuilt from frames, with exactly the App's update rules.

    Mirrors GatewayConsole.on_*_polled (keep the last good reading, replace the
    status), on_history_loaded (prepend history to the trend) and the window
    change (clear the trends), so replay draws the same sparklines it drew live.
    """

    def __init__(self, trend_points: int = DEFAULT_TREND_POINTS,
                 trend_step_s: float = TREND_STEP_S) -> None:
        self.trend_points = trend_points
        self.trend_step_s = trend_step_s
        self.latest = Latest()
        self.window_s: float | None = None
        self.trends: Trends = {f: {} for f in TREND_FIGURES}
        self.shown_at: dict[str, float] = {}
        """When each source's panel was last drawn (the alerts' ages were computed then),
        and under TREND_AT when the last trend point was added."""

    def clear(self) -> None:
        """A new recording session starts: nothing of the previous one stays on screen."""
        self.latest = Latest()
        self.window_s = None
        self.trends = {f: {} for f in TREND_FIGURES}
        self.shown_at = {}

    def copy(self) -> ReplayState:
        other = ReplayState(self.trend_points, self.trend_step_s)
        other.latest = self.latest
        other.window_s = self.window_s
        other.trends = self.copy_trends()
        other.shown_at = dict(self.shown_at)
        return other

    def copy_trends(self) -> Trends:
        return {fig: {k: deque(v, maxlen=self.trend_points) for k, v in per.items()}
                for fig, per in self.trends.items()}

    def checkpoint(self) -> Checkpoint:
        return Checkpoint(
            self.latest,
            {fig: {k: tuple(v) for k, v in per.items()} for fig, per in self.trends.items()},
            dict(self.shown_at),
        )

    def apply(self, frame: Frame) -> None:
        if frame.reset:
            self.clear()
        if frame.window_s != self.window_s:
            for per in self.trends.values():
                per.clear()
            self.window_s = frame.window_s
        if frame.checkpoint is not None:
            cp = frame.checkpoint
            self.latest = cp.latest
            self.trends = {f: {} for f in TREND_FIGURES}
            for fig, saved in cp.trends.items():
                self.trends[fig] = {k: deque(v, maxlen=self.trend_points)
                                    for k, v in saved.items()}
            self.shown_at = dict(cp.shown_at)
            return
        if frame.history is not None:
            prepend_history(self.trends, frame.history.series, self.trend_points)
            self.shown_at["history"] = frame.t
            return
        if frame.status is None:
            return
        latest, status, reading = self.latest, frame.status, frame.reading
        if frame.source == "prometheus":
            latest = dataclasses.replace(latest, metrics_status=status)
            if isinstance(reading, MetricsReading):
                latest = dataclasses.replace(latest, metrics=reading)
        elif frame.source == "kubernetes":
            latest = dataclasses.replace(latest, cluster_status=status)
            if isinstance(reading, ClusterReading):
                latest = dataclasses.replace(latest, cluster=reading)
        elif frame.source == "alertmanager":
            latest = dataclasses.replace(latest, alerts_status=status)
            if isinstance(reading, AlertsReading):
                latest = dataclasses.replace(latest, alerts=reading)
        self.latest = latest
        if isinstance(frame.reading, MetricsReading) and trend_due(
                self.shown_at.get(TREND_AT), frame.t, self.trend_step_s):
            self.shown_at[TREND_AT] = frame.t
            add_point(self.trends, frame.reading.models, self.trend_points)
        self.shown_at[frame.source] = frame.t


_LATEST_FIELD = {"prometheus": "metrics", "kubernetes": "cluster", "alertmanager": "alerts"}


# ------------------------------------------------------------------ recording
def _line(data: Any) -> bytes:
    return json_escape(json.dumps(data, separators=(",", ":"), ensure_ascii=False)).encode() + b"\n"


class Recorder:
    """Appends frames to FILE while the console runs; rotates to FILE.1 past `max_bytes`.

    `record()` never raises: a disk that fills up or vanishes must not take the
    console down with it. The first failure stops the recording and is returned
    once (the App shows it); later calls return None and do nothing.
    """

    def __init__(
        self,
        path: Path,
        header: Header,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        keep: int = KEEP_OLD_FILES,
        trend_points: int = DEFAULT_TREND_POINTS,
        trend_step_s: float = TREND_STEP_S,
        compress: bool | None = None,
    ) -> None:
        self.path = path
        self.header = header
        self.max_bytes = max_bytes
        self.keep = max(1, keep)
        self.compress = path.name.endswith(".gz") if compress is None else compress
        self.state = ReplayState(trend_points, trend_step_s)
        self.frames_written = 0
        self.bytes_written = 0
        self.failed: str | None = None
        self._raw: IO[bytes] | None = None
        self._gz: gzip.GzipFile | None = None
        self._size = 0
        self._frames_in_file = 0
        self._last: dict[str, Reading | None] = {}
        self._first = True
        try:
            # gzip members cannot be appended after a crash cut one short: start afresh.
            if self.compress and path.exists() and path.stat().st_size > 0:
                self._rotate_files()
            self._open()
        except OSError as exc:
            raise RecordError(f"cannot record to {path}: {exc.strerror or exc}") from None

    # The App calls these two, once per message it handles.
    def record_poll(
        self, source: str, t: float, window_s: float, status: SourceStatus,
        reading: Reading | None,
    ) -> str | None:
        return self.record(Frame(t, source, window_s, status=status, reading=reading))

    def record_history(self, t: float, window_s: float, history: History) -> str | None:
        return self.record(Frame(t, "history", window_s, history=history))

    scrub: Scrubber = Scrubber()  # the settings' credentials (record_privacy.py)

    def record(self, frame: Frame) -> str | None:
        if self.failed is not None or self._raw is None:  # stopped, or closed at exit
            return None
        frame = private_frame(frame, self.scrub)
        try:
            self._write(frame)
        except (OSError, TypeError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.failed = f"recording to {self.path} stopped: {reason}"
            self.close()
            return self.failed
        return None

    def _write(self, frame: Frame) -> None:
        if self._first:
            frame = dataclasses.replace(frame, reset=True)
            self._first = False
        line = _line(encode_frame(frame, self._last.get(frame.source)))
        if self._frames_in_file and self._size + len(line) > self.max_bytes:
            self._rotate(frame.t)
            line = _line(encode_frame(frame))
        self._emit(line)
        self.state.apply(frame)
        if frame.source in POLLED and frame.reading is not None:
            self._last[frame.source] = frame.reading
        self.frames_written += 1
        self._frames_in_file += 1

    def _open(self) -> None:
        self._raw = open_append(self.path)  # 0600 in 0700 folders, no link followed
        self._size = self._raw.tell()
        if self.compress:
            self._gz = gzip.GzipFile(fileobj=self._raw, mode="wb", mtime=0)
        self._frames_in_file = 0
        self._last = {}
        head = {"recording": MAGIC, "v": VERSION, **encode(self.header)}
        self._emit(_line(head))

    def _emit(self, line: bytes) -> None:
        assert self._raw is not None
        if self._gz is not None:
            self._gz.write(line)
            self._gz.flush(zlib.Z_SYNC_FLUSH)
        else:
            self._raw.write(line)
            self._raw.flush()
        before = self._size
        self._size = self._raw.tell()
        self.bytes_written += self._size - before

    def _rotate_files(self) -> None:
        for i in range(self.keep - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{i}")
            if older.exists():
                os.replace(older, self.path.with_name(f"{self.path.name}.{i + 1}"))
        os.replace(self.path, self.path.with_name(f"{self.path.name}.1"))

    def _rotate(self, t: float) -> None:
        self.close()
        self._rotate_files()
        self._open()
        # A checkpoint first, so the new file replays on its own with the same screen.
        if self.state.window_s is not None:
            cp = Frame(t, "state", self.state.window_s, checkpoint=self.state.checkpoint())
            self._emit(_line(encode_frame(cp)))
            self._last = {name: getattr(self.state.latest, _LATEST_FIELD[name])
                          for name in POLLED
                          if getattr(self.state.latest, _LATEST_FIELD[name]) is not None}

    def close(self) -> None:
        try:
            if self._gz is not None:
                self._gz.close()
            if self._raw is not None:
                self._raw.close()
        except OSError:
            pass
        self._gz = None
        self._raw = None


# -------------------------------------------------------------------- reading
@dataclass(frozen=True, slots=True)
class Recording:
    header: Header
    frames: tuple[Frame, ...]
    paths: tuple[str, ...]


def _lines(path: Path) -> Iterator[str]:
    with path.open("rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    if not gz:
        with path.open("r", encoding="utf-8") as text:
            yield from text
        return
    with gzip.open(path, "rt", encoding="utf-8") as zipped:
        try:
            yield from zipped
        except EOFError:  # the console was stopped mid-write: keep what is complete
            return


def load_recording(paths: Sequence[Path]) -> Recording:
    """Read one or more recordings (FILE.1 then FILE) in order; RecordError in one line."""
    header: Header | None = None
    frames: list[Frame] = []
    for path in paths:
        previous: dict[str, Reading | None] = {}
        reset = False
        seen_header = False
        try:
            lines = list(enumerate(_lines(path), 1))
        except OSError as exc:
            raise RecordError(f"cannot read {path}: {exc.strerror or exc}") from None
        except (UnicodeDecodeError, gzip.BadGzipFile, zlib.error):
            raise RecordError(f"{path} is not an ai-gateway-console recording") from None
        for number, text in lines:
            if not text.strip():
                continue
            try:
                data = json.loads(text)
                if isinstance(data, dict) and data.get("recording") == MAGIC:
                    if data.get("v") != VERSION:
                        raise RecordError(
                            f"{path} is a recording of version {data.get('v')}; "
                            f"this console reads version {VERSION}"
                        )
                    body = {k: v for k, v in data.items() if k not in ("recording", "v")}
                    head: Header = decode(Header, body)
                    header = header or head
                    seen_header = True
                    previous = {}
                    reset = True
                    continue
                if not seen_header:
                    raise RecordError(f"{path} is not an ai-gateway-console recording")
                frame = decode_frame(data, previous)
            except RecordError:
                raise
            except (ValueError, TypeError) as exc:
                if number == len(lines) and not text.endswith("\n"):
                    break  # a last line cut short by a crash: everything before it stands
                raise RecordError(f"{path} line {number}: not a recording frame ({exc})"
                                  ) from None
            if reset:
                frame = dataclasses.replace(frame, reset=True)
                reset = False
            frames.append(frame)
        if not seen_header:
            raise RecordError(f"{path} is not an ai-gateway-console recording")
    if header is None or not frames:
        raise RecordError(f"{', '.join(map(str, paths))}: no frames recorded")
    return Recording(header, tuple(frames), tuple(str(p) for p in paths))


def recorder_for(settings: Settings, clock: Clock, trend_points: int = TREND_POINTS
                 ) -> Recorder:
    """The Recorder of `--record FILE`, its header naming the target; RecordError if unwritable."""
    assert settings.record is not None
    ts = settings.target
    header = Header(
        started_at=clock(),
        target=ts.name,
        namespace=ts.namespace,
        deployment=ts.deployment,
        hpa=ts.hpa,
        profile=settings.profile,
        window_s=settings.window_s,
        refresh_s=settings.refresh_s,
        context=ts.context,
        demo=settings.demo,
        alertmanager_configured=settings.demo is not None or ts.alertmanager is not None,
    )
    recorder = Recorder(Path(settings.record).expanduser(), header,
                        max_bytes=settings.record_max_bytes, trend_points=trend_points,
                        trend_step_s=trend_step_s(settings.refresh_s))
    recorder.scrub = settings_scrubber(settings)
    return recorder
