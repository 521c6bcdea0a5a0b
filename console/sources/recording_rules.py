"""Recording rules: the refresh's inner aggregations, precomputed by Prometheus.

On a big gateway the costly part of every refresh is `rate()` over every raw series of
every model, re-done by each console every couple of seconds. `ai-gateway-console
manifests rules` ships recording rules that compute exactly the inner
`sum by (provider, model, ...) (rate(...[5m]))` of each figure once per evaluation; when
they exist, the 5m window reads them instead. Each rule's expression is the very string the
raw query aggregates, so the figures are the same numbers (as of the rule's last evaluation,
at most one evaluation interval old). Other windows keep the raw queries.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.config.profiles import Profile
from console.sources.promql import (
    QUANTILE_LABEL,
    QUANTILES,
    QueryPlan,
    build_queries,
    by_labels,
    errors_selector,
    suffixed,
)

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
        expr = f"sum {by_labels(profile, *labels)} (rate({series}[{window}]))"
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
        return f"sum {by_labels(profile, *labels)} ({rule.record})"

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


