"""Write the Kong and Envoy AI Gateway fixtures: `python -m tests.stack.write_fixtures`.

Renders tests/fixtures/kong-3.9*.prom and envoy-ai-gateway-1.1*.prom from
tests/stack/fixture_traffic.py with each product's exporter logic, under a
header that cites the sources. tests/integration/test_product_fixtures.py fails when a
committed file differs from what this writes, so edit the traffic or the
renderers, never the files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from tests.stack import envoy_exposition, kong_exposition
from tests.stack.fixture_traffic import MIXES, PERIOD_S, ModelTraffic

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

PRODUCTS: dict[str, tuple[str, Callable[[Iterable[ModelTraffic]], str], str]] = {
    "kong-3.9": (
        "Kong Gateway 3.9 (Kong/kong tag 3.9.3, commit a643428bc4d5397152164a63bcc0f8bc65fce69d):"
        " /metrics of the prometheus plugin with status_code_metrics, latency_metrics and"
        " ai_metrics on, ai-proxy (provider openai, log_statistics on) per route.\n"
        "Sources: kong/plugins/prometheus/exporter.lua, handler.lua, prometheus.lua, schema.lua;"
        " kong/llm/plugin/shared-filters/{parse-json-response,normalize-json-response,"
        "serialize-analytics}.lua, kong/llm/plugin/observability.lua;"
        " spec/03-plugins/26-prometheus/02-access_spec.lua (AI metrics).",
        kong_exposition.render, "tests/stack/kong_exposition.py"),
    "envoy-ai-gateway-1.1": (
        "Envoy AI Gateway v1.1.0 (envoyproxy/ai-gateway, commit"
        " c217da8a539570ba3f6014a60c2687c29a945f1f): extproc admin /metrics (:1064).\n"
        "Sources: internal/metrics/genai.go, metrics_impl.go; internal/extproc/processor_impl.go;"
        " cmd/extproc/mainlib/main.go; tests/data-plane/vcr/prometheus_metrics_test.go,"
        " otel_test.go; examples/monitoring/monitoring.yaml, grafana-dashboard.json.",
        envoy_exposition.render, "tests/stack/envoy_exposition.py"),
}


def header(what: str, renderer: str, suffix: str) -> str:
    mix = "all requests succeed" if suffix else (
        "upstream errors on gpt-4.1 and claude-sonnet-4.5, gemini-2.5-flash and deepseek-v3.2"
        " all success")
    lines = [*what.split("\n"),
             f"Rendered by {renderer} from tests/stack/fixture_traffic.py ({mix});"
             " regenerate with python -m tests.stack.write_fixtures.",
             f"Values are the traffic of {PERIOD_S:g} s: tests/stack/static_exporter.py grows"
             " counters and buckets so that rate() = value / period."]
    return "".join(f"# {ln}\n" for ln in lines) + f"# agc-period-seconds: {PERIOD_S:g}\n"


def expected() -> dict[Path, str]:
    """File -> the text it must hold."""
    out = {}
    for stem, (what, render, renderer) in PRODUCTS.items():
        for suffix, traffic in MIXES.items():
            out[FIXTURES / f"{stem}{suffix}.prom"] = (header(what, renderer, suffix)
                                                      + render(traffic))
    return out


def main() -> None:
    FIXTURES.mkdir(exist_ok=True)
    for path, text in expected().items():
        path.write_text(text)
        print(f"wrote {path.relative_to(FIXTURES.parent.parent)}")


if __name__ == "__main__":
    main()
