"""The live console: one screen of models, Deployment, pods, HPA, alerts and source health.

One worker per source, each in its own group, schedules its next poll only
when the last one finished, so a slow source never piles up requests and never
delays another source's panel. Workers post typed messages; handlers keep the
latest reading per source and update the tables by key.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.events import Resize
from textual.geometry import Size
from textual.widgets import Footer, Input

from console.actions.audit import AuditLog
from console.actions.flow import ActionFlow
from console.actions.runner import ActionRequest, ActionRunner, where
from console.clock import Clock, system_clock
from console.config.settings import WINDOWS, Settings, TargetSettings
from console.messages import AlertsPolled, ClusterPolled, HistoryLoaded, MetricsPolled
from console.model import Alert, ModelFigures, ModelKey, Snapshot
from console.plain_notify import PlainNotifications
from console.record.recorder import Recorder, recorder_for
from console.screens.command import CommandScreen, ContextsScreen, parse_command
from console.screens.details import DetailScreen, events_table
from console.screens.fleet import FleetScreen
from console.screens.help import HelpScreen
from console.screens.logs import LogsScreen
from console.screens.model_detail import ModelDetailScreen, model_context
from console.screens.pod_detail import PodDetailScreen, find_pod
from console.sources.base import SourceSet
from console.state.polling import Latest, PollResult, alertmanager_status, assemble, poll
from console.state.trends import (
    TREND_POINTS,
    Trends,
    add_point,
    prepend_history,
    trend_due,
    trend_step_s,
)
from console.text.durations import format_duration, parse_duration
from console.text.format import fmt_count
from console.views.overview import (
    ALERT_COLUMNS,
    MODEL_COLUMNS,
    POD_COLUMNS,
    SPARK_CELLS,
    alert_cells,
    alert_row_key,
    deployment_title,
    hpa_text,
    model_cells,
    model_row_key,
    models_in_triage_order,
    pod_cells,
    pod_row_key,
    pods_in_triage_order,
    rollout_note,
    source_status_text,
)
from widgets.columns import Cell, Column
from widgets.keyed_table import KeyedTable
from widgets.text_panel import TextPanel

if TYPE_CHECKING:
    from console.sources.store import StoreRegistry

T = TypeVar("T")
NARROW_WIDTH = 110
MIN_SIZE = (80, 24)
"""Below this the console shows a message instead of its panels (README: works at 80x24)."""
TREND_KEYS = ("rate_trend", "p95_trend")
SOURCE_NAMES = ("prometheus", "kubernetes", "alertmanager")


class GatewayConsole(PlainNotifications):
    CSS_PATH = "app.tcss"
    TITLE = "ai-gateway-console"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("r", "restart", "Restart"),
        Binding("s", "scale", "Scale"),
        Binding("ctrl+d", "delete_pod", "Delete pod"),
        Binding("l", "logs", "Logs"),
        Binding("e", "events", "Events"),
        Binding("S", "silence", "Silence", key_display="S"),
        Binding("enter", "drill", "Detail", show=False),
        Binding("w", "cycle_window", "Window"),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("p", "pause", "Pause"),
        Binding("x", "export", "Export"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        # Several clusters (issue 7): `f` shows only with a fleet; `:` and `c` work with one
        # target too (switch namespace or context) and are listed in the help.
        Binding("f", "fleet", "Fleet"),
        Binding("colon", "command", "Command", key_display=":", show=False),
        Binding("c", "contexts", "Contexts", show=False),
    ]

    def __init__(
        self,
        settings: Settings,
        sources: SourceSet,
        runner: ActionRunner,
        clock: Clock = system_clock,
        export_dir: Path | None = None,
        *,
        fleet: Mapping[str, SourceSet] | None = None,
        source_factory: Callable[[TargetSettings], SourceSet] | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.sources = sources
        self.runner = runner
        # The fleet: every target's sources, polled by workers of their own; the overview
        # shows `sources`, the current one. One target alone is a fleet of one.
        self.targets: list[TargetSettings] = (
            [runner.target if t.name == sources.target else t for t in settings.targets]
            if fleet else [runner.target])
        self.fleet_sources: dict[str, SourceSet] = {**(fleet or {}), sources.target: sources}
        self.fleet_latest: dict[str, Latest] = {}
        self._make_sources = source_factory
        self.fleet_screen: FleetScreen | None = None
        self.clock = clock
        self.export_dir = export_dir
        self.window_s = settings.window_s
        self.latest = Latest()
        self.paused = False
        self.filter_text = ""
        self.trends: Trends = {
            "request_rate": {},
            "p95_latency_s": {},
        }
        self.polls: dict[str, int] = {"prometheus": 0, "kubernetes": 0, "alertmanager": 0}
        self._wake: dict[tuple[str, str], asyncio.Event] = {}
        self._first_metrics_drawn = asyncio.Event()
        self.stores: StoreRegistry | None = None
        self.narrow = False
        self._last_trend_at: float | None = None
        self._trend_step_s = trend_step_s(settings.refresh_s)
        self._status_panel: TextPanel | None = None
        self.recorder: Recorder | None = None
        """Under --record FILE, every poll handled is appended there (record/recorder.py)."""
        self.actions = ActionFlow(self)
        """The one action in hand: bound to its target, audited (console/actions/flow.py)."""

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock = system_clock, *,
                      audit: AuditLog | None = None, user: str | None = None,
                      export_dir: Path | None = None) -> GatewayConsole:
        """The console of every target of `settings`; the first one's overview is current.

        Targets on one shared store share one reader of it (console/sources/store.py).
        """
        from console.sources import build_source_set
        from console.sources.store import StoreRegistry

        stores = StoreRegistry()

        def make(target: TargetSettings) -> SourceSet:
            return build_source_set(settings, target, clock, stores)

        target = settings.target
        fleet = {t.name: make(t) for t in settings.targets}
        sources = fleet[target.name]
        runner = ActionRunner(target, sources, audit or AuditLog(None, clock),
                              read_only=settings.read_only, user=user)
        app = cls(settings, sources, runner, clock, export_dir,
                  fleet=fleet if settings.fleet else None, source_factory=make)
        app.stores = stores
        if settings.record:
            app.recorder = recorder_for(settings, clock, TREND_POINTS)
        return app

    @property
    def current_target(self) -> TargetSettings:
        """The target the overview shows (the runner acts on it)."""
        return self.runner.target

    @property
    def is_fleet(self) -> bool:
        return len(self.targets) > 1

    # ----------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        yield TextPanel(id="title")
        yield KeyedTable(self._model_columns(), id="models")
        yield KeyedTable(ALERT_COLUMNS, id="alerts")
        with Horizontal(id="cluster"):
            yield KeyedTable(POD_COLUMNS, id="pods")
            yield TextPanel(id="hpa")
        yield Input(placeholder="filter models and pods (escape clears)", id="filter")
        yield TextPanel(id="status")
        yield Footer()
        yield TextPanel(id="too-small")

    def on_mount(self) -> None:
        self.query_one("#models", KeyedTable).border_title = "Models"
        self.query_one("#pods", KeyedTable).border_title = "Pods"
        self.query_one("#alerts", KeyedTable).border_title = "Alerts"
        self.query_one("#filter", Input).display = False
        self._render_title()
        self._render_status()
        self._start_workers()
        # The status line only shows ages of stale data; on a slow link once per refresh will do.
        self.set_interval(max(1.0, self.settings.refresh_s) if self.settings.low_bandwidth
                          else 1.0, self._render_status)
        if self.settings.low_bandwidth:
            self.animation_level = "none"
        self._check_size()
        if not self.is_headless:
            self.set_interval(1.0, self._watch_terminal)
        if self.is_fleet:
            self.action_fleet()

    def _model_columns(self) -> tuple[Column, ...]:
        """Trend sparklines change every refresh in every row: a slow link goes without."""
        if self.settings.low_bandwidth:
            return tuple(c for c in MODEL_COLUMNS if c.key not in TREND_KEYS)
        return MODEL_COLUMNS

    def _check_size(self, size: Size | None = None) -> None:
        """Below 80x24 the panels cannot be laid out readably: say so instead of a broken screen."""
        width, height = size or self.size
        small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        if small:
            self.query_one("#too-small", TextPanel).show(
                f"terminal too small: {width}x{height}, "
                f"need at least {MIN_SIZE[0]}x{MIN_SIZE[1]}")
        # The main screen, even under a dialog: the dialog keeps its own layout.
        self.screen_stack[0].set_class(small, "too-small")

    def _watch_terminal(self) -> None:
        """Exit when the terminal has gone away (SSH dropped) instead of spinning.

        With the pty's other side closed, stdin reads return EOF forever and
        Textual's input thread spins at 100 % CPU without exiting. A hung-up tty
        reports POLLHUP, so a cheap poll once a second is enough to notice.
        """
        import select

        fds = {f.fileno() for f in (sys.__stdin__, sys.__stdout__)
               if f is not None and not f.closed}
        poller = select.poll()
        for fd in fds:
            poller.register(fd, select.POLLHUP | select.POLLERR | select.POLLNVAL)
        if any(ev & (select.POLLHUP | select.POLLERR | select.POLLNVAL)
               for _, ev in poller.poll(0)):
            # Nobody can see a goodbye; if restoring the dead terminal hangs, still go.
            timer = threading.Timer(3.0, os._exit, (129,))
            timer.daemon = True
            timer.start()
            self.exit(return_code=129)

    def on_resize(self, event: Resize) -> None:
        # No media queries in TCSS: a class switches the cluster row to a stacked,
        # compact layout on terminals narrower than the HPA and pods need side by side.
        # The event's size: App.size still holds the old one while this runs.
        self._check_size(event.size)
        narrow = event.size.width < NARROW_WIDTH
        if narrow != self.narrow:
            self.narrow = narrow
            self.query_one("#cluster").set_class(narrow, "narrow")
            self._render_cluster()

    def _start_workers(self) -> None:
        for sources in self.fleet_sources.values():
            self._start_target(sources)
        self._load_history()

    def _start_target(self, sources: SourceSet) -> None:
        """One worker per source of this target, each in a group of its own.

        Groups are named `<target>:<source>`, so switching a target away cancels its
        workers and nobody else's, and a dead cluster's slow answers never delay another.
        """
        refresh = self.settings.refresh_s
        name = sources.target
        for source in SOURCE_NAMES:
            self._wake[(name, source)] = asyncio.Event()
        polls: tuple[tuple[str, Callable[[], Awaitable[Any]], Callable[[Any], Any], float],
                     ...] = (
            ("prometheus", lambda: sources.metrics.fetch(self.window_s), MetricsPolled,
             refresh),
            # On a slow link the pods and HPA (which change slowly) follow every 3rd refresh.
            ("kubernetes", sources.cluster.fetch, ClusterPolled,
             refresh * 3 if self.settings.low_bandwidth else refresh),
            ("alertmanager", sources.alerts.fetch, AlertsPolled, refresh),
        )
        for source, fetch, message, every in polls:
            self.run_worker(
                self._poll_loop(source, fetch, message, every, sources),
                group=f"{name}:{source}", name=f"{name}:{source}", exclusive=True,
            )

    def _status_of(self, name: str, latest: Latest | None = None) -> Any:
        latest = self.latest if latest is None else latest
        return {
            "prometheus": latest.metrics_status,
            "kubernetes": latest.cluster_status,
            "alertmanager": latest.alerts_status,
        }[name]

    async def _poll_loop(
        self,
        name: str,
        fetch: Callable[[], Awaitable[T]],
        message: Callable[..., Any],
        every_s: float,
        sources: SourceSet | None = None,
    ) -> None:
        sources = sources or self.sources
        target = sources.target
        timeout = max(every_s * 3, 5.0)
        wake = self._wake[(target, name)]
        if name == "kubernetes" and self.settings.demo is None:
            await self._after_first_metrics_frame()
        while True:
            if not self.paused:
                latest = (self.latest if sources is self.sources
                          else self.fleet_latest.get(target, Latest()))
                result = await poll(name, fetch, self._status_of(name, latest), self.clock,
                                    timeout)
                self.post_message(message(result, target=target, origin=id(sources)))
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), every_s)

    def refresh_now(self, *names: str) -> None:
        """Poll these sources at once (after an action) instead of at the next tick."""
        for name in names or SOURCE_NAMES:
            event = self._wake.get((self.sources.target, name))
            if event is not None:
                event.set()

    @work(group="history", exclusive=True)
    async def _load_history(self) -> None:
        window_s = self.window_s
        step = trend_step_s(self.settings.refresh_s)
        sources = self.sources
        try:
            history = await sources.metrics.history(window_s, step * TREND_POINTS, step)
        except Exception:
            return
        self.post_message(HistoryLoaded(history, window_s, origin=id(sources)))

    def _routed(self, event: MetricsPolled | ClusterPolled | AlertsPolled, field: str) -> bool:
        """File a poll of another target (or a late one of a replaced target) in the fleet.

        True when the event is for the overview's target and its handler should go on.
        """
        if not event.target:
            return True  # a feed of one (replay, tests): always the overview's
        sources = self.fleet_sources.get(event.target)
        if sources is None or id(sources) != event.origin:
            return False  # a target switched away: its late answer must not show
        if sources is self.sources:
            return True
        r = event.result
        latest = _replace(self.fleet_latest.get(event.target, Latest()),
                          **{f"{field}_status": r.status},
                          **({field: r.reading} if r.reading is not None else {}))
        self.fleet_latest[event.target] = latest
        self._fleet_changed()
        return False

    def _fleet_changed(self) -> None:
        self.fleet_latest[self.sources.target] = self.latest
        if self.fleet_screen is not None and self.fleet_screen.is_attached:
            self.fleet_screen.refresh_data()

    # --------------------------------------------------------------- messages
    # _ignore_late_results: a worker may post its result just before it is cancelled on
    # quit; the App handles it after its panels are removed, and rendering it then would
    # crash the exit with NoMatches. Results arriving while the App shuts down are dropped.
    def on_metrics_polled(self, event: MetricsPolled) -> None:
        if not self.is_running:
            return  # see _ignore_late_results
        if not self._routed(event, "metrics"):
            return
        r = event.result
        self.polls["prometheus"] += 1
        self._record("prometheus", r)
        self.latest = _replace(self.latest, metrics_status=r.status,
                               **({"metrics": r.reading} if r.reading is not None else {}))
        now = self.clock()
        if r.reading is not None and trend_due(self._last_trend_at, now, self._trend_step_s):
            self._last_trend_at = now
            add_point(self.trends, r.reading.models, TREND_POINTS)
        self._render_models()
        self._render_status()
        self._fleet_changed()
        if not self._first_metrics_drawn.is_set():
            self.call_after_refresh(self._first_metrics_drawn.set)

    async def _after_first_metrics_frame(self, at_most_s: float = 1.0) -> None:
        """Let the first frame with metrics go out before the Kubernetes client is built.

        Building it (importing `kubernetes.client`, ~0.4 s of CPU) runs in a worker
        thread but holds the GIL, so started at once it halved the speed of the first
        metrics poll and frame: start-up against the real stack went from ~1.5 s to
        ~1.2 s (median, tests/perf). A slow Prometheus holds the cluster back 1 s at most.
        """
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._first_metrics_drawn.wait(), at_most_s)

    def on_cluster_polled(self, event: ClusterPolled) -> None:
        if not self.is_running:
            return  # see _ignore_late_results
        if not self._routed(event, "cluster"):
            return
        r = event.result
        self.polls["kubernetes"] += 1
        self._record("kubernetes", r)
        self.latest = _replace(self.latest, cluster_status=r.status,
                               **({"cluster": r.reading} if r.reading is not None else {}))
        self._render_cluster()
        self._render_status()
        self._fleet_changed()

    def on_alerts_polled(self, event: AlertsPolled) -> None:
        if not self.is_running:
            return  # see _ignore_late_results
        if not self._routed(event, "alerts"):
            return
        r = event.result
        self.polls["alertmanager"] += 1
        self._record("alertmanager", r)
        self.latest = _replace(self.latest, alerts_status=r.status,
                               **({"alerts": r.reading} if r.reading is not None else {}))
        self._render_alerts()
        self._render_status()
        self._fleet_changed()

    def on_history_loaded(self, event: HistoryLoaded) -> None:
        if event.window_s != self.window_s or (event.origin and event.origin != id(self.sources)):
            return
        if self.recorder is not None:
            self._recorded(self.recorder.record_history(self.clock(), self.window_s,
                                                        event.history))
        prepend_history(self.trends, event.history.series, TREND_POINTS)
        self._render_models()

    def _record(self, source: str, result: PollResult[Any]) -> None:
        """Append this poll to --record FILE, exactly what the panel is drawn from."""
        if self.recorder is not None:
            self._recorded(self.recorder.record_poll(source, self.clock(), self.window_s,
                                                     result.status, result.reading))

    def _recorded(self, error: str | None) -> None:
        # A full or vanished disk stops the recording, never the console; said once.
        if error:
            self.notify(error, title="recording stopped", severity="error", timeout=15)

    # -------------------------------------------------------------- rendering
    def _matches(self, *words: str) -> bool:
        needle = self.filter_text.lower()
        return not needle or any(needle in w.lower() for w in words)

    def _render_title(self) -> None:
        ts = self.current_target
        text = Text()
        text.append(" ai-gateway-console ", style="bold reverse")
        source = (f"demo:{ts.demo or self.settings.demo}" if self.settings.demo
                  else (ts.context or "current"))
        if self.is_fleet:
            names = [t.name for t in self.targets]
            where = f"{names.index(ts.name) + 1}/{len(names)}" if ts.name in names else "new"
            source = f"{ts.name} ({where})" + ("" if source == ts.name else f" {source}")
        text.append(f"  {source}  {ts.namespace}/{ts.deployment}")
        text.append(f"  window {format_duration(self.window_s)}", style="bold")
        text.append(f"  every {format_duration(self.settings.refresh_s)}")
        if self.runner.read_only:
            text.append("  READ-ONLY", style="bold black on yellow")
        if self.paused:
            text.append("  ⏸ PAUSED", style="bold black on cyan")
        if self.filter_text:
            text.append(f"  filter: {self.filter_text}", style="italic")
        self.query_one("#title", TextPanel).show(text)

    def _render_models(self) -> None:
        reading = self.latest.metrics
        table = self.query_one("#models", KeyedTable)
        # Each row as its inputs (figures and trends): the table compares them and makes
        # cells only for changed rows on screen; with 1,000 models, formatting every row
        # every refresh was most of the refresh's CPU (tests/perf).
        rows: dict[str, tuple[ModelFigures, tuple[float | None, ...],
                              tuple[float | None, ...]]] = {}
        if reading is not None:
            for m in models_in_triage_order(reading.models):
                if self._matches(m.provider, m.model):
                    rows[model_row_key(m.key)] = (
                        m, self._shown_trend("request_rate", m.key),
                        self._shown_trend("p95_latency_s", m.key))
        low_bandwidth = self.settings.low_bandwidth

        def build(row: tuple[ModelFigures, tuple[float | None, ...],
                             tuple[float | None, ...]]) -> tuple[Cell, ...]:
            cells = model_cells(*row)
            if low_bandwidth:
                cells = tuple(c for c, col in zip(cells, MODEL_COLUMNS, strict=True)
                              if col.key not in TREND_KEYS)
            return cells

        with self.batch_update():
            table.sync_lazy(rows, build)
        status = self.latest.metrics_status
        table.set_titles("Models", (
            (reading and reading.series_note) or fmt_count(len(rows), "model")
            if status is None or status.ok
            else f"✗ {status.error}"
        ))

    def _shown_trend(self, figure: str, key: ModelKey) -> tuple[float | None, ...]:
        """The points a sparkline cell shows: a row's inputs are compared every refresh,
        and the older points kept for the drill-down never change its cells."""
        return tuple(self.trends.get(figure, {}).get(key, ()))[-SPARK_CELLS:]

    def _render_cluster(self) -> None:
        reading = self.latest.cluster
        status = self.latest.cluster_status
        error = status.error if status is not None and not status.ok else None
        hpa_panel = self.query_one("#hpa", TextPanel)
        pods = self.query_one("#pods", KeyedTable)
        with self.batch_update():
            notes = reading.notes if reading else ()
            hpa_note = next((n for n in notes if "HorizontalPodAutoscaler" in n), None)
            hpa_panel.show(hpa_text(reading.hpa if reading else None, error or hpa_note,
                                    compact=self.narrow))
            rows = {}
            if reading is not None:
                for pod in pods_in_triage_order(reading.pods):
                    if self._matches(pod.name, pod.reason or "", pod.phase):
                        rows[pod_row_key(pod)] = pod_cells(pod)
            pods.sync(rows)
        dep = reading.deployment if reading else None
        pods.set_titles(deployment_title(dep), rollout_note(dep, len(rows), error))

    def _render_alerts(self) -> None:
        reading = self.latest.alerts
        table = self.query_one("#alerts", KeyedTable)
        snapshot_alerts = self.snapshot().alerts if reading is not None else ()
        now = self.clock()
        with self.batch_update():
            table.sync({alert_row_key(a): alert_cells(a, now) for a in snapshot_alerts})
        firing = sum(1 for a in snapshot_alerts if a.state == "firing" and not a.silenced)
        table.set_titles("Alerts", f"{firing} firing" if firing else "none firing")

    def _render_status(self) -> None:
        now = self.clock()
        text = Text(" ")
        for i, name in enumerate(("prometheus", "kubernetes", "alertmanager")):
            if i:
                text.append("   ")
            status = self._status_of(name)
            if name == "alertmanager" and status is not None:
                status = alertmanager_status(status, self._alertmanager_configured())
            text.append_text(source_status_text(name, status, now))
            notes = self.latest.cluster.notes if self.latest.cluster else ()
            if name == "kubernetes" and status is not None and status.ok and notes:
                text.append(f" ▲ {notes[0]}", style="yellow")
        # The 1 s timer can fire while the app is being torn down, after the panels went.
        panel = self._status_panel
        if panel is None or not panel.is_attached:
            panel = self._status_panel = next(iter(self.query("#status").results(TextPanel)),
                                              None)
        if panel is not None:
            panel.show(text)

    # --------------------------------------------------------------- snapshot
    def _alertmanager_configured(self) -> bool:
        return self.settings.demo is not None or self.current_target.alertmanager is not None

    def snapshot(self) -> Snapshot:
        ts = self.current_target
        return assemble(
            self.latest,
            window=format_duration(self.window_s),
            profile=self.settings.profile,
            clock=self.clock,
            alertmanager_configured=self._alertmanager_configured(),
            context=ts.context,
        )

    # ---------------------------------------------------------------- helpers
    def _selected_pod(self) -> str | None:
        key = self.query_one("#pods", KeyedTable).selected_key
        reading = self.latest.cluster
        if key is None or reading is None:
            return None
        for pod in reading.pods:
            if pod_row_key(pod) == key:
                return pod.name
        return None

    def _selected_alert(self) -> Alert | None:
        key = self.query_one("#alerts", KeyedTable).selected_key
        if key is None:
            return None
        return next((a for a in self.snapshot().alerts if alert_row_key(a) == key), None)

    # ---------------------------------------------------------------- actions
    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.runner.read_only_reason if self.runner.read_only
                                    else None))

    # The path of every action (bound, one at a time, audited) is console/actions/flow.py.
    def action_restart(self) -> None:
        self.actions.start(ActionRequest("restart"))

    def action_scale(self) -> None:
        self.actions.start(ActionRequest("scale"))

    def action_delete_pod(self) -> None:
        pod = self._selected_pod()
        if pod is None and not self.runner.read_only:
            self.notify("select a pod first (tab to the pods table)", severity="warning")
            return
        self.actions.start(ActionRequest("delete-pod", pod=pod))

    def action_silence(self) -> None:
        alert = self._selected_alert()
        if alert is None and not self.runner.read_only:
            self.notify("select an alert first (tab to the alerts table)", severity="warning")
            return
        if alert is not None and alert.silenced and alert.silence_ids:
            self.actions.start(ActionRequest("expire-silence", alert=alert,
                                             silence_id=alert.silence_ids[0]))
            return
        self.actions.start(ActionRequest("silence", alert=alert))

    def action_logs(self) -> None:
        pod = self._selected_pod()
        if pod is None:
            self.notify("select a pod first (tab to the pods table)", severity="warning")
            return
        self.push_screen(LogsScreen(pod, self.sources.cluster.logs, self.settings.refresh_s))

    @work(group="events", exclusive=True)
    async def action_events(self) -> None:
        ts = self.current_target
        focused = self.focused
        pod = self._selected_pod() if focused is self.query_one("#pods") else None
        try:
            if pod:
                events = await self.sources.cluster.events("Pod", pod)
                title = f"events of pod/{pod}"
            else:
                events = await self.sources.cluster.events("Deployment", ts.deployment)
                events += await self.sources.cluster.events("HorizontalPodAutoscaler", ts.hpa)
                title = f"events of deployment/{ts.deployment} and hpa/{ts.hpa}"
        except Exception as exc:
            self.notify(f"cannot read events: {exc}", severity="error")
            return
        await self.push_screen(DetailScreen(title, events_table(events)))

    @work(group="events", exclusive=True)
    async def action_drill(self) -> None:
        focused = self.focused
        if focused is self.query_one("#pods"):
            name = self._selected_pod()
            cluster = self.latest.cluster
            pod = find_pod(cluster.pods if cluster else (), name)
            if pod is None:
                return
            await self.push_screen(PodDetailScreen(
                pod, self.sources.cluster, self.settings.refresh_s,
                latest=lambda: find_pod(self.latest.cluster.pods if self.latest.cluster
                                        else (), name),
            ))
            return
        if focused is self.query_one("#alerts"):
            return
        key = self.query_one("#models", KeyedTable).selected_key
        reading = self.latest.metrics
        if key is None or reading is None:
            return
        model = next((m for m in reading.models if model_row_key(m.key) == key), None)
        context = model_context(self.snapshot(), model.key) if model is not None else None
        if model is not None and context is not None:
            ts = self.current_target
            await self.push_screen(ModelDetailScreen(
                context, self.sources.metrics, self.sources.cluster,
                namespace=ts.namespace, deployment=ts.deployment, window_s=self.window_s,
                latest=lambda: model_context(self.snapshot(), model.key),
            ))

    def on_keyed_table_row_selected(self, event: KeyedTable.RowSelected) -> None:
        # The focused table owns `enter` (it selects the row); selecting is drilling in.
        event.stop()
        self.action_drill()

    def action_cycle_window(self) -> None:
        current = format_duration(self.window_s)
        index = WINDOWS.index(current) if current in WINDOWS else -1
        self.window_s = parse_duration(WINDOWS[(index + 1) % len(WINDOWS)])
        for per in self.trends.values():
            per.clear()
        self._render_title()
        self._load_history()
        self.refresh_now("prometheus")

    def action_pause(self) -> None:
        self.paused = not self.paused
        self._render_title()
        if not self.paused:
            self.refresh_now()

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.filter_text = event.value.strip()
            self._render_title()
            self._render_models()
            self._render_cluster()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self.query_one("#models", KeyedTable).focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.display or self.filter_text:
            box.value = ""
            box.display = False
            self.filter_text = ""
            self._render_title()
            self._render_models()
            self._render_cluster()
            self.query_one("#models", KeyedTable).focus()

    def action_export(self) -> None:
        """`x`: a fresh 0700 folder of 0600 files, never written through a planted link."""
        from console.actions.files import write_fresh_folder
        from console.export.json_export import snapshot_json
        from console.export.markdown import snapshot_markdown

        snap = self.snapshot()
        stamp = datetime.fromtimestamp(self.clock(), UTC).strftime("%Y%m%dT%H%M%SZ")
        files = {
            "incident.md": snapshot_markdown(snap, self.clock(),
                                             self.runner.audit.session_dicts()),
            "snapshot.json": snapshot_json(snap) + "\n",
        }
        try:
            folder = write_fresh_folder(self.export_dir or Path.cwd(), f"incident-{stamp}-",
                                        files)
        except OSError as exc:
            self.notify(f"cannot export: {exc.strerror or exc}", severity="error")
            return
        self.notify(f"wrote {folder}/incident.md and snapshot.json", title="exported",
                    timeout=10)

    async def action_quit(self) -> None:
        self.exit(0)

    # ------------------------------------------------------------ the fleet
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # `f` only means something with several targets: otherwise not even in the footer.
        if action == "fleet":
            return self.is_fleet
        return True

    def action_fleet(self) -> None:
        """The fleet view: one row per target; `enter` opens one's overview."""
        if not self.is_fleet:
            return
        if self.fleet_screen is not None and self.fleet_screen in self.screen_stack:
            return
        self.fleet_screen = FleetScreen(self)
        self.push_screen(self.fleet_screen)

    def open_target(self, name: str) -> None:
        """Show this fleet member's overview (from the fleet view's `enter` or `:ctx`)."""
        if self.fleet_screen is not None and self.fleet_screen in self.screen_stack:
            self.fleet_screen.dismiss()
        if name != self.sources.target:
            self._show(name)

    def _show(self, name: str) -> None:
        """Make `name` the overview's target: its runner, its readings; trends start afresh.

        Its workers keep running as they did (every fleet member is polled), so the
        overview shows its latest data at once; the tables are cleared first because
        the same row keys of another cluster are other rows.
        """
        target = next(t for t in self.targets if t.name == name)
        self.actions.cancel(f"the console switched to {where(target)}")
        self.fleet_latest[self.sources.target] = self.latest
        self.sources = self.fleet_sources[name]
        self.runner = ActionRunner(target, self.sources, self.runner.audit,
                                   read_only=self.settings.read_only, user=self.runner.user,
                                   read_only_reason=self.runner.read_only_reason,
                                   in_flight=self.runner.in_flight)
        self.latest = self.fleet_latest.get(name, Latest())
        self.polls = dict.fromkeys(SOURCE_NAMES, 0)
        self._last_trend_at = None
        for per in self.trends.values():
            per.clear()
        with self.batch_update():
            for table in ("#models", "#alerts", "#pods"):
                self.query_one(table, KeyedTable).sync({})
        self._render_title()
        self._render_models()
        self._render_alerts()
        self._render_cluster()
        self._render_status()
        self._load_history()
        self.refresh_now()

    async def switch_target(self, new: TargetSettings) -> None:
        """Replace the overview's target by `new` (another namespace, Deployment or context).

        Its old workers are cancelled by group, its sources closed in the background
        (a Kubernetes source stops its watch threads), new ones built and started.
        """
        if self._make_sources is None:
            self.notify("switching is not available here", severity="warning")
            return
        self.actions.cancel(f"the console switched to {where(new)}")
        old = self.sources
        for source in SOURCE_NAMES:
            self.workers.cancel_group(self, f"{old.target}:{source}")
            self._wake.pop((old.target, source), None)
        del self.fleet_sources[old.target]
        self.fleet_latest.pop(old.target, None)
        index = next((i for i, t in enumerate(self.targets) if t.name == old.target), None)
        if index is None:
            self.targets.append(new)
        else:
            self.targets[index] = new
        try:
            sources = self._make_sources(new)
        except Exception as exc:  # a bad kubeconfig path, say: keep the console going
            self.notify(f"cannot open {new.name}: {exc}", severity="error")
            return
        self.fleet_sources[new.name] = sources
        self.latest = Latest()
        self._start_target(sources)
        self._show(new.name)
        self.run_worker(self._close_quietly(old), group="close")

    async def _close_quietly(self, sources: SourceSet) -> None:
        await self.actions.wait_sent(sources)  # a confirmed write through them finishes first
        with contextlib.suppress(Exception):
            await sources.aclose()

    def action_command(self) -> None:
        """`:` opens the command line: `ctx NAME`, `ns NAME`, `deploy NAME`."""
        self._ask_command()

    @work(group="command", exclusive=True)
    async def _ask_command(self) -> None:
        from console.sources.kubeconfig import kubeconfig_path, read_contexts

        ts = self.current_target
        contexts = ([t.name for t in self.targets] if self.settings.demo
                    else list(read_contexts(kubeconfig_path(ts.kubeconfig)).names))
        for t in self.targets:
            if t.name not in contexts:
                contexts.append(t.name)
        cluster = self.sources.cluster
        text = await self.push_screen_wait(CommandScreen(contexts, cluster.namespaces,
                                                         cluster.deployments))
        if text:
            await self.run_command(text)

    async def run_command(self, text: str) -> None:
        """Run one command line; a mistake is a notification, never a crash."""
        try:
            verb, arg = parse_command(text)
        except ValueError as exc:
            self.notify(str(exc), title="command", severity="warning")
            return
        ts = self.current_target
        if verb == "ctx":
            member = next((t for t in self.targets if arg in (t.name, t.context)), None)
            if member is not None:
                self.open_target(member.name)
                return
            self.open_target(self.sources.target)
            new = replace(ts, name=arg, context=arg,
                          cluster=arg if ts.cluster is not None else None)
            if ts.cluster is None and not self.settings.demo:
                self.notify(f"metrics still come from {ts.name}'s Prometheus: configure a "
                            f"target for {arg} to get its own", severity="warning", timeout=8)
            await self.switch_target(new)
        elif verb == "ns":
            await self.switch_target(replace(ts, namespace=arg))
        else:
            hpa = f"{arg}-hpa" if ts.hpa == f"{ts.deployment}-hpa" else ts.hpa
            await self.switch_target(replace(ts, deployment=arg, hpa=hpa))

    @work(group="command", exclusive=True)
    async def action_contexts(self) -> None:
        """`c`: the kubeconfig's contexts (and the fleet's targets); `enter` switches."""
        from console.sources.kubeconfig import kubeconfig_path, read_contexts

        ts = self.current_target
        found = (None if self.settings.demo
                 else read_contexts(kubeconfig_path(ts.kubeconfig)))
        names = list(found.names) if found else []
        for t in self.targets:
            if (t.context or t.name) not in names:
                names.append(t.context or t.name)
        current = ts.context or (found.current if found else None)
        chosen = await self.push_screen_wait(ContextsScreen(
            names, current, {t.context or t.name: t.name for t in self.targets},
            found.namespaces if found else {}))
        if chosen:
            await self.run_command(f"ctx {chosen}")

    async def on_unmount(self) -> None:
        if self.recorder is not None:
            self.recorder.close()
        for sources in list(self.fleet_sources.values()):
            with contextlib.suppress(Exception):  # closing on the way out must not raise
                await sources.aclose()


def _replace(latest: Latest, **changes: Any) -> Latest:
    from dataclasses import replace

    return replace(latest, **changes)

