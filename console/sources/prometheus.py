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

Every figure is computed by Prometheus: one instant query per figure, grouped
`by (provider, model)` with the profile's label names, so the number of
queries per refresh is a constant however many models the gateway serves.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from console.clock import Clock
from console.config.profiles import PROFILES, Profile
from console.config.settings import HttpEndpoint, Settings
from console.model import (
    MetricsReading,
    ModelFigures,
    ModelHistory,
    ModelKey,
    ScrapeTarget,
)
from console.sources.base import History, SourceError
from console.sources.http_client import AnswerTooLarge, ApiClient
from console.sources.http_client import display_url as display_url
from console.sources.series_cap import Capped, keep_busiest, narrowed, take_count
from console.text.durations import format_duration
from console.text.safe_text import clean_map

log = logging.getLogger(__name__)

UNLABELLED = "—"
"""Provider or model of series that lack the label: their traffic is shown, not dropped, so a
profile whose label names do not match the gateway shows up as one odd row instead of nothing."""

QUANTILE_LABEL = "agc_quantile"
"""Label the latency query adds to tell P50, P95 and P99 apart in one response."""

QUANTILES = (0.5, 0.95, 0.99)

CORE_FIGURES = ("request_rate", "error_ratio", "latency")
"""Without these a models table would lie; any failure among them fails the refresh.
The other figures enrich the rows and degrade to None when their query fails."""

MAX_POINTS = 11_000
"""Prometheus refuses range queries of more points than this per series."""


# --------------------------------------------------------------------------------------------
# PromQL built from a profile


def with_matchers(metric: str, *matchers: str) -> str:
    """`metric{matchers}`, also when an overridden name already carries a selector."""
    extra = ",".join(m for m in matchers if m)
    if not extra:
        return metric
    if metric.endswith("}"):
        inner = metric[metric.index("{") + 1 : -1].strip()
        return f"{metric[: metric.index('{')]}{{{inner + ',' if inner else ''}{extra}}}"
    return f"{metric}{{{extra}}}"


def suffixed(metric: str, suffix: str) -> str:
    """`name_bucket{...}` from `name{...}`: histogram series names keep the selector."""
    if "{" in metric:
        head, _, tail = metric.partition("{")
        return f"{head}{suffix}{{{tail}"
    return metric + suffix


