"""The providers and models the demo gateway routes to, with their traffic character.

Each model gets its own base rate, latency shape and request size, because a
console whose rows all look alike hides the very differences an on-call
engineer reads it for. The numbers are plausible orders of magnitude for an
OpenAI-compatible gateway, chosen to keep the `steady` scenario clear of the
alert thresholds; none of them is a measurement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SimulatedModel:
    """How one provider/model behaves when nothing is wrong."""

    provider: str
    model: str
    base_rate: float
    """Requests per second at the daily mean."""
    latency_median_s: float
    latency_sigma: float
    """Spread of the log-normal request duration: P95 = median * exp(1.645 * sigma)."""
    ttft_median_s: float
    input_tokens: float
    """Mean prompt tokens per successful request."""
    output_tokens: float
    """Mean completion tokens per successful request."""
    rate_limit_ratio: float = 0.004
    """Share of requests the upstream answers with 429 on an ordinary day."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.provider, self.model)


MODELS: tuple[SimulatedModel, ...] = (
    # The deployment guide's upstream: one OpenAI-compatible relay, four models.
    SimulatedModel("holysheep", "gpt-4.1", 18.0, 0.82, 0.30, 0.32, 1200.0, 420.0),
    SimulatedModel("holysheep", "claude-sonnet-4.5", 10.0, 0.90, 0.28, 0.41, 1500.0, 520.0),
    SimulatedModel("holysheep", "gemini-2.5-flash", 32.0, 0.42, 0.38, 0.16, 800.0, 300.0),
    SimulatedModel("holysheep", "deepseek-v3.2", 24.0, 0.78, 0.34, 0.35, 1000.0, 450.0),
    # A second upstream with less traffic and a looser rate limit budget, so the
    # console has two providers to tell apart.
    SimulatedModel(
        "openrouter", "anthropic/claude-3.5-haiku", 7.0, 0.60, 0.35, 0.28, 700.0, 250.0, 0.010
    ),
    SimulatedModel("openrouter", "qwen/qwen3-32b", 5.0, 0.70, 0.40, 0.30, 900.0, 350.0, 0.010),
    SimulatedModel(
        "openrouter", "mistralai/mistral-nemo", 4.0, 0.50, 0.40, 0.22, 600.0, 280.0, 0.010
    ),
)

FALLBACK_PRICES_PER_MTOK: Mapping[str, float] = {
    "anthropic/claude-3.5-haiku": 4.00,
    "qwen/qwen3-32b": 0.30,
}
"""Output prices for the second provider's models, used only where settings have none.

`mistralai/mistral-nemo` is left out on purpose: a model
nobody priced must show an unknown cost, never $0, and the demo shows that row.
"""


def price_for(model: str, prices: Mapping[str, float]) -> float | None:
    """The configured price wins; the demo's own table only fills gaps."""
    if model in prices:
        return prices[model]
    return FALLBACK_PRICES_PER_MTOK.get(model)
