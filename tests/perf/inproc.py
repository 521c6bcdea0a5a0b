"""Refresh cost at scale, in process: CPU of one refresh applied to the overview.

A real source cannot produce 1,000 models on demand, so this feeds the App
the same typed messages its workers post (MetricsPolled, ClusterPolled) with
synthetic readings, under `run_test` (headless: the compositor still renders
every frame). Each refresh changes a realistic share of the figures: each
figure of each model changes with probability 0.3, like a real refresh where
most displayed figures keep their rounded value.

What is timed is CPU only (`time.thread_time`: the event loop's thread), and
only the work the refresh causes: the App's two handlers (figures to cells,
KeyedTable.sync) and the screen update that draws the frame they caused
(layout if needed, the compositor's render of the dirty regions, and the
escape sequences a terminal would be sent, which a headless App skips and
this adds back), summed over one refresh. Earlier versions timed the whole wait under Pilot and
subtracted an idle wait; Pilot's own polling of every widget made that figure
swing by ±3 ms on this 2-core machine, more than the thing measured.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from textual._compositor import CompositorUpdate
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable

from console.app import GatewayConsole
from console.messages import ClusterPolled, MetricsPolled
from console.model import (
    ClusterReading,
    DeploymentState,
    HpaState,
    MetricsReading,
    ModelFigures,
    PodState,
    SourceStatus,
)
from console.state.polling import PollResult
from console.views.overview import MODEL_COLUMNS, model_cells, model_row_key
from tests.app_harness import demo_app, wait_for_data
from widgets import textual_patches
from widgets.columns import Cell, Styled
from widgets.keyed_table import KeyedTable

CHANGE_P = 0.3
"""Share of figures that change per refresh."""


class _DataTableApp(App[None]):
    """The reference: Textual's DataTable updated cell by cell with `update_cell`, as the
    first sketch of the overview had it, fed the same refreshes and timed the same way."""

    CSS = "DataTable { height: 1fr; }"

    def compose(self) -> ComposeResult:
        yield DataTable(id="ref", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for col in MODEL_COLUMNS:
            table.add_column(col.label, key=col.key, width=col.width)

    def on_metrics_polled(self, event: MetricsPolled) -> None:
        reading = event.result.reading
        assert isinstance(reading, MetricsReading)
        table: DataTable[Cell] = self.query_one(DataTable)
        keys = [c.key for c in MODEL_COLUMNS]
        with self.batch_update():
            for m in reading.models:
                key = model_row_key(m.key)
                cells = tuple(c.as_text() if isinstance(c, Styled) else c
                              for c in model_cells(m, (), ()))
                if key not in table.rows:
                    table.add_row(*cells, key=key)
                    continue
                for col, new in zip(keys, cells, strict=True):
                    if table.get_cell(key, col) != new:
                        table.update_cell(key, col, new)


async def reference_cost(models: int, refreshes: int) -> list[float]:
    """CPU ms per refresh of the DataTable reference with `models` rows, 20 of them visible
    (the overview's models panel at 120x40 shows 19)."""
    rng = random.Random(7)
    spent: list[float] = []
    timing = [False]
    with _cpu_of(spent, timing, ((_DataTableApp, "on_metrics_polled"),
                                 (Screen, "_on_timer_update"))):
        app = _DataTableApp()
        async with app.run_test(size=(120, 21)) as pilot:
            figures = _first(models)

            def post() -> None:
                app.post_message(MetricsPolled(PollResult(
                    "prometheus", MetricsReading(tuple(figures), ()), _status())))

            post()
            await pilot.pause(0.3)
            samples = []
            for _ in range(refreshes):
                figures = _next(figures, rng)
                await _settle(pilot)
                spent.clear()
                timing[0] = True
                post()
                await _settle(pilot)
                timing[0] = False
                samples.append(sum(spent) * 1000)
            return samples


@dataclass
class RefreshCost:
    models: int
    pods: int
    cpu_ms: list[float]
    cells_changed: list[int]
    cursor_kept: bool
    scroll_kept: bool

    @property
    def median_ms(self) -> float:
        return statistics.median(self.cpu_ms)

    @property
    def median_cells(self) -> float:
        return statistics.median(self.cells_changed)


def _first(n: int) -> list[ModelFigures]:
    return [ModelFigures(f"bench-{i % 4}", f"model-{i:04d}", 1.0 + i % 10, 0.001 * (i % 5),
                         0.4 + 0.1 * (i % 8), 0.2, 100.0 + i, 1.0 + i % 3) for i in range(n)]


def _next(base: list[ModelFigures], rng: random.Random) -> list[ModelFigures]:
    """Each figure moves a few % with probability CHANGE_P; levels (and so order) stay."""

    def move(value: float | None, lo: float, hi: float) -> float | None:
        if value is None or rng.random() >= CHANGE_P:
            return value
        return min(hi, max(lo, value * rng.uniform(0.85, 1.15)))

    return [replace(m,
                    request_rate=move(m.request_rate, 0.1, 1e6),
                    error_ratio=move(m.error_ratio, 0.0, 0.02),  # below the WARN level
                    p95_latency_s=move(m.p95_latency_s, 0.1, 1.2),  # below 1.5 s WARN
                    ttft_p95_s=move(m.ttft_p95_s, 0.05, 1.0),
                    output_tokens_per_s=move(m.output_tokens_per_s, 1.0, 1e7),
                    cost_per_hour_usd=move(m.cost_per_hour_usd, 0.01, 1e5))
            for m in base]


def _pods(n: int, tick: int) -> tuple[PodState, ...]:
    return tuple(PodState(f"ai-gateway-7d9f8b6c5-{i:05d}", "Running", True, 0,
                          3600.0 + 2 * tick, f"node-{i % 20}", None, uid=f"uid-{i}")
                 for i in range(n))


def _status() -> SourceStatus:
    return SourceStatus(True, None, 12.0, last_ok_at=time.time())


async def _settle(pilot: Pilot[Any]) -> None:
    """Until every pending message is handled and the frame they caused is rendered."""
    await pilot.pause()
    await pilot.pause()


TIMED = ((GatewayConsole, "on_metrics_polled"), (GatewayConsole, "on_cluster_polled"),
         (Screen, "_on_timer_update"))
"""What a refresh makes the App do: its two handlers, and the screen update after them."""


@contextmanager
def _cpu_of(spent: list[float], timing: list[bool],
            methods: Sequence[tuple[type, str]] = TIMED) -> Iterator[None]:
    """Add each call's CPU seconds to `spent` while `timing[0]`, for `methods`.

    Wrapped on the classes before the App starts: the screen's update timer keeps
    the bound method it was given when it was mounted.
    """
    originals = [(cls, name, cls.__dict__[name]) for cls, name in methods]

    def timed(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not timing[0]:
                return method(*args, **kwargs)
            t0 = time.thread_time()
            try:
                return method(*args, **kwargs)
            finally:
                spent.append(time.thread_time() - t0)
        return wrapper

    display = App._display

    def display_and_encode(app: App[Any], screen: Screen[Any], renderable: Any) -> None:
        display(app, screen, renderable)
        if app.is_headless and isinstance(renderable, CompositorUpdate):
            renderable.render_segments(app.console)  # what a real terminal is written

    for cls, name, method in originals:
        setattr(cls, name, timed(method))
    App._display = display_and_encode  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        for cls, name, method in originals:
            setattr(cls, name, method)
        App._display = display  # type: ignore[method-assign]


async def refresh_cost(models: int, pods: int, refreshes: int) -> RefreshCost:
    """CPU ms of one metrics + cluster refresh with `models` and `pods`, per refresh."""
    rng = random.Random(7)
    spent: list[float] = []
    timing = [False]
    with TemporaryDirectory() as tmp, _cpu_of(spent, timing):
        app = demo_app(Path(tmp), refresh="1h")  # its own polls: once, then idle
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for_data(pilot)
            figures = _first(models)
            dep = DeploymentState("ai-services", "ai-gateway", pods, pods, pods, pods)
            hpa = HpaState("ai-gateway-hpa", 3, 300, pods, pods)

            def post(tick: int) -> None:
                app.post_message(MetricsPolled(PollResult(
                    "prometheus", MetricsReading(tuple(figures), ()), _status())))
                app.post_message(ClusterPolled(PollResult(
                    "kubernetes", ClusterReading(dep, _pods(pods, tick), hpa), _status())))

            post(0)
            await pilot.pause(0.3)
            table = app.query_one("#models", KeyedTable)
            table.focus()
            for _ in range(min(12, models - 1)):
                await pilot.press("down")
            table.scroll_to(y=min(5, max(0, models - 10)), animate=False)
            await pilot.pause(0.1)
            cursor, scroll, key = table.cursor_row, table.scroll_offset, table.selected_key
            samples, changed = [], []
            for tick in range(1, refreshes + 1):
                figures = _next(figures, rng)
                await _settle(pilot)
                spent.clear()
                timing[0] = True
                post(tick)
                await _settle(pilot)
                timing[0] = False
                samples.append(sum(spent) * 1000)
                changed.append(table.cells_updated)
            return RefreshCost(models, pods, samples, changed,
                               table.cursor_row == cursor and table.selected_key == key,
                               table.scroll_offset == scroll)


def in_fresh_process(what: str, models: int, pods: int, refreshes: int) -> RefreshCost:
    """`refresh_cost` (what="ours") or `reference_cost` ("reference") in a child process.

    The full benchmark's own process runs pty reader threads and the test stack's
    servers beside it; timed there, one refresh cost 1.6x what it costs in a process
    of its own, which is what a user's console is.
    """
    out = subprocess.run(
        [sys.executable, "-m", "tests.perf.inproc", what, str(models), str(pods),
         str(refreshes)],
        capture_output=True, text=True, check=True, timeout=600,
        cwd=Path(__file__).resolve().parents[2])
    return RefreshCost(**json.loads(out.stdout.strip().splitlines()[-1]))


def in_fresh_processes(what: str, models: int, pods: int, refreshes: int,
                       processes: int) -> RefreshCost:
    """`in_fresh_process` `processes` times, one after another, samples pooled.

    One process's median moved by up to 1.5x from minute to minute on this VM;
    pooling refreshes from processes started a few seconds apart evens that out.
    """
    runs = [in_fresh_process(what, models, pods, refreshes) for _ in range(processes)]
    return RefreshCost(models, pods, [ms for r in runs for ms in r.cpu_ms],
                       [n for r in runs for n in r.cells_changed],
                       all(r.cursor_kept for r in runs), all(r.scroll_kept for r in runs))


def _main(argv: Sequence[str]) -> None:
    textual_patches.install()  # as the CLI does: the console users run, and the reference too
    what, models, pods, refreshes = argv[0], *map(int, argv[1:4])
    if what == "reference":
        samples = asyncio.run(reference_cost(models, refreshes))
        result = RefreshCost(models, 0, samples, [], True, True)
    else:
        result = asyncio.run(refresh_cost(models, pods, refreshes))
    print(json.dumps(dataclasses.asdict(result)))


if __name__ == "__main__":
    _main(sys.argv[1:])