def quote(value: str) -> str:
    """A PromQL string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """The PromQL of one refresh; figures the profile lacks are simply absent."""

    queries: Mapping[str, str]

    def __len__(self) -> int:
        return len(self.queries)


def _by(profile: Profile, *extra: str, group: tuple[str, ...] = ()) -> str:
    return "by (" + ", ".join((*group, profile.provider_label, profile.model_label, *extra)) + ")"


def scoped_profile(profile: Profile, matcher: str) -> Profile:
    """The profile with `matcher` (e.g. `cluster=~"eu|us"`) on every metric it reads.

    A global store holds every cluster's series; scoping the names instead of the
    PromQL keeps one query builder for one cluster, a fleet, and a store of one.
    """
    if not matcher:
        return profile
    from dataclasses import replace

    def scope(metric: str | None) -> str | None:
        return with_matchers(metric, matcher) if metric else metric

    return replace(profile, requests=with_matchers(profile.requests, matcher),
                   errors=scope(profile.errors), duration=with_matchers(profile.duration, matcher),
                   tokens=scope(profile.tokens), ttft=scope(profile.ttft))


def _quantile(profile: Profile, histogram: str, q: float, window: str,
              group: tuple[str, ...] = ()) -> str:
    bucket = suffixed(histogram, "_bucket")
    return (f"histogram_quantile({q:g}, sum {_by(profile, 'le', group=group)} "
            f"(rate({bucket}[{window}])))")


def errors_selector(profile: Profile) -> str | None:
    """The error counter, or the request counter narrowed by the profile's error selector;
    None when the profile has neither (every request would count as an error)."""
    if profile.errors:
        return profile.errors
    if profile.error_selector:
        return with_matchers(profile.requests, profile.error_selector)
    return None


def build_queries(profile: Profile, window: str, group: tuple[str, ...] = (),
                  up_matcher: str = "") -> QueryPlan:
    """One query per figure for all models at once; `window` is a PromQL duration ("5m").

    `group` adds labels in front of (provider, model) — `("cluster",)` on a global
    store answers for every cluster in the same one query per figure — and
    `up_matcher` scopes the `up` query as `scoped_profile` scopes the others.
    """
    by = _by(profile, group=group)
    requests = f"sum {by} (rate({profile.requests}[{window}]))"
    queries: dict[str, str] = {"request_rate": requests}
    errors = errors_selector(profile)
    if errors:
        # A model that never failed has no error series at all; `or` gives it 0/requests (0,
        # or NaN with no traffic) as long as the error metric exists, so "no errors" reads 0
        # while "no error metric" stays unknown.
        guard = profile.errors or profile.requests
        queries["error_ratio"] = (
            f"(sum {by} (rate({errors}[{window}])) / {requests})"
            f" or (0 / {requests} and on() group({guard}))"
        )
    queries["latency"] = " or ".join(
        f'label_replace({_quantile(profile, profile.duration, q, window, group)}, '
        f'"{QUANTILE_LABEL}", "{q:g}", "", "")'
        for q in QUANTILES
    )
    if profile.ttft:
        queries["ttft_p95"] = _quantile(profile, profile.ttft, 0.95, window, group)
    if profile.tokens:
        tokens = suffixed(profile.tokens, "_sum") if profile.tokens_is_histogram else profile.tokens
        direction = (profile.token_direction_label,) if profile.token_direction_label else ()
        by_direction = _by(profile, *direction, group=group)
        queries["tokens"] = f"sum {by_direction} (rate({tokens}[{window}]))"
    for figure, label in (("errors_by_type", profile.error_type_label),
                          ("errors_by_code", profile.code_label)):
        if errors and label:
            queries[figure] = f"sum {_by(profile, label, group=group)} (rate({errors}[{window}]))"
    queries["up"] = with_matchers("up", f"job={quote(profile.up_job)}", up_matcher)
    return QueryPlan(queries)


def build_history_queries(profile: Profile, window: str,
                          group: tuple[str, ...] = ()) -> QueryPlan:
    """The two trend figures, each one range query for every model (and every cluster)."""
    return QueryPlan(
        {
            "request_rate": (f"sum {_by(profile, group=group)} "
                             f"(rate({profile.requests}[{window}]))"),
            "p95_latency_s": _quantile(profile, profile.duration, 0.95, window, group),
        }
    )


# --------------------------------------------------------------------------------------------
# Recording rules: the refresh's inner aggregations, precomputed by Prometheus
#
# On a big gateway the costly part of every refresh is `rate()` over every raw series of
# every model, re-done by each console every couple of seconds. `ai-gateway-console
# manifests rules` ships recording rules that compute exactly the inner
# `sum by (provider, model, ...) (rate(...[5m]))` of each figure once per evaluation; when
# they exist, the 5m window reads them instead. Each rule's expression is the very string the
# raw query aggregates, so the figures are the same numbers (as of the rule's last evaluation,
# at most one evaluation interval old). Other windows keep the raw queries.

RULES_WINDOW = "5m"
RULES_RECHECK_S = 300.0
"""How often the source asks again whether the recorded series exist (rules come and go)."""


@dataclass(frozen=True, slots=True)
class RecordingRule:
    """One recording rule; `figure` says which part of the refresh it replaces."""

    figure: str
    record: str
    expr: str


def metric_base(metric: str) -> str:
    """The name part of a (possibly selector-carrying) metric, without a counter's `_total`."""
    return metric.partition("{")[0].strip().removesuffix("_total")


def recording_rules(profile: Profile, window: str = RULES_WINDOW) -> tuple[RecordingRule, ...]:
    """The rules behind the refresh of `profile`, named `level:metric:operation` as the
    Prometheus documentation recommends (e.g. `provider_model:ai_gateway_requests:rate5m`)."""
    op = f"rate{window}"

    def name(labels: tuple[str, ...], metric: str) -> str:
        level = "_".join((profile.provider_label, profile.model_label, *labels))
        return f"{level}:{metric}:{op}"

    def rule(figure: str, labels: tuple[str, ...], metric: str, series: str) -> RecordingRule:
        expr = f"sum {_by(profile, *labels)} (rate({series}[{window}]))"
        return RecordingRule(figure, name(labels, metric), expr)

    rules = [rule("requests", (), metric_base(profile.requests), profile.requests)]
    errors = errors_selector(profile)
    if errors:
        # Errors as a selector on the request counter need a name of their own.
        errors_name = (metric_base(profile.errors) if profile.errors
                       else metric_base(profile.requests) + "_errors")
        rules.append(rule("errors", (), errors_name, errors))
        for figure, label in (("errors_by_type", profile.error_type_label),
                              ("errors_by_code", profile.code_label)):
            if label:
                rules.append(rule(figure, (label,), errors_name, errors))
    for figure, histogram in (("duration", profile.duration), ("ttft", profile.ttft)):
        if histogram:
            bucket = suffixed(histogram, "_bucket")
            rules.append(rule(figure, ("le",), metric_base(bucket), bucket))
    if profile.tokens:
        tokens = suffixed(profile.tokens, "_sum") if profile.tokens_is_histogram else profile.tokens
        direction = (profile.token_direction_label,) if profile.token_direction_label else ()
        rules.append(rule("tokens", direction, metric_base(tokens), tokens))
    return tuple(rules)


