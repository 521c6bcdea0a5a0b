"""The real test stack serving the hostile corpus (tests/stack/hostile.py) from every source.

- Prometheus scrapes a stand-in gateway whose provider and model labels are the
  payloads (a real Prometheus stores and serves them all, NUL and ESC included);
  the click payload's model fails, so it is the models table's first row (and the
  10,000-character name's fails a little: the second).
- Prometheus' rules fire one alert per model (its model label and summary are the
  payload) and two alerts of their own: `HostileDialog`, critical so it heads the
  alerts table, whose labels are markup payloads, and `HostileControls`, whose
  labels and summary are the control payloads. Alertmanager receives them all.
- The Kubernetes emulator holds the gateway's objects with payloads in condition
  reasons and messages, an HPA metric name, the crashing pod's waiting reason, its
  events and its log, a pod with a 240-character (valid) name, and a ConfigMap
  whose YAML makes controls with its own escapes (`"\\e[2J"`) and holds raw ones.

Loopback only; `stop()` ends every process and thread.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.stack import kube_objects as ko
from tests.stack.fixtures import require_binaries
from tests.stack.gateway_exporter import GatewayExporter, ModelTraffic
from tests.stack.hostile import ANSWER, CLICK, CONTROLS, CORPUS, LONG, MARKUP, UNBALANCED, joined
from tests.stack.hostile import by_kind as kind
from tests.stack.kube_emulator import KubeEmulator
from tests.stack.kube_fixtures import FAKE_TOKEN, loaded_emulator
from tests.stack.loopback_stack import LoopbackStack
from tests.stack.prometheus_stack import PrometheusStack, ScrapeJob

PROVIDER = "hx"
CONTEXT = "hostile-ctx"
LONG_POD = "ai-gateway-7d9f8b6c5-" + "x" * 219
"""A pod name as long as a real one may be (DNS subdomain, < 253): the pods table cuts it."""
HOSTILE_PROVIDER = kind("OSC 52 clipboard write").raw


def hostile_models() -> list[ModelTraffic]:
    quiet: dict[str, Any] = {"provider": PROVIDER, "rate": 2.0, "error_fraction": 0.0,
                             "p95_latency_s": 0.5}
    models = [ModelTraffic(p.raw, **quiet) for p in CORPUS if p is not CLICK]
    models.append(ModelTraffic(CLICK.raw, provider=PROVIDER, rate=2.0, error_fraction=0.5,
                               p95_latency_s=0.5))
    models.append(ModelTraffic(LONG, **{**quiet, "error_fraction": 0.03}))  # the 2nd row
    models.append(ModelTraffic("plain-model", **{**quiet, "provider": HOSTILE_PROVIDER}))
    return models


def hostile_rules() -> str:
    """Prometheus rules as JSON (a subset of YAML: its escapes carry the controls)."""
    labels = {"severity": "critical", **{f"m{i}": p.raw for i, p in enumerate(MARKUP)}}
    controls = {"severity": "warning", **{f"c{i}": p.raw for i, p in enumerate(CONTROLS)}}
    rules = [
        {"alert": "HostileModel",
         "expr": "sum by (provider, model) (rate(ai_gateway_requests_total[1m])) > 0",
         "for": "0s", "labels": {"severity": "info"},
         "annotations": {"summary": "{{ $labels.model }}"}},
        {"alert": "HostileDialog", "expr": "vector(1)", "for": "0s", "labels": labels,
         "annotations": {"summary": joined(MARKUP)}},
        {"alert": "HostileControls", "expr": "vector(1)", "for": "0s", "labels": controls,
         "annotations": {"summary": joined(CONTROLS), "description": LONG}},
    ]
    text = json.dumps({"groups": [{"name": "hostile", "interval": "1s", "rules": rules}]},
                      ensure_ascii=False)
    # YAML takes DEL and C1 only as escapes, and astral characters (tags) only raw.
    return re.sub("[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text)


CONFIG_YAML = """\
server:
  port: 8080
  timeout: "HX04\\e[2J\\e[H"
providers:
  hx:
    base_url: "https://upstream.example/v1"
    timeout: "HX01\\e]52;c;cm0gLXJmIH4K\\a"
    retry:
      max_attempts: "HX06\\x9b2J\\x9b31m"
      backoff_ms: "HX13\\u202eevil\\u202c"
    models: ["HX16[/]", "HX14[@click=app.quit]x[/]"]
rate_limit:
  enabled: "HX15[link=file:///etc/passwd]x"
  requests_per_minute: "HX08ding\\a\\a"
  burst: "HX09nul\\0byte"
cache:
  ttl: "HX05\x1b[5A raw in the YAML text"
"""
"""The gateway's config.yaml: YAML escapes that parse into controls, and one raw ESC."""


