"""The model drill-down: one model's trends, errors with their triage hints, alerts, targets.

Opened with `enter` on a model. The figures of the window are the ones the
overview already has; the trends (one range query per figure, this model
only) and the gateway's ConfigMap (whose live settings the hints quote) are
read in a worker when the screen opens and again every `RELOAD_S`, so the
screen appears at once and a slow or failing source only leaves "—" and one
line saying why.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Grid, VerticalScroll
from textual.widgets import Static

from console.analysis import Finding
from console.hints import (
    Hint,
    HintBook,
    HintsError,
    hint_values,
    hints_for,
    load_hints,
    parse_config,
)
from console.model import (
    Alert,
    ModelFigures,
    ModelHistory,
    ModelKey,
    PodState,
    ScrapeTarget,
    Snapshot,
)
from console.screens.details import DetailScreen
from console.sources.base import ClusterSource, MetricsSource
from console.text.durations import format_duration
from console.text.format import (
    ALERT_STATE_SYMBOL,
    fmt_rate,
    fmt_ratio_pct,
    fmt_seconds,
    fmt_tokens_per_s,
    fmt_usd_per_h,
)
from console.text.safe_text import one_line
from widgets.line_chart import LineChart

RELOAD_S = 15.0
MIN_SPAN_S = 900.0
CHART_POINTS = 120

CHARTS: tuple[tuple[str, str, Callable[[float], str]], ...] = (
    ("request_rate", "requests", fmt_rate),
    ("error_ratio", "error ratio", fmt_ratio_pct),
    ("p50_latency_s", "P50", fmt_seconds),
    ("p95_latency_s", "P95", fmt_seconds),
    ("p99_latency_s", "P99", fmt_seconds),
    ("ttft_p95_s", "TTFT P95", fmt_seconds),
)


@dataclass(frozen=True, slots=True)
class ModelContext:
    """What the overview knows now about the model and its surroundings."""

    model: ModelFigures
    alerts: tuple[Alert, ...] = ()
    targets: tuple[ScrapeTarget, ...] = ()
    pods: tuple[PodState, ...] | None = None
    findings: tuple[Finding, ...] = ()
    """The likely causes now: their hints come first where they concern the model."""


def concerned_alerts(alerts: tuple[Alert, ...], model: str) -> tuple[Alert, ...]:
    """Alerts about this model, and gateway-wide ones (no model label) that cover it too."""
    return tuple(a for a in alerts if a.labels.get("model") in (None, model))


def _or_note(m: ModelFigures, figure: str, value: float | None, shown: str) -> str:
    """The figure, or `— (not recorded by Kong)` when the gateway cannot give it at all."""
    note = m.not_recorded.get(figure)
    return f"{shown} ({note})" if value is None and note else shown


def figures_text(m: ModelFigures, window: str) -> Text:
    text = Text()
    rows = (
        ("request rate", fmt_rate(m.request_rate)),
        ("error ratio", _or_note(m, "error_ratio", m.error_ratio, fmt_ratio_pct(m.error_ratio))),
        ("P50 / P95 / P99", " / ".join(fmt_seconds(v) for v in
                                       (m.p50_latency_s, m.p95_latency_s, m.p99_latency_s))),
        ("TTFT P95", _or_note(m, "ttft", m.ttft_p95_s, fmt_seconds(m.ttft_p95_s))),
        ("tokens in / out", f"{fmt_tokens_per_s(m.input_tokens_per_s)} / "
                            f"{fmt_tokens_per_s(m.output_tokens_per_s)}"),
        ("cost", _or_note(m, "cost", m.cost_per_hour_usd,
                          fmt_usd_per_h(m.cost_per_hour_usd, unit=True))),
    )
    text.append(f"over the last {window}\n", style="dim")
    for name, value in rows:
        text.append(f"{name:>16}  ", style="bold")
        text.append(value + "\n")
    return text


def _breakdown(title: str, values: Mapping[str, float], total: float,
               not_recorded: str | None = None) -> Text:
    text = Text()
    text.append(f"{title}\n", style="bold")
    if not_recorded and not values:
        text.append(f"  {not_recorded}\n", style="dim")
        return text
    if not values:
        text.append("  none in the window\n", style="dim")
        return text
    for name, rate in sorted(values.items(), key=lambda kv: (-kv[1], kv[0])):
        share = f"{rate / total * 100:5.1f} %" if total > 0 else "    —"
        text.append(f"  {name:<24} {rate:9.3f}/s  {share}\n")
    return text


def errors_text(m: ModelFigures) -> Text:
    """Errors per second by HTTP code and by type, with each one's share of all errors."""
    text = _breakdown("errors by HTTP code", m.errors_by_code,
                      math.fsum(m.errors_by_code.values()), m.not_recorded.get("errors_by_code"))
    text.append_text(_breakdown("errors by type", m.errors_by_type,
                                math.fsum(m.errors_by_type.values()),
                                m.not_recorded.get("errors_by_type")))
    return text