def recording_rules_probe(profile: Profile) -> str:
    """One cheap query answering which of the profile's recorded series exist."""
    names = "|".join(r.record for r in recording_rules(profile))
    return f'count by (__name__) ({{__name__=~"{names}"}})'


def build_recorded_queries(profile: Profile, available: frozenset[str]) -> QueryPlan:
    """The 5m refresh with every figure whose recorded series exist read from them.

    Same keys, same label sets and the same numbers as `build_queries(profile, "5m")`; a
    figure whose rule is missing keeps its raw query, so a partial rule set costs nothing.
    """
    queries = dict(build_queries(profile, RULES_WINDOW).queries)
    rules = {r.figure: r for r in recording_rules(profile)}

    def recorded(figure: str, *labels: str) -> str | None:
        rule = rules.get(figure)
        if rule is None or rule.record not in available:
            return None
        return f"sum {_by(profile, *labels)} ({rule.record})"

    requests, errors = recorded("requests"), recorded("errors")
    if requests:
        queries["request_rate"] = requests
    if requests and errors and "error_ratio" in queries:
        guard = profile.errors or profile.requests
        queries["error_ratio"] = (
            f"({errors} / {requests}) or (0 / {requests} and on() group({guard}))"
        )
    duration = recorded("duration", "le")
    if duration:
        queries["latency"] = " or ".join(
            f'label_replace(histogram_quantile({q:g}, {duration}), '
            f'"{QUANTILE_LABEL}", "{q:g}", "", "")'
            for q in QUANTILES
        )
    ttft = recorded("ttft", "le")
    if ttft and "ttft_p95" in queries:
        queries["ttft_p95"] = f"histogram_quantile(0.95, {ttft})"
    direction = (profile.token_direction_label,) if profile.token_direction_label else ()
    tokens = recorded("tokens", *direction)
    if tokens and "tokens" in queries:
        queries["tokens"] = tokens
    for figure, label in (("errors_by_type", profile.error_type_label),
                          ("errors_by_code", profile.code_label)):
        by_label = recorded(figure, label)
        if by_label and figure in queries:
            queries[figure] = by_label
    return QueryPlan(queries)


# --------------------------------------------------------------------------------------------
# Parsing the API's JSON (pure functions, tested on recorded responses)


Labels = Mapping[str, str]


def to_float(raw: Any) -> float | None:
    """A sample value; NaN, ±Inf and garbage are unknown (None), never a made-up number."""
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _data(payload: Any, kinds: tuple[str, ...]) -> list[Any]:
    if not isinstance(payload, Mapping) or "status" not in payload:
        raise SourceError("malformed answer from Prometheus: no status field")
    if payload["status"] != "success":
        kind = payload.get("errorType") or "error"
        raise SourceError(f"Prometheus {kind}: {payload.get('error') or 'no details'}")
    data = payload.get("data")
    if not isinstance(data, Mapping) or data.get("resultType") not in kinds:
        raise SourceError(f"unexpected answer from Prometheus: expected a {' or '.join(kinds)}")
    result = data.get("result")
    if not isinstance(result, list):
        raise SourceError("malformed answer from Prometheus: result is not a list")
    return result


def _labels(item: Mapping[str, Any]) -> dict[str, str]:
    """A series' labels, cleaned (text/safe_text.py): a model name is whatever a client sent."""
    metric = item.get("metric")
    return clean_map(metric) if isinstance(metric, Mapping) else {}


def parse_vector(payload: Any) -> list[tuple[dict[str, str], float | None]]:
    """(labels, value) per series of an instant-query answer; SourceError if it is not one."""
    out: list[tuple[dict[str, str], float | None]] = []
    for item in _data(payload, ("vector",)):
        if not isinstance(item, Mapping):
            continue
        value = item.get("value")
        raw = value[1] if isinstance(value, list) and len(value) == 2 else None
        out.append((_labels(item), to_float(raw)))
    return out


