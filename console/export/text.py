"""`snapshot --format text`: a compact picture to paste into a chat during an incident.

Rendered by Rich for aligned tables, but without colour: chat clients show
escape codes as garbage, so every state is carried by a symbol (✓ ✗ ▲ ●) that
survives copy and paste. Data strings are wrapped in `Text`, never parsed as
markup, so an alert summary containing `[bold]` prints as written, and arrive
cleaned of terminal controls (console/text/safe_text.py).
"""

from __future__ import annotations

from io import StringIO

from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from console.analysis import Analysis, analyze
from console.export import likely_cause
from console.export.common import (
    alert_state_text,
    deployment_summary,
    hpa_metric_text,
    namespace_of,
    or_unknown,
    problem,
    since_text,
    source_summary,
    source_symbol,
)
from console.model import Snapshot, sort_alerts
from console.text.durations import format_age, utc_stamp
from console.text.format import (
    ALERT_STATE_SYMBOL,
    LEVEL_SYMBOL,
    Level,
    error_ratio_level,
    fmt_rate,
    fmt_ratio_pct,
    fmt_seconds,
    fmt_tokens_per_s,
    fmt_usd_per_h,
    latency_level,
    marked,
    model_level,
)
from console.text.safe_text import clean_text

FULL_MODELS_WIDTH = 90
"""Below this width the optional figures (TTFT, tok/s, $/h) are left out of the models
table, so that provider, model and the alerting figures stay readable in a narrow chat."""


def snapshot_text(snapshot: Snapshot, now: float, width: int = 100,
                  analysis: Analysis | None = None) -> str:
    """The snapshot as plain monospace text at most `width` columns wide.

    `now` (seconds since the epoch) dates the "data N s old" and alert ages,
    so the same snapshot renders the same in tests.
    """
    out = StringIO()
    console = Console(
        file=out,
        width=width,
        color_system=None,
        force_terminal=False,
        force_jupyter=False,
        force_interactive=False,
        legacy_windows=False,
        markup=False,
        emoji=False,
        highlight=False,
        soft_wrap=False,
    )
    for block in _blocks(snapshot, now, width, analysis or analyze(snapshot)):
        console.print(block)
    # Tables pad their cells; trailing blanks only get in the way of a chat paste. The
    # fields are clean already; this is the format's own guard, as JSON's escapes are.
    lines = [line.rstrip() for line in clean_text(out.getvalue(), limit=10**9).split("\n")]
    return "\n".join(lines).rstrip("\n") + "\n"


def _blocks(snapshot: Snapshot, now: float, width: int, analysis: Analysis
            ) -> list[RenderableType]:
    blocks: list[RenderableType] = [_header(snapshot)]
    blocks.extend(_source_lines(snapshot, now))
    blocks.append(_likely_cause(analysis))
    blocks.append(_models(snapshot, full=width >= FULL_MODELS_WIDTH))
    blocks.append(_deployment(snapshot))
    blocks.append(_pods(snapshot))
    blocks.append(_hpa(snapshot))
    blocks.append(_alerts(snapshot, now))
    return blocks


def _likely_cause(analysis: Analysis) -> Table:
    """The findings under a heading, indented, so a wrapped finding stays in its block."""
    grid = Table.grid(padding=(0, 0, 0, 2), pad_edge=True)
    grid.title, grid.title_justify = "likely cause", "left"
    grid.add_column(overflow="fold")
    for line in likely_cause.lines(analysis):
        grid.add_row(Text(line))
    return grid


def _table(title: str, *columns: str, right: tuple[str, ...] = ()) -> Table:
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1),
    )
    for column in columns:
        if column in right or column == " ":
            # Figures and symbols never break: "1.0 %" split over two lines misleads.
            table.add_column(column, justify="right" if column in right else "left", no_wrap=True)
        else:
            # Names fold rather than end in "…": a pod name must survive copy and paste.
            table.add_column(column, overflow="fold", min_width=min(8, max(4, len(column))))
    return table


def _header(snapshot: Snapshot) -> Text:
    parts = [utc_stamp(snapshot.generated_at), f"context {or_unknown(snapshot.context)}"]
    namespace = namespace_of(snapshot)
    if namespace:
        parts.append(f"namespace {namespace}")
    parts += [f"window {snapshot.window}", f"profile {snapshot.profile}"]
    return Text(" · ".join(parts))


