"""Envoy AI Gateway v1.1's /metrics for a known traffic, rendered as its exporter does.

Source: envoyproxy/ai-gateway tag v1.1.0 (commit c217da8a539570ba3f6014a60c2687c29a945f1f):
internal/metrics/genai.go (names, units, buckets, attribute names, "_OTHER"),
internal/metrics/metrics_impl.go (which attributes each record carries),
internal/extproc/processor_impl.go (when a request counts as failed),
cmd/extproc/mainlib/main.go (the OpenTelemetry Prometheus exporter, default
options, meter "envoyproxy/ai-gateway"), tests/data-plane/vcr/prometheus_metrics_test.go
(the exact label set a real chat request exports), tests/data-plane/vcr/otel_test.go
(error.type is "_OTHER"), cmd/extproc/mainlib/admin_test.go (text format),
examples/monitoring/monitoring.yaml and grafana-dashboard.json.

Facts the console depends on:
- Histograms only, no counter: gen_ai_server_request_duration_seconds (buckets
  0.01 ... 81.92 s; its _count is the request count), gen_ai_client_token_usage
  (unit "token" adds no suffix; gen_ai_token_type input / cached_input /
  cache_creation_input / output / reasoning; _sum is the tokens),
  gen_ai_server_time_to_first_token_seconds and
  gen_ai_server_time_per_output_token_seconds (streams only).
- Labels: gen_ai_operation_name (chat, ...), gen_ai_provider_name (the backend's
  API schema: "openai" for any OpenAI-compatible upstream, so never the vendor),
  gen_ai_original_model (what the client asked for), gen_ai_request_model (after
  a modelNameOverride), gen_ai_response_model (the response's `model`; "unknown"
  on errors, where it is never set), otel_scope_name="envoyproxy/ai-gateway",
  otel_scope_schema_url="", otel_scope_version="".
- Failures (any non-2xx from the upstream, or an extproc error) are duration
  observations with error_type="_OTHER" - always that value; successes have no
  error_type label at all. No HTTP status is recorded (no
  http_response_status_code). Tokens and TTFT are recorded for successes only.
- Requests Envoy refuses before the AI filter (auth, rate limit) are in none of
  these. No cost metric (costs go to dynamic metadata for rate limiting).
- Its own Grafana dashboard groups by gen_ai_original_model and computes errors
  as error_type!="". Served by the extproc admin server at :1064/metrics (port
  "aigw-admin"); the example scrape job is "envoy-gateway-pods".
- The real exporter also emits target_info (resource attributes); left out here
  because its values depend on the deployment.

Output format: prometheus/common expfmt text as client_golang gathers it:
families sorted by name, labels sorted by name with le last, bucket bounds and
sums by Go's strconv 'g' shortest format ("81.92", "1.048576e+06"), counts as
integers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal

from tests.stack.fixture_traffic import ModelTraffic, cumulative

VERSION = "v1.1.0"
SCOPE = (("otel_scope_name", "envoyproxy/ai-gateway"), ("otel_scope_schema_url", ""),
         ("otel_scope_version", ""))
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48,
                    40.96, 81.92)
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304,
                 16777216, 67108864)
TTFT_BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5,
                5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0)
TPOT_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5)
FAMILIES = {
    "gen_ai_client_token_usage": ("Number of tokens processed.", TOKEN_BUCKETS),
    "gen_ai_server_request_duration_seconds": (
        "Generative AI server request duration such as time-to-last byte or last output token.",
        DURATION_BUCKETS),
    "gen_ai_server_time_per_output_token_seconds": (
        "Time per output token generated after the first token for successful responses.",
        TPOT_BUCKETS),
    "gen_ai_server_time_to_first_token_seconds": (
        "Time to receive first token in streaming responses.", TTFT_BUCKETS),
}
OVERRIDES = {"deepseek-v3.2": "deepseek-chat", "claude-sonnet-4.5": "claude-sonnet-4-5-20250929"}
"""Models whose AIGatewayRoute backendRef has a modelNameOverride (request model differs)."""


def go_float(value: float) -> str:
    """strconv.FormatFloat(v, 'g', -1, 64): shortest digits, exponent form from 1e+06."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "0"
    sign, digits, exp = Decimal(repr(float(value))).normalize().as_tuple()
    assert isinstance(exp, int)
    text = "".join(map(str, digits))
    point = len(text) + exp - 1
    head = "-" if sign else ""
    if point < -4 or point >= 6:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{head}{mantissa}e{'+' if point >= 0 else '-'}{abs(point):02d}"
    return head + format(Decimal(repr(float(value))).normalize(), "f")


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    return ",".join(f'{k}="{v}"' for k, v in sorted(pairs))


