"""A real global store: VictoriaMetrics fed by real Prometheus instances over remote_write.

A fleet's figures often come from one store (Thanos, Mimir, VictoriaMetrics) that every
cluster's Prometheus writes to with `external_labels: {cluster: NAME}`. This module builds
that on loopback from Debian's binaries: `victoria-metrics` (single-node, its own temporary
`-storageDataPath`, one HTTP port, no self-scrape) and, per cluster, a stand-in gateway
(gateway_exporter.py) scraped every second by its own Prometheus (prometheus_stack.py)
that remote-writes to the store. It installs nothing: a missing binary is `MissingBinary`
with the apt command, so the tests skip (or fail under CI) like the rest of the stack.

Two behaviours of the store that the console must know about, both kept as they are:
- `-search.latencyOffset` (default 30 s): an instant query whose `time` is within that
  offset of now is evaluated at now minus the offset unless `nocache=1` is sent, so a
  figure "at now" from VictoriaMetrics describes half a minute ago; `latency_offset`
  overrides the flag, `query(..., nocache=True)` the behaviour per query;
- single-node VictoriaMetrics evaluates no rules: `/api/v1/alerts` answers success with
  an empty list (alerts are vmalert's, proxied only with `-vmalert.proxyURL`), so an
  empty answer from a store is not "nothing fires".
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.stack.gateway_exporter import GatewayExporter, ModelTraffic, seed_models
from tests.stack.prometheus_stack import (
    MissingBinary,
    PrometheusStack,
    ScrapeJob,
    StackError,
    _Server,
    free_port,
    http_get,
    wait_until,
)

VICTORIA_BIN = "victoria-metrics"
INSTALL_HINT = "apt-get install victoria-metrics"
JOB = "ai-gateway"
REMOTE_WRITE_QUEUE = {"batch_send_deadline": "1s", "min_backoff": "100ms", "max_backoff": "1s",
                      "capacity": 2500, "max_samples_per_send": 500}
"""Sends within a second of a scrape (the default waits up to 5 s to fill a batch)."""


def find_victoria() -> str:
    path = shutil.which(VICTORIA_BIN)
    if path is None:
        raise MissingBinary(f"{VICTORIA_BIN} not installed: {INSTALL_HINT}")
    return path


def us_models() -> list[ModelTraffic]:
    """A second cluster: two models with other figures, so a mix-up between clusters shows."""
    return [ModelTraffic("gpt-4.1", rate=7.0, error_fraction=0.2, p95_latency_s=3.5),
            ModelTraffic("gemini-2.5-flash", rate=4.0, error_fraction=0.0, p95_latency_s=0.4)]


def ap_models() -> list[ModelTraffic]:
    """A third cluster: one busy model below every alert threshold and one with no traffic."""
    return [ModelTraffic("deepseek-v3.2", rate=25.0, error_fraction=0.03, p95_latency_s=0.9),
            ModelTraffic("claude-sonnet-4.5", rate=0.0)]


def default_clusters() -> dict[str, list[ModelTraffic]]:
    return {"eu": seed_models(), "us": us_models(), "ap": ap_models()}


class _VictoriaServer(_Server):
    def ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            tail = self.log.read_text(errors="replace")[-600:]
            raise StackError(f"{self.name} exited with {self.process.returncode}: {tail}")
        status, body = http_get(self.url + "/health", timeout=1.0)
        return status == 200 and body.strip() == b"OK"


@dataclass
class VictoriaMetrics:
    """One single-node VictoriaMetrics on a free loopback port with its own storage."""

    workdir: Path
    port: int = 0
    latency_offset: str | None = None
    """-search.latencyOffset; None keeps the store's default (30 s)."""
    retention: str = "1d"
    _server: _VictoriaServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def remote_write_url(self) -> str:
        return f"{self.url}/api/v1/write"

    def start(self, timeout_s: float = 30.0) -> VictoriaMetrics:
        binary = find_victoria()
        self.port = self.port or free_port()
        (self.workdir / "vm-data").mkdir(parents=True, exist_ok=True)
        args = [binary, f"-storageDataPath={self.workdir / 'vm-data'}",
                f"-httpListenAddr=127.0.0.1:{self.port}", f"-retentionPeriod={self.retention}",
                "-selfScrapeInterval=0", "-loggerLevel=WARN"]
        if self.latency_offset is not None:
            args.append(f"-search.latencyOffset={self.latency_offset}")
        self._server = _VictoriaServer("victoria-metrics", args, self.url,
                                       self.workdir / "victoria-metrics.log")
        self._server.start()
        try:
            wait_until(self._server.ready, timeout_s, "victoria-metrics")
        except BaseException:
            self.stop()
            raise
        return self

    def get(self, path: str, params: Mapping[str, str] | None = None) -> tuple[int, bytes]:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        return http_get(f"{self.url}{path}{query}", timeout=5.0)

    def api(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """A Prometheus-API JSON answer's `data`; StackError for anything but success."""
        status, body = self.get(path, params)
        if status != 200:
            raise StackError(f"{path} {params}: HTTP {status}: {body[:300]!r}")
        doc = json.loads(body)
        if doc.get("status") != "success":
            raise StackError(f"{path} {params}: {doc}")
        return doc["data"]

    def query(self, promql: str, at: float | None = None, *, nocache: bool = False
              ) -> list[dict[str, Any]]:
        params = {"query": promql}
        if at is not None:
            params["time"] = f"{at:.3f}"
        if nocache:
            params["nocache"] = "1"
        result: list[dict[str, Any]] = self.api("/api/v1/query", params)["result"]
        return result

    def latest_sample_s(self, match: str) -> float | None:
        """The newest raw sample of the series `match` selects, from /api/v1/export."""
        status, body = self.get("/api/v1/export", {"match[]": match,
                                                   "start": f"{time.time() - 600:.0f}"})
        if status != 200:
            raise StackError(f"export {match}: HTTP {status}: {body[:200]!r}")
        stamps = [t for line in body.splitlines() if line.strip()
                  for t in json.loads(line)["timestamps"]]
        return max(stamps) / 1000 if stamps else None

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


@dataclass
class ClusterFeed:
    """One cluster: its gateway and the Prometheus that scrapes it and writes to the store."""

    name: str
    exporter: GatewayExporter
    prometheus: PrometheusStack


@dataclass
class VictoriaStack:
    """VictoriaMetrics plus one remote-writing Prometheus (and gateway) per cluster."""

    clusters: Mapping[str, Sequence[ModelTraffic]] = field(default_factory=default_clusters)
    latency_offset: str | None = None
    store: VictoriaMetrics | None = None
    feeds: dict[str, ClusterFeed] = field(default_factory=dict)
    _tmp: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        assert self.store is not None
        return self.store.url

    def start(self, timeout_s: float = 30.0) -> VictoriaStack:
        self._tmp = tempfile.TemporaryDirectory(prefix="agc-victoria-")
        work = Path(self._tmp.name)
        try:
            self.store = VictoriaMetrics(work, latency_offset=self.latency_offset)
            self.store.start(timeout_s)
            for name, models in self.clusters.items():
                self._add_feed(name, models, work / name)
            # Started side by side: each Prometheus takes a second or two to be ready.
            with ThreadPoolExecutor(len(self.feeds) or 1) as pool:
                for started in [pool.submit(f.prometheus.start, timeout_s)
                                for f in self.feeds.values()]:
                    started.result()
        except BaseException:
            self.stop()
            raise
        return self

    def _add_feed(self, name: str, models: Sequence[ModelTraffic], work: Path) -> None:
        assert self.store is not None
        work.mkdir()
        exporter = GatewayExporter(models).start()
        prometheus = PrometheusStack(
            [ScrapeJob(JOB, [exporter.target])], with_alertmanager=False, workdir=work,
            external_labels={"cluster": name},
            remote_write=[{"url": self.store.remote_write_url, "name": "victoria",
                           "queue_config": REMOTE_WRITE_QUEUE}])
        self.feeds[name] = ClusterFeed(name, exporter, prometheus)

    def wait_for_samples(self, samples: int = 3, timeout_s: float = 30.0) -> None:
        """Every Prometheus scraped `samples` times and the store holds what each sent."""
        for feed in self.feeds.values():
            feed.prometheus.wait_for_samples(JOB, samples=samples, timeout_s=timeout_s)
        self.wait_caught_up(time.time() - 1.0, timeout_s)

    def wait_caught_up(self, at: float, timeout_s: float = 20.0) -> None:
        """Wait until the store holds, for every cluster, a sample newer than `at`."""
        store = self.store
        assert store is not None

        def caught_up() -> bool:
            for name in self.feeds:
                latest = store.latest_sample_s(f'up{{cluster="{name}",job="{JOB}"}}')
                if latest is None or latest < at:
                    return False
            return True

        wait_until(caught_up, timeout_s, f"remote_write to victoria-metrics up to {at:.1f}")

    def stop(self) -> None:
        for feed in self.feeds.values():
            feed.prometheus.stop()
            feed.exporter.stop()
        self.feeds.clear()
        if self.store is not None:
            self.store.stop()
            self.store = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> VictoriaStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
