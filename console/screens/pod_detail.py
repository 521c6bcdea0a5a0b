"""The pod drill-down: status, containers, resources against requests/limits, events, logs.

Opened with `enter` on a pod. The pod's state is the overview's (it follows
each refresh through `latest`); its events are read fresh in a worker, so the
screen opens at once and an unreadable events API leaves one line saying why.
`l` opens the pod's logs on top of it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from console.clock import Clock, system_clock
from console.hints import Hint
from console.model import ContainerState, KubeEvent, PodState
from console.screens.details import DetailScreen, events_table
from console.screens.logs import LogFetcher, LogsScreen
from console.screens.model_detail import hints_text
from console.sources.base import ClusterSource
from console.sources.kube_mapping import newest_first
from console.text.durations import format_age
from console.text.safe_text import one_line

RELOAD_S = 10.0


def _cpu(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}m"


def _mem(value: float | None) -> str:
    return "—" if value is None else f"{value / 2**20:.0f}Mi"


def _total(values: list[float | None]) -> float | None:
    """Sum of per-container settings; None if any container has none (no limit = unbounded)."""
    if not values or any(v is None for v in values):
        return None
    return math.fsum(v for v in values if v is not None)


def _pct(used: float | None, of: float | None) -> str:
    if used is None or of is None or of <= 0:
        return ""
    return f" ({used / of * 100:.0f} %)"


def status_text(pod: PodState) -> Text:
    text = Text()
    rows = (
        ("phase", pod.phase),
        ("ready", "yes" if pod.ready else "no"),
        ("reason", pod.reason or "—"),
        ("restarts", str(pod.restarts)),
        ("last termination", pod.last_termination_reason or "—"),
        ("age", format_age(pod.age_s)),
        ("node", pod.node or "—"),
    )
    for name, value in rows:
        text.append(f"{name:>17}  ", style="bold")
        bad = (name == "reason" and pod.reason) or (name == "ready" and not pod.ready)
        text.append(value + "\n", style="bold red" if bad else "")
    return text


def resources_text(pod: PodState) -> Text:
    """Usage (metrics.k8s.io) against the sum of the containers' requests and limits."""
    cs = pod.containers
    cpu_req = _total([c.cpu_request_m for c in cs])
    cpu_lim = _total([c.cpu_limit_m for c in cs])
    mem_req = _total([c.memory_request_bytes for c in cs])
    mem_lim = _total([c.memory_limit_bytes for c in cs])
    text = Text()
    text.append("resources (usage / request / limit)\n", style="bold")
    text.append(f"  cpu     {_cpu(pod.cpu_millicores)} / {_cpu(cpu_req)} / "
                f"{'none' if cs and cpu_lim is None else _cpu(cpu_lim)}"
                f"{_pct(pod.cpu_millicores, cpu_lim)}\n")
    text.append(f"  memory  {_mem(pod.memory_bytes)} / {_mem(mem_req)} / "
                f"{'none' if cs and mem_lim is None else _mem(mem_lim)}"
                f"{_pct(pod.memory_bytes, mem_lim)}\n")
    return text


def containers_table(containers: tuple[ContainerState, ...],
                     init: tuple[ContainerState, ...] = ()) -> Table | Text:
    """The init containers first (a crashing one is why the pod never starts), then the
    spec's; an init container that completed is as it should be, not red."""
    if not containers and not init:
        return Text("containers: not known", style="dim")
    table = Table(box=None, expand=True, header_style="bold", title="containers",
                  title_justify="left")
    for col in ("name", "image", "state", "ready", "restarts", "last termination"):
        table.add_column(col)
    for c, is_init in [(c, True) for c in init] + [(c, False) for c in containers]:
        state = c.state + (f" ({c.reason})" if c.reason else "")
        fine = c.state == "running" or (is_init and c.reason == "Completed")
        last = "—"
        if c.last_termination_reason or c.last_exit_code is not None:
            code = "" if c.last_exit_code is None else f", exit code {c.last_exit_code}"
            last = f"{c.last_termination_reason or 'terminated'}{code}"
        table.add_row(  # Text cells: Rich reads a str cell as markup
            Text(f"{c.name} (init)" if is_init else c.name), Text(c.image or "—"),
            Text(state, style="" if fine else "bold red"),
            Text("yes" if c.ready else "no"), Text(str(c.restarts)), Text(last),
        )
    return table


class PodDetailScreen(DetailScreen):
    """One pod, in depth; `l` its logs, escape closes."""

    BINDINGS = [Binding("l", "logs", "Logs")]

    def __init__(
        self,
        pod: PodState,
        cluster: ClusterSource,
        refresh_s: float,
        latest: Callable[[], PodState | None] | None = None,
        logs: LogFetcher | None = None,
        clock: Clock = system_clock,
        hints: Callable[[], tuple[Hint, ...]] | None = None,
    ) -> None:
        super().__init__(f"pod {pod.name}   (l: logs, escape: close)")
        self.hints_of = hints
        """The hints of the likely causes about this pod (a crash: its log line, rollback)."""
        self.pod = pod
        self.cluster = cluster
        self.refresh_s = refresh_s
        self.latest = latest
        self.fetch_logs: LogFetcher = logs or cluster.logs
        self.clock = clock
        """The console's clock: event times read as "2m ago" from it."""
        self.events: tuple[KubeEvent, ...] = ()
        self.events_error: str | None = None
        self.loads = 0

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail-body"):
            yield Static(self.title_text, id="detail-title", markup=False)
            yield Static(status_text(self.pod), id="pod-status")
            yield Static(Text(), id="pod-hints")
            yield Static(self._containers(), id="pod-containers")
            yield Static(resources_text(self.pod), id="pod-resources")
            yield Static(Text("events: loading…", style="dim"), id="pod-events")

    def on_mount(self) -> None:
        self._load()
        self.set_interval(RELOAD_S, self._load)

    @work(group="pod-detail", exclusive=True)
    async def _load(self) -> None:
        if self.latest is not None:
            fresh = self.latest()
            if fresh is not None:
                self.pod = fresh
        try:
            self.events = newest_first(await self.cluster.events("Pod", self.pod.name))
            self.events_error = None
        except Exception as exc:  # unreadable events: one line, the rest still shows
            self.events_error = one_line(str(exc), 200) or type(exc).__name__
        self.loads += 1
        self._show_data()

    def _show_data(self) -> None:
        self.query_one("#pod-status", Static).update(status_text(self.pod))
        hints = self.hints_of() if self.hints_of is not None else ()
        self.query_one("#pod-hints", Static).update(hints_text(hints) if hints else Text())
        self.query_one("#pod-containers", Static).update(self._containers())
        self.query_one("#pod-resources", Static).update(resources_text(self.pod))
        if self.events_error:
            events: Table | Text = Text(f"✗ cannot read events: {self.events_error}",
                                        style="red")
        else:
            events = events_table(self.events, self.clock())
        self.query_one("#pod-events", Static).update(events)

    def _containers(self) -> Table | Text:
        return containers_table(self.pod.containers, self.pod.init_containers)

    def action_logs(self) -> None:
        self.app.push_screen(LogsScreen(self.pod.name, self.fetch_logs, self.refresh_s,
                                        self.pod.log_containers(), self.pod.log_default()))


def find_pod(pods: tuple[PodState, ...], name: str | None) -> PodState | None:
    return next((p for p in pods if p.name == name), None)