def _base(t: ModelTraffic, ok: bool) -> list[tuple[str, str]]:
    return [("gen_ai_operation_name", "chat"), ("gen_ai_provider_name", "openai"),
            ("gen_ai_original_model", t.model),
            ("gen_ai_request_model", OVERRIDES.get(t.model, t.model)),
            ("gen_ai_response_model", t.backend_model if ok else "unknown"), *SCOPE]


def _histogram(name: str, labels: list[tuple[str, str]],
               observations: list[tuple[float, int]]) -> list[str]:
    bounds = FAMILIES[name][1]
    lines = [f"{name}_bucket{{{_labels(labels)},le=\"{go_float(b)}\"}} {n}"
             for b, n in zip((*bounds, math.inf), cumulative(observations, bounds), strict=True)]
    total = sum(v * n for v, n in observations)
    lines.append(f"{name}_sum{{{_labels(labels)}}} {go_float(total)}")
    lines.append(f"{name}_count{{{_labels(labels)}}} {sum(n for _, n in observations)}")
    return lines


def _series(t: ModelTraffic) -> dict[str, list[tuple[str, list[str]]]]:
    """Family -> (sort key, lines) of every series of one model."""
    ok = _base(t, ok=True)
    out: dict[str, list[tuple[str, list[str]]]] = {name: [] for name in FAMILIES}
    duration = "gen_ai_server_request_duration_seconds"
    out[duration].append((_labels(ok), _histogram(duration, ok, t.success_latencies())))
    if t.failures:
        failed = [*_base(t, ok=False), ("error_type", "_OTHER")]
        out[duration].append((_labels(failed), _histogram(
            duration, failed, [(t.error_latency_s, t.failures)])))
    tokens = {"input": t.prompt_tokens, "cached_input": 0, "cache_creation_input": 0,
              "output": t.completion_tokens, "reasoning": 0}
    for kind, per in tokens.items():
        labels = [*ok, ("gen_ai_token_type", kind)]
        out["gen_ai_client_token_usage"].append((_labels(labels), _histogram(
            "gen_ai_client_token_usage", labels, [(per, t.successes)])))
    if t.streams:
        ttft = "gen_ai_server_time_to_first_token_seconds"
        out[ttft].append((_labels(ok), _histogram(ttft, ok, [(t.stream_ttft_s, t.streams)])))
        tpot = "gen_ai_server_time_per_output_token_seconds"
        per_token = (t.stream_total_s - t.stream_ttft_s) / (t.completion_tokens - 1)
        out[tpot].append((_labels(ok), _histogram(tpot, ok, [(per_token, t.streams)])))
    return out


def render(traffic: Iterable[ModelTraffic]) -> str:
    """The exposition text the extproc admin server would serve after `traffic`."""
    families: dict[str, list[tuple[str, list[str]]]] = {name: [] for name in FAMILIES}
    for t in traffic:
        for name, series in _series(t).items():
            families[name] += series
    lines: list[str] = []
    for name in sorted(families):
        if not families[name]:
            continue
        lines += [f"# HELP {name} {FAMILIES[name][0]}", f"# TYPE {name} histogram"]
        for _, series_lines in sorted(families[name]):
            lines += series_lines
    return "\n".join(lines) + "\n"
