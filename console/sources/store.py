"""One reader per global store, shared by every target whose series it holds.

A global Prometheus-API store (Thanos Query, Mimir, VictoriaMetrics) keeps the
series of every cluster, told apart by a label (`cluster` by default). Asking it
once per target would multiply the refresh's queries by the number of
clusters; instead `SharedStore` sends the one query per figure of
`build_queries`, grouped `by (cluster, provider, model)` and scoped to the
clusters of the fleet (`cluster=~"eu|us"`), and splits each answer per
cluster. The query count per refresh is therefore constant in the number of
targets as well as of models.

Each target keeps its own worker (so a dead cluster's Kubernetes API never
delays another's panels); their metrics polls meet here: a poll joins the
round in flight, or the last one if this target has not been served from it
and it is younger than one refresh, and otherwise starts the next round. A
waiter that is cancelled (its target was switched away) never cancels the
round the others wait for.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx

from console.clock import Clock
from console.config.settings import HttpEndpoint, Settings
from console.model import MetricsReading, ModelHistory, ModelKey
from console.sources.base import History, SourceError
from console.sources.http_client import display_url
from console.sources.prometheus import PrometheusSource
from console.sources.promql import quote

T = TypeVar("T")
Results = dict[str, list[tuple[dict[str, str], float | None]] | None]


@dataclass
class _Round(Generic[T]):
    key: Any
    task: asyncio.Future[T]
    started: float
    served: set[str] = field(default_factory=set)


class _Coalescer(Generic[T]):
    """One shared call per refresh round, whichever of the targets asks first."""

    def __init__(self, max_age_s: float) -> None:
        self.max_age_s = max_age_s
        self.rounds = 0
        self._round: _Round[T] | None = None

    async def get(self, who: str, key: Any, call: Callable[[], Awaitable[T]]) -> T:
        r = self._round
        if (r is None or r.key != key or who in r.served
                or time.monotonic() - r.started > self.max_age_s):
            r = self._round = _Round(key, asyncio.ensure_future(call()), time.monotonic())
            self.rounds += 1
        r.served.add(who)
        return await asyncio.shield(r.task)

    def cancel(self) -> None:
        if self._round is not None and not self._round.task.done():
            self._round.task.cancel()


def cluster_matcher(label: str, clusters: list[str]) -> str:
    """`cluster="eu"`, or `cluster=~"eu|us"` for several (values regex-escaped)."""
    if len(clusters) == 1:
        return f"{label}={quote(clusters[0])}"
    return f"{label}=~{quote('|'.join(re.escape(c) for c in sorted(clusters)))}"


class SharedStore:
    """The fleet's metrics reader for one store URL and cluster label."""

    def __init__(self, endpoint: HttpEndpoint, settings: Settings, clock: Clock, label: str,
                 *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.endpoint = endpoint
        self.label = label
        self._settings = settings
        self._clock = clock
        self._transport = transport
        self._clusters: dict[str, int] = {}
        self.reader = PrometheusSource(endpoint, settings, clock, transport=transport,
                                       group=(label,), scope=f'{label}=""')
        self._fetches: _Coalescer[Results] = _Coalescer(settings.refresh_s)
        self._histories: _Coalescer[Mapping[str, History]] = _Coalescer(settings.refresh_s)
        self.on_empty: Callable[[], None] | None = None

    @property
    def clusters(self) -> tuple[str, ...]:
        return tuple(sorted(self._clusters))

    @property
    def queries_per_refresh(self) -> int:
        return self.reader.queries_per_refresh

    @property
    def requests_sent(self) -> int:
        return self.reader.requests_sent

    @property
    def rounds(self) -> int:
        """Refresh rounds sent to the store so far (each `queries_per_refresh` queries)."""
        return self._fetches.rounds

    def slice(self, cluster: str) -> StoreSlice:
        """The MetricsSource of one target: its share of every round."""
        self._clusters[cluster] = self._clusters.get(cluster, 0) + 1
        self.reader.rescope(cluster_matcher(self.label, list(self._clusters)))
        return StoreSlice(self, cluster)

    async def release(self, cluster: str) -> None:
        count = self._clusters.get(cluster, 0) - 1
        if count > 0:
            self._clusters[cluster] = count
            return
        self._clusters.pop(cluster, None)
        if self._clusters:
            self.reader.rescope(cluster_matcher(self.label, list(self._clusters)))
            return
        self._fetches.cancel()
        self._histories.cancel()
        await self.reader.aclose()
        if self.on_empty is not None:
            self.on_empty()

    async def fetch(self, cluster: str, window_s: float) -> MetricsReading:
        results = await self._fetches.get(cluster, window_s,
                                          lambda: self.reader.fetch_results(window_s))
        part = split_results(results, self.label, cluster)
        if not part.get("request_rate") and not part.get("up"):
            raise SourceError(
                f"no series with {self.label}={quote(cluster)} in the store at "
                f"{display_url(self.endpoint.url)}")
        return self.reader.assemble(part)

    async def history(self, cluster: str, window_s: float, span_s: float, step_s: float
                      ) -> History:
        async def call() -> Mapping[str, History]:
            raw = await self.reader.history_series(window_s, span_s, step_s)
            return self.reader.split_history(raw, {})

        parts = await self._histories.get(cluster, (window_s, span_s, step_s), call)
        return parts.get(cluster) or History(series={})


def split_results(results: Results, label: str, cluster: str) -> Results:
    """One cluster's share of a grouped answer: its series, with the same figure names."""
    return {name: None if rows is None else [r for r in rows if r[0].get(label) == cluster]
            for name, rows in results.items()}


class StoreSlice:
    """MetricsSource of one target on a shared store (see SharedStore)."""

    def __init__(self, store: SharedStore, cluster: str) -> None:
        self.store = store
        self.cluster = cluster
        self._own: PrometheusSource | None = None

    @property
    def queries_per_refresh(self) -> int:
        return self.store.queries_per_refresh

    @property
    def requests_sent(self) -> int:
        return self.store.requests_sent

    @property
    def last_eval_time(self) -> float | None:
        return self.store.reader.last_eval_time

    async def fetch(self, window_s: float) -> MetricsReading:
        return await self.store.fetch(self.cluster, window_s)

    async def history(self, window_s: float, span_s: float, step_s: float) -> History:
        return await self.store.history(self.cluster, window_s, span_s, step_s)

    async def model_history(
        self, key: ModelKey, window_s: float, span_s: float, step_s: float
    ) -> ModelHistory:
        """One model of this cluster, on demand: its own scoped reader, not the round's."""
        if self._own is None:
            s = self.store
            self._own = PrometheusSource(s.endpoint, s._settings, s._clock,
                                         transport=s._transport,
                                         scope=f"{s.label}={quote(self.cluster)}")
        return await self._own.model_history(key, window_s, span_s, step_s)

    async def aclose(self) -> None:
        if self._own is not None:
            await self._own.aclose()
        await self.store.release(self.cluster)


class StoreRegistry:
    """The shared stores of one console, keyed by where and how they are reached."""

    def __init__(self) -> None:
        self._stores: dict[tuple[Any, ...], SharedStore] = {}

    @staticmethod
    def _key(endpoint: HttpEndpoint, label: str) -> tuple[Any, ...]:
        return (endpoint.url, tuple(sorted(endpoint.headers.items())), endpoint.bearer_token,
                endpoint.username, endpoint.password, label)

    def store(self, endpoint: HttpEndpoint, settings: Settings, clock: Clock, label: str,
              transport: httpx.AsyncBaseTransport | None = None) -> SharedStore:
        key = self._key(endpoint, label)
        store = self._stores.get(key)
        if store is None:
            store = SharedStore(endpoint, settings, clock, label, transport=transport)

            def forget() -> None:
                self._stores.pop(key, None)

            store.on_empty = forget
            self._stores[key] = store
        return store

    @property
    def stores(self) -> tuple[SharedStore, ...]:
        return tuple(self._stores.values())
