"""A stand-in AI gateway: a `prometheus_client` exporter of the seed metrics with known traffic.

Real Prometheus scrapes it, so the console's PromQL runs against real series
whose true values the tests know in advance. Traffic is integrated from the
configured rates *at scrape time* (each collect advances every counter by
rate x elapsed time since the last advance) instead of by a ticking thread:
the counters are then exactly linear in time, so `rate()` is predictable to a
fraction of a percent, nothing burns CPU between scrapes, and 400 models cost
one pass per scrape. Changing a model's traffic first advances the old one,
so counters stay monotonic.

Usage (also from benchmarks)::

    exporter = GatewayExporter(seed_models())      # or many_models(400)
    exporter.start()                               # 127.0.0.1, free port
    ... exporter.target ...                        # "127.0.0.1:PORT" to scrape
    exporter.set_traffic("deepseek-v3.2", error_fraction=0.5)
    exporter.stop()
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from prometheus_client import CollectorRegistry, start_wsgi_server
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

PROVIDER = "holysheep"

ERROR_CODES: Mapping[str, str] = {
    "invalid_request_error": "400",
    "rate_limit_error": "429",
    "upstream_error": "503",
}
"""The error types of the seed contract and the HTTP status each one answers with."""

DEFAULT_ERROR_MIX: Mapping[str, float] = {
    "rate_limit_error": 0.5,
    "upstream_error": 0.3,
    "invalid_request_error": 0.2,
}

DURATION_BUCKETS: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
TTFT_BUCKETS: tuple[float, ...] = (0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0)


@dataclass(frozen=True)
class ModelTraffic:
    """The known traffic of one provider/model.

    Latencies are uniform on [0.5 L, 1.5 L] with L chosen so that the true P95
    is `p95_latency_s` (P95 = 1.45 L); histogram_quantile's linear
    interpolation inside a bucket then lands close to it.
    """

    model: str
    provider: str = PROVIDER
    rate: float = 10.0
    """Requests per second."""
    error_fraction: float = 0.01
    error_mix: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_ERROR_MIX))
    """Share of the errors per error type (keys of ERROR_CODES); sums to 1."""
    p95_latency_s: float = 1.0
    ttft_p95_s: float | None = 0.3
    input_tokens_per_request: float = 500.0
    output_tokens_per_request: float = 400.0

    @property
    def output_tokens_per_s(self) -> float:
        return self.rate * self.output_tokens_per_request

    @property
    def input_tokens_per_s(self) -> float:
        return self.rate * self.input_tokens_per_request

    def error_rate_by_type(self) -> dict[str, float]:
        total = sum(self.error_mix.values()) or 1.0
        return {
            t: self.rate * self.error_fraction * share / total
            for t, share in self.error_mix.items()
        }


def seed_models() -> list[ModelTraffic]:
    """The deployment guide's four models; deepseek fails often enough to fire HighErrorRate
    (7.8 % of all requests) and claude is slow enough to fire HighLatency (P95 > 2 s)."""
    return [
        ModelTraffic("gpt-4.1", rate=20.0, error_fraction=0.01, p95_latency_s=1.6,
                     output_tokens_per_request=400.0),
        ModelTraffic("claude-sonnet-4.5", rate=12.0, error_fraction=0.02, p95_latency_s=2.8,
                     ttft_p95_s=0.6, output_tokens_per_request=600.0),
        ModelTraffic("gemini-2.5-flash", rate=30.0, error_fraction=0.005, p95_latency_s=0.6,
                     ttft_p95_s=0.15, output_tokens_per_request=300.0),
        ModelTraffic("deepseek-v3.2", rate=10.0, error_fraction=0.5, p95_latency_s=1.2,
                     error_mix={"upstream_error": 0.8, "rate_limit_error": 0.2},
                     output_tokens_per_request=350.0),
    ]


def many_models(count: int, idle: int = 0, provider: str = "bench") -> list[ModelTraffic]:
    """`count` models with varied but known traffic; the last `idle` ones get no traffic at all
    (their ratios and quantiles are 0/0 = NaN in Prometheus, a real-world edge case)."""
    out = []
    for i in range(count):
        busy = i < count - idle
        out.append(
            ModelTraffic(
                model=f"model-{i:04d}",
                provider=f"{provider}-{i % 4}",
                rate=(1.0 + (i % 10)) if busy else 0.0,
                error_fraction=0.01 * (i % 5),
                p95_latency_s=0.4 + 0.2 * (i % 8),
                output_tokens_per_request=100.0 + 10 * (i % 7),
            )
        )
    return out


def _uniform_cdf(le: float, p95: float) -> float:
    width = p95 / 1.45
    low = 0.5 * width
    return min(1.0, max(0.0, (le - low) / width))


class _State:
    """Cumulative counters of one model, advanced by its traffic."""

    __slots__ = (
        "_bucket_fractions",
        "_ttft_fractions",
        "buckets",
        "duration_sum",
        "errors",
        "requests",
        "tokens_in",
        "tokens_out",
        "traffic",
        "ttft_buckets",
        "ttft_sum",
    )

    def __init__(self, traffic: ModelTraffic) -> None:
        # Pre-initialised like a gateway that registers its models at start: an idle model
        # has a request series that stays at 0 (rate 0, error ratio 0/0 = NaN).
        self.requests: dict[str, float] = {"200": 0.0}
        self.errors: dict[str, float] = {}
        self.buckets = [0.0] * len(DURATION_BUCKETS)
        self.duration_sum = 0.0
        self.ttft_buckets = [0.0] * len(TTFT_BUCKETS)
        self.ttft_sum = 0.0
        self.tokens_in = 0.0
        self.tokens_out = 0.0
        self.set_traffic(traffic)

    def set_traffic(self, traffic: ModelTraffic) -> None:
        self.traffic = traffic
        p95 = traffic.p95_latency_s
        self._bucket_fractions = [_uniform_cdf(le, p95) for le in DURATION_BUCKETS]
        ttft = traffic.ttft_p95_s
        self._ttft_fractions = [_uniform_cdf(le, ttft) if ttft else 0.0 for le in TTFT_BUCKETS]

    def advance(self, dt: float) -> None:
        t = self.traffic
        n = t.rate * dt
        if n <= 0:
            return
        errors = t.error_rate_by_type()
        error_total = 0.0
        for etype, rate in errors.items():
            k = rate * dt
            error_total += k
            self.errors[etype] = self.errors.get(etype, 0.0) + k
            code = ERROR_CODES.get(etype, "500")
            self.requests[code] = self.requests.get(code, 0.0) + k
        self.requests["200"] = self.requests.get("200", 0.0) + n - error_total
        for i, frac in enumerate(self._bucket_fractions):
            self.buckets[i] += n * frac
        self.duration_sum += n * t.p95_latency_s / 1.45
        if t.ttft_p95_s:
            for i, frac in enumerate(self._ttft_fractions):
                self.ttft_buckets[i] += n * frac
            self.ttft_sum += n * t.ttft_p95_s / 1.45
        self.tokens_in += n * t.input_tokens_per_request
        self.tokens_out += n * t.output_tokens_per_request


class _GatewayCollector(Collector):
    def __init__(self, exporter: GatewayExporter) -> None:
        self._exporter = exporter

    def collect(self) -> Iterable[Metric]:
        return self._exporter._families()


class GatewayExporter:
    """Serves the seed metrics of `models` on 127.0.0.1 (own registry, own thread)."""

    def __init__(
        self,
        models: Sequence[ModelTraffic] | None = None,
        namespace: str = "ai_gateway",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.namespace = namespace
        self._clock = clock
        self._lock = threading.Lock()
        self._last = clock()
        self._states: dict[tuple[str, str], _State] = {
            (m.provider, m.model): _State(m) for m in (models or seed_models())
        }
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_GatewayCollector(self))
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- traffic -------------------------------------------------------------------------------

    @property
    def models(self) -> list[ModelTraffic]:
        with self._lock:
            return [s.traffic for s in self._states.values()]

    def traffic(self, model: str, provider: str | None = None) -> ModelTraffic:
        for m in self.models:
            if m.model == model and (provider is None or m.provider == provider):
                return m
        raise KeyError(model)

    def set_traffic(self, model: str, provider: str | None = None, **changes: Any) -> None:
        """Change one model's traffic from now on (e.g. error_fraction=0.5)."""
        with self._lock:
            self._advance_locked()
            for (p, m), state in self._states.items():
                if m == model and (provider is None or p == provider):
                    state.set_traffic(replace(state.traffic, **changes))
                    return
        raise KeyError(model)

    def _advance_locked(self) -> None:
        now = self._clock()
        dt = now - self._last
        self._last = now
        if dt > 0:
            for state in self._states.values():
                state.advance(dt)

    # -- exposition ----------------------------------------------------------------------------

    def _families(self) -> Iterator[Metric]:
        ns = self.namespace
        requests = CounterMetricFamily(
            f"{ns}_requests", "Requests by status code.", labels=("provider", "model", "code"))
        errors = CounterMetricFamily(
            f"{ns}_errors", "Errors by type and status code.",
            labels=("provider", "model", "type", "code"))
        duration = HistogramMetricFamily(
            f"{ns}_request_duration_seconds", "Request duration.", labels=("provider", "model"))
        tokens = CounterMetricFamily(
            f"{ns}_tokens", "Tokens by direction.", labels=("provider", "model", "direction"))
        ttft = HistogramMetricFamily(
            f"{ns}_time_to_first_token_seconds", "Time to first token.",
            labels=("provider", "model"))
        with self._lock:
            self._advance_locked()
            for (provider, model), s in self._states.items():
                for code, value in sorted(s.requests.items()):
                    requests.add_metric((provider, model, code), value)
                for etype, value in sorted(s.errors.items()):
                    errors.add_metric((provider, model, etype, ERROR_CODES.get(etype, "500")),
                                      value)
                count = sum(s.requests.values())
                duration.add_metric(
                    (provider, model),
                    [*((_le(le), v) for le, v in zip(DURATION_BUCKETS, s.buckets, strict=True)),
                     ("+Inf", count)],
                    s.duration_sum,
                )
                if s.traffic.ttft_p95_s:
                    ttft.add_metric(
                        (provider, model),
                        [*((_le(le), v) for le, v in zip(TTFT_BUCKETS, s.ttft_buckets,
                                                          strict=True)),
                         ("+Inf", count)],
                        s.ttft_sum,
                    )
                tokens.add_metric((provider, model, "input"), s.tokens_in)
                tokens.add_metric((provider, model, "output"), s.tokens_out)
        yield from (requests, errors, duration, tokens, ttft)

    def start(self) -> GatewayExporter:
        self._server, self._thread = start_wsgi_server(0, addr="127.0.0.1", registry=self.registry)
        self.port = int(self._server.server_port)
        return self

    @property
    def target(self) -> str:
        """host:port for a Prometheus static_config."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.target}/metrics"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> GatewayExporter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _le(bound: float) -> str:
    return repr(float(bound))
