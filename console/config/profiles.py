"""Profiles: how one gateway product names the metrics and labels the console reads.

A profile maps *roles* (requests, errors, duration, ...) to real names, so the
PromQL in `console/sources/promql.py` is written once against roles. Any
role can be overridden key by key from the config file's `[metrics]` table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

OPTIONAL_ROLES = ("errors", "tokens", "ttft", "input_tokens", "spend")
"""Roles a profile may lack: an empty override removes them."""
FIXED_FIELDS = ("name", "product", "not_recorded")
"""What the product is and cannot record: facts about it, not overridable names."""


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    requests: str
    errors: str | None
    """Counter of errors; None when errors are a selector on `requests` (see error_selector)."""
    duration: str
    """Histogram base name (without `_bucket`)."""
    tokens: str | None
    ttft: str | None
    provider_label: str
    model_label: str
    up_job: str
    error_selector: str = ""
    """Extra label matcher that turns `requests` into errors, for profiles with no error counter."""
    token_direction_label: str = "direction"
    output_token_value: str = "output"
    input_token_value: str = "input"
    error_type_label: str = "type"
    code_label: str = "code"
    duration_unit_s: float = 1.0
    """Seconds per unit of the duration histogram (Kong reports milliseconds)."""
    tokens_is_histogram: bool = False
    """OpenTelemetry's token usage is a histogram: its `_sum` is the counter we want."""
    input_tokens: str | None = None
    """A counter of input tokens of its own, for products with one counter per direction."""
    spend: str | None = None
    """The gateway's own spend counter (USD); the cost column then shows it, not the prices."""
    product: str = ""
    """The product's name, for "not recorded by <product>"."""
    not_recorded: tuple[str, ...] = ()
    """Figures the product does not record at all: shown as "not recorded by <product>",
    never as "none" or 0 % (`error_ratio`, `errors_by_code`, `errors_by_type`, `ttft`,
    `cost`)."""

    def not_recorded_notes(self) -> dict[str, str]:
        """Figure -> `not recorded by <product>`, for each figure the product cannot give."""
        who = self.product or self.name
        return {figure: f"not recorded by {who}" for figure in self.not_recorded}

    def with_overrides(self, overrides: Mapping[str, str]) -> Profile:
        known = {f.name: f for f in fields(self)}
        changes: dict[str, object] = {}
        for key, value in overrides.items():
            if key not in known or key in FIXED_FIELDS:
                raise ValueError(f"unknown metrics key {key!r} (known: {', '.join(sorted(known))})")
            if key == "duration_unit_s":
                changes[key] = float(value)
            elif key == "tokens_is_histogram":
                changes[key] = str(value).lower() in ("1", "true", "yes")
            else:
                changes[key] = value or None if key in OPTIONAL_ROLES else value
        return replace(self, **changes)  # type: ignore[arg-type]


LITELLM_TRAFFIC = 'requested_model!="",api_provider!="None"'
"""LiteLLM 1.108.7 counts requests that are not model traffic on the same counters: a refused
scrape of `/metrics/` (`requested_model=""`, `api_provider="None"`) and an unknown model name
(`requested_model="other"`, `api_provider="None"`): `litellm/integrations/prometheus.py`
`_bounded_requested_model_label` and `async_post_call_failure_hook`. Dropped, or they show as
a "None / —" row at 100 % errors."""

