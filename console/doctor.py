"""`ai-gateway-console doctor`: the preflight an on-call engineer runs before trusting the console.

Every check is one line: a mark and a word (`✓ PASS`, `! WARN`, `✗ FAIL`, `- SKIP`, so it
reads without colour and greps well), what was found, and for a warning or failure what to
do about it. The checks answer "will the console show true data and may I act?", not "is
the gateway healthy": a firing alert or a crashing pod is the console's business, a wrong
URL, a profile that matches no metric or a missing RBAC verb is the doctor's.

Failures (exit 1) are what makes the console useless or its actions impossible:
Prometheus unreachable, a core metric (requests, duration) with no series, Alertmanager
configured but unreachable, no usable kubeconfig, the Deployment not readable, an RBAC verb
the console needs denied, the SelfSubjectAccessReview itself refused. Warnings (exit 0) are
what only makes it poorer: an optional metric missing, no recording rules, no HPA, no
metrics.k8s.io, a scrape target down.

The three groups (Prometheus, Alertmanager, Kubernetes) run concurrently, each request
with the configured timeout and each group under a deadline, so the doctor answers within
a few seconds even when everything is down. It reuses the console's own sources, so it
sees exactly what the console would see, and their messages, which carry no credentials.
No Textual here.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TextIO

from console.clock import Clock, system_clock
from console.config.profiles import PROFILES, Profile
from console.config.settings import Settings, TargetSettings
from console.model import ClusterReading
from console.sources.base import ClusterSource, Permission, SourceError
from console.sources.http_client import ApiClient
from console.sources.prometheus_answers import parse_vector
from console.sources.promql import errors_selector, quote, suffixed
from console.sources.recording_rules import RULES_WINDOW, recording_rules
from console.text.safe_text import NOTE_LIMIT, clean_line

Status = Literal["pass", "warn", "fail", "skip"]

MARKS: Mapping[Status, str] = {
    "pass": "✓ PASS", "warn": "! WARN", "fail": "✗ FAIL", "skip": "- SKIP",
}
COLOURS: Mapping[Status, str] = {"pass": "32", "warn": "33", "fail": "31", "skip": "2"}

RBAC_APPLY = "apply `ai-gateway-console manifests rbac` (and bind your group)"
RBAC_READER = "apply the read-only Role of `ai-gateway-console manifests rbac` for your group"
RBAC_OPERATOR = "apply the operator Role of `ai-gateway-console manifests rbac` for your group"
REVIEW_CHECK = "rbac access review"
REVIEWS_AT_ONCE = 8


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report."""

    name: str
    status: Status
    detail: str
    fix: str = ""


@dataclass(frozen=True, slots=True)
class Need:
    """One permission the console needs; `action` ones only outside --read-only."""

    verb: str
    resource: str
    subresource: str = ""
    action: bool = False

    @property
    def name(self) -> str:
        what = f"{self.resource}/{self.subresource}" if self.subresource else self.resource
        return f"rbac {self.verb} {what}"


RBAC_NEEDS: tuple[Need, ...] = (
    *(Need(verb, resource)
      for resource in ("pods", "deployments", "horizontalpodautoscalers", "events")
      for verb in ("get", "list", "watch")),
    Need("get", "pods", "log"),
    Need("patch", "deployments", action=True),
    Need("patch", "deployments", "scale", action=True),
    Need("delete", "pods", action=True),
)
"""What the panels (watches), the logs and the three actions ask the API for; the
SelfSubjectAccessReview that asks is itself checked by being answered."""


# --------------------------------------------------------------------------------------------
# Prometheus


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
    return (
        MetricRole("requests", profile.requests, True, "no request rate, so no models at all"),
        MetricRole("errors", errors_selector(profile), False,
                   "error ratios read 0 % until a request fails (normal on a young gateway)"),
        MetricRole("duration", suffixed(profile.duration, "_bucket"), True, "no latency"),
        MetricRole("tokens", tokens, False, "no tokens/s and no cost/h"),
        MetricRole("ttft", suffixed(profile.ttft, "_bucket") if profile.ttft else None, False,
                   "no time to first token"),
    )


async def _gather_named(calls: Mapping[str, Awaitable[Any]]) -> dict[str, Any]:
    """Run all at once; each value is the answer or the exception it raised."""
    names = list(calls)
    answers = await asyncio.gather(*calls.values(), return_exceptions=True)
    for answer in answers:
        if isinstance(answer, BaseException) and not isinstance(answer, Exception):
            raise answer  # cancellation
    return dict(zip(names, answers, strict=True))


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


