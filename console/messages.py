"""Typed messages from the source workers to the App.

Each worker posts exactly one kind, so a handler knows which panel to update
without inspecting the payload.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from console.model import AlertsReading, ClusterReading, MetricsReading
from console.sources.base import History
from console.state.polling import PollResult


@dataclass
class MetricsPolled(Message):
    result: PollResult[MetricsReading]
    target: str = ""
    """The target polled ("" for the only one); with `origin`, the fleet's routing."""
    origin: int = 0
    """id() of the SourceSet polled: a late result of a replaced target is dropped."""


@dataclass
class ClusterPolled(Message):
    result: PollResult[ClusterReading]
    target: str = ""
    """The target polled ("" for the only one); with `origin`, the fleet's routing."""
    origin: int = 0
    """id() of the SourceSet polled: a late result of a replaced target is dropped."""


@dataclass
class AlertsPolled(Message):
    result: PollResult[AlertsReading]
    target: str = ""
    """The target polled ("" for the only one); with `origin`, the fleet's routing."""
    origin: int = 0
    """id() of the SourceSet polled: a late result of a replaced target is dropped."""


@dataclass
class HistoryLoaded(Message):
    history: History
    window_s: float
    origin: int = 0
