"""Errors: a whole provider failing, the gateway failing everywhere, or one model failing.

A provider whose models mostly fail while the other providers' models are fine and
the gateway pods are ready is down upstream: the pods are not the cause, and a hint
that steers to pod resources would cost the on-call engineer the incident's first
minutes. When the pods are not fine, or cannot be seen, the finding says that
several causes fit instead of choosing one.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from console.analysis.finding import Finding
from console.analysis.rules import RULES, THRESHOLDS, Thresholds
from console.model import ModelFigures, Snapshot
from console.text.format import fmt_rate, fmt_ratio_pct


def failing(model: ModelFigures, t: Thresholds = THRESHOLDS) -> bool:
    ratio = model.error_ratio
    return ratio is not None and math.isfinite(ratio) and ratio > t.error_ratio


def _known(models: Iterable[ModelFigures]) -> list[ModelFigures]:
    return [m for m in models if m.error_ratio is not None and math.isfinite(m.error_ratio)]


def top_errors(models: Sequence[ModelFigures]) -> str | None:
    """`mostly 503 (12.3/s)`: the biggest error class over these models."""
    totals: dict[str, float] = defaultdict(float)
    for m in models:
        for code, rate in (m.errors_by_code or m.errors_by_type).items():
            if math.isfinite(rate) and rate > 0:
                totals[code] += rate
    if not totals:
        return None
    code, rate = max(totals.items(), key=lambda kv: (kv[1], kv[0]))
    share = rate / math.fsum(totals.values())
    word = "mostly" if share < 0.95 else "all"
    return f"{word} {code} ({fmt_rate(rate)})"


def pods_note(snapshot: Snapshot, pods_known: bool) -> tuple[bool | None, str]:
    """(pods fine?, `pods 3/3 ready`); None and `pods unknown` when Kubernetes is down."""
    if not pods_known:
        return None, "pods unknown (kubernetes not read)"
    pods = snapshot.pods
    ready = sum(1 for p in pods if p.ready)
    if not pods:
        return False, "no gateway pods"
    return ready == len(pods), f"pods {ready}/{len(pods)} ready"


def _worst_ratio(models: Sequence[ModelFigures]) -> str:
    return fmt_ratio_pct(max(m.error_ratio or 0.0 for m in models))


def _by_provider(models: Sequence[ModelFigures]) -> Mapping[str, list[ModelFigures]]:
    out: dict[str, list[ModelFigures]] = defaultdict(list)
    for m in _known(models):
        out[m.provider].append(m)
    return out


def _provider_finding(provider: str, bad: list[ModelFigures], all_of: list[ModelFigures],
                      others: Mapping[str, list[ModelFigures]], pods: tuple[bool | None, str]
                      ) -> Finding:
    fine, pods_text = pods
    evidence = [f"{len(bad)}/{len(all_of)} {provider} models failing ({_worst_ratio(bad)})",
                pods_text]
    evidence += [f"{name} {sum(failing(m) for m in ms)}/{len(ms)} failing"
                 for name, ms in sorted(others.items())]
    codes = top_errors(bad)
    if codes:
        evidence.append(codes)
    rule = RULES["provider-outage"]
    if not others:
        cause = f"several causes fit: provider {provider}, or the gateway (no other provider)"
    elif fine:
        cause = f"provider {provider} is failing, not the gateway pods"
    else:
        cause = f"several causes fit: provider {provider}, or the gateway pods ({pods_text})"
    return Finding("provider-outage", cause, rule.rank, tuple(evidence), rule.action, rule.key,
                   about=(provider,))


def _gateway_finding(bad: list[ModelFigures], known: list[ModelFigures],
                     providers: int, pods: tuple[bool | None, str]) -> Finding:
    rule = RULES["gateway-errors"]
    evidence = [f"{len(bad)}/{len(known)} models failing across all {providers} providers"]
    codes = top_errors(bad)
    if codes:
        evidence.append(codes)
    evidence.append(pods[1])
    cause = ("the gateway itself fails for every provider (its config, network or pods)"
             if pods[0] is not False else
             f"the gateway pods fail for every provider ({pods[1]})")
    return Finding("gateway-errors", cause, rule.rank, tuple(evidence), rule.action, rule.key)


def _model_finding(m: ModelFigures, fine: int) -> Finding:
    """One failing model; `fine` is how many of its provider's models are not failing."""
    rule = RULES["model-errors"]
    evidence = [f"{fmt_ratio_pct(m.error_ratio)} errors"]
    codes = top_errors([m])
    if codes:
        evidence.append(codes)
    if fine:
        evidence.append(f"{fine} other {m.provider} models fine")
    return Finding("model-errors", f"model {m.provider}/{m.model} is failing", rule.rank,
                   tuple(evidence), rule.action, rule.key, about=(f"{m.provider}/{m.model}",))


def error_findings(snapshot: Snapshot, pods_known: bool,
                   t: Thresholds = THRESHOLDS) -> list[Finding]:
    """Provider-wide and gateway-wide failures first, then each failing model left over."""
    groups = _by_provider(snapshot.models)
    known = [m for ms in groups.values() for m in ms]
    bad = [m for m in known if failing(m, t)]
    if not bad:
        return []
    pods = pods_note(snapshot, pods_known)
    wide = {p for p, ms in groups.items()
            if len(ms) >= t.provider_min_models
            and sum(failing(m, t) for m in ms) / len(ms) > t.provider_share}
    if len(groups) > 1 and wide == set(groups):
        return [_gateway_finding(bad, known, len(groups), pods)]
    out = []
    for provider in sorted(wide):
        others = {p: ms for p, ms in groups.items() if p not in wide}
        out.append(_provider_finding(provider, [m for m in groups[provider] if failing(m, t)],
                                     groups[provider], others, pods))
    alone = sorted((m for m in bad if m.provider not in wide),
                   key=lambda m: (-(m.error_ratio or 0.0), m.provider, m.model))
    fine = {p: sum(not failing(m, t) for m in ms) for p, ms in groups.items()}
    out += [_model_finding(m, fine[m.provider]) for m in alone[:t.model_findings]]
    if len(alone) > t.model_findings:
        rest = alone[t.model_findings:]
        rule = RULES["model-errors"]
        out.append(Finding("model-errors", f"{len(rest)} more models failing", rule.rank,
                           (f"up to {_worst_ratio(rest)} errors",), rule.action, rule.key,
                           about=tuple(f"{m.provider}/{m.model}" for m in rest)))
    return out
