"""Record what the console showed, one line per source poll, so an incident can be replayed.

The file is JSON Lines (gzip when FILE ends in `.gz`): a header line naming
the target, then frames (console/record/frames.py). Nothing in a frame carries
a credential and the header holds only names, so neither does a recording; the
status errors are scrubbed on the way in (console/record/privacy.py).

Actions taken (their audit lines) are frames too, so a replay shows what was done
and when.

Frame 1 is a complete screen: the first polls are held (in memory, not written) until
every source has answered or failed once, or `first_wait_s` has passed, and are then
written as one checkpoint of the state they make, the frame a rotated file starts with
too. A replay of any recording so opens on the Deployment, pods, models and alerts,
not on the first poll's single panel; older readers read that frame as they always
did, and recordings made before it still replay (their replay looks for the first
complete frame, console/sources/replay.py).

Size is bounded: past `max_bytes` the file is rotated to FILE.1 (the previous
FILE.1 is dropped) and FILE starts again with its header and a checkpoint of
the current state, so either file replays on its own.

No Textual here: this is data layer, fed by the App with every poll it applies.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import json
import os
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from console.actions.audit import AuditRecord
from console.actions.files import open_append
from console.clock import Clock
from console.config.secrets import settings_scrubber
from console.config.settings import Settings
from console.model import SOURCE_NAMES, SourceName, SourceStatus
from console.record.codec import encode
from console.record.frames import (
    MAGIC,
    VERSION,
    Frame,
    Header,
    RecordError,
    apply_frame,
    encode_frame,
)
from console.record.privacy import private_frame
from console.sources.base import History
from console.state.console_state import ConsoleState
from console.state.polling import Reading
from console.state.trends import TREND_POINTS, TREND_STEP_S, trend_step_s
from console.text.safe_text import json_escape
from console.text.scrub import Scrubber

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
FIRST_WAIT_S = 15.0
"""How long frame 1 waits for a source that neither answers nor fails (a poll ends by
its timeout, 10 s at most by default): past it, frame 1 is what has come."""
KEEP_OLD_FILES = 1


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
        trend_points: int = TREND_POINTS,
        trend_step_s: float = TREND_STEP_S,
        compress: bool | None = None,
        first_wait_s: float = 0.0,
        expect: Sequence[SourceName] = SOURCE_NAMES,
    ) -> None:
        self.path = path
        self.header = header
        self.max_bytes = max_bytes
        self.keep = max(1, keep)
        self.compress = path.name.endswith(".gz") if compress is None else compress
        self.state = ConsoleState(header.target, window_s=header.window_s,
                                  trend_step_s=trend_step_s, trend_points=trend_points)
        """The screen as the frames written draw it: the checkpoint a rotated file starts with."""
        self.frames_written = 0
        self.bytes_written = 0
        self.failed: str | None = None
        self._raw: IO[bytes] | None = None
        self._gz: gzip.GzipFile | None = None
        self._size = 0
        self._frames_in_file = 0
        self._last: dict[str, Reading | None] = {}
        self._first = True
        self._actions_seen = 0
        self.first_wait_s = first_wait_s
        self.expected = frozenset(expect)
        """The sources frame 1 waits for (not Alertmanager when none is configured)."""
        self._held: list[Frame] = []
        try:
            # gzip members cannot be appended after a crash cut one short: start afresh.
            if self.compress and path.exists() and path.stat().st_size > 0:
                self._rotate_files()
            self._open()
        except OSError as exc:
            raise RecordError(f"cannot record to {path}: {exc.strerror or exc}") from None

    # The App calls these two, once per message it handles.
    def record_poll(
        self, source: SourceName, t: float, window_s: float, status: SourceStatus,
        reading: Reading | None,
    ) -> str | None:
        return self.record(Frame(t, source, window_s, status=status, reading=reading))

    def record_history(self, t: float, window_s: float, history: History) -> str | None:
        return self.record(Frame(t, "history", window_s, history=history))

    def record_actions(self, t: float, window_s: float, session: Sequence[AuditRecord]
                       ) -> str | None:
        """The audit lines of this session not recorded yet (what, on what, the result;
        not who: the file travels into tickets)."""
        error = None
        for record in session[self._actions_seen:]:
            line = {k: v for k, v in dataclasses.asdict(record).items()
                    if v is not None and k != "user"}
            error = self.record(Frame(t, "action", window_s, action=line)) or error
        self._actions_seen = len(session)
        return error

    scrub: Scrubber = Scrubber()  # the settings' credentials (record/privacy.py)

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
        if self._held or (self.frames_written == 0 and self.first_wait_s > 0):
            self._hold(frame)
            return
        line = _line(encode_frame(frame, self._last.get(frame.source)))
        if self._frames_in_file and self._size + len(line) > self.max_bytes:
            self._rotate(frame.t)
            line = _line(encode_frame(frame))
        self._emit(line)
        apply_frame(self.state, frame)
        if frame.reading is not None:
            self._last[frame.source] = frame.reading
        self.frames_written += 1
        self._frames_in_file += 1

    def _hold(self, frame: Frame) -> None:
        """Before frame 1: fold the frame into the state; write the state once complete."""
        self._held.append(frame)
        apply_frame(self.state, frame)
        answered = {f.source for f in self._held if f.status is not None}
        if self.expected <= answered or frame.t - self._held[0].t >= self.first_wait_s:
            self._release(frame.t)

    def _release(self, t: float) -> None:
        """Frame 1: the held polls as the checkpoint of the screen they drew, then the
        actions taken meanwhile (they change no state, the replay lists them)."""
        held, self._held = self._held, []
        if not held:
            return
        cp = Frame(t, "state", self.state.window_s, checkpoint=self.state.checkpoint())
        self._emit(_line(encode_frame(cp)))
        latest = self.state.latest
        self._last = {name: reading for name in SOURCE_NAMES
                      if (reading := latest.reading(name)) is not None}
        self.frames_written += 1
        self._frames_in_file += 1
        for frame in held:
            if frame.action is not None:
                self._write(frame)

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
        cp = Frame(t, "state", self.state.window_s, checkpoint=self.state.checkpoint())
        self._emit(_line(encode_frame(cp)))
        latest = self.state.latest
        self._last = {name: reading for name in SOURCE_NAMES
                      if (reading := latest.reading(name)) is not None}

    def close(self) -> None:
        if self._held and self._raw is not None and self.failed is None:
            # Stopped before every source answered: what was seen is kept.
            with contextlib.suppress(OSError, TypeError, ValueError):
                self._release(self._held[-1].t)
        try:
            if self._gz is not None:
                self._gz.close()
            if self._raw is not None:
                self._raw.close()
        except OSError:
            pass
        self._gz = None
        self._raw = None



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
        alertmanager_configured=settings.demo is not None or ts.has_alertmanager,
    )
    expect = tuple(n for n in SOURCE_NAMES
                   if n != "alertmanager" or header.alertmanager_configured)
    recorder = Recorder(Path(settings.record).expanduser(), header,
                        max_bytes=settings.record_max_bytes, trend_points=trend_points,
                        trend_step_s=trend_step_s(settings.refresh_s),
                        first_wait_s=FIRST_WAIT_S, expect=expect)
    recorder.scrub = settings_scrubber(settings)
    return recorder
