"""A recording behind the source interfaces: the console reviews an incident as it was.

`Timeline` is the replay cursor over a recording's frames and rebuilds the
console's state at any frame by folding the frames through the live console's
reducer (console/state/console_state.py), with checkpoints every few hundred
frames, so stepping back in an hour-long recording stays instant. The three sources
answer from the state at the cursor: a poll returns the recorded reading, or
raises SourceError with the recorded error where the source had failed, so the
status line reads as it did live. Every action is refused with
REPLAY_REASON: a recording is history, there is nothing to act on.

No Textual here; the replay feed (console/feeds/replay.py) drives the cursor.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from console.model import (
    MODEL_HISTORY_FIGURES,
    SOURCE_NAMES,
    Alert,
    AlertsReading,
    ClusterReading,
    KubeEvent,
    MetricsReading,
    ModelFigures,
    ModelHistory,
    ModelKey,
    SourceStatus,
)
from console.record.frames import Frame, apply_frame
from console.record.reading import Recording
from console.sources.base import ActionError, History, Permission, SourceError, SourceSet
from console.sources.kube_configmap import ConfigMapVersion
from console.sources.kube_rollout import Revision
from console.sources.matchers import Matcher
from console.sources.silences import SilenceInfo
from console.state.console_state import ConsoleState
from console.state.trends import TREND_POINTS, trend_step_s

REPLAY_REASON = "replay: actions are disabled"
CHECKPOINT_EVERY = 256
FIRST_COMPLETE_WITHIN = 12
"""Frames a replay looks through for the first complete state before opening on frame 1."""
SEEK_STEP_S = 60.0


class Timeline:
    """The cursor over a recording and the console state at it."""

    def __init__(self, recording: Recording, trend_points: int = TREND_POINTS) -> None:
        self.recording = recording
        self.frames = recording.frames
        self.trend_points = trend_points
        self.index = 0
        self._state = self._start()
        self._applied = -1  # index of the last frame folded into _state
        self._checkpoints: dict[int, ConsoleState] = {}

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def frame(self) -> Frame:
        return self.frames[self.index]

    @property
    def at_end(self) -> bool:
        return self.index >= len(self.frames) - 1

    def go(self, index: int) -> int:
        """Move the cursor (clamped to the recording); returns the new index."""
        self.index = max(0, min(len(self.frames) - 1, index))
        return self.index

    def step(self, frames: int) -> int:
        return self.go(self.index + frames)

    def seek(self, seconds: float) -> int:
        """Move by recorded time: to the last frame at or before now ± seconds.

        Always moves at least one frame in the asked direction (when there is one),
        so `]` never looks stuck on a sparse stretch.
        """
        target = self.frame.t + seconds
        i = self.index
        if seconds >= 0:
            while i + 1 < len(self.frames) and self.frames[i + 1].t <= target:
                i += 1
            return self.go(max(i, self.index + 1))
        while i > 0 and self.frames[i].t > target:
            i -= 1
        return self.go(min(i, self.index - 1))

    def first_complete(self, within: int = FIRST_COMPLETE_WITHIN) -> int:
        """The first frame after which every source has answered once: a replay opens
        there, not on the first poll's single panel (0 if none within `within` frames)."""
        for i in range(min(within, len(self.frames))):
            self.go(i)
            latest = self.state().latest
            if all(latest.status(name) is not None for name in SOURCE_NAMES):
                return i
        return self.go(0)

    def index_at(self, t: float) -> int:
        """The last frame recorded at or before t (the first frame if none)."""
        best = 0
        for i, frame in enumerate(self.frames):
            if frame.t <= t:
                best = i
            else:
                break
        return best

    def _start(self) -> ConsoleState:
        """The state before the first frame: the recorded target, nothing on screen yet."""
        header = self.recording.header
        return ConsoleState(header.target, window_s=header.window_s,
                            trend_step_s=trend_step_s(header.refresh_s),
                            trend_points=self.trend_points)

    def state(self) -> ConsoleState:
        """The console's state after the frame under the cursor."""
        if self._applied > self.index:
            start = max((k for k in self._checkpoints if k <= self.index), default=None)
            if start is None:
                self._state, self._applied = self._start(), -1
            else:
                self._state, self._applied = self._checkpoints[start].copy(), start
        while self._applied < self.index:
            self._applied += 1
            apply_frame(self._state, self.frames[self._applied])
            if self._applied % CHECKPOINT_EVERY == 0 and self._applied not in self._checkpoints:
                self._checkpoints[self._applied] = self._state.copy()
        return self._state


def _raise_unless_ok(status: SourceStatus | None) -> None:
    if status is None:
        raise SourceError("no data recorded yet at this point of the replay")
    if not status.ok:
        raise SourceError(status.error or "failed (recorded)")


