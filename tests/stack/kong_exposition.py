"""Kong 3.9's /metrics for a known traffic, rendered the way its Prometheus plugin does.

Source: Kong/kong tag 3.9.3 (commit a643428bc4d5397152164a63bcc0f8bc65fce69d; the
plugin is identical in 3.9.0-3.9.3): kong/plugins/prometheus/exporter.lua (metric
names, labels, buckets, when each is incremented), handler.lua (which switch
feeds what), prometheus.lua (output format), schema.lua (switches, all off by
default), kong/llm/plugin/shared-filters/*.lua and observability.lua (what the
ai-proxy plugin records), spec/03-plugins/26-prometheus/02-access_spec.lua
("Plugin: prometheus (access) AI metrics": the exact lines Kong's tests expect).

Facts the console depends on:
- The AI metrics exist only with the prometheus plugin's `ai_metrics = true` AND
  the ai-proxy plugin's `logging.log_statistics = true` (serialize-analytics.lua).
- kong_ai_llm_requests_total, kong_ai_llm_cost_total, kong_ai_llm_tokens_total,
  histogram kong_ai_llm_provider_latency_ms (since 3.8; there never was a
  kong_ai_llm_latency_ms). Labels: ai_provider, ai_model, cache_status,
  vector_db, embeddings_provider, embeddings_model, workspace, and token_type
  (prompt_tokens / completion_tokens / total_tokens) on tokens. NO status, code
  or error label on any AI metric: a per-model error ratio cannot be known.
- ai_provider is ai-proxy's driver (openai for any OpenAI-compatible upstream),
  ai_model the configured model name (model.name), "UNSPECIFIED" without one.
- An upstream error (429, 5xx) still counts in kong_ai_llm_requests_total and
  in the latency histogram (parse-json-response keeps the error body, and
  serialize-analytics runs for it), with no tokens and no cost. A request Kong
  answers itself (auth plugin 401, rate limiting) is in no AI metric.
- Errors exist only in kong_http_requests_total{service, route, code, source,
  workspace, consumer} (`status_code_metrics = true`), per route: source="kong"
  when Kong answered, "service" when the upstream did.
- Latency is in milliseconds, math.floor'ed (observability.lua
  record_request_end), buckets 250 ... 60000. Non-streamed requests are buffered,
  so it is the whole answer; for a stream it is measured when the response
  headers arrive, i.e. about the time to first byte. No TTFT metric.
- Cost is (prompt x input_cost + completion x output_cost) / 1e6 with the
  ai-proxy model.options prices, exported only when > 0.
- kong_nginx_requests_total is a gauge despite its name.
- Scraped at /metrics of the Status API (status_listen, e.g. :8100) or the Admin
  API (:8001); no auth of its own. Kong's repo has no Prometheus scrape config;
  its Grafana dashboard (kong/plugins/prometheus/grafana/kong-official.json)
  has no AI panel and selects on `instance` only. Job name is the user's ("kong").

Output format (prometheus.lua metric_data): keys sorted, HELP and TYPE before a
metric's first key, label order as declared, bucket bounds stored zero-padded
and printed by tostring(tonumber()) ("250", "+Inf"), values by LuaJIT's %.14g.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from tests.stack.fixture_traffic import ModelTraffic, cumulative

VERSION = "3.9.3"
NODE_ID = "4f2c1b8e-7a3d-4e5f-9b1a-2c3d4e5f6a7b"
SERVICE = "holysheep"
WORKSPACE = "default"
AI_LATENCY_BUCKETS = (250, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500, 5000, 10000,
                      30000, 60000)
UPSTREAM_LATENCY_BUCKETS = (25, 50, 80, 100, 250, 400, 700, 1000, 2000, 5000, 10000, 30000,
                            60000)
HELP = {
    "ai_llm_requests_total": "AI requests total per ai_provider in Kong",
    "ai_llm_cost_total": "AI requests cost per ai_provider/cache in Kong",
    "ai_llm_tokens_total": "AI requests cost per ai_provider/cache in Kong",
    "ai_llm_provider_latency_ms":
        "LLM response Latency for each AI plugins per ai_provider in Kong",
    "http_requests_total": "HTTP status codes per consumer/service/route in Kong",
    "request_latency_ms": "Total latency incurred during requests for each service/route in Kong",
    "upstream_latency_ms": "Latency added by upstream response for each service/route in Kong",
    "datastore_reachable": "Datastore reachable from Kong, 0 is unreachable",
    "node_info": "Kong Node metadata information",
    "nginx_requests_total": "Number of requests total",
    "nginx_metric_errors_total": "Number of nginx-lua-prometheus errors",
}
TYPES = {"ai_llm_provider_latency_ms": "histogram", "request_latency_ms": "histogram",
         "upstream_latency_ms": "histogram", "datastore_reachable": "gauge",
         "node_info": "gauge", "nginx_requests_total": "gauge"}
KONG_401_LATENCY_MS = 2


def lua_number(value: float) -> str:
    """LuaJIT's tostring of a number (LUAI_NUMFMT "%.14g")."""
    return format(value, ".14g")


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    return ",".join(f'{k}="{v}"' for k, v in pairs)


def _ai_labels(t: ModelTraffic) -> list[tuple[str, str]]:
    return [("ai_provider", "openai"), ("ai_model", t.model), ("cache_status", ""),
            ("vector_db", ""), ("embeddings_provider", ""), ("embeddings_model", ""),
            ("workspace", WORKSPACE)]


