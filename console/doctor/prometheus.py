"""The doctor's Prometheus checks: reachable, each metric of the profile found with the labels
the console groups by (doctor/labels.py), scrape targets up, recording rules used.

A core metric (requests, duration) with no series fails: the console would show no
models or no latency. An optional one only warns. The queries are the console's own
selectors (the profile's, with the config's overrides), so a pass means the console
will find them too. No Textual here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from console.clock import Clock
from console.config.profiles import Profile, profile_named
from console.config.settings import HttpEndpoint, Settings, TargetSettings
from console.doctor.checks import Check, Status, gather_named
from console.doctor.labels import LabelNeed, label_check, label_needs, labels_pass, missing_labels
from console.sources.base import SourceError
from console.sources.http_client import PLACEHOLDER, ApiClient, RoutedTransport
from console.sources.prometheus_answers import parse_vector
from console.sources.promql import errors_selector, quote, suffixed
from console.sources.recording_rules import RULES_WINDOW, recording_rules


@dataclass(frozen=True, slots=True)
class MetricRole:
    role: str
    series: str | None
    """The selector counted (histograms: their `_bucket` series); None: not in the profile."""
    core: bool
    without: str
    """What the console cannot show when the metric has no series."""


def metric_roles(profile: Profile) -> tuple[MetricRole, ...]:
    tokens = profile.tokens
    if tokens and profile.tokens_is_histogram:
        tokens = suffixed(tokens, "_sum")
    extra = tuple(
        MetricRole(role, series, False, without) for role, series, without in (
            ("input_tokens", profile.input_tokens, "no input tokens/s"),
            ("spend", profile.spend, "cost/h from the price table instead"))
        if series)  # only the products that have one: no skip line for every other profile
    return (
        MetricRole("requests", profile.requests, True, "no request rate, so no models at all"),
        MetricRole("errors", errors_selector(profile), False,
                   "error ratios read 0 % until a request fails (normal on a young gateway)"
                   if errors_selector(profile) else "error ratios unknown"),
        MetricRole("duration", suffixed(profile.duration, "_bucket"), True, "no latency"),
        MetricRole("tokens", tokens, False, "no tokens/s and no cost/h"),
        MetricRole("ttft", suffixed(profile.ttft, "_bucket") if profile.ttft else None, False,
                   "no time to first token"),
        *extra,
    )



def _count(answer: Any) -> int:
    samples = parse_vector(answer)
    return int(samples[0][1] or 0) if samples else 0


def _prometheus_fix(message: str) -> str:
    lowered = message.lower()
    if "unauthorized" in lowered or "forbidden" in lowered:
        return "check the token or username/password (--prometheus-token-file, ...)"
    if "timed out" in lowered:
        return "check the network path to Prometheus, or raise --timeout"
    if "tls" in lowered or "certificate" in lowered:
        return "give --prometheus-ca-file (or --insecure-skip-tls-verify if you must)"
    return "check --prometheus-url (the Prometheus HTTP API, e.g. http://prometheus:9090)"


async def prometheus_checks(settings: Settings, target: TargetSettings, clock: Clock,
                            proxy: RoutedTransport | None = None) -> list[Check]:
    """`proxy`: the service proxy, when Prometheus is found in the cluster."""
    from console.sources.prometheus import PrometheusSource

    endpoint = target.prometheus
    routed = proxy if endpoint is None else None
    if routed is not None:
        endpoint = HttpEndpoint(PLACEHOLDER["prometheus"], limits=target.limits)
    if endpoint is None:  # build_settings refuses this outside --demo; be safe anyway
        return [Check("prometheus", "fail", "not configured", "give --prometheus-url")]
    profile = profile_named(settings.profile).with_overrides(settings.metrics_overrides)
    roles = metric_roles(profile)
    api = ApiClient(endpoint, "Prometheus", routed)
    source = PrometheusSource(endpoint, settings, clock, transport=routed)
    up_query = f"up{{job={quote(profile.up_job)}}}"

    def query(promql: str) -> Awaitable[Any]:
        return api.get_json("/api/v1/query", {"query": promql})

    calls: dict[str, Awaitable[Any]] = {
        "buildinfo": api.get_json("/api/v1/status/buildinfo"),
        "up": query(up_query),
        "rules": source.detect_recording_rules(),
    }
    for role in roles:
        if role.series:
            calls[f"metric {role.role}"] = query(f"count({role.series})")
    needs = label_needs(profile, {r.role: r.series for r in roles if r.role != "spend"})
    for need in needs:
        calls[f"labels {need.role}"] = query(need.group_query())
    try:
        got = await gather_named(calls)
        labels = await _label_checks(needs, got, query)
    finally:
        await api.aclose()
        await source.aclose()

    queried = [v for k, v in got.items() if k.startswith("metric ") or k == "up"]
    if all(isinstance(v, Exception) for v in queried):
        message = str(next(v for v in queried if isinstance(v, Exception)))
        checks = [Check("prometheus", "fail", message, _prometheus_fix(message))]
        checks += [Check(f"metric {r.role}", "skip", "Prometheus not reachable") for r in roles]
        checks += [Check(name, "skip", "Prometheus not reachable")
                   for name in ("scrape targets", "recording rules")]
        return checks

    version = ""
    build = got["buildinfo"]
    if isinstance(build, Mapping) and isinstance(build.get("data"), Mapping):
        version = str(build["data"].get("version") or "")
    checks = [Check("prometheus", "pass", f"reachable at {api.url}"
                    + (f" (Prometheus {version})" if version else ""))]
    if settings.profile_note:  # `--profile auto` chose it: say how, warn if it only guessed
        checks.append(Check("profile", "warn" if "using " in settings.profile_note else "pass",
                            f"{settings.profile}: {settings.profile_note}",
                            "give --profile (seed, litellm, envoy-ai-gateway, kong)"
                            if "using " in settings.profile_note else ""))
    checks += [_metric_check(role, got.get(f"metric {role.role}"), profile) for role in roles]
    checks += labels
    checks.append(_targets_check(got["up"], up_query))
    checks.append(_rules_check(got["rules"], profile, settings.window))
    return checks


async def _label_checks(needs: tuple[LabelNeed, ...], got: Mapping[str, Any],
                        query: Callable[[str], Awaitable[Any]]) -> list[Check]:
    """A check per role whose series exist: pass, or fail naming the labels there and the
    override; one more query (one series) only for a role that fails."""
    missing: dict[str, list[tuple[str, str]]] = {}
    for need in needs:
        answer = got.get(f"labels {need.role}")
        try:
            found = None if isinstance(answer, Exception) else missing_labels(answer, need)
        except SourceError:
            found = None
        if found is not None:
            missing[need.role] = found
    failing = [n for n in needs if missing.get(n.role)]
    samples = await gather_named({n.role: query(n.sample_query()) for n in failing})
    return [label_check(n, missing[n.role], samples[n.role]) if missing[n.role]
            else labels_pass(n) for n in needs if n.role in missing]


def _metric_check(role: MetricRole, answer: Any, profile: Profile) -> Check:
    name = f"metric {role.role}"
    if role.series is None:
        notes = profile.not_recorded_notes()
        note = notes.get("error_ratio" if role.role == "errors" else role.role)
        return Check(name, "skip", f"{note}: {role.without}" if note
                     else f"not part of the {profile.name} profile")
    bad: Status = "fail" if role.core else "warn"
    rename = (f"check --profile, or name the real metric in the config's [metrics] table "
              f"({role.role} = \"...\")")
    if isinstance(answer, Exception):
        return Check(name, bad, f"{role.series}: {answer}", rename)
    try:
        count = _count(answer)
    except SourceError as exc:
        return Check(name, bad, f"{role.series}: {exc}", rename)
    if count == 0:
        if role.core:
            return Check(name, "fail", f"{role.series}: no series ({role.without})",
                         rename + "; is the gateway scraped?")
        return Check(name, "warn", f"{role.series}: no series ({role.without})", rename)
    return Check(name, "pass", f"{role.series}: {count} series")


def _targets_check(answer: Any, up_query: str) -> Check:
    fix = "set up_job in the config's [metrics] table to the gateway's scrape job"
    if isinstance(answer, Exception):
        return Check("scrape targets", "warn", f"{up_query}: {answer}", fix)
    try:
        samples = parse_vector(answer)
    except SourceError as exc:
        return Check("scrape targets", "warn", f"{up_query}: {exc}", fix)
    if not samples:
        return Check("scrape targets", "warn", f"no {up_query} series", fix)
    down = sorted(labels.get("instance", "?") for labels, value in samples if value != 1.0)
    if down:
        return Check("scrape targets", "warn",
                     f"{len(samples) - len(down)} of {len(samples)} up; down: {', '.join(down)}",
                     "see why Prometheus cannot scrape them (its /targets page)")
    return Check("scrape targets", "pass", f"{len(samples)} of {len(samples)} up")


def _rules_check(answer: Any, profile: Profile, window: str) -> Check:
    rules = recording_rules(profile)
    fix = "apply `ai-gateway-console manifests rules` to make the 5m refresh cheaper"
    if isinstance(answer, Exception):
        return Check("recording rules", "warn", f"cannot tell: {answer}", fix)
    found = {r.figure for r in rules if r.record in answer}
    if {"requests", "duration"} <= found:
        other = "" if window == RULES_WINDOW else f"; --window {window} reads the raw series"
        return Check("recording rules", "pass", f"used for the {RULES_WINDOW} window "
                     f"({len(found)} of {len(rules)} recorded series){other}")
    if found:
        return Check("recording rules", "warn",
                     f"not used: only {len(found)} of {len(rules)} recorded series found", fix)
    return Check("recording rules", "warn", "not found: the console runs the raw queries", fix)
