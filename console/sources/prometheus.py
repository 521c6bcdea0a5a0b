"""Per-model figures from a Prometheus-compatible HTTP API (Prometheus, Thanos, Mimir, ...).

Why httpx and not prometheus-api-client: the console polls every couple of
seconds from an asyncio App, runs all the queries of one refresh at once, and
must fail fast with one honest line. prometheus-api-client is built on
blocking `requests` (one thread per concurrent query), retries 503s three
times with a one-second backoff (a refresh would stall for seconds behind a
sick server) and puts the raw response body into its exception text. httpx's
`AsyncClient` gives concurrency with `asyncio.gather`, one timeout, bearer or
basic auth, extra headers (e.g. `X-Scope-OrgID`), TLS with a custom CA or
none, and connect-only retries from its transport (safe: nothing was sent).
prometheus-api-client still earns its place in the tests, as an independent
client that runs the same PromQL by hand.

This module is the source: it sends the plan of `promql.py` (with the recorded series of
`recording_rules.py` when they exist), parses the answers with `prometheus_answers.py`,
and keeps what lasts between refreshes (the recording-rules probe, the series cap).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Mapping
from typing import Any

import httpx

from console.clock import Clock
from console.config.profiles import profile_named
from console.config.settings import HttpEndpoint, Settings
from console.model import MetricsReading, ModelHistory, ModelKey
from console.sources.base import History, SourceError
from console.sources.http_client import AnswerTooLarge, ApiClient
from console.sources.prometheus_answers import (
    Samples,
    assemble_models,
    assemble_targets,
    grid_values,
    model_key,
    parse_matrix,
    parse_vector,
)
from console.sources.promql import (
    DURATION_FIGURES,
    QueryPlan,
    build_history_queries,
    build_model_history_queries,
    build_queries,
    scoped_profile,
)
from console.sources.recording_rules import (
    RULES_RECHECK_S,
    RULES_WINDOW,
    build_recorded_queries,
    recording_rules,
    recording_rules_probe,
)
from console.sources.series_cap import Capped, keep_busiest, narrowed, take_count
from console.text.durations import format_duration

log = logging.getLogger(__name__)

CORE_FIGURES = ("request_rate", "error_ratio", "latency")
"""Without these a models table would lie; any failure among them fails the refresh.
The other figures enrich the rows and degrade to None when their query fails."""

MAX_POINTS = 11_000
"""Prometheus refuses range queries of more points than this per series."""


NO_CACHE = {"nocache": "1"}
"""VictoriaMetrics answers a query for "now" as of 30 s ago (-search.latencyOffset) and
repeats that value over the last 30 s of a range, unless told `nocache=1`; the console
would then show half-a-minute-old figures and flat sparkline ends. Prometheus, Thanos and
Mimir ignore a parameter they do not know."""

class PrometheusSource:
    """MetricsSource over a Prometheus-compatible API.

    `queries_per_refresh` is the number of HTTP requests one `fetch` sends (a
    constant of the profile, independent of the number of models);
    `requests_sent` counts every request, for tests and benchmarks.
    """

    def __init__(
        self,
        endpoint: HttpEndpoint,
        settings: Settings,
        clock: Clock,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        group: tuple[str, ...] = (),
        scope: str = "",
    ) -> None:
        self._base_profile = profile_named(settings.profile).with_overrides(
            settings.metrics_overrides)
        self.profile = scoped_profile(self._base_profile, scope)
        self.group = group
        """Labels grouped in front of (provider, model): ("cluster",) for a fleet's store."""
        self.scope = scope
        """Matcher on every series read (e.g. `cluster="eu"`): one cluster of a global store."""
        self._prices = dict(settings.prices)
        self._clock = clock
        self._api = ApiClient(endpoint, "Prometheus", transport)
        self._warned: set[str] = set()
        self.queries_per_refresh = len(build_queries(self.profile, "5m", group, scope))
        self.last_eval_time: float | None = None
        """The evaluation time of the last fetch: every query of a refresh uses the same one,
        so the figures of one row are consistent with each other."""
        self._recorded: frozenset[str] = frozenset()
        # time.monotonic() of the next recording-rules probe. The recorded series are summed
        # by (provider, model) only, so a store read by cluster never uses them.
        self._rules_due_at = math.inf if (group or scope) else 0.0
        self.narrowing = False
        """True while the gateway has more models than the series cap: the queries then ask
        for the busiest only (console/sources/series_cap.py)."""
        self.series_note: str | None = None
        """`5,000 series, showing the busiest 1,000` while the cap cuts, else None."""

    @property
    def requests_sent(self) -> int:
        return self._api.requests_sent

    def rescope(self, scope: str) -> None:
        """Read other series from the next refresh on (a fleet's store gained a cluster)."""
        self.scope = scope
        self.profile = scoped_profile(self._base_profile, scope)

    @property
    def uses_recording_rules(self) -> bool:
        """True when the 5m refresh reads the recorded request-rate and latency series."""
        figures = {r.figure for r in recording_rules(self.profile) if r.record in self._recorded}
        return {"requests", "duration"} <= figures

    @property
    def recorded_series(self) -> frozenset[str]:
        """The recorded series the last probe found (see `manifests rules`)."""
        return self._recorded

    def queries(self, window_s: float) -> QueryPlan:
        window = format_duration(window_s)
        if window == RULES_WINDOW and self._recorded:
            return build_recorded_queries(self.profile, self._recorded)
        return build_queries(self.profile, window, self.group, self.scope)

    async def detect_recording_rules(self) -> frozenset[str]:
        """Ask (one query) which recorded series exist; later 5m refreshes read them.

        Raises SourceError when Prometheus cannot answer; what was known stays.
        """
        self._rules_due_at = time.monotonic() + RULES_RECHECK_S
        answer = await self._query(recording_rules_probe(self.profile), self._clock())
        found = {labels.get("__name__", "") for labels, _ in parse_vector(answer)}
        self._recorded = frozenset(
            r.record for r in recording_rules(self.profile) if r.record in found
        )
        return self._recorded

    async def _probe_rules(self) -> None:
        """The periodic probe beside a refresh: its answer applies from the next refresh, so
        the refresh itself never waits for it, and a failure only means asking again soon."""
        try:
            await self.detect_recording_rules()
        except SourceError:
            self._rules_due_at = time.monotonic() + 30.0

    async def _query(self, promql: str, at: float) -> Any:
        return await self._api.get_json(
            "/api/v1/query",
            {"query": promql, "time": f"{at:.3f}",
             "timeout": format_duration(self._api.endpoint.timeout_s), **NO_CACHE},
        )

    async def fetch(self, window_s: float) -> MetricsReading:
        return self.assemble(await self.fetch_results(window_s))

    def assemble(self, results: Mapping[str, Samples | None]
                 ) -> MetricsReading:
        """The reading of parsed answers (one cluster's share of a fleet's, for one)."""
        return MetricsReading(
            models=assemble_models(results, self.profile, self._prices),
            targets=assemble_targets(results.get("up") or []),
            series_note=self.series_note,
        )

    @property
    def _series_labels(self) -> tuple[str, ...]:
        return (*self.group, self.profile.provider_label, self.profile.model_label)

    def _series_key(self, labels: Mapping[str, str]) -> tuple[str, ...]:
        return tuple(labels.get(name, "") for name in self._series_labels)

    def _capped(self, results: dict[str, Samples | None],
                narrowed_plan: bool) -> dict[str, Samples | None]:
        """The answers cut to the series cap; decides whether the next refresh narrows."""
        limit = self._api.endpoint.limits.max_series
        capped: Capped = (take_count(results, limit) if narrowed_plan
                          else keep_busiest(results, self._series_key, limit))
        self.narrowing = capped.total > limit
        self.series_note = capped.note
        return capped.results

    async def fetch_results(
        self, window_s: float
    ) -> dict[str, Samples | None]:
        """Every query of one refresh, sent at once and evaluated at one instant, parsed.

        A failed core figure raises SourceError; a failed optional one is None.
        """
        narrow = self.narrowing
        plan = self.queries(window_s)
        recorded_plan = format_duration(window_s) == RULES_WINDOW and bool(self._recorded)
        limit = self._api.endpoint.limits.max_series
        queries = (narrowed(plan.queries, self._series_labels, limit) if narrow
                   else dict(plan.queries))
        at = self._clock()
        names = list(queries)
        calls: list[Awaitable[Any]] = [self._query(queries[n], at) for n in names]
        if format_duration(window_s) == RULES_WINDOW and time.monotonic() >= self._rules_due_at:
            self._rules_due_at = time.monotonic() + RULES_RECHECK_S
            calls.append(self._probe_rules())  # never raises; answer used from the next refresh
        answers = (await asyncio.gather(*calls, return_exceptions=True))[: len(names)]
        if not narrow and any(isinstance(a, AnswerTooLarge) for a in answers):
            # Too many series to read them all: ask Prometheus for the busiest at once.
            self.narrowing = True
            return await self.fetch_results(window_s)
        results: dict[str, Samples | None] = {}
        for name, answer in zip(names, answers, strict=True):
            if isinstance(answer, BaseException) and not isinstance(answer, Exception):
                raise answer  # cancellation
            try:
                if isinstance(answer, Exception):
                    raise answer
                results[name] = parse_vector(answer)
            except SourceError as exc:
                if name in CORE_FIGURES:
                    raise SourceError(self._api.scrub(str(exc))) from None
                self._warn_once(name, exc)
                results[name] = None
        if recorded_plan and not results.get("request_rate"):
            # The rules were removed (their series went stale): raw again from the next
            # refresh, and ask again then, instead of an empty table for minutes.
            self._recorded, self._rules_due_at = frozenset(), 0.0
        self.last_eval_time = at
        return self._capped(results, narrow)

    def _warn_once(self, figure: str, exc: Exception) -> None:
        message = self._api.scrub(str(exc))
        if message not in self._warned:
            self._warned.add(message)
            log.warning("figure %s unavailable: %s", figure, message)

    async def history(self, window_s: float, span_s: float, step_s: float) -> History:
        return self.split_history(await self.history_series(window_s, span_s, step_s), {})[""]

    def split_history(
        self,
        raw: Mapping[str, list[tuple[dict[str, str], tuple[float, ...]]]],
        clusters: Mapping[str, str],
    ) -> dict[str, History]:
        """Range answers as a History per value of the first group label ("" without one)."""
        label = self.group[0] if self.group else None
        out: dict[str, dict[str, dict[ModelKey, tuple[float, ...]]]] = (
            {} if label else {"": {name: {} for name in raw}})
        for name, rows in raw.items():
            unit = self.profile.duration_unit_s if name == "p95_latency_s" else 1.0
            for labels, values in rows:
                part = labels.get(label, "") if label else ""
                per = out.setdefault(clusters.get(part, part), {}).setdefault(name, {})
                per[model_key(labels, self.profile)] = tuple(v * unit for v in values)
        return {part: History(series=series) for part, series in out.items()}

    async def history_series(
        self, window_s: float, span_s: float, step_s: float
    ) -> dict[str, list[tuple[dict[str, str], tuple[float, ...]]]]:
        """The trend range queries (one per figure), parsed but not yet split per cluster."""
        plan = build_history_queries(self.profile, format_duration(window_s), self.group)
        if self.narrowing:
            plan = QueryPlan(narrowed(plan.queries, self._series_labels,
                                      self._api.endpoint.limits.max_series, count=False))
        _, _, answers = await self._ranges(plan, span_s, step_s)
        series: dict[str, list[tuple[dict[str, str], tuple[float, ...]]]] = {}
        for name, answer in answers.items():
            if isinstance(answer, BaseException):
                if isinstance(answer, SourceError):
                    raise SourceError(self._api.scrub(str(answer))) from None
                raise answer
            series[name] = parse_matrix(answer)
        return series

    async def aclose(self) -> None:
        await self._api.aclose()

    async def _ranges(
        self, plan: QueryPlan, span_s: float, step_s: float
    ) -> tuple[float, float, dict[str, Any | BaseException]]:
        """(start, step, answer or exception per figure) of the plan's range queries over the
        last `span_s`, all sent at once; at most MAX_POINTS points each."""
        end = self._clock()
        step = max(step_s, span_s / MAX_POINTS, 0.001)
        start = end - span_s
        params = {"start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}",
                  "timeout": format_duration(self._api.endpoint.timeout_s), **NO_CACHE}
        names = list(plan.queries)
        answers = await asyncio.gather(
            *(self._api.get_json("/api/v1/query_range", {"query": plan.queries[n], **params})
              for n in names),
            return_exceptions=True,
        )
        return start, step, dict(zip(names, answers, strict=True))

    async def model_history(
        self, key: ModelKey, window_s: float, span_s: float, step_s: float
    ) -> ModelHistory:
        """One model's trends for its drill-down: one range query per figure, this model only.

        A figure whose query fails is named in `missing` and the others still
        come back; only when every query fails is it a SourceError.
        """
        plan = build_model_history_queries(self.profile, format_duration(window_s), key)
        start, step, answers = await self._ranges(plan, span_s, step_s)
        points = round(span_s / step) + 1
        series: dict[str, tuple[float, ...]] = {}
        missing: dict[str, str] = {}
        for name, answer in answers.items():
            if isinstance(answer, BaseException) and not isinstance(answer, Exception):
                raise answer  # cancellation
            try:
                if isinstance(answer, Exception):
                    raise answer
                unit = self.profile.duration_unit_s if name in DURATION_FIGURES else 1.0
                series[name] = grid_values(answer, start, step, points, unit)
            except SourceError as exc:
                missing[name] = self._api.scrub(str(exc))
        if not series and missing:
            raise SourceError(next(iter(missing.values())))
        notes = self.profile.not_recorded_notes()
        for role, figure in (("error_ratio", "error_ratio"), ("ttft", "ttft_p95_s")):
            if role in notes and figure not in series:
                missing[figure] = notes[role]
        return ModelHistory(key[0], key[1], start, step, series, missing)
