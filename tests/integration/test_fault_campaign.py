"""Fault campaign: the live console against the real stack, one fault at a time.

One GatewayConsole (real Prometheus, Alertmanager and Kubernetes sources, built
exactly as the CLI builds them) runs for the whole module under Pilot, each
source behind its own `FaultProxy`. For every source and fault the console must
keep running, name the fault in one credential-free line with the data's age,
keep the other sources updating, and show the right figures again within one
refresh of the fault ending. A short soak of rotating faults closes the module.

The app is shared (module-scoped event loop) because starting one per case
would cost more than the faults themselves on a two-core machine.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from textual.pilot import Pilot
from textual.worker import WorkerState

from console.app import GatewayConsole
from console.clock import system_clock
from console.config.settings import TargetSettings
from console.model import SourceName
from console.sources.base import SourceError
from console.sources.kubernetes import KubernetesSource
from tests.app_harness import cell_text
from tests.stack import kube_objects
from tests.stack.fault_proxy import (
    CONTEXT,
    FAULTS,
    KUBE_TOKEN,
    SOURCES,
    TOKENS,
    FaultProxy,
    apply_fault,
    build_app,
    rss_bytes,
    status_line,
    write_kubeconfig,
)
from tests.stack.fixtures import GatewayStack
from tests.stack.kube_emulator import KubeEmulator
from tests.stack.kube_fixtures import loaded_emulator
from widgets.keyed_table import KeyedTable

pytestmark = [pytest.mark.stack, pytest.mark.asyncio(loop_scope="module")]

MODELS = {"gpt-4.1", "claude-sonnet-4.5", "gemini-2.5-flash", "deepseek-v3.2"}
DETECT_S = 25.0
"""Generous bound to see a fault: a Kubernetes stall takes the read timeout (5 s) to
notice the stalled watch plus another to fail the re-list, on a shared, busy machine."""


@dataclass
class Campaign:
    app: GatewayConsole
    pilot: Pilot[int]
    proxies: dict[str, FaultProxy]
    emulator: KubeEmulator
    stack: GatewayStack
    log_records: list[logging.LogRecord] = field(default_factory=list)

    def url(self, source: str) -> str:
        return self.proxies[source].url


class _Collect(logging.Handler):
    def __init__(self, into: list[logging.LogRecord]) -> None:
        super().__init__(logging.DEBUG)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.into) < 10_000:
            self.into.append(record)


@pytest.fixture(scope="module")
def emulator() -> Iterator[KubeEmulator]:
    emu = loaded_emulator(KUBE_TOKEN, bookmark_interval_s=1.0)
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def campaign(gateway_stack: GatewayStack, emulator: KubeEmulator,
                   tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Campaign]:
    proxies = {
        "prometheus": FaultProxy(gateway_stack.prometheus_url).start(),
        "alertmanager": FaultProxy(gateway_stack.alertmanager_url).start(),
        "kubernetes": FaultProxy(emulator.url).start(),
    }
    records: list[logging.LogRecord] = []
    handler = _Collect(records)
    logging.getLogger().addHandler(handler)
    ours = logging.getLogger("console")  # everything the console logs, debug included
    level = ours.level
    ours.setLevel(logging.DEBUG)
    app = build_app({name: p.url for name, p in proxies.items()},
                    tmp_path_factory.mktemp("campaign"))
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            run = Campaign(app, pilot, proxies, emulator, gateway_stack, records)
            await until(pilot, lambda: healthy(app) and figures_right(app), 40.0,
                        "all sources healthy with the known figures at start")
            yield run
    finally:
        ours.setLevel(level)
        logging.getLogger().removeHandler(handler)
        for proxy in proxies.values():
            proxy.stop()


# -- helpers -----------------------------------------------------------------------------------


async def until(pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float,
                what: str, app: GatewayConsole | None = None) -> float:
    """Wait (bounded) until `predicate`; returns the seconds it took. On failure the message
    ends with the status line as it is then, not as it was when the wait began."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            now = f"; status now {status_line(app)!r}" if app is not None else ""
            raise AssertionError(f"not within {timeout:g}s: {what}{now}")
        await pilot.pause(0.05)
    return time.monotonic() - start