async def prometheus_checks(settings: Settings, target: TargetSettings,
                            clock: Clock) -> list[Check]:
    from console.sources.prometheus import PrometheusSource

    endpoint = target.prometheus
    if endpoint is None:  # build_settings refuses this outside --demo; be safe anyway
        return [Check("prometheus", "fail", "not configured", "give --prometheus-url")]
    profile = PROFILES[settings.profile].with_overrides(settings.metrics_overrides)
    roles = metric_roles(profile)
    api = ApiClient(endpoint, "Prometheus")
    source = PrometheusSource(endpoint, settings, clock)
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
    try:
        got = await _gather_named(calls)
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
    checks += [_metric_check(role, got.get(f"metric {role.role}"), profile) for role in roles]
    checks.append(_targets_check(got["up"], up_query))
    checks.append(_rules_check(got["rules"], profile, settings.window))
    return checks


def _metric_check(role: MetricRole, answer: Any, profile: Profile) -> Check:
    name = f"metric {role.role}"
    if role.series is None:
        return Check(name, "skip", f"not part of the {profile.name} profile")
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


# --------------------------------------------------------------------------------------------
# Alertmanager


async def alertmanager_checks(target: TargetSettings) -> list[Check]:
    endpoint = target.alertmanager
    if endpoint is None:
        return [Check("alertmanager", "skip",
                      "not configured: alerts come from Prometheus; silencing needs "
                      "--alertmanager-url")]
    api = ApiClient(endpoint, "Alertmanager")
    try:
        status = await api.get_json("/api/v2/status")
    except SourceError as exc:
        return [Check("alertmanager", "fail", str(exc),
                      "check --alertmanager-url (the Alertmanager API, e.g. "
                      "http://alertmanager:9093) and its credentials")]
    finally:
        await api.aclose()
    version = ""
    if isinstance(status, Mapping) and isinstance(status.get("versionInfo"), Mapping):
        version = str(status["versionInfo"].get("version") or "")
    return [Check("alertmanager", "pass", f"reachable at {api.url}"
                  + (f" (Alertmanager {version})" if version else ""))]


# --------------------------------------------------------------------------------------------
# Kubernetes


def kube_context(source: Any) -> str:
    """The context the console will use, resolved by the Kubernetes source itself (so the
    doctor can never name a different one); SourceError when the kubeconfig is unusable."""
    path = source._kubeconfig_path()
    if path is None:
        return "in-cluster service account"
    return str(source._check_context(path))


def _kube_fix(message: str) -> str:
    lowered = message.lower()
    if "forbidden" in lowered:
        return RBAC_APPLY
    if "not found in namespace" in lowered:
        return "check --namespace and --deployment (kubectl get deployments -n NAMESPACE)"
    if "credentials" in lowered:
        return "log in again: the context's credentials were refused"
    if "unreachable" in lowered or "did not answer" in lowered or "dropped" in lowered:
        return "check the cluster address in the kubeconfig, the VPN or network, and --timeout"
    return "see `kubectl get deployment` with the same context and namespace"


async def cluster_checks(cluster: ClusterSource, target: TargetSettings, read_only: bool,
                         context_check: Check) -> list[Check]:
    """Deployment, pods, HPA, metrics.k8s.io and RBAC through a ClusterSource.

    One review goes beside the fetch; only when it was answered are the others asked, a
    few at a time (the client's connection pool holds 10), so an API that does not answer
    costs one timeout, not sixteen.
    """
    limit = asyncio.Semaphore(REVIEWS_AT_ONCE)

    async def ask(need: Need) -> Permission:
        async with limit:
            return await cluster.permission(need.verb, need.resource, need.subresource)

    first, *rest = RBAC_NEEDS
    got = await _gather_named({"fetch": cluster.fetch(), first.name: ask(first)})
    if isinstance(got[first.name], Exception):
        got.update({need.name: got[first.name] for need in rest})
    else:
        got.update(await _gather_named({need.name: ask(need) for need in rest}))
    checks = [context_check]
    reading = got["fetch"]
    if isinstance(reading, Exception):
        message = str(reading)
        checks.append(Check("deployment", "fail", message, _kube_fix(message)))
        checks += [Check(name, "skip", "the Deployment could not be read")
                   for name in ("pods", "hpa", "metrics.k8s.io")]
    else:
        checks += _reading_checks(reading, target)
    checks += _rbac_checks(got, read_only)
    return checks


