"""The one-line title and status line of the overview, live and replayed: styled lines only.

The states that change what a key does or whether the screen is live (READ-ONLY,
PAUSED, REC) come first, right after the name, because a narrow terminal cuts the
right and these must survive any size (80x24 included); where the console looks
(target, namespace/deployment, window, refresh) and a filter follow. In replay, where
we are in the recording comes before everything else for the same reason. Rich only,
no Textual.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from rich.text import Text

from console.config.settings import TargetSettings
from console.model import SOURCE_NAMES
from console.state.polling import Latest, alertmanager_status
from console.text.durations import format_duration
from console.views.overview import source_status_text

READ_ONLY_STYLE = "bold black on yellow"
STOPPED_STYLE = "bold black on cyan"
RECORDING_STYLE = "bold white on red"


@dataclass(frozen=True, slots=True)
class TitleInputs:
    """Everything the overview's title is drawn from: equal inputs, the same title."""

    target: TargetSettings
    demo: str | None
    fleet: tuple[str, ...]
    """The fleet's target names in order (one name: no fleet)."""
    window_s: float
    refresh_s: float
    read_only: bool
    paused: bool
    filter_text: str
    profile: str = ""
    """The gateway profile read (`litellm (auto)` when detected); "" in the demo."""
    recording: bool = False
    """--record FILE is writing every poll: the screen says so (REC)."""


def _where(target: TargetSettings, demo: str | None, fleet: Sequence[str]) -> str:
    source = f"demo:{target.demo or demo}" if demo else (target.context or "current")
    if len(fleet) > 1:
        at = (f"{list(fleet).index(target.name) + 1}/{len(fleet)}" if target.name in fleet
              else "new")
        source = f"{target.name} ({at})" + ("" if source == target.name else f" {source}")
    return f"  {source}  {target.namespace}/{target.deployment}"


def overview_title(inputs: TitleInputs) -> Text:
    text = Text()
    text.append(" ai-gateway-console ", style="bold reverse")
    if inputs.read_only:
        text.append(" ")
        text.append(" READ-ONLY ", style=READ_ONLY_STYLE)
    if inputs.paused:
        text.append(" ")
        text.append(" ⏸ PAUSED ", style=STOPPED_STYLE)
    if inputs.recording:
        text.append(" ")
        text.append(" ● REC ", style=RECORDING_STYLE)
    text.append(_where(inputs.target, inputs.demo, inputs.fleet))
    text.append(f"  window {format_duration(inputs.window_s)}", style="bold")
    text.append(f"  every {format_duration(inputs.refresh_s)}")
    if inputs.profile:
        text.append(f"  {inputs.profile}")
    if inputs.filter_text:
        text.append(f"  filter: {inputs.filter_text}", style="italic")
    return text


@dataclass(frozen=True, slots=True)
class ReplayPlace:
    """Where the replay cursor is: the recorded time on screen and the frame under it."""

    position: float
    frame: int
    frames: int
    speed: float
    playing: bool

    @property
    def at_end(self) -> bool:
        return self.frame >= self.frames - 1


def replay_title(place: ReplayPlace, inputs: TitleInputs) -> Text:
    text = Text()
    stamp = datetime.fromtimestamp(place.position, UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    text.append(f" REPLAY {stamp} ", style="bold black on magenta")
    text.append(f"  frame {place.frame + 1}/{place.frames}")
    text.append(f"  speed {place.speed:g}x")
    if not place.playing:
        text.append("  ⏹ END" if place.at_end else "  ⏸ PAUSED", style=STOPPED_STYLE)
    source = f"demo:{inputs.demo}" if inputs.demo else (inputs.target.context or "current")
    text.append(f"  {source}  {inputs.target.namespace}/{inputs.target.deployment}")
    text.append(f"  window {format_duration(inputs.window_s)}", style="bold")
    if inputs.filter_text:
        text.append(f"  filter: {inputs.filter_text}", style="italic")
    return text


def status_line(latest: Latest, now: float, alertmanager_configured: bool) -> Text:
    """Each source's health, and the cluster's first note (no HPA, events forbidden…)."""
    text = Text(" ")
    notes = latest.cluster.notes if latest.cluster else ()
    for i, name in enumerate(SOURCE_NAMES):
        if i:
            text.append("   ")
        status = latest.status(name)
        if name == "alertmanager" and status is not None:
            status = alertmanager_status(status, alertmanager_configured)
        text.append_text(source_status_text(name, status, now))
        if name == "kubernetes" and status is not None and status.ok and notes:
            text.append(f" ▲ {notes[0]}", style="yellow")
    return text
