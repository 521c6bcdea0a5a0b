"""The demo pods' second container: an OpenTelemetry Collector agent beside the gateway.

A gateway pod rarely runs alone: a telemetry sidecar that scrapes the gateway's
/metrics and ships them on is the usual companion. It makes the demo show what a
multi-container pod looks like in the logs screen (`c` switches container, `a`
shows all), and its log says something an on-call engineer can use: while the
gateway crash-loops, the agent keeps running and reports that its scrape of
localhost:8080 is refused. Lines are the collector's console format, shortened (time,
level, message, JSON fields; the caller column left out); each is a function of the
pod and the second, so asking twice shows the same lines.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from console.demo.timefmt import rfc3339_ms
from console.model import ContainerState

SIDECAR = "otel-agent"
SIDECAR_IMAGE = "otel/opentelemetry-collector-contrib:0.114.0"
SIDECAR_CPU_REQUEST_M = 20.0
SIDECAR_CPU_LIMIT_M = 100.0
SIDECAR_MEMORY_REQUEST_BYTES = 64 * 1024.0 * 1024.0
SIDECAR_MEMORY_LIMIT_BYTES = 128 * 1024.0 * 1024.0
SCRAPE_INTERVAL_S = 30
MAX_LINES = 5000


@dataclass(frozen=True, slots=True)
class Agent:
    """What the agent's log depends on: when it started (None: not yet), when its pod was
    told to stop, whether the gateway beside it is down, the gateway's port."""

    started_at: float | None
    deleting_at: float | None
    gateway_broken: bool
    port: int


def sidecar_state(agent: Agent, now: float) -> ContainerState:
    """The agent as the kubelet reports it: running from the pod's first start (the
    gateway's crashes restart the gateway container only), not ready once stopping."""
    running = agent.started_at is not None and now >= agent.started_at
    return ContainerState(
        name=SIDECAR, image=SIDECAR_IMAGE, state="running" if running else "waiting",
        reason=None if running else "ContainerCreating",
        ready=running and agent.deleting_at is None, restarts=0,
        cpu_request_m=SIDECAR_CPU_REQUEST_M, cpu_limit_m=SIDECAR_CPU_LIMIT_M,
        memory_request_bytes=SIDECAR_MEMORY_REQUEST_BYTES,
        memory_limit_bytes=SIDECAR_MEMORY_LIMIT_BYTES,
    )


def _line(t: float, level: str, msg: str, **fields: object) -> str:
    extra = json.dumps(fields, separators=(", ", ": ")) if fields else ""
    return " ".join(part for part in (rfc3339_ms(t), level, msg, extra) if part)


def _startup(t: float) -> list[str]:
    return [
        _line(t, "info", "Setting up own telemetry..."),
        _line(t + 0.02, "info", "Starting otelcol-contrib...", Version="0.114.0", NumCPU=2),
        _line(t + 0.05, "info", "Starting discovery manager", kind="receiver",
              name="prometheus"),
        _line(t + 0.09, "info", "Everything is ready. Begin running and processing data."),
    ]


def _scrape(t: float, gateway_broken: bool, port: int) -> str:
    if gateway_broken:
        return _line(t, "warn", "Failed to scrape Prometheus endpoint",
                     scrape_url=f"http://localhost:{port}/metrics",
                     error="connect: connection refused")
    return _line(t, "info", "MetricsExporter", data_type="metrics", metrics=48,
                 data_points=312)


def sidecar_logs(agent: Agent, now: float, tail: int) -> list[str]:
    """The agent's last `tail` lines (all, capped, for tail <= 0); empty before it starts."""
    start, deleting_at = agent.started_at, agent.deleting_at
    if start is None or now < start:
        return []
    wanted = tail if tail > 0 else MAX_LINES
    end = now if deleting_at is None else min(now, deleting_at + 1.0)
    first_scrape = math.floor(start) + SCRAPE_INTERVAL_S
    last_scrape = math.floor(end)
    count = max(0, (last_scrape - first_scrape) // SCRAPE_INTERVAL_S + 1)
    skip = max(0, count - wanted)
    out = _startup(start + 0.1) if skip == 0 else []
    for k in range(skip, count):
        at = first_scrape + k * SCRAPE_INTERVAL_S + 0.25
        out.append(_scrape(at, agent.gateway_broken, agent.port))
    if deleting_at is not None and now >= deleting_at:
        out.append(_line(deleting_at + 0.002, "info", "Received signal from OS",
                         signal="terminated"))
        out.append(_line(deleting_at + 0.2, "info", "Shutdown complete."))
    return out[-wanted:]