def hints_text(hints: tuple[Hint, ...], problem: str | None = None) -> Text:
    text = Text()
    text.append("triage\n", style="bold")
    if problem:
        text.append(f"  ✗ {problem}\n", style="red")
    if not hints:
        text.append("  no errors to explain in the window\n", style="dim")
    for hint in hints:
        rate = "" if hint.rate is None else f"  ({hint.rate:.3f}/s)"
        text.append(f"\n▶ {hint.title}{rate}\n", style="bold yellow")
        text.append(f"  {hint.cause}\n")
        for line in hint.live:
            text.append("  now: ", style="bold")
            text.append(line + "\n", style="cyan")
        if hint.note:
            text.append(f"  live settings unavailable: {hint.note}\n", style="dim")
        for i, step in enumerate(hint.steps, 1):
            text.append(f"  {i}. {step}\n")
    return text


def alerts_text(alerts: tuple[Alert, ...]) -> Text:
    text = Text()
    text.append("alerts\n", style="bold")
    if not alerts:
        text.append("  none concern this model\n", style="dim")
    for a in alerts:
        scope = f"model={a.labels['model']}" if "model" in a.labels else "gateway-wide"
        silenced = " (silenced)" if a.silenced else ""
        text.append(f"  {ALERT_STATE_SYMBOL.get(a.state, '?')} {a.name} {a.state}{silenced}",
                    style="bold red" if a.state == "firing" and not a.silenced else "")
        text.append(f"  [{scope}] {a.summary or ''}\n")
    return text


def targets_text(targets: tuple[ScrapeTarget, ...]) -> Text:
    text = Text()
    text.append("scrape targets of the gateway\n", style="bold")
    if not targets:
        text.append("  none known\n", style="dim")
    for t in targets:
        text.append(f"  {'✓ up  ' if t.up else '✗ down'}  {t.instance}\n",
                    style="" if t.up else "red")
    return text


