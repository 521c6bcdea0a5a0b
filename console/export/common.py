"""Wording shared by the text and Markdown exporters, so both tell the same story."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime

from console.model import (
    Alert,
    DeploymentState,
    HpaMetric,
    ModelFigures,
    Snapshot,
    SourceStatus,
)
from console.state.alert_counts import silence_left
from console.state.rollout import rollout_state
from console.text.durations import format_age
from console.text.format import UNKNOWN, fmt_number

SOURCE_OK = "✓"
SOURCE_FAILED = "✗"
SOURCE_OFF = "○"


def or_unknown(value: object) -> str:
    """A missing text field reads as the same dash as a missing figure."""
    if value is None or value == "":
        return UNKNOWN
    return str(value)


def namespace_of(snapshot: Snapshot) -> str | None:
    """The watched namespace, as far as the snapshot knows it (from the Deployment)."""
    return snapshot.deployment.namespace if snapshot.deployment else None


def problem(snapshot: Snapshot, source: str) -> str | None:
    """Why a source's parts are missing, or None when they are real (even if empty).

    An empty pods list from a healthy Kubernetes means "no pods"; from a failed
    one it means "unknown". The exporters must not confuse the two.
    """
    status = snapshot.sources.get(source)
    if status is None:
        return f"{source}: no data"
    if status.ok or not status.configured:
        return None
    return f"{source} failed: {status.error or 'unknown error'}"


def data_age(status: SourceStatus, now: float) -> str | None:
    """`data 42 s old` when the source failed after having delivered data once."""
    if status.ok:
        return None
    age = status.age_s(now)
    if age is None:
        return "no data yet"
    return f"data {age:.0f} s old"


def source_symbol(status: SourceStatus) -> str:
    if status.ok:
        return SOURCE_OK
    return SOURCE_FAILED if status.configured else SOURCE_OFF


def source_summary(status: SourceStatus, now: float) -> str:
    """One source's health in words: `ok (12 ms)`, `connection refused; data 42 s old`."""
    if status.ok:
        latency = f" ({status.latency_ms:.0f} ms)" if _finite(status.latency_ms) else ""
        return "ok" + latency
    if not status.configured:
        return status.error or "not configured"
    parts = [status.error or "failed"]
    age = data_age(status, now)
    if age:
        parts.append(age)
    return "; ".join(parts)


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def since_text(since: str | None, now: float, *, short: bool = False) -> str:
    """An alert's start with its age: `2026-11-26T09:58:00Z (2m ago)`.

    `short` drops the date when the start is less than a day old (`09:58:00Z (2m ago)`),
    which keeps the text export's alert table narrow enough for a chat window.
    """
    if not since:
        return UNKNOWN
    try:
        started = datetime.fromisoformat(since.replace("Z", "+00:00"))
    except ValueError:
        return since
    if started.tzinfo is None:
        started = started.replace(tzinfo=UTC)
    age = now - started.timestamp()
    shown = since
    if short and 0 <= age < 86400:
        shown = started.astimezone(UTC).strftime("%H:%M:%SZ")
    return f"{shown} ({format_age(age)} ago)"


def alert_state_text(alert: Alert, now: float) -> str:
    """`firing (silenced 42m left)`: the state column's words, as the screen says them."""
    if not alert.silenced:
        return alert.state
    left = silence_left(alert, now)
    return f"{alert.state} (silenced {left})" if left else f"{alert.state} (silenced)"


def deployment_summary(dep: DeploymentState) -> str:
    """`ready 3/3, updated 3, available 3, restartedAt not set` plus, as on screen, what the
    Deployment is doing (console/state/rollout.py)."""
    text = (
        f"ready {dep.ready_replicas}/{dep.replicas}, updated {dep.updated_replicas}, "
        f"available {dep.available_replicas}, restartedAt {dep.restarted_at or 'not set'}"
    )
    state = rollout_state(dep)
    if state is None:
        return f"{SOURCE_OK} {text}"
    mark, words = state
    return f"{SOURCE_FAILED if mark == '✗' else '▲'} {text}; {words}"


def hpa_metric_text(metric: HpaMetric) -> str:
    """`cpu 45/70 %`: current against target utilisation."""
    return f"{metric.name} {fmt_number(metric.current)}/{fmt_number(metric.target)} %"


def top_models(
    models: tuple[ModelFigures, ...],
    figure: Callable[[ModelFigures], float | None],
    count: int = 3,
) -> list[ModelFigures]:
    """The `count` models with the highest known figure, worst first; unknowns left out."""
    known = [m for m in models if _finite(figure(m))]
    return sorted(known, key=lambda m: (-(figure(m) or 0.0), m.provider, m.model))[:count]