class ReplayMetricsSource:
    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline

    async def fetch(self, window_s: float) -> MetricsReading:
        latest = self.timeline.state().latest
        _raise_unless_ok(latest.metrics_status)
        if latest.metrics is None:
            raise SourceError("no data recorded yet at this point of the replay")
        return latest.metrics

    async def history(self, window_s: float, span_s: float, step_s: float) -> History:
        trends = self.timeline.state().trends
        return History({
            fig: {k: tuple(v for v in values if v is not None) for k, values in per.items()}
            for fig, per in trends.items()
        })

    async def model_history(
        self, key: ModelKey, window_s: float, span_s: float, step_s: float
    ) -> ModelHistory:
        """The model's figures as they were recorded up to the cursor, on the asked grid.

        Each grid point takes the last recorded figure at or before it; before the
        recording starts, or where the model was absent, the point is NaN (a gap).
        """
        tl = self.timeline
        now = tl.frame.t
        start = now - span_s
        seen: list[tuple[float, ModelFigures | None]] = []
        for frame in tl.frames[: tl.index + 1]:
            if frame.reset:
                seen.clear()
            if isinstance(frame.reading, MetricsReading) and frame.t >= start - step_s:
                seen.append((frame.t, next((m for m in frame.reading.models if m.key == key),
                                           None)))
        points = max(1, int(span_s // step_s) + 1) if step_s > 0 else 1
        series: dict[str, list[float]] = {f: [] for f in MODEL_HISTORY_FIGURES}
        j, current = 0, None
        for n in range(points):
            at = start + n * step_s
            while j < len(seen) and seen[j][0] <= at:
                current = seen[j][1]
                j += 1
            for figure in MODEL_HISTORY_FIGURES:
                value = getattr(current, figure, None) if current is not None else None
                series[figure].append(math.nan if value is None else float(value))
        return ModelHistory(key[0], key[1], start, step_s,
                            {f: tuple(v) for f, v in series.items()})

    async def aclose(self) -> None:
        return None


class ReplayAlertSource:
    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline

    @property
    def can_silence(self) -> bool:
        return False

    async def fetch(self) -> AlertsReading:
        latest = self.timeline.state().latest
        _raise_unless_ok(latest.alerts_status)
        if latest.alerts is None:
            raise SourceError("no data recorded yet at this point of the replay")
        return latest.alerts

    async def silence(self, alert: Alert, duration_s: float, author: str, comment: str,
                      matchers: tuple[Matcher, ...] | None = None) -> str:
        raise ActionError(REPLAY_REASON)

    async def expire(self, silence_id: str) -> None:
        raise ActionError(REPLAY_REASON)

    async def silences(self) -> tuple[SilenceInfo, ...]:
        raise SourceError("replay: silences are not part of a recording")

    async def aclose(self) -> None:
        return None


class ReplayClusterSource:
    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline

    async def fetch(self) -> ClusterReading:
        latest = self.timeline.state().latest
        _raise_unless_ok(latest.cluster_status)
        if latest.cluster is None:
            raise SourceError("no data recorded yet at this point of the replay")
        return latest.cluster

    async def permission(self, verb: str, resource: str, subresource: str = "",
                         name: str = "") -> Permission:
        return Permission(False, REPLAY_REASON)

    async def restart(self) -> str:
        raise ActionError(REPLAY_REASON)

    async def scale(self, replicas: int) -> None:
        raise ActionError(REPLAY_REASON)

    async def delete_pod(self, name: str) -> None:
        raise ActionError(REPLAY_REASON)

    async def rollout_history(self) -> tuple[Revision, ...]:
        raise ActionError(REPLAY_REASON)

    async def rollback(self, revision: int) -> str:
        raise ActionError(REPLAY_REASON)

    async def set_hpa_bounds(self, min_replicas: int, max_replicas: int) -> None:
        raise ActionError(REPLAY_REASON)

    async def gateway_config(self, configured: str) -> ConfigMapVersion:
        raise ActionError(REPLAY_REASON)

    async def replace_config_map(self, version: ConfigMapVersion,
                                 data: Mapping[str, str]) -> str:
        raise ActionError(REPLAY_REASON)

    async def logs(self, pod: str, tail: int = 200, previous: bool = False,
                   container: str | None = None) -> str:
        return f"replay: logs are not part of a recording (pod {pod})"

    async def events(self, kind: str, name: str) -> tuple[KubeEvent, ...]:
        """The events recorded with the cluster reading at the cursor, for that object."""
        cluster = self.timeline.state().latest.cluster
        if cluster is None:
            return ()
        return tuple(e for e in cluster.events if e.object_kind == kind and e.object_name == name)

    async def config_map(self, name: str) -> Mapping[str, str]:
        raise SourceError("replay: ConfigMaps are not part of a recording")

    async def namespaces(self) -> tuple[str, ...]:
        return ()

    async def deployments(self) -> tuple[str, ...]:
        return ()

    async def aclose(self) -> None:
        return None


def replay_source_set(timeline: Timeline) -> SourceSet:
    header = timeline.recording.header
    return SourceSet(
        target=header.target,
        metrics=ReplayMetricsSource(timeline),
        alerts=ReplayAlertSource(timeline),
        cluster=ReplayClusterSource(timeline),
        context=header.context,
    )