def _histogram(name: str, labels: list[tuple[str, str]], observations: Sequence[tuple[float, int]],
               bounds: tuple[int, ...]) -> list[tuple[str, str]]:
    """(sort key, printed line) of a histogram's buckets, count and sum."""
    width = len(str(max(bounds))) + 2
    out = []
    for bound, count in zip((*bounds, math.inf), cumulative(observations, bounds), strict=True):
        stored = "Inf" if bound == math.inf else f"{bound:0{width}.1f}"
        shown = "+Inf" if bound == math.inf else lua_number(bound)
        key = f"{name}_bucket{{{_labels([*labels, ('le', stored)])}}}"
        out.append((key, f"{name}_bucket{{{_labels([*labels, ('le', shown)])}}} {count}"))
    total = sum(n for _, n in observations)
    out.append((f"{name}_count{{{_labels(labels)}}}",
                f"{name}_count{{{_labels(labels)}}} {lua_number(total)}"))
    summed = sum(v * n for v, n in observations)
    out.append((f"{name}_sum{{{_labels(labels)}}}",
                f"{name}_sum{{{_labels(labels)}}} {lua_number(summed)}"))
    return out


def _ai_metrics(t: ModelTraffic) -> list[tuple[str, str]]:
    labels = _ai_labels(t)
    out = [(f"ai_llm_requests_total{{{_labels(labels)}}}", lua_number(t.upstream_requests))]
    cost = t.successes * t.cost_usd_per_success()
    if cost > 0:
        out.append((f"ai_llm_cost_total{{{_labels(labels)}}}", lua_number(cost)))
    for kind, per in (("prompt_tokens", t.prompt_tokens),
                      ("completion_tokens", t.completion_tokens),
                      ("total_tokens", t.prompt_tokens + t.completion_tokens)):
        token_labels = [*labels[:6], ("token_type", kind), labels[6]]
        out.append((f"ai_llm_tokens_total{{{_labels(token_labels)}}}",
                    lua_number(per * t.successes)))
    lines = [(k, f"{k} {v}") for k, v in out]
    ms = [(math.floor(s * 1000), n) for s, n in t.ok]
    ms += [(math.floor(t.stream_ttft_s * 1000), t.streams)] if t.streams else []
    ms += [(math.floor(t.error_latency_s * 1000), t.failures)] if t.failures else []
    return lines + _histogram("ai_llm_provider_latency_ms", labels, ms, AI_LATENCY_BUCKETS)


def _route_metrics(t: ModelTraffic) -> list[tuple[str, str]]:
    route = f"chat-{t.model}"
    codes = {200: t.successes, **t.errors, **({401: t.gateway_401} if t.gateway_401 else {})}
    out = []
    for code, n in sorted(codes.items()):
        source = "kong" if code == 401 else "service"
        labels = _labels([("service", SERVICE), ("route", route), ("code", str(code)),
                          ("source", source), ("workspace", WORKSPACE), ("consumer", "")])
        key = f"http_requests_total{{{labels}}}"
        out.append((key, f"{key} {n}"))
    route_labels = [("service", SERVICE), ("route", route), ("workspace", WORKSPACE)]
    upstream = [(math.floor(s * 1000), n) for s, n in t.success_latencies()]
    upstream += [(math.floor(t.error_latency_s * 1000), t.failures)] if t.failures else []
    total = upstream + ([(KONG_401_LATENCY_MS, t.gateway_401)] if t.gateway_401 else [])
    out += _histogram("request_latency_ms", route_labels, total, UPSTREAM_LATENCY_BUCKETS)
    out += _histogram("upstream_latency_ms", route_labels, upstream, UPSTREAM_LATENCY_BUCKETS)
    return out


def _short_name(key: str) -> str:
    name = key.split("{", 1)[0]
    for suffix in ("_bucket", "_count", "_sum"):
        if name.endswith(suffix) and name[:-len(suffix)] in TYPES:
            return name[:-len(suffix)]
    return name


def render(traffic: Iterable[ModelTraffic]) -> str:
    """The exposition text Kong's /metrics would serve after `traffic`."""
    traffic = list(traffic)
    keyed = [("datastore_reachable", "datastore_reachable 1"),
             ("nginx_metric_errors_total", "nginx_metric_errors_total 0"),
             (f'node_info{{node_id="{NODE_ID}",version="{VERSION}"}}',
              f'node_info{{node_id="{NODE_ID}",version="{VERSION}"}} 1'),
             (f'nginx_requests_total{{node_id="{NODE_ID}",subsystem="http"}}',
              f'nginx_requests_total{{node_id="{NODE_ID}",subsystem="http"}} '
              f"{sum(t.successes + t.failures + t.gateway_401 for t in traffic)}")]
    for t in traffic:
        keyed += _ai_metrics(t) + _route_metrics(t)
    lines, seen = [], set()
    for key, line in sorted(keyed):
        short = _short_name(key)
        if short not in seen:
            seen.add(short)
            lines.append(f"# HELP kong_{short} {HELP[short]}")
            lines.append(f"# TYPE kong_{short} {TYPES.get(short, 'counter')}")
        lines.append("kong_" + line)
    return "\n".join(lines) + "\n"
