"""What each panel shows, computed from the model: cells and styled lines.

The widgets only render; this module decides the words, figures, colours and
symbols. It uses Rich for styled text but never Textual, so the same choices
can be unit-tested without a terminal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

from rich.text import Text

from console.model import (
    Alert,
    DeploymentState,
    HpaState,
    ModelFigures,
    ModelKey,
    PodState,
    SourceStatus,
    sort_pods,
)
from console.state.alert_counts import silenced_state
from console.state.rollout import rollout_state
from console.text.durations import format_age
from console.text.format import (
    ALERT_STATE_SYMBOL,
    UNKNOWN,
    Level,
    error_ratio_level,
    fmt_count,
    fmt_rate,
    fmt_ratio_pct,
    fmt_seconds,
    fmt_tokens_per_s,
    fmt_usd_per_h,
    latency_level,
    marked,
    model_level,
    worst,
)
from widgets.columns import Cell, Column, Styled
from widgets.spark import spark

SPARK_CELLS = 9
"""Points a sparkline cell shows: the last 90 s at one point every 10 s (state/trends.py)."""

LEVEL_STYLE: Mapping[Level, str] = {
    Level.OK: "green",
    Level.WARN: "yellow",
    Level.BAD: "bold red",
    Level.UNKNOWN: "dim",
}

SLOW_MS = 250.0
"""A source answering slower than this is flagged in the status line."""

MODEL_COLUMNS = (
    Column("provider", "Provider", max_width=20),
    Column("model", "Model", max_width=36),
    Column("rate", "req/s", 6),
    Column("errors", "err %", 8),
    Column("p95", "P95", 8),
    Column("rate_trend", "req trend", SPARK_CELLS),
    Column("p95_trend", "P95 trend", SPARK_CELLS),
    Column("ttft", "TTFT", 7),
    Column("tokens", "tok/s", 6),
    Column("cost", "$/h", max_width=14),  # fitted: `$2,632.41` was cut to `$2,632.…`
)
"""Most urgent first, so an 80-column terminal shows what matters before it scrolls; names
are capped (cut with "…", whole in the drill-down) so that a long one cannot push the figures
off-screen."""

POD_COLUMNS = (
    Column("name", "Pod", max_width=63),
    # Short of room, `◌ ContainerCreating` gives up cells before the nodes are cut.
    Column("status", "Status", max_width=32, min_width=10),
    Column("restarts", "Rst", 3),
    Column("age", "Age", 4),
    Column("node", "Node", max_width=40),
)

ALERT_COLUMNS = (
    Column("state", "State", max_width=20),  # `◌ silenced 42m left` whole at 80 columns
    Column("name", "Alert", max_width=48),
    Column("severity", "Sev", 8),
    Column("since", "For", 5),
    Column("summary", "Summary", max_width=100),
)


def model_row_key(key: ModelKey) -> str:
    return f"{key[0]}/{key[1]}"


def styled(text: str, level: Level) -> Styled:
    return Styled(marked(text, level), LEVEL_STYLE[level])


def name_cell(name: str, level: Level) -> Cell:
    """A row's name, coloured only when the row is worth a look."""
    return Styled(name, LEVEL_STYLE[level]) if level in (Level.WARN, Level.BAD) else name


@lru_cache(maxsize=4096)
def trend_cell(points: tuple[float | None, ...], style: str) -> Styled:
    """A sparkline cell. Its points change every 10 s while a row's figures change every
    refresh, so most rebuilt rows find theirs here."""
    return Styled(spark(points, SPARK_CELLS), style)


def model_cells(
    m: ModelFigures, rate_trend: Sequence[float | None], p95_trend: Sequence[float | None]
) -> tuple[Cell, ...]:
    errors, latency = error_ratio_level(m.error_ratio), latency_level(m.p95_latency_s)
    return (
        m.provider,
        name_cell(m.model, worst(errors, latency)),
        fmt_rate(m.request_rate, unit=False),
        styled(fmt_ratio_pct(m.error_ratio), errors),
        styled(fmt_seconds(m.p95_latency_s), latency),
        trend_cell(tuple(rate_trend), "cyan"),
        trend_cell(tuple(p95_trend), "magenta"),
        fmt_seconds(m.ttft_p95_s),
        fmt_tokens_per_s(m.output_tokens_per_s, unit=False),
        fmt_usd_per_h(m.cost_per_hour_usd),
    )