def _reading_checks(reading: ClusterReading, target: TargetSettings) -> list[Check]:
    checks: list[Check] = []
    dep = reading.deployment
    if dep is None:
        checks.append(Check("deployment", "fail",
                            f"{target.deployment} not found in namespace {target.namespace}",
                            _kube_fix("not found in namespace")))
    else:
        checks.append(Check("deployment", "pass", f"{dep.namespace}/{dep.name}: "
                            f"{dep.ready_replicas}/{dep.replicas} ready"))
    pods = reading.pods
    if pods:
        ready = sum(1 for p in pods if p.ready)
        checks.append(Check("pods", "pass", f"{len(pods)} found, {ready} ready"))
    else:
        checks.append(Check("pods", "warn", "none match the Deployment's selector",
                            "scaled to 0? see `kubectl get pods` with its selector"))
    hpa = reading.hpa
    if hpa is None:
        why = next((n for n in reading.notes if "HorizontalPodAutoscaler" in n
                    or "horizontalpodautoscalers" in n), f"{target.hpa} not found")
        checks.append(Check("hpa", "warn", why,
                            "give --hpa NAME (or ignore if the gateway has no HPA)"))
    else:
        checks.append(Check("hpa", "pass", f"{hpa.name}: {hpa.current_replicas} replicas "
                            f"(min {hpa.min_replicas}, max {hpa.max_replicas})"))
    note = next((n for n in reading.notes if "metrics.k8s.io" in n or "CPU/memory" in n), None)
    if note is not None:
        fix = (RBAC_APPLY if "forbidden" in note.lower()
               else "install metrics-server; pod CPU/memory stay unknown without it")
        checks.append(Check("metrics.k8s.io", "warn", note, fix))
    else:
        measured = sum(1 for p in pods if p.cpu_millicores is not None)
        checks.append(Check("metrics.k8s.io", "pass",
                            f"served: CPU/memory of {measured} of {len(pods)} pods"))
    return checks


def _rbac_checks(got: Mapping[str, Any], read_only: bool) -> list[Check]:
    """One line per resource for the watches (get/list/watch), one per action verb."""
    answers = {need: got[need.name] for need in RBAC_NEEDS}
    errors = [a for a in answers.values() if isinstance(a, Exception)]
    if len(errors) == len(answers):
        message = str(errors[0])
        fix = ("SelfSubjectAccessReview must be allowed (the default ClusterRole "
               "system:basic-user grants it)" if "forbidden" in message.lower()
               else _kube_fix(message))
        return [Check(REVIEW_CHECK, "fail", f"cannot ask the API: {message}", fix)]
    checks = [Check(REVIEW_CHECK, "pass", "the console can ask before each action")]
    lines: dict[str, list[tuple[Need, Any]]] = {}
    for need, answer in answers.items():
        what = f"{need.resource}/{need.subresource}" if need.subresource else need.resource
        verbs = "get/list/watch" if need.verb in ("get", "list", "watch") and not need.subresource \
            else need.verb
        lines.setdefault(f"rbac {verbs} {what}", []).append((need, answer))
    for name, group in lines.items():
        action = any(need.action for need, _ in group)
        problems: list[str] = []
        cannot_ask = False
        for need, answer in group:
            if isinstance(answer, Exception):
                problems.append(f"{need.verb}: cannot ask: {answer}")
                cannot_ask = True
            elif isinstance(answer, Permission) and not answer.allowed:
                reason = f" ({answer.reason})" if answer.reason else ""
                problems.append(f"{need.verb} denied{reason}")
        if not problems:
            checks.append(Check(name, "pass", "allowed"))
        elif cannot_ask:
            checks.append(Check(name, "fail", "; ".join(problems), _kube_fix(problems[0])))
        elif action and read_only:
            checks.append(Check(name, "skip", f"{'; '.join(problems)}; not needed with "
                                "--read-only"))
        elif action:
            checks.append(Check(name, "fail", "; ".join(problems),
                                f"{RBAC_OPERATOR}, or run with --read-only"))
        else:
            checks.append(Check(name, "fail", "; ".join(problems), RBAC_READER))
    return checks


