"""Alerts when their source dies, on the real stack (issue 17): a real Prometheus sends
two firing alerts to a real Alertmanager, one of them silenced through Alertmanager's
own API. Prometheus is stopped under the live console, then Alertmanager: the panel
must go on showing the alerts (naming where they come from), then say unknown with the
age of the last list, and never "none firing".
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from console.actions.audit import AuditLog
from console.actions.runner import ActionRunner
from console.app import GatewayConsole
from console.clock import system_clock
from console.config.settings import build_settings
from console.sources import build_source_set
from tests.app_harness import cell_text
from tests.stack.fixtures import require_binaries
from tests.stack.kube_fixtures import CONTEXT
from tests.stack.prometheus_stack import (
    DIRECT_OPENER,
    PrometheusStack,
    free_port,
    http_get,
    wait_until,
)
from widgets.keyed_table import KeyedTable

# `for: 6s`: Prometheus finds its Alertmanager ~5 s after start; an alert that fired before
# would reach it only at the next resend, a minute later.
RULES = """groups:
- name: always
  interval: 1s
  rules:
  - alert: GatewayOnFire
    expr: vector(1)
    for: 6s
    labels: {severity: critical, model: gpt-4.1}
    annotations: {summary: fires from the first evaluation}
  - alert: KnownNoise
    expr: vector(1)
    for: 6s
    labels: {severity: warning, model: claude-sonnet-4.5}
    annotations: {summary: silenced by the test}
"""


def am_alerts(am: str) -> list[dict[str, Any]]:
    _, body = http_get(am + "/api/v2/alerts")
    result: list[dict[str, Any]] = json.loads(body)
    return result


def silence(am: str, labels: dict[str, str], seconds: float) -> None:
    now = time.time()
    body = json.dumps({
        "matchers": [{"name": k, "value": v, "isRegex": False, "isEqual": True}
                     for k, v in sorted(labels.items())],
        "startsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        "endsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + seconds)),
        "createdBy": "test", "comment": "known noise"}).encode()
    request = urllib.request.Request(am + "/api/v2/silences", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with DIRECT_OPENER.open(request, timeout=5) as resp:
        assert resp.status == 200


@pytest.fixture
def firing_stack() -> Iterator[PrometheusStack]:
    """Its own Prometheus and Alertmanager: the test stops them, the session's stays up."""
    require_binaries()
    stack = PrometheusStack(jobs=(), rules=RULES).start()
    try:
        am = stack.alertmanager_url
        assert am is not None
        wait_until(lambda: len(am_alerts(am)) == 2, 20, "two alerts in Alertmanager")
        noise = next(a for a in am_alerts(am) if a["labels"]["alertname"] == "KnownNoise")
        silence(am, noise["labels"], 3600)
        wait_until(lambda: any(a["status"]["silencedBy"] for a in am_alerts(am)), 10,
                   "the silence applied")
        yield stack
    finally:
        stack.stop()


def console(prometheus: str, alertmanager: str, kubeconfig: Path,
            tmp_path: Path) -> GatewayConsole:
    settings = build_settings({
        "prometheus_url": prometheus, "alertmanager_url": alertmanager,
        "kubeconfig": str(kubeconfig), "context": CONTEXT, "refresh": "500ms",
    }, env={"HOME": str(tmp_path)})
    sources = build_source_set(settings, settings.target, system_clock)
    runner = ActionRunner(settings.target, sources,
                          AuditLog(tmp_path / "audit.jsonl", system_clock),
                          read_only=True, user="tester")
    return GatewayConsole(settings, sources, runner, system_clock, export_dir=tmp_path)