_LEVEL_RANK = {Level.BAD: 0, Level.WARN: 1, Level.OK: 2, Level.UNKNOWN: 3}


def models_in_triage_order(models: Sequence[ModelFigures]) -> list[ModelFigures]:
    """Red rows first, then yellow, then by provider and model: the eye lands on trouble."""
    return sorted(
        models,
        key=lambda m: (_LEVEL_RANK[model_level(m.error_ratio, m.p95_latency_s)], m.key),
    )


def pods_in_triage_order(pods: Sequence[PodState]) -> list[PodState]:
    """Pods that are not ready or keep restarting first, then by name, like a triage list."""
    return list(sort_pods(pods))


def pod_row_key(pod: PodState) -> str:
    return pod.uid or pod.name


def pod_cells(pod: PodState) -> tuple[Cell, ...]:
    status = pod.reason or (pod.phase if pod.ready or pod.phase != "Running" else "NotReady")
    if pod.reason in ("CrashLoopBackOff", "Error", "OOMKilled", "ImagePullBackOff",
                      "ErrImagePull", "CreateContainerConfigError"):
        status_cell = Styled(f"✗ {status}", "bold red")
    elif pod.reason == "Terminating" or pod.phase == "Pending":
        status_cell = Styled(f"◌ {status}", "yellow")
    elif pod.phase == "Running" and pod.ready:
        status_cell = Styled(f"✓ {status}", "green")
    else:
        status_cell = Styled(f"▲ {status}", "yellow")
    restarts = Styled(str(pod.restarts), "bold red" if pod.restarts >= 3 else "")
    return (
        pod.name,
        status_cell,
        restarts,
        format_age(pod.age_s),
        # No node yet: not scheduled (Pending), never an empty cell.
        pod.node or (Styled("pending", "dim") if pod.phase == "Pending" else UNKNOWN),
    )


def deployment_title(dep: DeploymentState | None) -> Text:
    """The Deployment in one short line: it heads the pods panel."""
    if dep is None:
        return Text("Pods")
    healthy = dep.ready_replicas >= dep.replicas and dep.available_replicas >= dep.replicas
    text = Text()
    text.append(f"{dep.name} ", style="bold")
    text.append(
        f"ready {dep.ready_replicas}/{dep.replicas}",
        style="green" if healthy else "bold red" if dep.ready_replicas == 0 else "yellow",
    )
    if dep.motion == "scaling":  # `updated 14` of 10 during a scale read as a rollout
        text.append(f" · scaling {dep.status_replicas}→{dep.replicas}")
    else:
        text.append(f" · updated {dep.updated_replicas}")
    text.append(f" · available {dep.available_replicas}")
    return text


def rollout_note(dep: DeploymentState | None, pods: int, error: str | None) -> Text:
    """Under the pods: the source's error, a rollout in progress or stalled, or the count."""
    if error:
        return Text(f"✗ {error}", style="bold red")
    state = rollout_state(dep) if dep is not None else None
    if state is not None:
        # The same stages as `kubectl rollout status`, but a scale is not a rollout.
        mark, words = state
        return Text(f"{mark} {words}", style="bold red" if mark == "✗" else "yellow")
    return Text(fmt_count(pods, "pod"))


def hpa_text(hpa: HpaState | None, error: str | None = None, compact: bool = False) -> Text:
    """The HPA at a glance; `compact` fits two lines for small terminals."""
    if hpa is None:
        return Text(f"HPA: {error or 'no data yet'}", style="dim")
    if compact:
        return _hpa_compact(hpa)
    text = Text()
    text.append(f"HPA {hpa.name} ", style="bold")
    text.append(f"{hpa.current_replicas}→{hpa.desired_replicas} ")
    text.append(f"(min {hpa.min_replicas}, max {hpa.max_replicas})")
    if hpa.pinned_at_max:
        text.append("\n")
        text.append("✗ PINNED AT MAX: load exceeds what the HPA may add", style="bold red")
    for metric in hpa.metrics:
        cur = UNKNOWN if metric.current is None else f"{metric.current:.0f}%"
        tgt = UNKNOWN if metric.target is None else f"{metric.target:.0f}%"
        over = (
            metric.current is not None
            and metric.target is not None
            and metric.current > metric.target
        )
        text.append("\n  ")
        text.append(f"{metric.name:<8} {cur:>5} / {tgt}", style="yellow" if over else "")
        if over:
            text.append(" ▲", style="yellow")
    for cond in hpa.conditions:
        bad = (cond.type == "ScalingLimited" and cond.status == "True") or (
            cond.type in ("AbleToScale", "ScalingActive") and cond.status == "False"
        )
        text.append("\n  ")
        text.append(
            f"{'✗' if bad else '·'} {cond.type}={cond.status} {cond.reason or ''}",
            style="bold red" if bad else "dim",
        )
    return text