def status_of(app: GatewayConsole, source: str) -> Any:
    return {"prometheus": app.latest.metrics_status, "kubernetes": app.latest.cluster_status,
            "alertmanager": app.latest.alerts_status}[source]


def healthy(app: GatewayConsole, *names: str) -> bool:
    return all((s := status_of(app, n)) is not None and s.ok for n in names or SOURCES)


def segment(line: str, source: str) -> str:
    """The part of the status line about one source (the line lists them in order)."""
    marks = [m.start() for m in re.finditer(r"[✓✗…·] (prometheus|kubernetes|alertmanager)",
                                            line)]
    for i, start in enumerate(marks):
        end = marks[i + 1] if i + 1 < len(marks) else len(line)
        if line[start + 2:].startswith(source):
            return line[start:end].strip()
    raise AssertionError(f"{source} not in status line {line!r}")


def figures_right(app: GatewayConsole) -> bool:
    """Models on screen with the exporter's known rates (5 %), pods and alerts as served."""
    reading, cluster = app.latest.metrics, app.latest.cluster
    if reading is None or cluster is None or {m.model for m in reading.models} != MODELS:
        return False
    truth = {"gpt-4.1": 20.0, "claude-sonnet-4.5": 12.0, "gemini-2.5-flash": 30.0,
             "deepseek-v3.2": 10.0}
    models = app.query_one("#models", KeyedTable)
    for m in reading.models:
        if m.request_rate is None or abs(m.request_rate - truth[m.model]) > 0.05 * truth[m.model]:
            return False
        if cell_text(models, f"{m.provider}/{m.model}", "rate") != f"{m.request_rate:.1f}":
            return False
    pods = app.query_one("#pods", KeyedTable)
    return pods.row_count == len(cluster.pods) == 3 and any(
        a.name == "HighErrorRate" for a in app.snapshot().alerts)


def assert_clean(run: Campaign) -> None:
    """No token on screen, in a notification or in a log record; the app still runs."""
    app = run.app
    assert app.is_running and app._exception is None
    screen = app.export_screenshot()
    notes = " ".join(str(n.message) for n in list(app._notifications))
    logs = " ".join(r.getMessage() for r in run.log_records)
    for token in TOKENS:
        assert token not in screen and token not in notes and token not in logs
        assert token not in status_line(app)


@dataclass(frozen=True)
class Expect:
    text: str
    """A regular expression the source's status segment must match."""
    error: bool = True
    """False: the source stays ✓ (the fault makes figures unknown, not the source fail)."""


def expected(run: Campaign, source: str, fault: str) -> Expect:
    url = re.escape(run.url(source))
    if source == "kubernetes":
        host = url
        return {
            "refused": Expect(rf"Kubernetes API unreachable at {host} \(connection refused\)"),
            "reset": Expect(rf"connection to the Kubernetes API at {host} dropped "
                            rf"\(list {LISTED}\)"),
            "http_500": Expect(rf"Kubernetes API error 500 on list {LISTED}: "
                               r"injected fault 500 for \*\*\*"),
            "http_503": Expect(rf"Kubernetes API error 503 on list {LISTED}: "
                               r"injected fault 503 for \*\*\*"),
            "http_401": Expect(rf"credentials expired or invalid for context {CONTEXT}"),
            "http_403": Expect(rf"forbidden: cannot list {LISTED} in namespace ai-services"),
            "stall": Expect(rf"(no answer within 5s|Kubernetes API at {host} did not answer "
                            rf"within 5 s \(list {LISTED}\))"),
            "malformed": Expect(rf"malformed JSON from the Kubernetes API at {host} "
                                rf"\(list {LISTED}\)"),
            "truncated": Expect(rf"malformed JSON from the Kubernetes API at {host} "
                                rf"\(list {LISTED}\)"),
            "watch_ends": Expect(r"", error=False),
        }[fault]
    api = "Prometheus" if source == "prometheus" else "Alertmanager"
    return {
        "refused": Expect(rf"connection refused at {url}"),
        "reset": Expect(rf"{api} at {url} dropped the connection mid-answer"),
        "http_500": Expect(rf"HTTP 500 from {api} at {url}: injected: "
                           r"injected fault 500 for Bearer \*\*\*"),
        "http_503": Expect(rf"HTTP 503 from {api} at {url}: injected: "
                           r"injected fault 503 for Bearer \*\*\*"),
        "http_401": Expect(rf"unauthorized: check the bearer token \(HTTP 401 from {api} "
                           rf"at {url}\)"),
        "http_403": Expect(rf"forbidden: check the bearer token \(HTTP 403 from {api} "
                           rf"at {url}\)"),
        "stall": Expect(rf"timed out after 1s waiting for {api} at {url}"),
        "malformed": Expect(rf"malformed JSON from {api} at {url}"),
        "truncated": Expect(rf"malformed JSON from {api} at {url}"),
        "nan": Expect("", error=False),
        "inf": Expect("", error=False),
    }[fault]