PROFILES: Mapping[str, Profile] = {
    "seed": Profile(
        name="seed",
        requests="ai_gateway_requests_total",
        errors="ai_gateway_errors_total",
        duration="ai_gateway_request_duration_seconds",
        tokens="ai_gateway_tokens_total",
        ttft="ai_gateway_time_to_first_token_seconds",
        provider_label="provider",
        model_label="model",
        up_job="ai-gateway",
    ),
    # LiteLLM 1.108.7 (PyPI), litellm/types/integrations/prometheus.py
    # PrometheusMetricLabels: the request and failure counters carry `requested_model` (the
    # public name) and `api_provider` but no `model` (that one is the deployment's model, on
    # latency/tokens/spend only), so every role groups by `requested_model`. Failures carry
    # the HTTP code as `exception_status` and the type as `exception_class` (`status_code` is
    # on the total counter only). Latency is `litellm_request_total_latency_metric` in seconds
    # (successes only); TTFT is recorded for streams only (integrations/prometheus.py
    # `_set_latency_metrics`); tokens are one counter per direction; spend is
    # `litellm_spend_metric_total` in USD.
    "litellm": Profile(
        name="litellm",
        product="LiteLLM",
        requests=f"litellm_proxy_total_requests_metric_total{{{LITELLM_TRAFFIC}}}",
        errors=f"litellm_proxy_failed_requests_metric_total{{{LITELLM_TRAFFIC}}}",
        duration="litellm_request_total_latency_metric",
        tokens="litellm_output_tokens_metric_total",
        input_tokens="litellm_input_tokens_metric_total",
        ttft="litellm_llm_api_time_to_first_token_metric",
        spend="litellm_spend_metric_total",
        provider_label="api_provider",
        model_label="requested_model",
        up_job="litellm",
        token_direction_label="",
        error_type_label="exception_class",
        code_label="exception_status",
    ),
    # Envoy AI Gateway v1.1.0, internal/metrics/genai.go and metrics_impl.go: no counter (the
    # request count is the duration histogram's `_count`), failures carry
    # `error_type="_OTHER"` and nothing else ("we don't set specific error types yet",
    # tests/data-plane/vcr/otel_test.go:128), no HTTP status on any metric, no cost metric.
    # Its own dashboard (examples/monitoring/grafana-dashboard.json) groups by
    # `gen_ai_original_model`, the client's model; its example scrape job is
    # `envoy-gateway-pods` (examples/monitoring/monitoring.yaml).
    "envoy-ai-gateway": Profile(
        name="envoy-ai-gateway",
        product="Envoy AI Gateway",
        requests="gen_ai_server_request_duration_seconds_count",
        errors=None,
        error_selector='error_type!=""',
        duration="gen_ai_server_request_duration_seconds",
        tokens="gen_ai_client_token_usage",
        ttft="gen_ai_server_time_to_first_token_seconds",
        provider_label="gen_ai_provider_name",
        model_label="gen_ai_original_model",
        up_job="envoy-gateway-pods",
        token_direction_label="gen_ai_token_type",
        error_type_label="",
        code_label="",
        tokens_is_histogram=True,
        not_recorded=("errors_by_code", "errors_by_type", "cost"),
    ),
    # Kong Gateway 3.9.3, kong/plugins/prometheus/exporter.lua: the AI metrics (plugin option
    # `ai_metrics`) carry ai_provider, ai_model, cache_status, vector_db, embeddings_*,
    # workspace and no status at all, and they count upstream errors as requests; the only
    # status is `code` on kong_http_requests_total, per route and service, not per model.
    # So a per-model error ratio cannot be known. Latency is `kong_ai_llm_provider_latency_ms`
    # (since 3.8) in ms; cost is `kong_ai_llm_cost_total` (USD, when ai-proxy has prices).
    "kong": Profile(
        name="kong",
        product="Kong",
        requests="kong_ai_llm_requests_total",
        errors=None,
        duration="kong_ai_llm_provider_latency_ms",
        tokens="kong_ai_llm_tokens_total",
        ttft=None,
        spend="kong_ai_llm_cost_total",
        provider_label="ai_provider",
        model_label="ai_model",
        up_job="kong",
        token_direction_label="token_type",
        output_token_value="completion_tokens",
        input_token_value="prompt_tokens",
        error_type_label="",
        code_label="",
        duration_unit_s=0.001,
        not_recorded=("error_ratio", "errors_by_code", "errors_by_type", "ttft"),
    ),
}

def profile_named(name: str) -> Profile:
    """The profile of a `profile` setting; `auto` not yet resolved (a caller that skipped
    sources/profile_detect.py's `resolve_profile`, as tests do) reads as the default."""
    return PROFILES["seed" if name == "auto" else name]


DEFAULT_PRICES_PER_MTOK: Mapping[str, float] = {
    "gpt-4.1": 8.00,
    "claude-sonnet-4.5": 15.00,
    "gemini-2.5-flash": 2.50,
    "deepseek-v3.2": 0.42,
}
"""Dollars per million *output* tokens, from the deployment guide's price table."""
