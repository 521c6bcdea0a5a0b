"""Profiles: how one gateway product names the metrics and labels the console reads.

A profile maps *roles* (requests, errors, duration, ...) to real names, so the
PromQL in `console/sources/promql.py` is written once against roles. Any
role can be overridden key by key from the config file's `[metrics]` table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace


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

    def with_overrides(self, overrides: Mapping[str, str]) -> Profile:
        known = {f.name: f for f in fields(self)}
        changes: dict[str, object] = {}
        for key, value in overrides.items():
            if key not in known or key == "name":
                raise ValueError(f"unknown metrics key {key!r} (known: {', '.join(sorted(known))})")
            if key == "duration_unit_s":
                changes[key] = float(value)
            elif key == "tokens_is_histogram":
                changes[key] = str(value).lower() in ("1", "true", "yes")
            else:
                changes[key] = value or None if key in ("errors", "tokens", "ttft") else value
        return replace(self, **changes)  # type: ignore[arg-type]


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
    "litellm": Profile(
        name="litellm",
        requests="litellm_proxy_total_requests_metric_total",
        errors="litellm_proxy_failed_requests_metric_total",
        duration="litellm_request_total_latency_metric",
        tokens="litellm_output_tokens_metric_total",
        ttft="litellm_llm_api_time_to_first_token_metric",
        provider_label="api_provider",
        model_label="model",
        up_job="litellm",
        token_direction_label="",
        error_type_label="exception_class",
        code_label="status_code",
    ),
    "envoy-ai-gateway": Profile(
        name="envoy-ai-gateway",
        requests="gen_ai_server_request_duration_seconds_count",
        errors=None,
        error_selector='error_type!=""',
        duration="gen_ai_server_request_duration_seconds",
        tokens="gen_ai_client_token_usage",
        ttft="gen_ai_server_time_to_first_token_seconds",
        provider_label="gen_ai_provider_name",
        model_label="gen_ai_request_model",
        up_job="envoy-ai-gateway",
        token_direction_label="gen_ai_token_type",
        error_type_label="error_type",
        code_label="http_response_status_code",
        tokens_is_histogram=True,
    ),
    "kong": Profile(
        name="kong",
        requests="kong_ai_llm_requests_total",
        errors=None,
        error_selector='status!~"2.."',
        duration="kong_ai_llm_latency_ms",
        tokens="kong_ai_llm_tokens_total",
        ttft=None,
        provider_label="ai_provider",
        model_label="ai_model",
        up_job="kong",
        token_direction_label="token_type",
        output_token_value="completion_tokens",
        input_token_value="prompt_tokens",
        code_label="status",
        duration_unit_s=0.001,
    ),
}

DEFAULT_PRICES_PER_MTOK: Mapping[str, float] = {
    "gpt-4.1": 8.00,
    "claude-sonnet-4.5": 15.00,
    "gemini-2.5-flash": 2.50,
    "deepseek-v3.2": 0.42,
}
"""Dollars per million *output* tokens, from the deployment guide's price table."""
