"""The analyzers' thresholds, ranks and suggested actions, in one table.

Data, not code, like console/hints.toml: a team that runs its gateway with other
limits changes them here. The error and latency thresholds are the gateway's own
alert rules (console/text/format.py), so a finding agrees with what fires.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from console.text.format import ERROR_RATIO_BAD, P95_BAD_S


@dataclass(frozen=True, slots=True)
class Thresholds:
    error_ratio: float = ERROR_RATIO_BAD
    """A model fails above this error ratio (HighErrorRate)."""
    provider_share: float = 0.5
    """More than this share of a provider's models failing: the provider, not one model."""
    provider_min_models: int = 2
    model_findings: int = 5
    """Failing models named one by one, worst first; the rest are one finding."""
    """A provider with fewer models (known figures) cannot show a provider-wide failure."""
    p95_s: float = P95_BAD_S
    """A model is slow above this P95 (HighLatency)."""
    ttft_p95_s: float = P95_BAD_S
    """... or above this time to first token (P95)."""
    load_rise: float = 1.5
    """Request rate now over its earliest trend point: latency that follows load."""
    crash_restarts: int = 3
    """A not-ready container restarted this often is crashing, whatever its reason says."""
    rollout_recent_s: float = 900.0
    """A pod younger than this, with latency, means a rollout may explain it."""
    quote_limit: int = 300
    """Code points kept of a quoted log line."""


THRESHOLDS = Thresholds()

CRASH_REASONS = frozenset({
    "CrashLoopBackOff", "Error", "CreateContainerConfigError", "CreateContainerError",
    "RunContainerError", "ImagePullBackOff", "ErrImagePull", "InvalidImageName",
})
"""Pod or container reasons (kubectl's STATUS column) that mean the container cannot run."""


@dataclass(frozen=True, slots=True)
class Rule:
    rank: int
    action: str
    key: str | None = None


RULES: Mapping[str, Rule] = {
    "bad-rollout": Rule(0, "roll back to the previous revision", "u"),
    "provider-outage": Rule(0, "route its models to another provider in the gateway ConfigMap",
                            "E"),
    "gateway-errors": Rule(0, "read the gateway's log", "l"),
    "pods-crashing": Rule(0, "read the crashed container's log", "l"),
    "pods-unschedulable": Rule(1, "free or add nodes, or lower the pods' requests", "e"),
    "pods-oomkilled": Rule(1, "raise the memory limit (kubectl set resources)"),
    "model-errors": Rule(1, "open the model (enter) for its error hint"),
    "hpa-pinned": Rule(1, "raise the HPA's maximum", "H"),
    "latency": Rule(2, "open the slowest model (enter) for its latency hint"),
    "latency-provider": Rule(2, "route its models to another provider in the gateway ConfigMap",
                             "E"),
    "targets-down": Rule(2, "read the log of the pod behind it", "l"),
}
"""Per kind of finding: how bad (0 worst), what to do, and the overview key that does it."""
