"""A real Prometheus scraping recorded product expositions, one job per file.

The doctor's label checks and the product fixtures' PromQL tests both need the same
thing: each file served by its own StaticExporter, scraped until every job has enough
samples for rate() over the window the test uses. One launcher, so both stop the same
way (Prometheus first, then the exporters, even when the start failed).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path

from tests.stack.fixtures import require_binaries
from tests.stack.prometheus_stack import PrometheusStack, ScrapeJob
from tests.stack.static_exporter import StaticExporter


@contextlib.contextmanager
def static_products(files: Mapping[str, Path], samples: int) -> Iterator[PrometheusStack]:
    """Prometheus (no Alertmanager, no rules) once every job has `samples` samples."""
    require_binaries()
    exporters = {job: StaticExporter(path).start() for job, path in files.items()}
    stack = PrometheusStack([ScrapeJob(job, [e.target]) for job, e in exporters.items()],
                            rules="groups: []\n", with_alertmanager=False)
    try:
        stack.start()
        for job in files:
            stack.wait_for_samples(job, samples=samples)
        yield stack
    finally:
        stack.stop()
        for exporter in exporters.values():
            exporter.stop()
