"""The named situations `--demo SCENARIO` plays, as data the simulator reads.

Every scenario's trouble starts in the simulated past (`ONSET_BEFORE_START_S`
before the first refresh), so its alert has outlived its `for:` duration and is
already firing when the console opens: a demo that needs minutes of waiting
before anything happens does not demonstrate anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

PREHISTORY_S = 900
"""Simulated seconds before the first refresh: sparklines and alert ages have a past."""

ONSET_BEFORE_START_S = 600
"""How long before the first refresh a scenario's trouble began.

Longer than the slowest rule's window plus `for:` (HighLatency: 5m rate + 5m),
shorter than the pre-history, so the sparklines show the healthy time before.
"""


@dataclass(frozen=True, slots=True)
class Scenario:
    """What goes wrong, how badly, and how fast it ramps up after onset."""

    name: str
    description: str
    load_factor: float = 1.0
    """Traffic multiplier once the ramp is complete."""
    outage_provider: str | None = None
    outage_error_ratio: float = 0.0
    """Share of the outage provider's requests answered 503 once the ramp is complete."""
    latency_factors: Mapping[str, float] = field(default_factory=dict)
    """Model name -> multiplier on its request duration and TTFT."""
    broken_rollout: bool = False
    """A new revision whose pods crash at start (a Secret key the gateway needs is gone)."""
    ramp_s: float = 180.0
    onset_before_start_s: int = ONSET_BEFORE_START_S

    def intensity(self, elapsed_s: float) -> float:
        """0 before onset, then a linear ramp to 1: trouble rarely arrives as a step."""
        if elapsed_s <= 0.0:
            return 0.0
        return min(1.0, elapsed_s / self.ramp_s)

    def load_multiplier(self, elapsed_s: float) -> float:
        return 1.0 + (self.load_factor - 1.0) * self.intensity(elapsed_s)

    def upstream_error_ratio(self, provider: str, elapsed_s: float) -> float:
        if provider != self.outage_provider:
            return 0.0
        return self.outage_error_ratio * self.intensity(elapsed_s)

    def latency_multiplier(self, model: str, elapsed_s: float) -> float:
        factor = self.latency_factors.get(model, 1.0)
        return 1.0 + (factor - 1.0) * self.intensity(elapsed_s)


SCENARIOS: Mapping[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("steady", "all healthy: daily traffic shape, no alert firing"),
        Scenario(
            "provider-outage",
            "holysheep answers a growing share of requests with 503: HighErrorRate fires",
            outage_provider="holysheep",
            outage_error_ratio=0.28,
        ),
        Scenario(
            "latency-spike",
            "claude-sonnet-4.5 and gpt-4.1 slow down upstream: HighLatency fires",
            latency_factors={"claude-sonnet-4.5": 3.0, "gpt-4.1": 1.8},
        ),
        Scenario(
            "crashloop",
            "a new revision cannot find HOLYSHEEP_API_KEY: its pod is in CrashLoopBackOff",
            broken_rollout=True,
            ramp_s=1.0,
            # Long enough ago that the stuck rollout has passed progressDeadlineSeconds.
            onset_before_start_s=720,
        ),
        Scenario(
            "hpa-maxed",
            "traffic at eight times normal pins the HPA at its maximum of 10 replicas",
            load_factor=8.0,
        ),
    )
}

DEFAULT_SCENARIO = "steady"


def get_scenario(name: str | None) -> Scenario:
    """The scenario by name; ValueError names the choices (settings normally checked it)."""
    key = name or DEFAULT_SCENARIO
    try:
        return SCENARIOS[key]
    except KeyError:
        raise ValueError(
            f"unknown demo scenario {key!r} (choose from {', '.join(SCENARIOS)})"
        ) from None
