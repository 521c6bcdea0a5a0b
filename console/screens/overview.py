"""The overview: models, alerts, the Deployment's pods beside the HPA, the status line.

Composed once and drawn from the console's one state (console/state/console_state.py),
panel by panel: a poll of one source redraws that source's panel and the status
line, nothing else. Tables update by key and only the cells whose text changed,
so the cursor stays where the user put it. The keys that act on or look into the
target shown here belong to this screen; the console-wide keys (quit, help, pause,
window, fleet, the command line) are the App's and work in the fleet view too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.geometry import Size
from textual.screen import Screen
from textual.widgets import Footer, Input

from console.actions.runner import ActionRequest
from console.model import Alert, ModelFigures, ModelKey, sort_alerts
from console.screens import overview_cause, overview_open
from console.screens.host import OverviewHost
from console.screens.silences import SilencesScreen
from console.state.console_state import Change, alertmanager_configured
from console.text.format import fmt_count
from console.views.alerts import alerts_title
from console.views.events import (
    EVENT_COLUMNS,
    event_rows,
    events_subtitle,
)
from console.views.layout import share_rows
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
)
from console.views.titles import TitleInputs, overview_title, status_line
from widgets.columns import Cell, Column
from widgets.keyed_table import KeyedTable
from widgets.ordered_input import OrderedInput
from widgets.text_panel import TextPanel

MIN_SIZE = (80, 24)
HPA_MIN_WIDTH = 50
"""#hpa's min-width in app.tcss: beside the pods the HPA keeps at least this."""
"""Below this the console shows a message instead of its panels (README: works at 80x24)."""
TREND_KEYS = ("rate_trend", "p95_trend")
DIALOG_ACTIONS = frozenset({"restart", "scale", "delete_pod", "silence", "rollback",
                            "hpa_bounds", "edit_config", "silences"})
OBJECT_TABLE = {"delete_pod": "pods", "silence": "alerts"}
"""The table whose selected row an action acts on: without it focused, it has no object."""
ModelRow = tuple[ModelFigures, tuple[float | None, ...], tuple[float | None, ...]]


def shown_points(per_model: Mapping[ModelKey, Iterable[float | None]], key: ModelKey
                 ) -> tuple[float | None, ...]:
    """The points a sparkline cell shows: a row's inputs are compared every refresh,
    and the older points kept for the drill-down never change its cells."""
    return tuple(per_model.get(key, ()))[-SPARK_CELLS:]


SCROLLBAR = 2
"""Columns a vertical scrollbar takes (Textual's default `scrollbar-size-vertical`)."""