LISTED = "(deployments|pods)"
"""The essential kinds; whichever informer notices the fault first re-lists and fails."""


def affected(source: SourceName, fault: str) -> set[SourceName]:
    """Sources a fault may legitimately fail: Prometheus refusing connections also takes the
    alerts (read from Prometheus' /api/v1/alerts) down; path-scoped faults do not."""
    if source == "prometheus" and fault == "refused":
        return {"prometheus", "alertmanager"}
    return {source}


# -- the matrix --------------------------------------------------------------------------------

ORDER: tuple[SourceName, ...] = ("prometheus", "alertmanager", "kubernetes")
CASES = [(s, f) for s in ORDER for f in FAULTS[s]]


@pytest.mark.parametrize(("source", "fault"), CASES, ids=[f"{s}-{f}" for s, f in CASES])
async def test_fault(campaign: Campaign, source: SourceName, fault: str) -> None:
    run, app, pilot = campaign, campaign.app, campaign.pilot
    await until(pilot, lambda: healthy(app) and figures_right(app), 30.0,
                "healthy with the right figures before the fault")
    before_alerts = {a.key for a in app.snapshot().alerts}
    before_pods = {p.name for p in app.latest.cluster.pods}  # type: ignore[union-attr]
    others = set(SOURCES) - affected(source, fault)
    polls_at_start = dict(app.polls)
    started = time.monotonic()
    expect = expected(run, source, fault)
    apply_fault(run.proxies[source], source, fault)
    try:
        if expect.error:
            pattern = re.compile(rf"^✗ {source} {expect.text} \(data (?P<age>\d+)s old\)$")
            await until(pilot, lambda: bool(pattern.match(segment(status_line(app), source))),
                        DETECT_S, f"{source} status naming {fault}", app)
            line = status_line(app)
            assert "\n" not in line
            match = pattern.match(segment(line, source))
            assert match is not None, line
            status = status_of(app, source)
            shown_age = int(match.group("age"))
            true_age = time.time() - status.last_ok_at
            assert abs(shown_age - true_age) <= 2.5, (shown_age, true_age)
            assert shown_age <= time.monotonic() - started + 2.5
            assert "\n" not in status.error and status.error == status.error.strip()
        else:
            await soak_case(run, source, fault)
        # The other sources kept polling and kept their figures on screen.
        await until(pilot, lambda: all(app.polls[o] >= polls_at_start[o] + 2 for o in others),
                    10.0, f"other sources polled during {fault}: {app.polls}")
        for other in others:
            assert healthy(app, other), segment(status_line(app), other)
            assert segment(status_line(app), other).startswith(f"✓ {other}")
        if "prometheus" in others:
            assert {m.model for m in app.latest.metrics.models} == MODELS  # type: ignore[union-attr]
            assert app.query_one("#models", KeyedTable).row_count == 4
        if "kubernetes" in others:
            assert app.query_one("#pods", KeyedTable).row_count == 3
        if "alertmanager" in others:
            assert {a.key for a in app.snapshot().alerts} == before_alerts
        assert_clean(run)
    finally:
        run.proxies[source].forward()
    # Within one refresh of the fault ending (the poll in flight may still see it, the next
    # one must not), the figures are right again.
    polls_at_end = app.polls[source]
    await until(pilot, lambda: healthy(app, source), 15.0,
                f"{source} recovered after {fault}", app)
    assert app.polls[source] - polls_at_end <= 2, (
        f"{source} needed {app.polls[source] - polls_at_end} polls to recover from {fault}")
    await until(pilot, lambda: healthy(app) and figures_right(app), 10.0,
                f"figures right again after {fault}")
    assert segment(status_line(app), source).startswith(f"✓ {source}")
    # No watch note left over from the fault ("▲ watch ... keeps breaking") once it is gone.
    # (A pod-metrics note may stay: a metrics API that timed out is asked again after 60 s,
    # by design, so a slow metrics-server is not hammered.)
    # A watch still backing off says so until it re-opens: at most the source's longest
    # backoff (30 s) after the fault, longer than 10 s when faults came in a row.
    await until(pilot, lambda: "▲ watch" not in segment(status_line(app), "kubernetes"),
                40.0, f"no watch note left after {fault}", app)
    assert {a.key for a in app.snapshot().alerts} == before_alerts
    assert {p.name for p in app.latest.cluster.pods} == before_pods  # type: ignore[union-attr]
    assert_clean(run)


