"""The doctor's label checks: the labels the console's PromQL groups by must be on the series.

A metric name can be right while its labels are wrong: LiteLLM 1.108's request counter has
`requested_model` and no `model`, so a profile grouping it by `model` split every model
into two half-rows while counting series said PASS. Here each role gets one cheap query,
`group by (<its labels>) (<its series>)`: a label no series carries comes back empty on
every row. Only then a second query (`topk(1, ...)`) fetches one series to name the labels
that are there, and the check gives the `[metrics]` line that would fix it. No Textual here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from console.config.profiles import Profile
from console.doctor.checks import Check
from console.sources.base import SourceError
from console.sources.prometheus_answers import parse_vector

LABEL_FIELDS = ("provider_label", "model_label", "code_label", "error_type_label",
                "token_direction_label")
"""The profile's label roles, each a `[metrics]` key."""

HINTS: Mapping[str, tuple[str, ...]] = {
    "provider_label": ("provider",),
    "model_label": ("model",),
    "code_label": ("status", "code"),
    "error_type_label": ("class", "type"),
    "token_direction_label": ("token_type", "direction", "type"),
}
"""Words that make a present label a likely replacement for a missing one of that role."""


@dataclass(frozen=True, slots=True)
class LabelNeed:
    """One role's series and the labels its queries group by: (label, `[metrics]` key)."""

    role: str
    series: str
    labels: tuple[tuple[str, str], ...]

    def group_query(self) -> str:
        return f"group by ({', '.join(name for name, _ in self.labels)}) ({self.series})"

    def sample_query(self) -> str:
        return f"topk(1, {self.series})"


def _labels(profile: Profile, *fields: str) -> tuple[tuple[str, str], ...]:
    out = [(getattr(profile, f), f) for f in ("provider_label", "model_label", *fields)]
    return tuple((name, key) for name, key in out if name)


def label_needs(profile: Profile, series: Mapping[str, str | None]) -> tuple[LabelNeed, ...]:
    """Per role with a series (`metric_roles`' selectors), the labels the console reads."""
    extra: Mapping[str, tuple[str, ...]] = {
        "errors": ("code_label", "error_type_label"),
        "tokens": ("token_direction_label",),
    }
    needs = []
    for role, selector in series.items():
        if not selector:
            continue
        labels = _labels(profile, *extra.get(role, ()))
        if role in ("duration", "ttft"):
            labels += (("le", role),)
        needs.append(LabelNeed(role, selector, labels))
    return tuple(needs)


def missing_labels(answer: Any, need: LabelNeed) -> list[tuple[str, str]] | None:
    """The labels no series has (None when the role has no series: the name check says so)."""
    rows = parse_vector(answer)
    if not rows:
        return None
    return [(name, key) for name, key in need.labels
            if not any(labels.get(name) for labels, _ in rows)]


def _fix(name: str, key: str, present: Sequence[str], used: set[str]) -> str:
    if name == "le":
        return (f"{key} is not a histogram here: name one in the config's [metrics] table "
                f'({key} = "<histogram without _bucket>")')
    words = HINTS.get(key, ())
    # `requested_model` before `model_id`: a name ending in the word is that thing, one that
    # only contains it is usually something about it.
    candidates = sorted((p for p in present if p not in used and any(w in p for w in words)),
                        key=lambda p: (not any(p.endswith(w) for w in words), p))
    if candidates:
        return f'in the config\'s [metrics] table: {key} = "{candidates[0]}"'
    return f'set {key} in the config\'s [metrics] table to one of the labels there'


def label_check(need: LabelNeed, missing: list[tuple[str, str]], sample: Any) -> Check:
    """The failing check of a role whose series lack labels, with the override that fixes it."""
    present: list[str] = []
    try:
        rows = parse_vector(sample) if not isinstance(sample, Exception) else []
        present = sorted(k for k in rows[0][0] if k != "__name__") if rows else []
    except SourceError:
        present = []
    used = {name for name, _ in need.labels}
    names = ", ".join(name for name, _ in missing)
    there = ", ".join(present) if present else "unknown"
    fixes = "; ".join(_fix(name, key, present, used) for name, key in missing)
    return Check(f"labels {need.role}", "fail",
                 f"{need.series}: no series has {names} (labels there: {there})", fixes)


def labels_pass(need: LabelNeed) -> Check:
    names = ", ".join(name for name, _ in need.labels)
    return Check(f"labels {need.role}", "pass", f"{need.series}: by ({names})")
