"""The series cap on recorded-style answers: which models are kept, what the title says, and
that the refresh after a cut asks Prometheus for the busiest only (the same queries, narrowed).

The real Prometheus with 5,000 models is tests/integration/test_series_cap_stack.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from console.clock import FixedClock
from console.config.limits import ReadLimits
from console.config.settings import HttpEndpoint, Settings, TargetSettings
from console.sources.prometheus import PrometheusSource
from console.sources.prometheus_answers import Samples
from console.sources.series_cap import COUNT_LABEL, keep_busiest, narrowed, take_count

RATES = {f"m{i}": float(i) for i in range(1, 8)}  # m7 is the busiest, m1 the quietest


def vector(rows: list[tuple[dict[str, str], float]]) -> dict[str, Any]:
    return {"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": labels, "value": [1700000000, repr(value)]} for labels, value in rows]}}


def key(labels: Mapping[str, str]) -> tuple[str, ...]:
    return (labels.get("provider", ""), labels.get("model", ""))


def test_narrowed_queries_keep_names_and_restrict_every_figure_to_the_top() -> None:
    plan = {"request_rate": "R", "latency": "A or B", "up": 'up{job="gw"}'}
    out = narrowed(plan, ("provider", "model"), 50)
    assert out == {
        "request_rate": f'topk(50, R) or label_replace(count(R), "{COUNT_LABEL}", "all", "", "")',
        "latency": "(A or B) and on (provider, model) topk(50, R)",
        "up": 'up{job="gw"}',
    }
    assert narrowed(plan, ("cluster", "provider", "model"), 5, count=False)["request_rate"] == (
        "topk(5, R)")


def test_keep_busiest_cuts_every_figure_to_the_same_models() -> None:
    rates: Samples = [({"provider": "p", "model": m}, v) for m, v in RATES.items()]
    by_code: Samples = [({"provider": "p", "model": m, "code": c}, 1.0)
                        for m in RATES for c in "45"]
    capped = keep_busiest({"request_rate": rates, "errors_by_code": by_code, "up": [],
                           "ttft_p95": None}, key, 3)
    assert capped.total == 7
    assert capped.note == "7 series, showing the busiest 3"
    assert {r[0]["model"] for r in capped.results["request_rate"] or []} == {"m5", "m6", "m7"}
    assert {r[0]["model"] for r in capped.results["errors_by_code"] or []} == {"m5", "m6", "m7"}
    assert capped.results["ttft_p95"] is None and capped.results["up"] == []
    assert keep_busiest({"request_rate": rates}, key, 7).note is None


def test_take_count_reads_the_total_from_its_own_series() -> None:
    rows: Samples = [({"provider": "p", "model": "m7"}, 7.0), ({COUNT_LABEL: "all"}, 5000.0)]
    capped = take_count({"request_rate": rows}, 1)
    assert capped.total == 5000
    assert capped.results["request_rate"] == rows[:1]
    assert capped.note == "5,000 series, showing the busiest 1"


class Answers:
    """A Prometheus whose request rates are RATES and whose other figures are empty; it
    answers narrowed queries as Prometheus would (the top N, plus the count)."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        query = request.url.params["query"]
        self.queries.append(query)
        rows = [({"provider": "p", "model": m}, v) for m, v in RATES.items()]
        if query.startswith("topk(3, sum by (provider, model) (rate(ai_gateway_requests_total"):
            top = sorted(rows, key=lambda r: -r[1])[:3]
            return httpx.Response(200, json=vector([*top, ({COUNT_LABEL: "all"}, 7.0)]))
        if query.startswith("sum by (provider, model) (rate(ai_gateway_requests_total"):
            return httpx.Response(200, json=vector(rows))
        return httpx.Response(200, json=vector([]))


async def test_a_cut_refresh_is_followed_by_narrowed_queries() -> None:
    answers = Answers()
    endpoint = HttpEndpoint("http://prom.test", limits=ReadLimits(max_series=3))
    source = PrometheusSource(endpoint, Settings(targets=(TargetSettings("t"),)), FixedClock(),
                              transport=httpx.MockTransport(answers.handler))
    first = await source.fetch(300.0)
    assert [m.model for m in first.models] == ["m5", "m6", "m7"]
    assert first.series_note == "7 series, showing the busiest 3"
    assert not any(q.startswith("topk") for q in answers.queries)
    answers.queries.clear()
    second = await source.fetch(300.0)
    await source.aclose()
    assert [m.model for m in second.models] == ["m5", "m6", "m7"]
    assert second.series_note == "7 series, showing the busiest 3"
    narrowed_ones = [q for q in answers.queries if "topk(3, " in q]
    assert len(narrowed_ones) == len(answers.queries) - 1  # all but `up`
    assert source.queries_per_refresh == len(answers.queries)  # no query more for the count