def parse_matrix(payload: Any) -> list[tuple[dict[str, str], tuple[float, ...]]]:
    """(labels, finite values oldest first) per series of a range-query answer."""
    out: list[tuple[dict[str, str], tuple[float, ...]]] = []
    for item in _data(payload, ("matrix",)):
        if not isinstance(item, Mapping) or not isinstance(item.get("values"), list):
            continue
        values = tuple(
            v
            for point in item["values"]
            if isinstance(point, list) and len(point) == 2
            for v in (to_float(point[1]),)
            if v is not None
        )
        out.append((_labels(item), values))
    return out


def model_key(labels: Labels, profile: Profile) -> ModelKey:
    return (
        labels.get(profile.provider_label) or UNLABELLED,
        labels.get(profile.model_label) or UNLABELLED,
    )


def per_model(
    samples: Iterable[tuple[Labels, float | None]], profile: Profile
) -> dict[ModelKey, float | None]:
    """Value per (provider, model). `sum by` makes keys unique; if a broken upstream sends two
    series for one key anyway, which one is right cannot be known, so the value is None."""
    out: dict[ModelKey, float | None] = {}
    for labels, value in samples:
        key = model_key(labels, profile)
        out[key] = None if key in out else value
    return out


def per_model_by(
    samples: Iterable[tuple[Labels, float | None]], profile: Profile, label: str
) -> dict[ModelKey, dict[str, float | None]]:
    """Value per (provider, model) and value of `label`; duplicates are None as in per_model."""
    out: dict[ModelKey, dict[str, float | None]] = {}
    for labels, value in samples:
        inner = out.setdefault(model_key(labels, profile), {})
        name = labels.get(label, "")
        inner[name] = None if name in inner else value
    return out


def _scaled(value: float | None, unit_s: float) -> float | None:
    return None if value is None else value * unit_s


def assemble_models(
    results: Mapping[str, list[tuple[dict[str, str], float | None]] | None],
    profile: Profile,
    prices: Mapping[str, float],
) -> tuple[ModelFigures, ...]:
    """ModelFigures per model from the parsed answer of each query (None: query failed).

    A model present in no answer of a figure gets None for it; a figure whose
    metric does not exist at all is therefore None for every model, never 0.
    """

    def get(name: str) -> list[tuple[dict[str, str], float | None]]:
        return results.get(name) or []

    rates = per_model(get("request_rate"), profile)
    ratios = per_model(get("error_ratio"), profile)
    latency = per_model_by(get("latency"), profile, QUANTILE_LABEL)
    ttft = per_model(get("ttft_p95"), profile)
    tokens_in: dict[ModelKey, float | None] = {}
    tokens_out: dict[ModelKey, float | None] = {}
    if profile.token_direction_label:
        for key, by_dir in per_model_by(get("tokens"), profile,
                                        profile.token_direction_label).items():
            if profile.output_token_value in by_dir:
                tokens_out[key] = by_dir[profile.output_token_value]
            if profile.input_token_value in by_dir:
                tokens_in[key] = by_dir[profile.input_token_value]
    else:
        tokens_out = per_model(get("tokens"), profile)
    by_type = per_model_by(get("errors_by_type"), profile, profile.error_type_label)
    by_code = per_model_by(get("errors_by_code"), profile, profile.code_label)

    keys = set(rates) | set(ratios) | set(latency) | set(ttft) | set(tokens_out)
    unit = profile.duration_unit_s
    models = []
    for key in sorted(keys):
        provider, model = key
        quantiles = latency.get(key, {})
        out_tps = tokens_out.get(key)
        price = prices.get(model)
        cost = None if out_tps is None or price is None else out_tps * 3600 * price / 1e6
        models.append(
            ModelFigures(
                provider=provider,
                model=model,
                request_rate=rates.get(key),
                error_ratio=ratios.get(key),
                p95_latency_s=_scaled(quantiles.get("0.95"), unit),
                ttft_p95_s=_scaled(ttft.get(key), unit),
                output_tokens_per_s=out_tps,
                cost_per_hour_usd=cost,
                p50_latency_s=_scaled(quantiles.get("0.5"), unit),
                p99_latency_s=_scaled(quantiles.get("0.99"), unit),
                errors_by_type=_finite(by_type.get(key, {})),
                errors_by_code=_finite(by_code.get(key, {})),
                input_tokens_per_s=tokens_in.get(key),
            )
        )
    return tuple(models)


def _finite(values: Mapping[str, float | None]) -> dict[str, float]:
    return {k: v for k, v in sorted(values.items()) if k and v is not None}