def _hpa_compact(hpa: HpaState) -> Text:
    text = Text()
    text.append("HPA ", style="bold")
    text.append(f"{hpa.current_replicas}→{hpa.desired_replicas} ")
    text.append(f"({hpa.min_replicas}..{hpa.max_replicas})")
    if hpa.pinned_at_max:
        text.append(" ✗ PINNED AT MAX", style="bold red reverse")
    text.append("\n")
    parts = []
    for metric in hpa.metrics:
        cur = UNKNOWN if metric.current is None else f"{metric.current:.0f}"
        tgt = UNKNOWN if metric.target is None else f"{metric.target:.0f}%"
        parts.append(f"{metric.name} {cur}/{tgt}")
    text.append("  ".join(parts))
    for cond in hpa.conditions:
        if cond.type == "ScalingLimited" and cond.status == "True":
            text.append(f"  ✗ {cond.reason}", style="bold red")
        elif cond.type in ("AbleToScale", "ScalingActive") and cond.status == "False":
            text.append(f"  ✗ {cond.type}: {cond.reason}", style="bold red")
    return text


def alert_row_key(alert: Alert) -> str:
    return alert.key


def alert_cells(alert: Alert, now: float) -> tuple[Cell, ...]:
    symbol = ALERT_STATE_SYMBOL.get(alert.state, "·")
    if alert.silenced:
        state = Styled(silenced_state(alert, now), "dim")
    elif alert.state == "firing":
        state = Styled(f"{symbol} firing", "bold red" if alert.severity == "critical" else "red")
    else:
        state = Styled(f"{symbol} {alert.state}", "yellow")
    name = Text(alert.name, style="bold" if alert.state == "firing" else "")
    subject = alert_subject(alert)
    if subject:
        name.append(f" {subject}", style="dim")
    return (
        state,
        name,
        alert.severity or UNKNOWN,
        format_age(_age_since(alert.since, now)),
        alert.summary or "",
    )


SUBJECT_LABELS = ("model", "provider", "pod", "instance")
"""The label that tells one alert of a rule from another, most specific first."""


def alert_subject(alert: Alert) -> str | None:
    """What the alert is about (a model, a pod): two HighLatency rows must not look the same."""
    return next((alert.labels[k] for k in SUBJECT_LABELS if alert.labels.get(k)), None)


def _age_since(since: str | None, now: float) -> float | None:
    if not since:
        return None
    from datetime import datetime

    try:
        ts = datetime.fromisoformat(since.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
    return now - ts


def source_status_text(name: str, status: SourceStatus | None, now: float) -> Text:
    """One source's health in a few words: what the on-call needs to trust the numbers."""
    text = Text()
    if status is None:
        text.append(f"… {name}", style="dim")
        text.append(" connecting", style="dim")
        return text
    if not status.configured:
        text.append(f"· {name}", style="dim")
        text.append(" not configured", style="dim")
        return text
    age = status.age_s(now)
    if status.ok:
        text.append(f"✓ {name}", style="green")
        # Only a slow answer is worth the room (and keeps the line steady between refreshes).
        if status.latency_ms is not None and status.latency_ms >= SLOW_MS:
            text.append(f" slow {status.latency_ms:.0f}ms", style="yellow")
        return text
    text.append(f"✗ {name}", style="bold red")
    text.append(f" {status.error}")
    text.append(
        " (no good data yet)" if age is None else f" (data {format_age(age)} old)",
        style="yellow",
    )
    return text