class ModelDetailScreen(DetailScreen):
    """One model, in depth. Escape closes it."""

    def __init__(
        self,
        context: ModelContext,
        metrics: MetricsSource,
        cluster: ClusterSource,
        *,
        namespace: str,
        deployment: str,
        window_s: float,
        latest: Callable[[], ModelContext | None] | None = None,
        hints: HintBook | None = None,
    ) -> None:
        m = context.model
        super().__init__(f"{m.provider} / {m.model}")
        self.context = context
        self.metrics = metrics
        self.cluster = cluster
        self.namespace = namespace
        self.deployment = deployment
        self.window_s = window_s
        self.span_s = max(MIN_SPAN_S, 3 * window_s)
        self.latest = latest
        self.book = hints
        self.history: ModelHistory | None = None
        self.history_error: str | None = None
        self.config: Mapping[str, Any] | None = None
        self.config_error: str | None = None
        self.hints: tuple[Hint, ...] = ()
        self.loads = 0

    def compose(self) -> ComposeResult:
        window = format_duration(self.window_s)
        with VerticalScroll(id="detail-body"):
            yield Static(self.title_text, id="detail-title", markup=False)
            yield Static(figures_text(self.context.model, window), id="model-figures")
            yield Static(
                f"last {format_duration(self.span_s)}, each point over a {window} window",
                id="model-span",
            )
            with Grid(id="model-charts"):
                for figure, title, fmt in CHARTS:
                    yield LineChart(title, fmt, id=f"chart-{figure}")
            yield Static(errors_text(self.context.model), id="model-errors")
            yield Static(Text("triage: loading…", style="dim"), id="model-hints")
            yield Static(alerts_text(concerned_alerts(self.context.alerts,
                                                      self.context.model.model)),
                         id="model-alerts")
            yield Static(targets_text(self.context.targets), id="model-targets")
            yield Static("", id="model-status")

    def on_mount(self) -> None:
        self._load()
        self.set_interval(RELOAD_S, self._load)

    def chart(self, figure: str) -> LineChart:
        return self.query_one(f"#chart-{figure}", LineChart)

    # ------------------------------------------------------------------ loading
    @work(group="model-detail", exclusive=True)
    async def _load(self) -> None:
        if self.latest is not None:
            fresh = self.latest()
            if fresh is not None:
                self.context = fresh
        history, config = await asyncio.gather(self._history(), self._config())
        self.history = history
        self.config = config
        self.loads += 1
        self._show_data()

    async def _history(self) -> ModelHistory | None:
        step = self.span_s / CHART_POINTS
        try:
            history = await self.metrics.model_history(
                self.context.model.key, self.window_s, self.span_s, step
            )
        except Exception as exc:  # a failing source shows as a line, never a crash
            self.history_error = _one_line(exc)
            return None
        self.history_error = None
        return history

    async def _config(self) -> Mapping[str, Any] | None:
        if self.book is None:
            try:
                self.book = load_hints()
            except HintsError as exc:
                self.config_error = str(exc)
                return None
        try:
            data = await self.cluster.config_map(self.book.config_map)
            config = parse_config(data, self.book.config_key)
        except Exception as exc:
            self.config_error = _one_line(exc)
            return None
        self.config_error = None
        return config

    # ---------------------------------------------------------------- rendering
    def _show_data(self) -> None:
        ctx = self.context
        m = ctx.model
        window = format_duration(self.window_s)
        self.query_one("#model-figures", Static).update(figures_text(m, window))
        self.query_one("#model-errors", Static).update(errors_text(m))
        self.query_one("#model-alerts", Static).update(
            alerts_text(concerned_alerts(ctx.alerts, m.model)))
        self.query_one("#model-targets", Static).update(targets_text(ctx.targets))
        for figure, _, _ in CHARTS:
            chart = self.chart(figure)
            if self.history is None:
                chart.show_message(f"— {self.history_error or 'no data'}")
            elif figure in self.history.series:
                chart.show(self.history.series[figure])
            else:
                chart.show_message("— " + self.history.missing.get(figure, "not exported"))
        problem = None
        if self.book is None:
            problem = self.config_error
        else:
            values = hint_values(self.book, namespace=self.namespace,
                                 deployment=self.deployment, model=m, config=self.config,
                                 pods=ctx.pods)
            self.hints = hints_for(self.book, m, values, self.config_error, ctx.findings)
        self.query_one("#model-hints", Static).update(hints_text(self.hints, problem))
        status = Text()
        if self.history_error:
            status.append(f"✗ trends: {self.history_error}\n", style="red")
        if self.config_error:
            status.append(f"✗ ConfigMap: {self.config_error}\n", style="red")
        self.query_one("#model-status", Static).update(status)


def _one_line(exc: BaseException) -> str:
    return one_line(str(exc), 200) or type(exc).__name__  # it may quote a server


def model_context(snapshot: Snapshot, key: ModelKey, findings: tuple[Finding, ...] = ()
                  ) -> ModelContext | None:
    """The model's context from the overview's snapshot; pods only when the cluster answered."""
    model = next((m for m in snapshot.models if m.key == key), None)
    if model is None:
        return None
    cluster = snapshot.sources.get("kubernetes")
    pods = snapshot.pods if cluster is not None and cluster.ok else None
    return ModelContext(model, snapshot.alerts, snapshot.targets, pods, findings)