def assemble_targets(samples: Iterable[tuple[Labels, float | None]]) -> tuple[ScrapeTarget, ...]:
    targets = {
        labels.get("instance") or UNLABELLED: value == 1.0 for labels, value in samples
    }
    return tuple(ScrapeTarget(instance=i, up=u) for i, u in sorted(targets.items()))


# --------------------------------------------------------------------------------------------
# The source


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
        self._base_profile = PROFILES[settings.profile].with_overrides(settings.metrics_overrides)
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
             "timeout": format_duration(self._api.endpoint.timeout_s)},
        )

    async def fetch(self, window_s: float) -> MetricsReading:
        return self.assemble(await self.fetch_results(window_s))

    def assemble(self, results: Mapping[str, list[tuple[dict[str, str], float | None]] | None]
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

    def _capped(self, results: dict[str, list[tuple[dict[str, str], float | None]] | None],
                narrowed_plan: bool) -> dict[str, list[tuple[dict[str, str], float | None]] | None]:
        """The answers cut to the series cap; decides whether the next refresh narrows."""
        limit = self._api.endpoint.limits.max_series
        capped: Capped = (take_count(results, limit) if narrowed_plan
                          else keep_busiest(results, self._series_key, limit))
        self.narrowing = capped.total > limit
        self.series_note = capped.note
        return capped.results

    async def fetch_results(
        self, window_s: float
    ) -> dict[str, list[tuple[dict[str, str], float | None]] | None]:
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
        results: dict[str, list[tuple[dict[str, str], float | None]] | None] = {}
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
                  "timeout": format_duration(self._api.endpoint.timeout_s)}
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
                unit = self.profile.duration_unit_s if name in _DURATION_FIGURES else 1.0
                series[name] = grid_values(answer, start, step, points, unit)
            except SourceError as exc:
                missing[name] = self._api.scrub(str(exc))
        if not series and missing:
            raise SourceError(next(iter(missing.values())))
        return ModelHistory(key[0], key[1], start, step, series, missing)


# --------------------------------------------------------------------------------------------
# One model's trends (the drill-down), kept apart from the refresh's queries

_DURATION_FIGURES = frozenset({"p50_latency_s", "p95_latency_s", "p99_latency_s", "ttft_p95_s"})


def model_matchers(profile: Profile, key: ModelKey) -> tuple[str, str]:
    """Label matchers for one (provider, model); an unlabelled part matches the absent label."""
    provider, model = key
    return (
        f"{profile.provider_label}={quote('' if provider == UNLABELLED else provider)}",
        f"{profile.model_label}={quote('' if model == UNLABELLED else model)}",
    )


def build_model_history_queries(profile: Profile, window: str, key: ModelKey) -> QueryPlan:
    """The drill-down's figures for one model: the refresh's PromQL narrowed by its labels."""
    only = model_matchers(profile, key)
    requests = f"sum (rate({with_matchers(profile.requests, *only)}[{window}]))"
    queries: dict[str, str] = {"request_rate": requests}
    errors = errors_selector(profile)
    if errors:
        guard = with_matchers(profile.errors or profile.requests, *only)
        queries["error_ratio"] = (
            f"(sum (rate({with_matchers(errors, *only)}[{window}])) / {requests})"
            f" or (0 / {requests} and on() group({guard}))"
        )

    def quantile(histogram: str, q: float) -> str:
        bucket = with_matchers(suffixed(histogram, "_bucket"), *only)
        return f"histogram_quantile({q:g}, sum by (le) (rate({bucket}[{window}])))"

    for q, name in ((0.5, "p50_latency_s"), (0.95, "p95_latency_s"), (0.99, "p99_latency_s")):
        queries[name] = quantile(profile.duration, q)
    if profile.ttft:
        queries["ttft_p95_s"] = quantile(profile.ttft, 0.95)
    return QueryPlan(queries)


def grid_values(
    payload: Any, start: float, step: float, points: int, unit: float = 1.0
) -> tuple[float, ...]:
    """A range answer of (at most) one series as values on the query's grid, NaN where absent.

    Keeping the gaps (instead of dropping them as the sparklines do) lets the
    charts of one model line up instant by instant.
    """
    out = [math.nan] * points
    for item in _data(payload, ("matrix",)):
        if not isinstance(item, Mapping) or not isinstance(item.get("values"), list):
            continue
        for point in item["values"]:
            if not isinstance(point, list) or len(point) != 2:
                continue
            at, value = to_float(point[0]), to_float(point[1])
            if at is None or value is None:
                continue
            index = round((at - start) / step)
            if 0 <= index < points:
                out[index] = value * unit
    return tuple(out)
