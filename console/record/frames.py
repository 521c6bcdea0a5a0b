"""The recording file format: a header line, then one frame per event the console handled.

Why per source poll rather than one assembled Snapshot per refresh: the console
applies exactly one poll of one source at a time and redraws that panel from it,
so a frame of "source + status + reading + time + window" is both the smallest
faithful record and the one that lets replay rebuild *the same screen*: the
latest reading per source, its status (with `last_ok_at`, so "data 42s old"
reads the same), the trends behind the sparklines and the time each panel was
drawn at. After the first full reading of a source in a file (`"r"`), a frame
holds only the fields of the reading that changed (`"d"`): the events, the HPA
and the targets are then written only when they change.

Replay folds frames into a ConsoleState through `apply_frame`, that is through
the reducer the live console applies its polls with: one place for every rule.
No Textual here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from console.model import (
    SOURCE_NAMES,
    AlertsReading,
    ClusterReading,
    MetricsReading,
    SourceName,
    SourceStatus,
)
from console.record.codec import decode, encode, hints_of
from console.sources.base import History
from console.state.console_state import Checkpoint, ConsoleState
from console.state.polling import PollResult, Reading

MAGIC = "ai-gateway-console"
VERSION = 1
READING_TYPES: Mapping[SourceName, type] = {
    "prometheus": MetricsReading,
    "kubernetes": ClusterReading,
    "alertmanager": AlertsReading,
}


class RecordError(Exception):
    """A recording cannot be written or read; str(error) is one line for the user."""


def polled_source(name: str) -> SourceName | None:
    """The source a frame polled, or None for a history or checkpoint frame."""
    return next((s for s in SOURCE_NAMES if s == name), None)


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
    action: Mapping[str, str] | None = None
    """An audit line of an action taken (source "action"): replay shows it, the state
    does not change (what the action did shows in the polls after it)."""
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
    if frame.action is not None:
        out["a"] = dict(frame.action)
    return out


def decode_frame(data: Any, previous: dict[str, Reading | None]) -> Frame:
    """A frame from its JSON; `previous` holds the reading a delta (`"d"`) applies to."""
    if not isinstance(data, dict) or not isinstance(data.get("s"), str):
        raise ValueError("not a frame")
    source = data["s"]
    t = decode(float, data.get("t"))
    window_s = decode(float, data.get("w"))
    if (name := polled_source(source)) is not None:
        status: SourceStatus = decode(SourceStatus, data.get("st"))
        reading: Reading | None = None
        if "r" in data:
            reading = decode(READING_TYPES[name], data["r"])
        elif "d" in data:
            before = previous.get(name)
            delta = data["d"]
            if before is None or not isinstance(delta, dict):
                raise ValueError(f"{name} frame changes a reading the file does not hold")
            hints = hints_of(type(before))
            names = {f.name for f in dataclasses.fields(before)}
            reading = dataclasses.replace(
                before, **{k: decode(hints[k], v) for k, v in delta.items() if k in names}
            )
        if reading is not None:
            previous[name] = reading
        return Frame(t, name, window_s, status=status, reading=reading)
    if source == "history":
        return Frame(t, source, window_s, history=decode(History, data.get("h")))
    if source == "state":
        cp: Checkpoint = decode(Checkpoint, data.get("cp"))
        previous.update(prometheus=cp.latest.metrics, kubernetes=cp.latest.cluster,
                        alertmanager=cp.latest.alerts)
        return Frame(t, source, window_s, checkpoint=cp)
    if source == "action":
        action = data.get("a")
        if not isinstance(action, dict):
            raise ValueError("action frame without its audit line")
        return Frame(t, source, window_s,
                     action={str(k): str(v) for k, v in action.items() if v is not None})
    raise ValueError(f"unknown frame source {source!r}")



def apply_frame(state: ConsoleState, frame: Frame) -> None:
    """Fold one frame into `state` with the live console's rules (the one reducer)."""
    if frame.reset:
        state.reset()
    state.set_window(frame.window_s)
    if frame.checkpoint is not None:
        state.restore(frame.checkpoint)
        return
    if frame.history is not None:
        state.apply_history(frame.history, frame.window_s, frame.t)
        return
    source = polled_source(frame.source)
    if frame.status is None or source is None:
        return
    state.apply("", source, PollResult(source, frame.reading, frame.status), frame.t)
