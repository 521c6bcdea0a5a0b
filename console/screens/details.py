"""Read-only detail views: events of an object, a model's figures, a pod's state."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from console.durations import format_age
from console.format import fmt_rate, fmt_ratio_pct, fmt_seconds, fmt_tokens_per_s, fmt_usd_per_h
from console.model import Alert, KubeEvent, ModelFigures, PodState


def events_table(events: tuple[KubeEvent, ...]) -> Table | Text:
    if not events:
        return Text("no events", style="dim")
    table = Table(box=None, expand=True, header_style="bold")
    for col in ("type", "reason", "object", "count", "last seen", "message"):
        table.add_column(col)
    for ev in events:
        table.add_row(
            Text(ev.type, style="bold red" if ev.type == "Warning" else ""),
            ev.reason,
            f"{ev.object_kind}/{ev.object_name}",
            str(ev.count),
            ev.last_seen or "—",
            ev.message,
        )
    return table


class DetailScreen(ModalScreen[None]):
    """A scrollable modal of rich renderables; escape closes it."""

    BINDINGS = [Binding("escape,q,enter", "close", "Close")]

    def __init__(self, title: str, *parts: Table | Text | str) -> None:
        super().__init__()
        self.title_text = title
        self.parts = parts

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail-body"):
            yield Static(self.title_text, id="detail-title")
            for part in self.parts:
                yield Static(part)

    def action_close(self) -> None:
        self.dismiss(None)


def model_detail(model: ModelFigures, alerts: tuple[Alert, ...]) -> DetailScreen:
    figures = Table(box=None, show_header=False)
    figures.add_column(style="bold")
    figures.add_column()
    rows = (
        ("request rate", fmt_rate(model.request_rate)),
        ("error ratio", fmt_ratio_pct(model.error_ratio)),
        ("P50 / P95 / P99", " / ".join(fmt_seconds(v) for v in
                                       (model.p50_latency_s, model.p95_latency_s,
                                        model.p99_latency_s))),
        ("TTFT P95", fmt_seconds(model.ttft_p95_s)),
        ("output tokens", fmt_tokens_per_s(model.output_tokens_per_s)),
        ("input tokens", fmt_tokens_per_s(model.input_tokens_per_s)),
        ("cost", fmt_usd_per_h(model.cost_per_hour_usd, unit=True)),
    )
    for name, value in rows:
        figures.add_row(name, value)
    errors = Table(box=None, header_style="bold", title="errors /s", title_justify="left")
    errors.add_column("by type")
    errors.add_column("rate", justify="right")
    for kind, rate in sorted(model.errors_by_type.items(), key=lambda kv: -kv[1]):
        errors.add_row(kind, f"{rate:.2f}")
    codes = Table(box=None, header_style="bold")
    codes.add_column("by HTTP code")
    codes.add_column("rate", justify="right")
    for code, rate in sorted(model.errors_by_code.items(), key=lambda kv: -kv[1]):
        codes.add_row(code, f"{rate:.2f}")
    concerned = [a for a in alerts if a.labels.get("model") in (None, model.model)]
    alert_text = Text()
    for a in concerned:
        alert_text.append(f"{'●' if a.state == 'firing' else '○'} {a.name} {a.state}"
                          f"{' (silenced)' if a.silenced else ''} — {a.summary or ''}\n")
    return DetailScreen(
        f"{model.provider} / {model.model}",
        figures,
        errors,
        codes,
        alert_text if concerned else Text("no alerts concern this model", style="dim"),
    )


def pod_detail(pod: PodState, events: tuple[KubeEvent, ...]) -> DetailScreen:
    info = Table(box=None, show_header=False)
    info.add_column(style="bold")
    info.add_column()
    for name, value in (
        ("phase", pod.phase),
        ("ready", "yes" if pod.ready else "no"),
        ("reason", pod.reason or "—"),
        ("restarts", str(pod.restarts)),
        ("last termination", pod.last_termination_reason or "—"),
        ("age", format_age(pod.age_s)),
        ("node", pod.node or "—"),
        ("cpu", "—" if pod.cpu_millicores is None else f"{pod.cpu_millicores:.0f}m"),
        ("memory", "—" if pod.memory_bytes is None else f"{pod.memory_bytes / 2**20:.0f}Mi"),
    ):
        info.add_row(name, value)
    return DetailScreen(f"pod {pod.name}   (l: logs from the overview)", info,
                        events_table(events))