class OverviewScreen(Screen[None]):
    # A screen's keys come before the App's in the footer: the overview lists its whole
    # keymap in the order the footer shows, the console-wide keys pointing at the App.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "app.quit", "Quit"),
        Binding("question_mark", "app.help", "Help", key_display="?"),
        # The keys that open an action's dialog act when the App reads them (priority), so
        # the keys typed after them wait for the dialog (screens/type_ahead.py) instead of
        # reaching the table first; with the filter box focused they are its letters.
        Binding("r", "restart", "Restart", priority=True),
        Binding("s", "scale", "Scale", priority=True),
        Binding("ctrl+d", "delete_pod", "Delete pod", priority=True),
        Binding("u", "rollback", "Roll back", show=False, priority=True),
        Binding("H", "hpa_bounds", "HPA bounds", key_display="H", show=False, priority=True),
        Binding("E", "edit_config", "Edit config", key_display="E", show=False, priority=True),
        Binding("V", "silences", "Silences", key_display="V", show=False, priority=True),
        Binding("l", "logs", "Logs"),
        Binding("e", "events", "Events"),
        Binding("S", "silence", "Silence", key_display="S", priority=True),
        Binding("enter", "drill", "Detail", show=False),
        Binding("w", "app.cycle_window", "Window"),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("p", "app.pause", "Pause"),
        Binding("x", "export", "Export"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        # Several clusters (issue 7): `f` shows only with a fleet; `:` and `c` work with one
        # target too (switch namespace or context) and are listed in the help.
        Binding("f", "app.fleet", "Fleet"),
        Binding("colon", "app.command", "Command", key_display=":", show=False),
        Binding("c", "app.contexts", "Contexts", show=False),
    ]

    def __init__(self, host: OverviewHost) -> None:
        super().__init__()
        self.host = host
        self.filter_text = ""
        self.narrow = False
        self._title: TitleInputs | None = None
        self._status_panel: TextPanel | None = None
        self.ready = False
        """The panels are mounted (the App's first resize comes before)."""
        self._sharing = False

    # ----------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        yield TextPanel(id="title")
        yield TextPanel(id="likely-cause")
        yield KeyedTable(self._model_columns(), id="models")
        yield KeyedTable(ALERT_COLUMNS, id="alerts")
        with Horizontal(id="cluster"):
            yield KeyedTable(POD_COLUMNS, id="pods")
            yield TextPanel(id="hpa")
        yield KeyedTable(EVENT_COLUMNS, id="events")
        yield OrderedInput(placeholder="filter models and pods (escape clears)", id="filter")
        yield TextPanel(id="status")
        yield Footer()
        yield TextPanel(id="too-small")

    def on_mount(self) -> None:
        self.ready = True
        self.models.border_title = "Models"
        self.pods.border_title = "Pods"
        self.alerts.border_title = "Alerts"
        self.query_one("#filter", Input).display = False
        self.check_size(self.app.size)
        self.set_narrow(self.app.size.width)
        self.render_title()
        self.render_status()
        # The status line only shows ages of stale data; on a slow link once per refresh will do.
        settings = self.host.settings
        self.set_interval(max(1.0, settings.refresh_s) if settings.low_bandwidth else 1.0,
                          self.render_status)
        self.host.start_feed()

    @property
    def models(self) -> KeyedTable:
        return self.query_one("#models", KeyedTable)

    @property
    def pods(self) -> KeyedTable:
        return self.query_one("#pods", KeyedTable)

    @property
    def alerts(self) -> KeyedTable:
        return self.query_one("#alerts", KeyedTable)

    def _model_columns(self) -> tuple[Column, ...]:
        """Trend sparklines change every refresh in every row: a slow link goes without."""
        if self.host.settings.low_bandwidth:
            return tuple(c for c in MODEL_COLUMNS if c.key not in TREND_KEYS)
        return MODEL_COLUMNS

    def check_size(self, size: Size) -> None:
        """Below 80x24 the panels cannot be laid out readably: say so instead of a broken screen."""
        width, height = size
        small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        if small:
            self.query_one("#too-small", TextPanel).show(
                f"terminal too small: {width}x{height}, "
                f"need at least {MIN_SIZE[0]}x{MIN_SIZE[1]}")
        # Even under a dialog: the dialog keeps its own layout.
        self.set_class(small, "too-small")
        self.render_likely_cause(size)
        self.share_space()
        if self.ready:  # the events' messages are cut to the new width
            self.call_after_refresh(self.render_cluster)

    def share_space(self) -> None:
        """Models and the cluster row share the rows left by need (views/layout.py), once
        the panels' new contents are laid out (the alerts' height is measured)."""
        if not self._sharing:
            self._sharing = True
            self.call_after_refresh(self._share_space)

    def _share_space(self) -> None:
        self._sharing = False
        if not self.ready or not self.is_attached:
            return
        models, cluster, pods = self.models, self.query_one("#cluster"), self.pods
        events = self.query_one("#events", KeyedTable)
        fixed = sum(w.outer_size.height for w in self.children
                    if w.display and w not in (models, cluster, events))
        hpa_rows = self.query_one("#hpa", TextPanel).outer_size.height if self.narrow else 0
        pods_need = pods.row_count + 3 + hpa_rows
        cluster_need = pods_need if self.narrow else max(
            pods_need, self.query_one("#hpa", TextPanel).outer_size.height)
        rows = share_rows(self.size.height - fixed, [models.row_count + 3, cluster_need],
                          [5, 4 + hpa_rows])
        # Rows Models does not need go to the events (a border, the header, one event at
        # least), never rows the models or pods need.
        spare = min(rows[0] - (models.row_count + 3), events.row_count + 3)
        events_rows = spare if events.row_count and spare >= 4 else 0
        with self.app.batch_update():
            events.display = events_rows > 0
            events.styles.height = events_rows
            models.styles.height = rows[0] - events_rows
            cluster.styles.height = rows[1]
            cluster.styles.max_height = rows[1]
            pods.styles.max_height = rows[1] - hpa_rows

    def set_narrow(self, width: int, narrow_below: int = 110) -> None:
        """No media queries in TCSS: a class stacks the cluster row, compact, on terminals
        narrower than the HPA and pods need side by side."""
        narrow = width < narrow_below
        # Side by side the HPA keeps its min-width (app.tcss): the pods get at most the rest,
        # and fit their columns into it (a long status gives up cells, the nodes stay whole).
        self.pods.styles.max_width = None if narrow else min(width * 3 // 4,
                                                              width - HPA_MIN_WIDTH)
        if narrow != self.narrow:
            self.narrow = narrow
            self.query_one("#cluster").set_class(narrow, "narrow")
            self.render_cluster()

    # --------------------------------------------------------------- drawing
    def show(self, change: Change) -> None:
        """Redraw what one poll changed: its source's panel and the status line."""
        if change.source == "prometheus":
            self.render_models()
        elif change.source == "kubernetes":
            self.render_cluster()
        elif change.source == "alertmanager":
            self.render_alerts()
        else:
            return
        self.render_likely_cause()
        self.render_status()

    def render_likely_cause(self, size: Size | None = None) -> None:
        """Every poll can change the cause; the panel repaints only when its text changed."""
        if self.ready:
            width, height = size or self.app.size
            overview_cause.render(self.query_one("#likely-cause", TextPanel), self.host,
                                  width, height)

    def render_all(self) -> None:
        self.render_title()
        self.render_likely_cause()
        self.render_models()
        self.render_alerts()
        self.render_cluster()
        self.render_status()

    def clear_tables(self) -> None:
        """Another target's rows: the same row keys of another cluster are other rows."""
        with self.app.batch_update():
            for table in (self.models, self.alerts, self.pods):
                table.sync({})

    def title_inputs(self) -> TitleInputs:
        state, settings = self.host.state, self.host.settings
        return TitleInputs(
            target=state.current_target, demo=settings.demo,
            fleet=tuple(t.name for t in state.targets), window_s=state.window_s,
            refresh_s=settings.refresh_s, read_only=self.host.runner.read_only,
            paused=state.paused, filter_text=self.filter_text,
            recording=self.host.recording,
            profile="" if settings.demo else settings.profile + (
                " (auto)" if settings.profile_note else ""))

    def render_title(self) -> None:
        inputs = self.title_inputs()
        if inputs != self._title:  # the same inputs draw the same title: skip making it
            self._title = inputs
            self.query_one("#title", TextPanel).show(self.title_text(inputs))

    def title_text(self, inputs: TitleInputs) -> Text:
        """The title line; replay's screen puts the recording's place first."""
        return overview_title(inputs)

    def _matches(self, *words: str) -> bool:
        needle = self.filter_text.lower()
        return not needle or any(needle in w.lower() for w in words)

    def render_models(self) -> None:
        state = self.host.state
        reading = state.latest.metrics
        table = self.models
        # Each row as its inputs (figures and trends): the table compares them and makes
        # cells only for changed rows on screen; with 1,000 models, formatting every row
        # every refresh was most of the refresh's CPU (tests/perf).
        rows: dict[str, ModelRow] = {}
        if reading is not None:
            rates = state.trends.get("request_rate", {})
            p95s = state.trends.get("p95_latency_s", {})
            for m in models_in_triage_order(reading.models):
                if self._matches(m.provider, m.model):
                    rows[model_row_key(m.key)] = (
                        m, shown_points(rates, m.key), shown_points(p95s, m.key))
        low_bandwidth = self.host.settings.low_bandwidth

        def build(row: ModelRow) -> tuple[Cell, ...]:
            cells = model_cells(*row)
            if low_bandwidth:
                cells = tuple(c for c, col in zip(cells, MODEL_COLUMNS, strict=True)
                              if col.key not in TREND_KEYS)
            return cells

        with self.app.batch_update():
            table.sync_lazy(rows, build)
        status = state.latest.metrics_status
        table.set_titles("Models", (
            (reading and reading.series_note) or fmt_count(len(rows), "model")
            if status is None or status.ok
            else f"✗ {status.error}"
        ))
        self.share_space()

    def render_cluster(self) -> None:
        latest = self.host.state.latest
        reading, status = latest.cluster, latest.cluster_status
        error = status.error if status is not None and not status.ok else None
        hpa_panel = self.query_one("#hpa", TextPanel)
        pods = self.pods
        with self.app.batch_update():
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
            events = reading.events if reading else ()
            now = self.host.clock()
            panel = self.query_one("#events", KeyedTable)
            # The whole width, inside its border, less a scrollbar's (when they scroll).
            panel.sync(event_rows(events, now, self.app.size.width - 2 - SCROLLBAR))
            panel.set_titles("Events", events_subtitle(events))
        dep = reading.deployment if reading else None
        pods.set_titles(deployment_title(dep), rollout_note(dep, len(rows), error))
        self.share_space()

    def render_alerts(self) -> None:
        """A failed poll keeps the last good rows, under a title that says they are old."""
        latest = self.host.state.latest
        reading, status = latest.alerts, latest.alerts_status
        shown = sort_alerts(reading.alerts) if reading is not None else ()
        now = self.host.clock()
        with self.app.batch_update():
            self.alerts.sync({alert_row_key(a): alert_cells(a, now) for a in shown})
        self.alerts.set_titles("Alerts", alerts_title(reading, status, now))
        self.share_space()

    def render_status(self) -> None:
        # The 1 s timer can fire while the app is being torn down, after the panels went.
        panel = self._status_panel
        if panel is None or not panel.is_attached:
            panel = self._status_panel = next(iter(self.query("#status").results(TextPanel)),
                                              None)
        if panel is not None:
            state, settings = self.host.state, self.host.settings
            panel.show(status_line(state.latest, self.host.clock(),
                                   alertmanager_configured(settings, state.current_target)))

    # ------------------------------------------------------------ selection
    def selected_pod(self) -> str | None:
        key = self.pods.selected_key
        reading = self.host.state.latest.cluster
        if key is None or reading is None:
            return None
        return next((pod.name for pod in reading.pods if pod_row_key(pod) == key), None)

    def selected_alert(self) -> Alert | None:
        key = self.alerts.selected_key
        if key is None:
            return None
        return next((a for a in self.host.snapshot().alerts if alert_row_key(a) == key), None)

    # ----------------------------------------------- actions (console/actions/flow.py)
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The footer offers a key only where it does something: in the filter box the
        action letters are letters; `^d` needs the pods table, `S` the alerts table.
        Read-only keeps them: there they say why not (and the refusal is audited)."""
        focused = self.focused
        if action in DIALOG_ACTIONS and isinstance(focused, Input):
            return False
        if self.host.runner.read_only or action not in OBJECT_TABLE:
            return True
        return focused is not None and focused.id == OBJECT_TABLE[action]

    def action_restart(self) -> None:
        self.host.actions.start(ActionRequest("restart"))

    def action_scale(self) -> None:
        self.host.actions.start(ActionRequest("scale"))

    def action_rollback(self) -> None:
        self.host.actions.start(ActionRequest("rollback"))

    def action_hpa_bounds(self) -> None:
        self.host.actions.start(ActionRequest("hpa-bounds"))

    def action_silences(self) -> None:
        self.app.push_screen(SilencesScreen(
            self.host.sources.alerts.silences,
            lambda sid: self.host.actions.start(ActionRequest("expire-silence", silence_id=sid))))

    def action_edit_config(self) -> None:
        self.host.actions.start(ActionRequest("edit-config"))

    def action_delete_pod(self) -> None:
        pod = self.selected_pod()
        if pod is None and not self.host.runner.read_only:
            self.notify("select a pod first (tab to the pods table)", severity="warning")
            return
        self.host.actions.start(ActionRequest("delete-pod", pod=pod))

    def action_silence(self) -> None:
        alert = self.selected_alert()
        if alert is None and not self.host.runner.read_only:
            self.notify("select an alert first (tab to the alerts table)", severity="warning")
            return
        if alert is not None and alert.silenced and alert.silence_ids:
            self.host.actions.start(ActionRequest("expire-silence", alert=alert,
                                                  silence_id=alert.silence_ids[0]))
            return
        self.host.actions.start(ActionRequest("silence", alert=alert))

    # --------------------------------------------- looking closer (overview_open.py)
    def action_logs(self) -> None:
        overview_open.logs(self, self.host, self.selected_pod())

    def action_events(self) -> None:
        pod = self.selected_pod() if self.focused is self.pods else None
        self.run_worker(overview_open.events(self, self.host, pod), group="events",
                        exclusive=True)

    def action_drill(self) -> None:
        if self.focused is self.alerts:
            opening = overview_open.alert(self, self.host, self.selected_alert())
        elif self.focused is self.pods:
            opening = overview_open.pod_detail(self, self.host, self.selected_pod())
        else:
            opening = overview_open.model_detail(self, self.host, self.models.selected_key)
        self.run_worker(opening, group="events", exclusive=True)

    def on_keyed_table_row_selected(self, event: KeyedTable.RowSelected) -> None:
        # The focused table owns `enter` (it selects the row); selecting is drilling in.
        event.stop()
        self.action_drill()

    def action_export(self) -> None:
        overview_open.export(self, self.host)

    # --------------------------------------------------------------- filter
    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()
        self.share_space()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self._filter(event.value.strip())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self.models.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.display or self.filter_text:
            box.value = ""
            box.display = False
            self._filter("")
            self.share_space()
            self.models.focus()

    def _filter(self, text: str) -> None:
        self.filter_text = text
        self.render_title()
        self.render_models()
        self.render_cluster()
