"""Latency: which models are slow, since when, and whether load or a rollout explains it.

The trend sparklines hold the recent past: how long a model has been over the
threshold, and whether its request rate rose with it. Without trends (a `snapshot`
run) the finding simply says less; it never guesses a time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from console.analysis.finding import Finding, Inputs
from console.analysis.rules import RULES, THRESHOLDS, Thresholds
from console.model import ModelFigures
from console.text.durations import format_age
from console.text.format import fmt_seconds


def _over(value: float | None, limit: float) -> bool:
    return value is not None and math.isfinite(value) and value > limit


def slow(m: ModelFigures, t: Thresholds = THRESHOLDS) -> bool:
    return _over(m.p95_latency_s, t.p95_s) or _over(m.ttft_p95_s, t.ttft_p95_s)


def over_for_s(points: Sequence[float | None], limit: float, step_s: float) -> float | None:
    """Seconds the newest points have been over `limit`; None when the trend has none."""
    known = [p for p in points if p is not None and math.isfinite(p)]
    if not known or known[-1] <= limit:
        return None
    run = 0
    for p in reversed(points):
        if p is None or not math.isfinite(p) or p <= limit:
            break
        run += 1
    return run * step_s


def load_rise(inputs: Inputs, models: Sequence[ModelFigures]) -> float | None:
    """Total request rate of `models` now over its earliest trend point; None if unknown."""
    per = inputs.trends.get("request_rate", {})
    first = now = 0.0
    for m in models:
        points = [p for p in per.get(m.key, ()) if p is not None and math.isfinite(p)]
        if not points or m.request_rate is None or not math.isfinite(m.request_rate):
            return None
        first += points[0]
        now += m.request_rate
    return now / first if first > 0 else None


def _model_text(m: ModelFigures, t: Thresholds) -> str:
    if _over(m.p95_latency_s, t.p95_s):
        return f"{m.model} P95 {fmt_seconds(m.p95_latency_s)}"
    return f"{m.model} TTFT {fmt_seconds(m.ttft_p95_s)}"


def _since(inputs: Inputs, models: Sequence[ModelFigures], t: Thresholds) -> str | None:
    per = inputs.trends.get("p95_latency_s", {})
    spans = [over_for_s(per.get(m.key, ()), t.p95_s, inputs.step_s) for m in models]
    known = [s for s in spans if s is not None]
    if not known:
        return None
    longest = max(known)
    points = max(len(per.get(m.key, ())) for m in models)
    if longest >= points * inputs.step_s:
        return f"over {fmt_seconds(t.p95_s)} for all of the last {format_age(longest)}"
    return f"over {fmt_seconds(t.p95_s)} for {format_age(longest)}"


def _rollout(inputs: Inputs, t: Thresholds) -> str | None:
    snap = inputs.snapshot
    dep = snap.deployment
    if dep is not None and dep.rolling:
        return f"a rollout is under way ({dep.updated_replicas}/{dep.replicas} updated)"
    young = [p.age_s for p in snap.pods if p.age_s < t.rollout_recent_s]
    if young and len(young) == len(snap.pods):
        return f"every pod restarted in the last {format_age(max(young))}"
    return None


def latency_findings(inputs: Inputs, pods_known: bool,
                     t: Thresholds = THRESHOLDS) -> list[Finding]:
    """One finding for all slow models: they usually share a cause."""
    models = sorted((m for m in inputs.snapshot.models if slow(m, t)),
                    key=lambda m: -(m.p95_latency_s or m.ttft_p95_s or 0.0))
    if not models:
        return []
    evidence = [", ".join(_model_text(m, t) for m in models[:4])
                + (f" +{len(models) - 4} more" if len(models) > 4 else "")]
    since = _since(inputs, models, t)
    if since:
        evidence.append(since)
    rise = load_rise(inputs, models)
    load = rise is not None and rise >= t.load_rise
    rollout = _rollout(inputs, t) if pods_known else None
    if rise is not None:
        evidence.append(f"req/s up {rise:.1f}-fold since the trend began" if load
                        else "req/s steady")
    if rollout:
        evidence.append(rollout)
    names = models[0].model if len(models) == 1 else f"{len(models)} models"
    rule = RULES["latency"]
    if load and rollout:
        cause = f"{names} slow: several causes fit: more load, or the rollout"
    elif load:
        cause = f"{names} slow: it follows load"
    elif rollout:
        cause = f"{names} slow: it follows a rollout"
    else:
        providers = sorted({m.provider for m in models})
        where = f"at provider {providers[0]}" if len(providers) == 1 else "upstream"
        cause = f"{names} slow {where}"
        ruled_out = rise is not None and pods_known
        cause += ", not load or a rollout" if ruled_out else " (load or rollout unknown)"
        if ruled_out and len(providers) == 1:
            # Only one provider is slow and nothing of ours changed: moving its models
            # elsewhere is the one fix within the on-call's reach.
            rule = RULES["latency-provider"]
    return [Finding("latency", cause, rule.rank, tuple(evidence), rule.action, rule.key,
                    about=tuple(f"{m.provider}/{m.model}" for m in models))]