async def soak_case(run: Campaign, source: str, fault: str) -> None:
    """Faults that must not fail the source: NaN/Inf values and watches that keep ending."""
    app, pilot = run.app, run.pilot
    if fault in ("nan", "inf"):
        models = app.query_one("#models", KeyedTable)
        # Unknown, never a made-up number: every figure cell reads "—", the source stays ✓.
        await until(pilot, lambda: all(
            cell_text(models, f"holysheep/{m}", "rate") == "—" for m in MODELS), 10.0,
            f"{fault} values shown as unknown")
        for m in MODELS:
            assert cell_text(models, f"holysheep/{m}", "errors").startswith("—")
            assert cell_text(models, f"holysheep/{m}", "p95").startswith("—")
        assert segment(status_line(app), "prometheus").startswith("✓ prometheus")
        reading = app.latest.metrics
        assert reading is not None and all(m.request_rate is None for m in reading.models)
        return
    assert fault == "watch_ends"
    # Watches are cut every 2 s for 7 s; a change made meanwhile still reaches the screen
    # and the source never reports a failure.
    emu, pods = run.emulator, app.query_one("#pods", KeyedTable)
    dep = emu.get("Deployment", kube_objects.DEPLOYMENT)
    assert dep is not None
    ready = dep["status"]["readyReplicas"]
    deadline = time.monotonic() + 7.0
    changed = False
    try:
        while time.monotonic() < deadline:
            assert healthy(app, "kubernetes"), status_line(app)
            if not changed and time.monotonic() > deadline - 4.0:
                emu.patch("Deployment", kube_objects.DEPLOYMENT,
                          {"status": {"readyReplicas": 1}})
                changed = True
                await until(pilot, lambda: "ready 1/3" in str(pods.border_title), 5.0,
                            f"a change during cut watches reached the pods panel: "
                            f"{pods.border_title!r} {app.latest.cluster.deployment}")  # type: ignore[union-attr]
            await pilot.pause(0.1)
        assert run.proxies["kubernetes"].connections_total > 5
    finally:
        emu.patch("Deployment", kube_objects.DEPLOYMENT, {"status": {"readyReplicas": ready}})
    await until(pilot, lambda: f"ready {ready}/3" in str(pods.border_title), 5.0,
                "restored readiness shown")


# -- short soak ----------------------------------------------------------------------------------


SOAK_S = float(os.environ.get("FAULT_SOAK_S", "35"))


async def test_short_soak_of_rotating_faults(campaign: Campaign) -> None:
    """Rotating faults on every source for ~35 s: no crash, bounded memory, healthy at the end."""
    run, app, pilot = campaign, campaign.app, campaign.pilot
    await until(pilot, lambda: healthy(app) and figures_right(app), 30.0, "healthy before soak")
    rotation = list(CASES)
    rss_start = rss_bytes()
    polls_start = dict(app.polls)
    end = time.monotonic() + SOAK_S
    i = 0
    while time.monotonic() < end:
        source, fault = rotation[(i * 7) % len(rotation)]  # 7 is coprime: all sources mix
        apply_fault(run.proxies[source], source, fault)
        await pilot.pause(1.2)
        assert app.is_running and app._exception is None, (source, fault)
        assert not [w for w in app.workers if w.state == WorkerState.ERROR], (source, fault)
        line = status_line(app)
        assert "\n" not in line and not any(t in line for t in TOKENS), line
        run.proxies[source].forward()
        await pilot.pause(0.3)
        i += 1
    for proxy in run.proxies.values():
        proxy.forward()
    await until(pilot, lambda: healthy(app) and figures_right(app), 20.0,
                "all healthy after the soak", app)
    assert i >= 10
    assert all(app.polls[s] > polls_start[s] + 20 for s in SOURCES), app.polls
    growth = rss_bytes() - rss_start
    assert growth < 64 * 1024 * 1024, f"RSS grew {growth / 1e6:.1f} MB during the soak"
    assert_clean(run)