def snapshot_text(stack: PrometheusStack, am: str, tmp_path: Path) -> str:
    """`snapshot --format text` as the on-call runs it, against the same Prometheus and
    Alertmanager (no kubeconfig: the cluster part is not what this test is about)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AI_GATEWAY_CONSOLE_")}
    proc = subprocess.run(
        [sys.executable, "-m", "console", "snapshot", "--format", "text",
         "--prometheus-url", stack.prometheus_url, "--alertmanager-url", am,
         "--kubeconfig", str(tmp_path / "none"), "--timeout", "5s"],
        capture_output=True, text=True, timeout=60, check=False,
        env={**env, "HOME": str(tmp_path), "COLUMNS": "160"})
    assert proc.returncode == 1, proc.stderr  # Prometheus is down: a source failed
    return proc.stdout


def title(app: GatewayConsole) -> str:
    subtitle = app.screen.query_one("#alerts", KeyedTable).border_subtitle
    return str(subtitle) if subtitle is not None else ""


async def until(pilot: Pilot[Any], app: GatewayConsole, seen: list[str],
                predicate: Callable[[str], bool], timeout: float = 15.0) -> str:
    """Wait for a title, keeping every title shown meanwhile (none may say "none firing")."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate(now := title(app)):
        seen.append(now)
        if loop.time() > deadline:
            raise AssertionError(f"alerts title still {now!r}")
        await pilot.pause(0.05)
    seen.append(now)
    return now


def drawn(app: GatewayConsole) -> str:
    """The alerts table as the compositor draws it now (a cell cut with … would show)."""
    table = app.screen.query_one("#alerts", KeyedTable)
    return "\n".join(strip.text for strip in table.render_lines(table.outer_size.region))


def states(app: GatewayConsole) -> dict[str, str]:
    table = app.screen.query_one("#alerts", KeyedTable)
    return {cell_text(table, key, "name").split()[0]: cell_text(table, key, "state")
            for key in table.row_keys}


async def test_alerts_survive_prometheus_then_say_unknown(
        firing_stack: PrometheusStack, kubeconfig: Path, tmp_path: Path) -> None:
    am = firing_stack.alertmanager_url
    assert am is not None
    app = console(firing_stack.prometheus_url, am, kubeconfig, tmp_path)
    seen: list[str] = []
    async with app.run_test(size=(80, 40)) as pilot:  # 24 rows show one alert (i17b's)
        # (A slow Prometheus answer under load may first show Alertmanager's list: fine.)
        await until(pilot, app, seen, lambda t: t == "2 firing · 1 silenced")
        shown = states(app)
        assert shown["GatewayOnFire"] == "● firing"
        # The silence's end, drawn whole at 80 columns and at 120.
        assert re.fullmatch(r"◌ silenced (59|60)m left", shown["KnownNoise"]), shown
        assert shown["KnownNoise"] in drawn(app)
        await pilot.resize_terminal(120, 40)
        await pilot.pause(0.1)
        assert shown["KnownNoise"] in drawn(app)

        firing_stack.stop_server("prometheus")
        assert await until(pilot, app, seen, lambda t: "Alertmanager" in t) == (
            "2 firing · 1 silenced · from Alertmanager: Prometheus ✗, pending unknown")
        assert states(app) == shown
        # `snapshot` says the same, in the same words.
        text = snapshot_text(firing_stack, am, tmp_path)
        assert "alerts from Alertmanager: Prometheus ✗, pending unknown" in text
        # The text export wraps its cells at 100 columns: `(silenced` / `59m left)`.
        assert "KnownNoise      suppressed (silenced" in text
        assert re.search(r"\n {20,}(59|60)m left\)", text), text

        firing_stack.stop_server("alertmanager")
        last = await until(pilot, app, seen, lambda t: t.startswith("unknown"))
        assert re.fullmatch(r"unknown · last list \d+s old", last), last
        assert states(app) == shown  # the last good rows stay, under their age
    assert not [t for t in seen if "none" in t], seen
    text = snapshot_text(firing_stack, am, tmp_path)
    assert "alerts: unknown (" in text and "alerts: none" not in text


async def test_refused_from_the_start_is_unknown_never_none(
        kubeconfig: Path, tmp_path: Path) -> None:
    refused = f"http://127.0.0.1:{free_port()}"
    app = console(refused, f"http://127.0.0.1:{free_port()}", kubeconfig, tmp_path)
    seen: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, app, seen, lambda _: app.latest.alerts_status is not None)
        assert title(app) == "unknown: no list read yet"
        assert states(app) == {}
    assert not [t for t in seen if "none" in t], seen