def _source_lines(snapshot: Snapshot, now: float) -> list[Text]:
    return [
        Text(f"{source_symbol(status)} {name}: {source_summary(status, now)}")
        for name, status in snapshot.sources.items()
    ]


def _models(snapshot: Snapshot, full: bool) -> RenderableType:
    missing = problem(snapshot, "prometheus")
    if missing:
        return Text(f"models: unknown ({missing})")
    if not snapshot.models:
        return Text("models: no traffic in the window")
    figures = ("req/s", "err %", "P95", *(("TTFT", "tok/s", "$/h") if full else ()))
    table = _table("models", " ", "provider", "model", *figures, right=figures)
    for m in snapshot.models:
        level = model_level(m.error_ratio, m.p95_latency_s)
        cells = [
            LEVEL_SYMBOL[level] if level is not Level.UNKNOWN else " ",
            m.provider,
            m.model,
            fmt_rate(m.request_rate, unit=False),
            marked(fmt_ratio_pct(m.error_ratio), error_ratio_level(m.error_ratio)),
            marked(fmt_seconds(m.p95_latency_s), latency_level(m.p95_latency_s)),
        ]
        if full:
            cells += [
                fmt_seconds(m.ttft_p95_s),
                fmt_tokens_per_s(m.output_tokens_per_s, unit=False),
                fmt_usd_per_h(m.cost_per_hour_usd),
            ]
        table.add_row(*(Text(c) for c in cells))
    return table


def _deployment(snapshot: Snapshot) -> Text:
    missing = problem(snapshot, "kubernetes")
    if missing:
        return Text(f"deployment: unknown ({missing})")
    dep = snapshot.deployment
    if dep is None:
        return Text("deployment: not found")
    # The namespace is in the header: one line of 100 columns must hold the whole state.
    return Text(f"deployment {dep.name}: {deployment_summary(dep)}")


def _pods(snapshot: Snapshot) -> RenderableType:
    missing = problem(snapshot, "kubernetes")
    if missing:
        return Text(f"pods: unknown ({missing})")
    if not snapshot.pods:
        return Text("pods: none")
    table = _table(
        "pods", "name", "phase", "ready", "restarts", "age", "reason",
        right=("restarts", "age"),
    )
    for pod in snapshot.pods:
        table.add_row(
            Text(pod.name),
            Text(pod.phase),
            Text("✓" if pod.ready else "✗"),
            Text(str(pod.restarts)),
            Text(format_age(pod.age_s)),
            Text(or_unknown(pod.reason)),
        )
    return table


def _hpa(snapshot: Snapshot) -> Text:
    missing = problem(snapshot, "kubernetes")
    if missing:
        return Text(f"hpa: unknown ({missing})")
    hpa = snapshot.hpa
    if hpa is None:
        return Text("hpa: not found")
    replicas = (
        f"hpa {hpa.name}: current/desired {hpa.current_replicas}/{hpa.desired_replicas}, "
        f"min/max {hpa.min_replicas}/{hpa.max_replicas}"
    )
    if hpa.pinned_at_max:
        # Right after the replica counts, so that it survives a wrapped line.
        replicas += " ▲ PINNED AT MAX"
    return Text(" · ".join([replicas, *(hpa_metric_text(m) for m in hpa.metrics)]))


def _alerts(snapshot: Snapshot, now: float) -> RenderableType:
    missing = problem(snapshot, "alertmanager")
    if missing and not snapshot.alerts:
        return Text(f"alerts: unknown ({missing})")
    if not snapshot.alerts:
        return Text("alerts: none")
    title = f"alerts {snapshot.alerts_note}" if snapshot.alerts_note else "alerts"
    table = _table(title, " ", "alert", "state", "severity", "since", "summary")
    for alert in sort_alerts(snapshot.alerts):
        state = alert_state_text(alert, now)
        table.add_row(
            Text(ALERT_STATE_SYMBOL.get(alert.state, "?")),
            Text(alert.name),
            Text(state),
            Text(or_unknown(alert.severity)),
            Text(since_text(alert.since, now, short=True)),
            Text(or_unknown(alert.summary)),
        )
    return table
