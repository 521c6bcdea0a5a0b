"""Typed messages from the live feed's workers to the App.

Each worker posts exactly one kind, and each kind names its source, so the App
hands the result to the one reducer (console/state/console_state.py) without
inspecting the payload.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.message import Message

from console.model import AlertsReading, ClusterReading, MetricsReading, SourceName
from console.sources.base import History
from console.state.polling import PollResult


@dataclass
class MetricsPolled(Message):
    source: ClassVar[SourceName] = "prometheus"
    result: PollResult[MetricsReading]
    target: str = ""
    """The target polled ("" for the only one); with `origin`, the fleet's routing."""
    origin: int = 0
    """id() of the SourceSet polled: a late result of a replaced target is dropped."""


@dataclass
class ClusterPolled(Message):
    source: ClassVar[SourceName] = "kubernetes"
    result: PollResult[ClusterReading]
    target: str = ""
    """The target polled ("" for the only one); with `origin`, the fleet's routing."""
    origin: int = 0
    """id() of the SourceSet polled: a late result of a replaced target is dropped."""


@dataclass
class AlertsPolled(Message):
    source: ClassVar[SourceName] = "alertmanager"
    result: PollResult[AlertsReading]
    target: str = ""
    """The target polled ("" for the only one); with `origin`, the fleet's routing."""
    origin: int = 0
    """id() of the SourceSet polled: a late result of a replaced target is dropped."""


Polled = MetricsPolled | ClusterPolled | AlertsPolled


@dataclass
class HistoryLoaded(Message):
    history: History
    window_s: float
    origin: int = 0
