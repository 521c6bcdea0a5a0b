"""One poll of one source, turned into data plus an honest status.

Shared by the live feed (one worker per source), replay and `snapshot` (one
round), so all report failures, latencies and the age of the last good data the
same way.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Generic, TypeVar

from console.clock import Clock
from console.model import (
    AlertsReading,
    ClusterReading,
    MetricsReading,
    Snapshot,
    SourceName,
    SourceStatus,
    sort_alerts,
    sort_pods,
)
from console.sources.base import SourceError, SourceSet
from console.text.safe_text import one_line as safe_line

T = TypeVar("T")

NOT_CONFIGURED = SourceStatus(
    ok=False, error="not configured", latency_ms=None, last_ok_at=None, configured=False
)


@dataclass(frozen=True, slots=True)
class PollResult(Generic[T]):
    source: SourceName
    reading: T | None
    status: SourceStatus


def one_line(exc: BaseException) -> str:
    """A failure as the single line a status bar can show, cleaned (console/text/safe_text.py):
    an exception's text may quote whatever a server sent."""
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return "timed out"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return safe_line(text, 200)


async def poll(
    name: SourceName,
    fetch: Callable[[], Awaitable[T]],
    previous: SourceStatus | None,
    clock: Clock,
    timeout_s: float | None = None,
) -> PollResult[T]:
    """Run one fetch; never raises except for cancellation."""
    started = time.perf_counter()
    last_ok = previous.last_ok_at if previous else None
    try:
        if timeout_s is None:
            reading = await fetch()
        else:
            reading = await asyncio.wait_for(fetch(), timeout_s)
    except asyncio.CancelledError:
        raise
    except SourceError as exc:
        error = one_line(exc)
    except TimeoutError:
        # The safety net around a source whose own timeout did not fire first (a blocking
        # client in a thread): "TimeoutError: timed out" told the on-call neither how long
        # nor that it is the source, not the console, that hangs.
        error = f"no answer within {timeout_s:g}s"
    except Exception as exc:
        error = f"{type(exc).__name__}: {one_line(exc)}"
    else:
        latency = (time.perf_counter() - started) * 1000
        return PollResult(name, reading, SourceStatus(True, None, round(latency, 1), clock()))
    latency = (time.perf_counter() - started) * 1000
    return PollResult(name, None, SourceStatus(False, error, round(latency, 1), last_ok))


Reading = MetricsReading | ClusterReading | AlertsReading
READING_FIELDS: dict[SourceName, str] = {
    "prometheus": "metrics", "kubernetes": "cluster", "alertmanager": "alerts"}
"""The field of `Latest` that holds each source's reading (its status is `<field>_status`)."""


@dataclass(frozen=True, slots=True)
class Latest:
    """The latest reading and status per source of one target: what the overview shows
    and `snapshot` exports."""

    metrics: MetricsReading | None = None
    cluster: ClusterReading | None = None
    alerts: AlertsReading | None = None
    metrics_status: SourceStatus | None = None
    cluster_status: SourceStatus | None = None
    alerts_status: SourceStatus | None = None

    def status(self, source: SourceName) -> SourceStatus | None:
        status: SourceStatus | None = getattr(self, f"{READING_FIELDS[source]}_status")
        return status

    def reading(self, source: SourceName) -> Reading | None:
        reading: Reading | None = getattr(self, READING_FIELDS[source])
        return reading

    def polled(self, source: SourceName, status: SourceStatus, reading: Reading | None
               ) -> Latest:
        """After one poll: its status replaces the last one, and a failed poll (no
        reading) keeps the last good reading, so a panel shows data and its age."""
        if source == "prometheus":
            return replace(self, metrics_status=status, metrics=(
                reading if isinstance(reading, MetricsReading) else self.metrics))
        if source == "kubernetes":
            return replace(self, cluster_status=status, cluster=(
                reading if isinstance(reading, ClusterReading) else self.cluster))
        return replace(self, alerts_status=status, alerts=(
            reading if isinstance(reading, AlertsReading) else self.alerts))


def alertmanager_status(alerts: SourceStatus, configured: bool) -> SourceStatus:
    """Without an Alertmanager the alerts come from Prometheus alone: say "not
    configured" while that works, and the real error when it does not."""
    return NOT_CONFIGURED if not configured and alerts.ok else alerts


def assemble(
    latest: Latest,
    *,
    window: str,
    profile: str,
    clock: Clock,
    alertmanager_configured: bool = True,
    context: str | None = None,
) -> Snapshot:
    """The Snapshot of the JSON contract (README, `snapshot`) from the latest readings;
    a failed source's parts are empty."""

    def status(s: SourceStatus | None) -> SourceStatus:
        return s if s is not None else SourceStatus(False, "no data yet", None, None)

    metrics_ok = latest.metrics_status is not None and latest.metrics_status.ok
    cluster_ok = latest.cluster_status is not None and latest.cluster_status.ok
    alerts_ok = latest.alerts_status is not None and latest.alerts_status.ok
    m = latest.metrics if metrics_ok else None
    c = latest.cluster if cluster_ok else None
    a = latest.alerts if alerts_ok else None
    am_status = alertmanager_status(status(latest.alerts_status), alertmanager_configured)
    return Snapshot(
        generated_at=datetime.fromtimestamp(clock(), UTC),
        window=window,
        profile=profile,
        sources={
            "prometheus": status(latest.metrics_status),
            "kubernetes": status(latest.cluster_status),
            "alertmanager": am_status,
        },
        models=m.models if m else (),
        targets=m.targets if m else (),
        deployment=c.deployment if c else None,
        pods=sort_pods(c.pods) if c else (),
        hpa=c.hpa if c else None,
        alerts=sort_alerts(a.alerts) if a else (),
        alerts_note=a.note if a else None,
        events=c.events if c else (),
        context=context,
    )


async def collect_once(
    sources: SourceSet,
    *,
    window_s: float,
    window: str,
    profile: str,
    clock: Clock,
    alertmanager_configured: bool,
    timeout_s: float | None = None,
) -> Snapshot:
    """Poll every source of one target concurrently, once: what `snapshot` prints."""
    m, c, a = await asyncio.gather(
        poll("prometheus", lambda: sources.metrics.fetch(window_s), None, clock, timeout_s),
        poll("kubernetes", sources.cluster.fetch, None, clock, timeout_s),
        poll("alertmanager", sources.alerts.fetch, None, clock, timeout_s),
    )
    latest = Latest(
        metrics=m.reading,
        cluster=c.reading,
        alerts=a.reading,
        metrics_status=m.status,
        cluster_status=c.status,
        alerts_status=a.status,
    )
    return assemble(
        latest,
        window=window,
        profile=profile,
        clock=clock,
        alertmanager_configured=alertmanager_configured,
        context=sources.context,
    )
