"""Injectable time, so the simulator, ages and snapshot tests are deterministic."""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]
"""Returns seconds since the epoch, like time.time."""


def system_clock() -> float:
    return time.time()


class FixedClock:
    """A clock that only moves when told to: for tests and screenshots."""

    def __init__(self, start: float = 1_795_687_200.0) -> None:  # 2026-11-26T10:00:00Z
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
