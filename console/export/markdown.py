"""The incident note (`x` in the console, `snapshot --format markdown`) for a ticket.

Ordered as a reader of the ticket asks: what fires, which models suffer, what
the workload does, what changed, whether the data can be trusted, and what the
on-call engineer already did from the console (from the audit log).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

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
    top_models,
)
from console.model import ModelFigures, Snapshot, sort_alerts
from console.text.durations import format_age, utc_stamp
from console.text.format import (
    ALERT_STATE_SYMBOL,
    Level,
    error_ratio_level,
    fmt_rate,
    fmt_ratio_pct,
    fmt_seconds,
    latency_level,
    marked,
)
from console.text.safe_text import NOTE_LIMIT, clean_line

AUDIT_KEYS = ("time", "user", "context", "namespace", "action", "target", "result")
WORST_COUNT = 3


def snapshot_markdown(
    snapshot: Snapshot, now: float, audit_lines: Sequence[Mapping[str, Any]] = (),
    analysis: Analysis | None = None,
) -> str:
    """The snapshot as a Markdown incident note; `audit_lines` are audit-log records."""
    sections = [
        _title(snapshot),
        _likely_cause(snapshot, analysis or analyze(snapshot)),
        _what_fires(snapshot, now),
        _worst_models(snapshot),
        _workload(snapshot),
        _events(snapshot),
        _sources(snapshot, now),
        _actions(audit_lines),
    ]
    return "\n\n".join(s.rstrip("\n") for s in sections) + "\n"


_INLINE = re.compile(r"([\\`*_\[\]<>|~&!$@])")
"""What Markdown reads as syntax inside a line: emphasis, code, links, HTML, entities,
tables, strikethrough, maths, e-mail autolinks. Each is backslash-escaped."""
_LEADING = re.compile(r"^(?=[#>+=-])")
"""What Markdown reads as a block (heading, quote, list) at the start of a line."""
_AUTOLINK = re.compile(r"(?i)(?<=www)\.|(?=://)")
"""Where GFM would make a bare URL (`https://…`, `www.…`) a link."""


def cell(value: object) -> str:
    """Data as Markdown that renders exactly as written, on one line (a table cell, a list
    item): cleaned (console/text/safe_text.py), whitespace runs as one space, syntax escaped."""
    text = clean_line(" ".join(or_unknown(value).split()), NOTE_LIMIT)
    text = _AUTOLINK.sub(lambda m: "\\" + m.group(), _INLINE.sub(r"\\\1", text))
    return _LEADING.sub("\\\\", text)


def code(value: object) -> str:
    """Data as a code span: fenced by more backticks than it holds, so none can close it."""
    text = clean_line(" ".join(or_unknown(value).split()), NOTE_LIMIT)
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text[:1] == "`" or text[-1:] == "`" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _title(snapshot: Snapshot) -> str:
    moment = snapshot.generated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    dep = snapshot.deployment
    return "\n".join(
        [
            f"# AI gateway incident snapshot — {moment}",
            "",
            f"- **Context:** {cell(snapshot.context)}",
            f"- **Namespace:** {cell(namespace_of(snapshot))}",
            f"- **Deployment:** {cell(dep.name if dep else None)}",
            f"- **Window:** {cell(snapshot.window)} · **Profile:** {cell(snapshot.profile)}",
            f"- **Generated at:** {utc_stamp(snapshot.generated_at)}",
        ]
    )


def _likely_cause(snapshot: Snapshot, analysis: Analysis) -> str:
    """Each finding a list item; the crashed container's words in a code span under it,
    then the steps of its hint (console/hints.toml), for whoever picks the incident up."""
    out = []
    for line, quote in likely_cause.items(analysis):
        out.append(f"- {cell(line)}")
        if quote:
            out.append(f"  - log: {cell(quote)}")
    for hint in likely_cause.hints(snapshot, analysis):
        out.append(f"\n**{cell(hint.title)}**\n")
        out += [f"{i}. {cell(step)}" for i, step in enumerate(hint.steps, 1)]
    return "## Likely cause\n\n" + "\n".join(out)


def _what_fires(snapshot: Snapshot, now: float) -> str:
    head = "## What fires"
    missing = problem(snapshot, "alertmanager")
    if not snapshot.alerts:
        return f"{head}\n\n" + (f"Unknown: {cell(missing)}." if missing else "No alerts.")
    rows = [
        (
            f"{ALERT_STATE_SYMBOL.get(a.state, '?')} {alert_state_text(a, now)}",
            a.name,
            a.severity,
            since_text(a.since, now),
            a.summary,
        )
        for a in sort_alerts(snapshot.alerts)
    ]
    note = f"Alerts {cell(snapshot.alerts_note)}.\n\n" if snapshot.alerts_note else ""
    return f"{head}\n\n{note}" + table(("State", "Alert", "Severity", "Since", "Summary"), rows)


def _ranking(
    models: tuple[ModelFigures, ...],
    figure: Callable[[ModelFigures], float | None],
    headers: Sequence[str],
    row: Callable[[ModelFigures], Sequence[object]],
    level: Callable[[float | None], Level],
) -> str:
    """The worst WORST_COUNT, and every model over the threshold after them: a fourth
    failing model left out of a ticket is a failure nobody looks at."""
    ranked = top_models(models, figure, len(models))
    worst = [m for i, m in enumerate(ranked)
             if i < WORST_COUNT or level(figure(m)) is Level.BAD]
    if not worst:
        return "No figures known."
    rows = [(str(i), m.provider, m.model, *row(m)) for i, m in enumerate(worst, start=1)]
    return table(("#", "Provider", "Model", *headers), rows)


def _worst_models(snapshot: Snapshot) -> str:
    head = "## Worst models"
    missing = problem(snapshot, "prometheus")
    if missing:
        return f"{head}\n\nUnknown: {cell(missing)}."
    if not snapshot.models:
        return f"{head}\n\nNo traffic in the window."
    models = snapshot.models
    by_errors = _ranking(
        models,
        lambda m: m.error_ratio,
        ("Error ratio", "Req/s", "P95"),
        lambda m: (
            marked(fmt_ratio_pct(m.error_ratio), error_ratio_level(m.error_ratio)),
            fmt_rate(m.request_rate),
            fmt_seconds(m.p95_latency_s),
        ),
        error_ratio_level,
    )
    by_latency = _ranking(
        models,
        lambda m: m.p95_latency_s,
        ("P95", "Error ratio", "Req/s"),
        lambda m: (
            marked(fmt_seconds(m.p95_latency_s), latency_level(m.p95_latency_s)),
            fmt_ratio_pct(m.error_ratio),
            fmt_rate(m.request_rate),
        ),
        latency_level,
    )
    return (
        f"{head}\n\n### By error ratio\n\n{by_errors}\n\n### By P95 latency\n\n{by_latency}\n\n"
        "✗ above the alert threshold (errors > 5 %, P95 > 2 s), ▲ above half-way to it."
    )


def _workload(snapshot: Snapshot) -> str:
    missing = problem(snapshot, "kubernetes")
    if missing:
        return f"## Deployment\n\nUnknown: {cell(missing)}."
    dep = snapshot.deployment
    parts = [
        "## Deployment\n\n"
        + (f"{code(f'{dep.namespace}/{dep.name}')}: {cell(deployment_summary(dep))}" if dep
           else "Not found.")
    ]
    hpa = snapshot.hpa
    if hpa is None:
        parts.append("## HPA\n\nNot found.")
    else:
        lines = [
            f"- {code(hpa.name)}: {hpa.current_replicas} current / {hpa.desired_replicas} desired "
            f"(min {hpa.min_replicas}, max {hpa.max_replicas})"
        ]
        lines += [f"- {cell(hpa_metric_text(m))}" for m in hpa.metrics]
        if hpa.pinned_at_max:
            lines.append("- **▲ PINNED AT MAX**: it wants more replicas than it may have")
        parts.append("## HPA\n\n" + "\n".join(lines))
    if snapshot.pods:
        rows = [
            (p.name, p.phase, "✓" if p.ready else "✗", p.restarts, format_age(p.age_s),
             p.node, p.reason)
            for p in snapshot.pods
        ]
        pods = table(("Pod", "Phase", "Ready", "Restarts", "Age", "Node", "Reason"), rows)
    else:
        pods = "None."
    parts.append("## Pods\n\n" + pods)
    return "\n\n".join(parts)


def _events(snapshot: Snapshot) -> str:
    head = "## Recent events"
    if not snapshot.events:
        missing = problem(snapshot, "kubernetes")
        return f"{head}\n\n" + (f"Unknown: {cell(missing)}." if missing else "None.")
    rows = [
        (e.last_seen, e.type, e.reason, f"{e.object_kind}/{e.object_name}", e.count, e.message)
        for e in snapshot.events
    ]
    headers = ("Last seen", "Type", "Reason", "Object", "Count", "Message")
    return f"{head}\n\n" + table(headers, rows)


def _sources(snapshot: Snapshot, now: float) -> str:
    rows = [
        (name, f"{source_symbol(s)} {source_summary(s, now)}")
        for name, s in snapshot.sources.items()
    ]
    return "## Source health\n\n" + table(("Source", "Status"), rows)


def _audit_time(value: Any) -> str:
    """Audit records may hold epoch seconds or an ISO string; show both as UTC ISO."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return utc_stamp(datetime.fromtimestamp(value, UTC))
    return or_unknown(value)


def _actions(audit_lines: Sequence[Mapping[str, Any]]) -> str:
    head = "## Actions taken from the console"
    if not audit_lines:
        return f"{head}\n\nnone"
    rows = [
        (_audit_time(line.get("time")), *(line.get(key) for key in AUDIT_KEYS[1:]))
        for line in audit_lines
    ]
    return f"{head}\n\n" + table(tuple(k.capitalize() for k in AUDIT_KEYS), rows)
