"""Serve a recorded or rendered exposition file so a real Prometheus can scrape it.

`StaticExporter(path)` parses the file with prometheus_client's own parser and
serves it on 127.0.0.1 with prometheus_client's HTTP server. With `advance`
on (the default), every counter and histogram sample grows linearly from the
file's value: v(t) = v_file x (1 + elapsed / period), so `rate()` of any of them
is v_file / period, exactly, from the first scrape on; gauges stay as they are.
The period comes from a `# agc-period-seconds: N` line of the file (60 when
absent): the products' fixtures hold the traffic of that many seconds.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample

PERIOD_LINE = re.compile(r"^# agc-period-seconds: ([0-9.]+)$", re.MULTILINE)
GROWING = ("counter", "histogram", "summary")


def period_of(text: str, default: float = 60.0) -> float:
    match = PERIOD_LINE.search(text)
    return float(match.group(1)) if match else default


class _FileCollector(Collector):
    def __init__(self, text: str, advance: bool, period_s: float) -> None:
        self._families = list(text_string_to_metric_families(text))
        self._advance = advance
        self._period_s = period_s
        self._started = time.monotonic()

    def collect(self) -> Iterable[Metric]:
        factor = 1.0 + (time.monotonic() - self._started) / self._period_s
        for family in self._families:
            grows = self._advance and family.type in GROWING
            out = Metric(family.name, family.documentation, family.type, family.unit)
            out.samples = [Sample(s.name, s.labels, s.value * factor if grows else s.value)
                           for s in family.samples]
            yield out


class StaticExporter:
    """An exposition file served on a free loopback port; `target` is what to scrape."""

    def __init__(self, path: Path, *, advance: bool = True) -> None:
        text = path.read_text()
        self.period_s = period_of(text)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_FileCollector(text, advance, self.period_s))
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    def start(self) -> StaticExporter:
        server, thread = start_http_server(0, addr="127.0.0.1", registry=self.registry)
        self._server, self._thread = server, thread
        self.port = int(server.server_address[1])
        return self

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> StaticExporter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
