"""Start the real Prometheus and Alertmanager (Debian's binaries) on free loopback ports.

Prometheus scrapes the stand-in gateway every second as job "ai-gateway" and
evaluates the deployment guide's three alert rules every second, with `for:`
in seconds instead of minutes, sending them to the Alertmanager. Each server
gets its own temporary folder and is stopped with SIGTERM (SIGKILL after a
bounded wait). Usable from pytest fixtures and from benchmarks alike.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROMETHEUS_BIN = "prometheus"
ALERTMANAGER_BIN = "prometheus-alertmanager"
INSTALL_HINT = "apt-get install prometheus prometheus-alertmanager"


DIRECT_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""Loopback servers must not be reached through an HTTP(S)_PROXY of the environment."""


class MissingBinary(RuntimeError):
    """Prometheus or Alertmanager is not installed on this machine."""


class StackError(RuntimeError):
    """A server of the stack did not start or become ready in time."""


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def find_binaries() -> tuple[str, str]:
    prom = shutil.which(PROMETHEUS_BIN)
    am = shutil.which(ALERTMANAGER_BIN)
    missing = [n for n, p in ((PROMETHEUS_BIN, prom), (ALERTMANAGER_BIN, am)) if p is None]
    if missing or prom is None or am is None:
        raise MissingBinary(f"{' and '.join(missing)} not installed: {INSTALL_HINT}")
    return prom, am


@dataclass(frozen=True)
class ScrapeJob:
    """One scrape job of the generated prometheus.yml."""

    name: str
    targets: Sequence[str]
    interval_s: float = 1.0
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Extra labels per target, e.g. {"127.0.0.1:9100": {"cluster": "eu"}}: one Prometheus
    scraping several clusters' gateways stands in for a global store (Thanos, Mimir)."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """More keys of the job's scrape_config, e.g. metrics_path and authorization."""


def alert_rules(namespace: str = "ai_gateway", job: str = "ai-gateway", for_s: int = 2) -> str:
    """The seed's three alerts (as `manifests rules` ships them), with `for:` in seconds."""
    ns = namespace
    return f"""groups:
- name: ai-gateway.rules
  interval: 1s
  rules:
  - alert: HighErrorRate
    expr: sum(rate({ns}_errors_total[5m])) / sum(rate({ns}_requests_total[5m])) > 0.05
    for: {for_s}s
    labels:
      severity: warning
    annotations:
      summary: AI gateway error ratio above 5%
  - alert: HighLatency
    expr: histogram_quantile(0.95, rate({ns}_request_duration_seconds_bucket[5m])) > 2
    for: {for_s}s
    labels:
      severity: warning
    annotations:
      summary: AI gateway P95 latency above 2 s
  - alert: UpstreamDown
    expr: up{{job="{job}"}} == 0
    for: {for_s}s
    labels:
      severity: critical
    annotations:
      summary: A gateway scrape target is down
"""


def prometheus_config(jobs: Sequence[ScrapeJob], alertmanager: str | None, *,
                      external_labels: Mapping[str, str] | None = None,
                      remote_write: Sequence[Mapping[str, Any]] = ()) -> str:
    """prometheus.yml as JSON (a subset of YAML), so no YAML writer is needed.

    `external_labels` and `remote_write` feed a global store (victoria_stack.py) the way
    Thanos, Mimir and VictoriaMetrics are fed: each Prometheus labels what it sends."""
    config: dict[str, Any] = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s",
                   **({"external_labels": dict(external_labels)} if external_labels else {})},
        "rule_files": ["rules.yml"],
        "scrape_configs": [
            {
                "job_name": job.name,
                "scrape_interval": f"{job.interval_s:g}s",
                "scrape_timeout": f"{job.interval_s:g}s",
                **job.extra,
                "static_configs": [
                    {"targets": [t], **({"labels": dict(job.labels[t])} if t in job.labels
                                        else {})}
                    for t in job.targets
                ],
            }
            for job in jobs
        ],
    }
    if alertmanager:
        config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]}
    if remote_write:
        config["remote_write"] = [dict(rw) for rw in remote_write]
    return json.dumps(config, indent=2)