async def kubernetes_checks(target: TargetSettings, clock: Clock, read_only: bool,
                            timeout_s: float) -> list[Check]:
    from console.sources.kubernetes import KubernetesSource

    source = KubernetesSource(target, clock, request_timeout_s=timeout_s)
    try:
        try:
            context = await asyncio.to_thread(kube_context, source)
        except SourceError as exc:
            return [Check("kubeconfig", "fail", str(exc),
                          "give --kubeconfig FILE (or set KUBECONFIG) and --context NAME")]
        shown = context if context.startswith("in-cluster") else f"context {context}"
        ctx = Check("kubeconfig", "pass", shown)
        return await cluster_checks(source, target, read_only, ctx)
    finally:
        # After a backstop cancellation a fetch thread may still be starting its watches;
        # closing then is best effort (the watch threads are daemons), never a traceback.
        with contextlib.suppress(Exception):
            await source.aclose()


# --------------------------------------------------------------------------------------------
# The demo: the same cluster checks, the simulator's metrics and alerts


async def demo_checks(settings: Settings, target: TargetSettings, clock: Clock) -> list[Check]:
    from console.demo.sources import demo_source_set

    sources = demo_source_set(settings, target, clock)
    try:
        metrics = await sources.metrics.fetch(settings.window_s)
        alerts = await sources.alerts.fetch()
        checks = [
            Check("prometheus", "pass", f"demo simulator, scenario {settings.demo}"),
            Check("metrics", "pass",
                  f"simulated: {len(metrics.models)} models, every figure of the profile"),
            Check("recording rules", "skip", "not applicable to the demo"),
            Check("alertmanager", "pass", f"demo simulator ({len(alerts.alerts)} alerts now)"),
        ]
        context = Check("kubeconfig", "pass", "demo: simulated cluster, no kubeconfig needed")
        return checks + await cluster_checks(sources.cluster, target, settings.read_only,
                                             context)
    finally:
        await sources.aclose()


# --------------------------------------------------------------------------------------------
# Running and printing


async def _bounded(name: str, work: Awaitable[list[Check]], deadline_s: float) -> list[Check]:
    try:
        return await asyncio.wait_for(work, deadline_s)
    except TimeoutError:
        return [Check(name, "fail", f"no answer within {deadline_s:g} s",
                      "check the network path, or raise --timeout")]


async def run_checks(settings: Settings, clock: Clock = system_clock) -> list[Check]:
    """Every check of the first target, in report order."""
    target = settings.target
    if settings.demo is not None:
        return await demo_checks(settings, target, clock)
    timeout_s = target.prometheus.timeout_s if target.prometheus else 5.0
    # A backstop only: every request has its own timeout. It leaves room for the first use
    # of the kubernetes client, which builds its models (about 2 s of CPU).
    deadline_s = timeout_s * 3 + 10.0
    groups: Sequence[tuple[str, Callable[[], Awaitable[list[Check]]]]] = (
        ("prometheus", lambda: prometheus_checks(settings, target, clock)),
        ("alertmanager", lambda: alertmanager_checks(target)),
        ("kubernetes", lambda: kubernetes_checks(target, clock, settings.read_only, timeout_s)),
    )
    results = await asyncio.gather(*(_bounded(n, make(), deadline_s) for n, make in groups))
    return [check for group in results for check in group]


def format_check(check: Check, width: int, colour: bool = False) -> str:
    mark = MARKS[check.status]
    if colour:
        mark = f"\x1b[{COLOURS[check.status]}m{mark}\x1b[0m"
    line = f"{mark}  {clean_line(check.name):<{width}}  {clean_line(check.detail, NOTE_LIMIT)}"
    if check.fix and check.status in ("warn", "fail"):
        line += f" — fix: {clean_line(check.fix, NOTE_LIMIT)}"
    return line


def report(checks: Sequence[Check], colour: bool = False) -> str:
    width = max((len(c.name) for c in checks), default=10)
    lines = [format_check(c, width, colour) for c in checks]
    counts = {s: sum(1 for c in checks if c.status == s) for s in MARKS}
    lines.append(", ".join(f"{counts[s]} {s}" for s in MARKS))
    return "\n".join(lines)


def run_doctor(settings: Settings, clock: Clock = system_clock, out: TextIO | None = None) -> int:
    """Print the report; 0 when nothing failed (warnings allowed), 1 otherwise."""
    stream = out or sys.stdout
    target = settings.target
    checks = asyncio.run(run_checks(settings, clock))
    colour = stream.isatty() and not os.environ.get("NO_COLOR")
    head = (f"ai-gateway-console doctor: target {target.name}, namespace {target.namespace}, "
            f"deployment {target.deployment}, profile {settings.profile}")
    print(head, file=stream)
    print(report(checks, colour), file=stream)
    return 1 if any(c.status == "fail" for c in checks) else 0
