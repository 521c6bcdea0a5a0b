"""What every whole test stack holds: Prometheus (with Alertmanager), the Kubernetes
emulator, exporters, and a temporary folder for the files the console reads.

Why a base: the hostile stack and the benchmark stack start different exporters and
objects, but reach and stop the same servers. Stopping is the part that must not
differ: the emulator, then Prometheus and Alertmanager, then the exporters, then the
folder, each only if it was started, so a start that failed half-way still leaves no
server running on the shared box.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from tests.stack.gateway_exporter import GatewayExporter
from tests.stack.kube_emulator import KubeEmulator
from tests.stack.prometheus_stack import PrometheusStack


@dataclass
class LoopbackStack:
    """Start with `start()`, always `stop()` (or use `with`)."""

    prometheus: PrometheusStack | None = None
    emulator: KubeEmulator | None = None
    _tmp: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)

    @property
    def folder(self) -> Path:
        assert self._tmp is not None
        return Path(self._tmp.name)

    @property
    def prometheus_url(self) -> str:
        assert self.prometheus is not None
        return self.prometheus.prometheus_url

    @property
    def alertmanager_url(self) -> str:
        assert self.prometheus is not None and self.prometheus.alertmanager_url is not None
        return self.prometheus.alertmanager_url

    def start(self) -> Self:
        raise NotImplementedError

    def started_exporters(self) -> Iterable[GatewayExporter]:
        """The exporters to stop (a subclass names its own)."""
        return ()

    def stop(self) -> None:
        if self.emulator is not None:
            self.emulator.stop()
        if self.prometheus is not None:
            self.prometheus.stop()
        for exporter in self.started_exporters():
            exporter.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