ALERTMANAGER_CONFIG = json.dumps(
    {
        "route": {"receiver": "null", "group_wait": "1s", "group_interval": "1s",
                  "repeat_interval": "1h"},
        "receivers": [{"name": "null"}],
    },
    indent=2,
)


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with DIRECT_OPENER.open(url, timeout=timeout) as resp:
            return int(resp.status), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_until(
    check: Callable[[], bool], timeout_s: float, what: str, interval_s: float = 0.2
) -> None:
    """Poll `check` until it is true; StackError naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if check():
                return
        except OSError:
            pass
        if time.monotonic() >= deadline:
            raise StackError(f"{what} not ready after {timeout_s:g}s")
        time.sleep(interval_s)


@dataclass
class _Server:
    name: str
    args: list[str]
    url: str
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                self.args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )

    def ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            tail = self.log.read_text(errors="replace")[-600:]
            raise StackError(f"{self.name} exited with {self.process.returncode}: {tail}")
        status, _ = http_get(self.url + "/-/ready", timeout=1.0)
        return status == 200

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


@dataclass
class PrometheusStack:
    """Prometheus + Alertmanager scraping `jobs`; `start()` waits until both are ready."""

    jobs: Sequence[ScrapeJob]
    rules: str = field(default_factory=alert_rules)
    with_alertmanager: bool = True
    workdir: Path | None = None
    prometheus_port: int = 0
    alertmanager_port: int = 0
    external_labels: Mapping[str, str] = field(default_factory=dict)
    remote_write: Sequence[Mapping[str, Any]] = ()
    _servers: list[_Server] = field(default_factory=list)
    _tmp: tempfile.TemporaryDirectory[str] | None = None

    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.prometheus_port}"

    @property
    def alertmanager_url(self) -> str | None:
        if not self.with_alertmanager:
            return None
        return f"http://127.0.0.1:{self.alertmanager_port}"

    def start(self, timeout_s: float = 30.0) -> PrometheusStack:
        prom_bin, am_bin = find_binaries()
        if self.workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="agc-stack-")
            self.workdir = Path(self._tmp.name)
        work = self.workdir
        self.prometheus_port = self.prometheus_port or free_port()
        am_target = None
        try:
            if self.with_alertmanager:
                self.alertmanager_port = self.alertmanager_port or free_port()
                am_target = f"127.0.0.1:{self.alertmanager_port}"
                (work / "am-data").mkdir(exist_ok=True)
                (work / "alertmanager.yml").write_text(ALERTMANAGER_CONFIG)
                self._servers.append(_Server(
                    "alertmanager",
                    [am_bin, f"--config.file={work / 'alertmanager.yml'}",
                     f"--storage.path={work / 'am-data'}",
                     f"--web.listen-address={am_target}",
                     "--cluster.listen-address=", "--log.level=warn"],
                    f"http://{am_target}", work / "alertmanager.log"))
            (work / "prom-data").mkdir(exist_ok=True)
            (work / "prometheus.yml").write_text(prometheus_config(
                self.jobs, am_target, external_labels=self.external_labels,
                remote_write=self.remote_write))
            (work / "rules.yml").write_text(self.rules)
            self._servers.append(_Server(
                "prometheus",
                [prom_bin, f"--config.file={work / 'prometheus.yml'}",
                 f"--storage.tsdb.path={work / 'prom-data'}",
                 f"--web.listen-address=127.0.0.1:{self.prometheus_port}",
                 "--storage.tsdb.retention.time=1h", "--log.level=warn"],
                self.prometheus_url, work / "prometheus.log"))
            for server in self._servers:
                server.start()
            for server in self._servers:
                wait_until(server.ready, timeout_s, server.name)
        except BaseException:
            self.stop()
            raise
        return self

    def query(self, promql: str, at: float | None = None) -> list[dict[str, Any]]:
        """A raw instant query (stdlib only), for readiness checks."""
        params = {"query": promql}
        if at is not None:
            params["time"] = f"{at:.3f}"
        status, body = http_get(
            f"{self.prometheus_url}/api/v1/query?{urllib.parse.urlencode(params)}"
        )
        if status != 200:
            raise StackError(f"query {promql!r}: HTTP {status}: {body[:200]!r}")
        result: list[dict[str, Any]] = json.loads(body)["data"]["result"]
        return result

    def wait_for_samples(self, job: str, samples: int = 3, timeout_s: float = 20.0) -> None:
        """Wait until every target of `job` was scraped `samples` times, so rate() has data."""

        def enough() -> bool:
            rows = self.query(f'count_over_time(up{{job="{job}"}}[1m])')
            return bool(rows) and all(float(r["value"][1]) >= samples for r in rows)

        wait_until(enough, timeout_s, f"{samples} scrapes of job {job}")

    def stop_server(self, name: str) -> None:
        """Stop one of the two ("prometheus" or "alertmanager") under a running console."""
        next(s for s in self._servers if s.name == name).stop()

    def stop(self) -> None:
        for server in reversed(self._servers):
            server.stop()
        self._servers.clear()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
            self.workdir = None

    def __enter__(self) -> PrometheusStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def running_under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
