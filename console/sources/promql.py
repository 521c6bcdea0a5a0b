"""PromQL built from a profile: the plan of one refresh, the trends and one model's drill-down.

Every figure is computed by Prometheus: one instant query per figure, grouped
`by (provider, model)` with the profile's label names, so the number of queries
per refresh is a constant however many models the gateway serves. The queries
are written once against the profile's roles, never against a gateway's metric
names, which is what lets one builder serve every profile and every override.
Pure string building: nothing here sends a request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from console.config.profiles import Profile
from console.model import ModelKey

UNLABELLED = "—"
"""Provider or model of series that lack the label: their traffic is shown, not dropped, so a
profile whose label names do not match the gateway shows up as one odd row instead of nothing."""

QUANTILE_LABEL = "agc_quantile"
"""Label the latency query adds to tell P50, P95 and P99 apart in one response."""

QUANTILES = (0.5, 0.95, 0.99)


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


def by_labels(profile: Profile, *extra: str, group: tuple[str, ...] = ()) -> str:
    """`by (group..., provider, model, extra...)` with the profile's label names."""
    return "by (" + ", ".join((*group, profile.provider_label, profile.model_label, *extra)) + ")"


def scoped_profile(profile: Profile, matcher: str) -> Profile:
    """The profile with `matcher` (e.g. `cluster=~"eu|us"`) on every metric it reads.

    A global store holds every cluster's series; scoping the names instead of the
    PromQL keeps one query builder for one cluster, a fleet, and a store of one.
    """
    if not matcher:
        return profile

    def scope(metric: str | None) -> str | None:
        return with_matchers(metric, matcher) if metric else metric

    return replace(profile, requests=with_matchers(profile.requests, matcher),
                   errors=scope(profile.errors), duration=with_matchers(profile.duration, matcher),
                   tokens=scope(profile.tokens), ttft=scope(profile.ttft),
                   input_tokens=scope(profile.input_tokens), spend=scope(profile.spend))


def _quantile(profile: Profile, histogram: str, q: float, window: str,
              group: tuple[str, ...] = ()) -> str:
    bucket = suffixed(histogram, "_bucket")
    return (f"histogram_quantile({q:g}, sum {by_labels(profile, 'le', group=group)} "
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
    by = by_labels(profile, group=group)
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
        by_direction = by_labels(profile, *direction, group=group)
        queries["tokens"] = f"sum {by_direction} (rate({tokens}[{window}]))"
    if profile.input_tokens:
        queries["input_tokens"] = f"sum {by} (rate({profile.input_tokens}[{window}]))"
    if profile.spend:
        queries["spend"] = f"sum {by} (rate({profile.spend}[{window}])) * 3600"
    for figure, label in (("errors_by_type", profile.error_type_label),
                          ("errors_by_code", profile.code_label)):
        if errors and label:
            by_label = by_labels(profile, label, group=group)
            queries[figure] = f"sum {by_label} (rate({errors}[{window}]))"
    queries["up"] = with_matchers("up", f"job={quote(profile.up_job)}", up_matcher)
    return QueryPlan(queries)


def build_history_queries(profile: Profile, window: str,
                          group: tuple[str, ...] = ()) -> QueryPlan:
    """The two trend figures, each one range query for every model (and every cluster)."""
    return QueryPlan(
        {
            "request_rate": (f"sum {by_labels(profile, group=group)} "
                             f"(rate({profile.requests}[{window}]))"),
            "p95_latency_s": _quantile(profile, profile.duration, 0.95, window, group),
        }
    )


# --------------------------------------------------------------------------------------------
# One model's trends (the drill-down), kept apart from the refresh's queries

DURATION_FIGURES = frozenset({"p50_latency_s", "p95_latency_s", "p99_latency_s", "ttft_p95_s"})
"""The drill-down's figures in the profile's duration unit (Kong's are milliseconds)."""


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