def _patch_objects(emu: KubeEmulator) -> None:
    dep = ko.deployment()
    dep["status"]["conditions"].append({
        "type": "ReplicaFailure", "status": "True", "reason": UNBALANCED.raw,
        "message": joined(), "lastTransitionTime": ko.NOW})
    emu.put(dep)
    hpa = ko.hpa()
    hpa["spec"]["metrics"].append({"type": "External", "external": {
        "metric": {"name": kind("SGR colours").raw},
        "target": {"type": "Value", "value": "10"}}})
    limited = hpa["status"]["conditions"][2]
    limited.update(status="True", reason=CLICK.raw, message=joined())
    emu.put(hpa)
    crash = next(p for p in ko.pods() if p["metadata"]["name"] == ko.POD_CRASH)
    waiting = crash["status"]["containerStatuses"][0]["state"]["waiting"]
    waiting.update(reason=kind("clear screen").raw, message=joined())
    emu.put(crash)
    emu.put(ko._pod(LONG_POD, "node-2", "10.244.1.44"))
    for i, (reason, message) in enumerate((
        (UNBALANCED.raw, joined(CONTROLS)),
        (ANSWER.raw, joined(MARKUP)),
        (kind("bidi override").raw, LONG),
    )):
        emu.put(ko._event(f"{ko.POD_CRASH}.hx{i}", "Warning", reason, message, "Pod",
                          ko.POD_CRASH, 3, f"2026-11-26T09:59:0{i}Z"))
        emu.put(ko._event(f"{ko.DEPLOYMENT}.hx{i}", "Warning", reason, message, "Deployment",
                          ko.DEPLOYMENT, 2, f"2026-11-26T09:59:1{i}Z", api_version="apps/v1"))
    config = ko.config_map()
    config["data"] = {"config.yaml": CONFIG_YAML, CLICK.raw: joined()}
    emu.put(config)
    emu.set_log(ko.POD_CRASH, [p.raw for p in CORPUS] + [LONG],
                previous=[p.raw for p in CONTROLS])


@dataclass
class HostileStack(LoopbackStack):
    """Start with `start()`, always `stop()` (or use `with`)."""

    exporter: GatewayExporter | None = None

    @property
    def kubeconfig(self) -> Path:
        return self.folder / "kubeconfig"

    def start(self) -> HostileStack:
        self._tmp = tempfile.TemporaryDirectory(prefix="agc-hostile-")
        try:
            self.exporter = GatewayExporter(hostile_models()).start()
            self.prometheus = PrometheusStack([ScrapeJob("ai-gateway", [self.exporter.target])],
                                              rules=hostile_rules()).start()
            self.prometheus.wait_for_samples("ai-gateway", samples=3)
            self.emulator = loaded_emulator(FAKE_TOKEN, bookmark_interval_s=5.0).start()
            _patch_objects(self.emulator)
            self.emulator.write_kubeconfig(self.kubeconfig, context=CONTEXT)
            self.wait_for_alerts()
        except BaseException:
            self.stop()
            raise
        return self

    def wait_for_alerts(self, timeout_s: float = 30.0) -> None:
        """Until Prometheus fires every hostile alert (one per model, and the two others)."""
        from tests.stack.prometheus_stack import wait_until

        assert self.prometheus is not None
        expected = len(hostile_models()) + 2

        def firing() -> bool:
            assert self.prometheus is not None
            return len(self.prometheus.query("ALERTS{alertstate='firing'}")) >= expected

        wait_until(firing, timeout_s, "hostile alerts firing")

    def console_args(self, refresh: str | None = None) -> list[str]:
        """Flags that point the console at this stack (`refresh` for the live console only:
        `snapshot` and `doctor` refuse a flag that means nothing to them)."""
        return ["--prometheus-url", self.prometheus_url,
                "--alertmanager-url", self.alertmanager_url,
                "--kubeconfig", str(self.kubeconfig), "--context", CONTEXT,
                *(["--refresh", refresh] if refresh else [])]

    def env(self, home: Path) -> dict[str, str]:
        """No user config, no proxy, state and exports under `home`."""
        return {"HOME": str(home), "XDG_CONFIG_HOME": str(home / "xdg"),
                "XDG_STATE_HOME": str(home / "state"),
                "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}

    def silences(self) -> list[dict[str, Any]]:
        """The silences Alertmanager holds, read with the standard library."""
        from tests.stack.prometheus_stack import http_get

        status, body = http_get(f"{self.alertmanager_url}/api/v2/silences")
        assert status == 200, body
        found: list[dict[str, Any]] = json.loads(body)
        return found

    def expire_active_silences(self) -> int:
        """Expire what earlier tests left silenced (the stack is shared by the session: a
        silenced HostileDialog turns `S` into expire and sorts below HostileControls)."""
        import urllib.request

        from tests.stack.prometheus_stack import DIRECT_OPENER

        active = [s["id"] for s in self.silences() if s["status"]["state"] == "active"]
        for sid in active:
            request = urllib.request.Request(
                f"{self.alertmanager_url}/api/v2/silence/{sid}", method="DELETE")
            with DIRECT_OPENER.open(request, timeout=5) as resp:
                assert resp.status == 200, resp.status
        return len(active)

    def started_exporters(self) -> list[GatewayExporter]:
        return [self.exporter] if self.exporter is not None else []


@pytest.fixture(scope="session")
def hostile_stack() -> Iterator[HostileStack]:
    """One hostile stack for the session (registered in tests/conftest.py as a plugin)."""
    require_binaries()
    with HostileStack() as stack:
        yield stack
