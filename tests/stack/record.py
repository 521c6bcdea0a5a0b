"""Record real API answers for the unit tests: `python -m tests.stack.record`.

Starts the stack (seed exporter + a dead target, Prometheus, Alertmanager),
waits until the alerts fire, silences one, and saves the raw JSON of every
query the seed profile sends (plus range queries, alerts, silences and a real
error body) under tests/recorded/. Re-run it when the queries change.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from console.sources.promql import build_history_queries, build_queries
from tests.stack.gateway_exporter import GatewayExporter
from tests.stack.prometheus_stack import (
    DIRECT_OPENER,
    PrometheusStack,
    ScrapeJob,
    alert_rules,
    free_port,
    http_get,
    wait_until,
)

HERE = Path(__file__).resolve().parent.parent / "recorded"
WINDOW = "5s"

# A rule whose `for:` never elapses, so the recording also holds a pending alert.
PENDING_RULE = """  - alert: ErrorsSustained
    expr: sum(rate(ai_gateway_errors_total[5m])) > 0
    for: 1h
    labels:
      severity: info
    annotations:
      description: Errors keep coming (recorded while pending)
"""


def _get(url: str) -> tuple[int, Any]:
    status, body = http_get(url, timeout=5)
    return status, json.loads(body)


def _save(folder: str, name: str, payload: Any) -> None:
    path = HERE / folder / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n")
    print(f"recorded {path.relative_to(HERE.parent.parent)}")


def main() -> None:
    from console.config.profiles import PROFILES

    profile = PROFILES["seed"]
    with GatewayExporter() as exporter, PrometheusStack(
        [ScrapeJob("ai-gateway", [exporter.target, f"127.0.0.1:{free_port()}"])],
        rules=alert_rules() + PENDING_RULE,
    ) as stack:
        stack.wait_for_samples("ai-gateway", samples=6)
        prom, am = stack.prometheus_url, stack.alertmanager_url
        assert am is not None

        def firing() -> bool:
            _, payload = _get(prom + "/api/v1/alerts")
            states = {a["labels"]["alertname"]: a["state"] for a in payload["data"]["alerts"]}
            _, am_alerts = _get(am + "/api/v2/alerts")
            return len([s for s in states.values() if s == "firing"]) == 3 and len(am_alerts) == 3

        wait_until(firing, 30, "three firing alerts")
        at = f"{time.time():.3f}"
        for name, promql in build_queries(profile, WINDOW).queries.items():
            query = urllib.parse.urlencode({"query": promql, "time": at})
            _save("prometheus", f"query_{name}", _get(f"{prom}/api/v1/query?{query}")[1])
        end = time.time()
        for name, promql in build_history_queries(profile, WINDOW).queries.items():
            query = urllib.parse.urlencode(
                {"query": promql, "start": f"{end - 4:.3f}", "end": f"{end:.3f}", "step": "1"}
            )
            _save("prometheus", f"range_{name}", _get(f"{prom}/api/v1/query_range?{query}")[1])
        bad = urllib.parse.urlencode({"query": "sum by (model (rate(x[5m]))"})
        status, payload = _get(f"{prom}/api/v1/query?{bad}")
        assert status == 400, status
        _save("prometheus", "error_bad_data", payload)
        _save("prometheus", "alerts", _get(prom + "/api/v1/alerts")[1])

        # Silence HighLatency exactly as AlertmanagerSource.silence does, then record.
        _, alerts = _get(am + "/api/v2/alerts")
        target = next(a for a in alerts if a["labels"]["alertname"] == "HighLatency")
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        body = json.dumps({
            "matchers": [{"name": k, "value": v, "isRegex": False, "isEqual": True}
                         for k, v in sorted(target["labels"].items())],
            "startsAt": now, "endsAt": later, "createdBy": "recorder", "comment": "recorded",
        }).encode()
        request = urllib.request.Request(
            am + "/api/v2/silences", data=body, method="POST",
            headers={"Content-Type": "application/json"},
        )
        with DIRECT_OPENER.open(request, timeout=5) as resp:
            _save("alertmanager", "silence_created", json.loads(resp.read()))
        _save("alertmanager", "alerts", _get(am + "/api/v2/alerts")[1])
        _save("alertmanager", "silences", _get(am + "/api/v2/silences")[1])


if __name__ == "__main__":
    main()
