"""The real test stack, started by the benchmark itself: Prometheus, Alertmanager, kube emulator.

Three stand-in gateways feed one Prometheus, each under its own metric names so
their series never mix: the seed profile's 4 models (what start-up shows), 20
models (the bytes-per-refresh figure) and 400 models (queries per refresh must
not grow with them). The console reads the 20 and the 400 through `[metrics]`
overrides in a config file, as a user with other metric names would.

A wobbler thread changes one model in six's traffic by up to 10 % every
second, so that about 30 % of the figures change per 2-second refresh (the
realistic share the refresh benchmarks use): constant counters would give
Prometheus rates that never change, and a refresh that changes nothing says
nothing about bytes per refresh. Loopback
only; every process and thread is stopped by `stop()`.
"""

from __future__ import annotations

import random
import tempfile
import threading
from dataclasses import dataclass, field

from tests.stack.fault_proxy import CONTEXT, KUBE_TOKEN, write_kubeconfig
from tests.stack.gateway_exporter import GatewayExporter, many_models, seed_models
from tests.stack.kube_fixtures import loaded_emulator
from tests.stack.loopback_stack import LoopbackStack
from tests.stack.prometheus_stack import PrometheusStack, ScrapeJob

JOBS = {4: ("ai-gateway", "ai_gateway"), 20: ("ai-gateway-twenty", "twenty_gateway"),
        400: ("ai-gateway-bench", "bench_gateway")}
"""Models -> (scrape job, metric namespace)."""


def overrides(models: int) -> dict[str, str]:
    """`[metrics]` names that point the seed profile at the exporter of `models` models."""
    job, ns = JOBS[models]
    if models == 4:
        return {}
    return {"requests": f"{ns}_requests_total", "errors": f"{ns}_errors_total",
            "duration": f"{ns}_request_duration_seconds", "tokens": f"{ns}_tokens_total",
            "ttft": f"{ns}_time_to_first_token_seconds", "up_job": job}


@dataclass
class BenchStack(LoopbackStack):
    """Start with `start()`, always `stop()` (or use `with`)."""

    exporters: dict[int, GatewayExporter] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _wobbler: threading.Thread | None = None

    @property
    def kube_url(self) -> str:
        assert self.emulator is not None
        return self.emulator.url

    def start(self) -> BenchStack:
        self._tmp = tempfile.TemporaryDirectory(prefix="agc-perf-")
        try:
            self.exporters = {
                4: GatewayExporter(seed_models()).start(),
                20: GatewayExporter(many_models(20), namespace=JOBS[20][1]).start(),
                400: GatewayExporter(many_models(400, idle=4), namespace=JOBS[400][1]).start(),
            }
            self.prometheus = PrometheusStack(
                [ScrapeJob(JOBS[n][0], [e.target]) for n, e in self.exporters.items()])
            self.prometheus.start()
            for n in self.exporters:
                self.prometheus.wait_for_samples(JOBS[n][0], samples=3)
            self.emulator = loaded_emulator(KUBE_TOKEN, bookmark_interval_s=5.0).start()
            write_kubeconfig(self.folder / "kubeconfig", self.kube_url)
            for n in self.exporters:
                lines = [f'{k} = "{v}"' for k, v in overrides(n).items()]
                (self.folder / f"models-{n}.toml").write_text(
                    "[metrics]\n" + "\n".join(lines) + "\n")
            self._wobbler = threading.Thread(target=self._wobble, daemon=True)
            self._wobbler.start()
        except BaseException:
            self.stop()
            raise
        return self

    def _wobble(self) -> None:
        """Every second, one model in six gets a rate and latency up to 10 % off."""
        rng = random.Random(20)
        exporter = self.exporters[20]
        base = {m.model: m for m in exporter.models}
        while not self._stop.wait(1.0):
            for name, m in base.items():
                if rng.random() < 1 / 6:
                    exporter.set_traffic(name, m.provider, rate=m.rate * rng.uniform(0.9, 1.1),
                                         p95_latency_s=m.p95_latency_s * rng.uniform(0.9, 1.1))

    def console_args(self, models: int = 4, refresh: str = "2s") -> list[str]:
        """CLI flags that point the console at this stack, reading `models` models."""
        return ["--prometheus-url", self.prometheus_url,
                "--alertmanager-url", self.alertmanager_url,
                "--kubeconfig", str(self.folder / "kubeconfig"), "--context", CONTEXT,
                "--config", str(self.folder / f"models-{models}.toml"), "--refresh", refresh]

    def env(self) -> dict[str, str]:
        """No user config, no proxy: the console sees only this stack."""
        return {"HOME": str(self.folder), "XDG_CONFIG_HOME": str(self.folder / "xdg"),
                "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
                "KUBECONFIG": str(self.folder / "kubeconfig")}

    def started_exporters(self) -> list[GatewayExporter]:
        return list(self.exporters.values())

    def stop(self) -> None:
        self._stop.set()
        if self._wobbler is not None:
            self._wobbler.join(3)
        super().stop()