# -- regressions found by the campaign, at the source level ----------------------------------


@pytest.fixture
async def kube_behind_proxy(emulator: KubeEmulator, tmp_path: Path) -> AsyncIterator[
        tuple[KubernetesSource, FaultProxy]]:
    proxy = FaultProxy(emulator.url).start()
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", proxy.url)
    source = KubernetesSource(TargetSettings("t", context=CONTEXT, kubeconfig=str(kubeconfig)),
                              system_clock)
    try:
        yield source, proxy
    finally:
        await source.aclose()
        proxy.stop()


async def fetch_outcome(source: KubernetesSource) -> str:
    try:
        await asyncio.wait_for(source.fetch(), 8.0)
    except SourceError as exc:
        return str(exc)
    return "ok"


async def outcomes_until(source: KubernetesSource, want: Callable[[str], bool],
                         timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while not want(got := await fetch_outcome(source)):
        assert time.monotonic() < deadline, f"still {got!r} after {timeout:g}s"
        await asyncio.sleep(0.2)
    return got


async def test_kube_watch_backoff_left_from_an_outage_is_not_a_stale_cache(
    kube_behind_proxy: tuple[KubernetesSource, FaultProxy],
) -> None:
    """Bug: after an outage the informer kept its long backoff; the next break of a freshly
    re-opened watch left it sleeping up to 30 s while its cache counted as healthy, so a
    401 that followed showed "✓ kubernetes" with stale pods. Now it re-lists and says so."""
    source, proxy = kube_behind_proxy
    assert await fetch_outcome(source) == "ok"
    proxy.status(503)
    await outcomes_until(source, lambda o: "503" in o, 5.0)
    await asyncio.sleep(4.0)  # watches keep failing: the backoff grows
    proxy.forward()
    await outcomes_until(source, lambda o: o == "ok", 5.0)
    proxy.status(401)
    got = await outcomes_until(source, lambda o: o != "ok", 3.0)
    assert got == f"credentials expired or invalid for context {CONTEXT}"


@pytest.mark.parametrize("fault", ["reset", "truncated", "malformed"])
async def test_kube_watch_that_never_delivers_is_not_trusted(
    kube_behind_proxy: tuple[KubernetesSource, FaultProxy], fault: str,
) -> None:
    """Bug: a watch that connected and then broke before any event (a proxy resetting or
    garbling every answer) counted as healthy, so the source served its cache as fresh."""
    source, proxy = kube_behind_proxy
    assert await fetch_outcome(source) == "ok"
    apply_fault(proxy, "kubernetes", fault)
    got = await outcomes_until(source, lambda o: o != "ok", 5.0)
    assert re.fullmatch(rf"(connection to|malformed JSON from) the Kubernetes API at "
                        rf"{re.escape(proxy.url)} (dropped )?\(list {LISTED}\)", got), got
    proxy.forward()
    await outcomes_until(source, lambda o: o == "ok", 5.0)


async def test_kube_stalled_watch_is_noticed_after_the_read_timeout(
    kube_behind_proxy: tuple[KubernetesSource, FaultProxy],
) -> None:
    """Bug: a watch whose answer never began counted as healthy until its long read timeout
    (watch timeout + 15 s), serving a stale cache as fresh for over two minutes."""
    source, proxy = kube_behind_proxy
    assert await fetch_outcome(source) == "ok"
    started = time.monotonic()
    proxy.stall(20.0)
    got = await outcomes_until(source, lambda o: o != "ok", 15.0)
    assert got == (f"Kubernetes API at {proxy.url} did not answer within 5 s "
                   "(list deployments)"), got
    assert time.monotonic() - started < 14.0
    proxy.forward()
    await outcomes_until(source, lambda o: o == "ok", 5.0)
