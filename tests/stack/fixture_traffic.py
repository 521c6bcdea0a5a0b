"""The known traffic behind the Kong and Envoy AI Gateway exposition fixtures.

Neither product runs here, so tests/fixtures/kong-3.9*.prom and
envoy-ai-gateway-1.1*.prom are rendered from this table by each product's own
exporter logic (tests/stack/kong_exposition.py, envoy_exposition.py). The
values are the traffic of `PERIOD_S` seconds; `StaticExporter` advances them
linearly, so `rate()` of any counter or bucket is its file value / PERIOD_S.

Two mixes: `MIXED` (two models with upstream errors, two all success, and on
Kong some 401s answered by Kong itself before any model is called) and
`ALL_SUCCESS` (the same minus every failure).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

PERIOD_S = 60.0
PROVIDER_UPSTREAM = "holysheep"
"""The gateway's upstream provider: OpenAI-compatible, so both products call it with their
OpenAI driver."""


@dataclass(frozen=True)
class ModelTraffic:
    model: str
    """The public model name clients send."""
    backend_model: str
    """The model the gateway sends upstream (a model-name override), and the response's."""
    ok: tuple[tuple[float, int], ...]
    """Non-streamed successes: (latency seconds, requests)."""
    streams: int = 0
    stream_ttft_s: float = 0.5
    stream_total_s: float = 2.0
    errors: Mapping[int, int] = field(default_factory=dict)
    """Upstream HTTP status -> requests that reached the provider and failed."""
    error_latency_s: float = 0.3
    gateway_401: int = 0
    """Requests the gateway refused itself (bad key) before choosing a model."""
    prompt_tokens: int = 100
    completion_tokens: int = 200
    input_usd_per_mtok: float = 1.0
    output_usd_per_mtok: float = 1.0

    @property
    def successes(self) -> int:
        return sum(n for _, n in self.ok) + self.streams

    @property
    def failures(self) -> int:
        return sum(self.errors.values())

    @property
    def upstream_requests(self) -> int:
        return self.successes + self.failures

    def success_latencies(self) -> list[tuple[float, int]]:
        return [*self.ok, *([(self.stream_total_s, self.streams)] if self.streams else [])]

    def cost_usd_per_success(self) -> float:
        return (self.prompt_tokens * self.input_usd_per_mtok
                + self.completion_tokens * self.output_usd_per_mtok) / 1e6


MIXED: tuple[ModelTraffic, ...] = (
    ModelTraffic("gpt-4.1", "gpt-4.1-2025-04-14", ok=((0.9, 300), (1.4, 240), (2.6, 30)),
                 streams=30, stream_ttft_s=0.35, stream_total_s=2.2,
                 errors={429: 18, 503: 12}, gateway_401=6,
                 prompt_tokens=120, completion_tokens=300,
                 input_usd_per_mtok=2.00, output_usd_per_mtok=8.00),
    ModelTraffic("claude-sonnet-4.5", "claude-sonnet-4-5-20250929",
                 ok=((1.8, 200), (3.1, 60)), streams=20, stream_ttft_s=0.7, stream_total_s=4.0,
                 errors={500: 6, 503: 9, 400: 5}, prompt_tokens=250, completion_tokens=500,
                 input_usd_per_mtok=3.00, output_usd_per_mtok=15.00),
    ModelTraffic("gemini-2.5-flash", "gemini-2.5-flash-001", ok=((0.45, 700), (0.8, 200)),
                 prompt_tokens=80, completion_tokens=160,
                 input_usd_per_mtok=0.30, output_usd_per_mtok=2.50),
    ModelTraffic("deepseek-v3.2", "deepseek-chat", ok=((0.6, 1000), (1.1, 200)),
                 prompt_tokens=40, completion_tokens=90,
                 input_usd_per_mtok=0.28, output_usd_per_mtok=0.42),
)

ALL_SUCCESS: tuple[ModelTraffic, ...] = tuple(
    replace(t, errors={}, gateway_401=0) for t in MIXED)

MIXES: Mapping[str, tuple[ModelTraffic, ...]] = {"": MIXED, "-all-success": ALL_SUCCESS}
"""File-name suffix -> traffic."""


def cumulative(observations: Sequence[tuple[float, int]], bounds: tuple[float, ...]) -> list[int]:
    """Histogram bucket counts (cumulative, one per bound, +Inf last) of (value, count) pairs."""
    counts = [sum(n for v, n in observations if v <= b) for b in bounds]
    return [*counts, sum(n for _, n in observations)]
