"""AlertmanagerSource on recorded answers (tests/recorded, from `tests.stack.record`)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from console.config.settings import HttpEndpoint, Secret
from console.model import Alert
from console.sources.alertmanager import (
    AlertmanagerSource,
    merge,
    parse_alertmanager_alerts,
    parse_prometheus_alerts,
    rfc3339,
)
from console.sources.base import ActionError, SourceError

RECORDED = Path(__file__).parents[1] / "recorded"
PROM = HttpEndpoint("http://prometheus.test:9090")
AM = HttpEndpoint("http://alertmanager.test:9093", bearer_token=Secret("am-token-123456"))


def recorded(path: str) -> Any:
    return json.loads((RECORDED / path).read_text())


class FakeApis:
    """Prometheus and Alertmanager behind one MockTransport, told apart by host."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.answers: dict[tuple[str, str], httpx.Response] = {
            ("GET", "/api/v1/alerts"): httpx.Response(
                200, json=recorded("prometheus/alerts.json")),
            ("GET", "/api/v2/alerts"): httpx.Response(
                200, json=recorded("alertmanager/alerts.json")),
            ("POST", "/api/v2/silences"): httpx.Response(
                200, json=recorded("alertmanager/silence_created.json")),
            ("GET", "/api/v2/silences"): httpx.Response(
                200, json=recorded("alertmanager/silences.json")),
        }

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.method == "DELETE":
            return self.answers.get(("DELETE", "*"), httpx.Response(200))
        return self.answers[(request.method, request.url.path)]

    def source(self, alertmanager: HttpEndpoint | None = AM) -> AlertmanagerSource:
        return AlertmanagerSource(PROM, alertmanager, transport=httpx.MockTransport(self.handler))


def test_rfc3339() -> None:
    assert rfc3339("2026-11-26T10:38:17.77946716Z") == "2026-11-26T10:38:17Z"
    assert rfc3339("2026-11-26T11:38:17+01:00") == "2026-11-26T10:38:17Z"
    assert rfc3339("0001-01-01T00:00:00Z") is None
    assert rfc3339("yesterday") is None
    assert rfc3339(None) is None


async def test_prometheus_alerts_merged_with_alertmanager_state() -> None:
    fake = FakeApis()
    source = fake.source()
    assert source.can_silence
    alerts = {a.name: a for a in (await source.fetch()).alerts}
    await source.aclose()
    assert set(alerts) == {"HighErrorRate", "HighLatency", "UpstreamDown", "ErrorsSustained"}

    latency = alerts["HighLatency"]
    am = {a["labels"]["alertname"]: a for a in recorded("alertmanager/alerts.json")}
    assert latency.state == "suppressed" and latency.silenced and not latency.inhibited
    assert latency.silence_ids == tuple(am["HighLatency"]["status"]["silencedBy"])
    assert latency.fingerprint == am["HighLatency"]["fingerprint"]
    assert latency.labels["model"] == "claude-sonnet-4.5"
    assert latency.severity == "warning"
    assert latency.summary == "AI gateway P95 latency above 2 s"

    down = alerts["UpstreamDown"]
    assert (down.state, down.severity, down.silenced) == ("firing", "critical", False)
    assert down.since is not None and down.since.endswith("Z")
    datetime.strptime(down.since, "%Y-%m-%dT%H:%M:%SZ")

    # Pending alerts never reach Alertmanager: Prometheus' word stands, no fingerprint.
    pending = alerts["ErrorsSustained"]
    assert (pending.state, pending.fingerprint, pending.severity) == ("pending", "", "info")
    assert pending.summary == "Errors keep coming (recorded while pending)"

    # The silence's end, for "silenced 42m left" (the expired silence is not it).
    assert latency.silenced_until == "2026-11-26T11:46:40Z" and down.silenced_until is None

    assert [r.url.host for r in fake.requests] == [
        "prometheus.test", "alertmanager.test", "alertmanager.test"]
    assert fake.requests[1].headers["authorization"] == "Bearer am-token-123456"
    assert "authorization" not in fake.requests[0].headers


async def test_without_alertmanager_alerts_come_from_prometheus_alone() -> None:
    fake = FakeApis()
    source = fake.source(alertmanager=None)
    alerts = (await source.fetch()).alerts
    assert not source.can_silence
    assert len(alerts) == 4 and not any(a.silenced for a in alerts)
    assert {a.state for a in alerts} == {"firing", "pending"}
    with pytest.raises(ActionError, match="need an Alertmanager"):
        await source.silence(alerts[0], 3600, "me", "why")
    with pytest.raises(ActionError, match="need an Alertmanager"):
        await source.expire("abc")
    await source.aclose()
    assert len(fake.requests) == 1


async def test_prometheus_dead_alerts_come_from_alertmanager_and_say_so() -> None:
    fake = FakeApis()
    fake.answers[("GET", "/api/v1/alerts")] = httpx.Response(503, text="down")
    source = fake.source()
    reading = await source.fetch()
    alerts = {a.name: a for a in reading.alerts}
    assert set(alerts) == {"HighErrorRate", "HighLatency", "UpstreamDown"}  # no pending
    assert reading.note == "from Alertmanager: Prometheus ✗, pending unknown"
    assert (alerts["UpstreamDown"].state, alerts["UpstreamDown"].severity) == (
        "firing", "critical")
    assert alerts["UpstreamDown"].since == "2026-11-26T10:46:37Z"
    latency = alerts["HighLatency"]
    assert (latency.state, latency.silenced, latency.silenced_until) == (
        "suppressed", True, "2026-11-26T11:46:40Z")
    assert latency.summary == "AI gateway P95 latency above 2 s"
    # Neither answers: an error (the panel says unknown), never an empty list.
    fake.answers[("GET", "/api/v2/alerts")] = httpx.Response(503, text="down")
    with pytest.raises(SourceError, match="Prometheus"):
        await source.fetch()
    await source.aclose()


def test_external_labels_on_the_alertmanager_side_still_match() -> None:
    prom = parse_prometheus_alerts(recorded("prometheus/alerts.json"))
    am_raw = recorded("alertmanager/alerts.json")
    for item in am_raw:
        item["labels"]["cluster"] = "prod-eu"  # Prometheus' external_labels
    merged = {a.name: a for a in merge(prom, parse_alertmanager_alerts(am_raw))}
    assert merged["HighLatency"].silenced
    assert merged["UpstreamDown"].fingerprint
    assert "cluster" not in merged["HighLatency"].labels


def test_malformed_alert_answers() -> None:
    with pytest.raises(SourceError, match="Prometheus alerts"):
        parse_prometheus_alerts({"status": "error", "error": "boom"})
    with pytest.raises(SourceError, match="no alert list"):
        parse_prometheus_alerts({"status": "success", "data": {}})
    with pytest.raises(SourceError, match="Alertmanager alerts"):
        parse_alertmanager_alerts({"oops": 1})
    # Odd items are skipped, not fatal.
    assert parse_alertmanager_alerts([1, {"labels": {"a": "b"}}])[0]["state"] == ""


async def test_silence_posts_equality_matchers_for_every_label() -> None:
    fake = FakeApis()
    source = fake.source()
    alert = Alert(name="HighLatency", state="firing", severity="warning", since=None,
                  summary=None, labels={"model": "gpt-4.1", "severity": "warning"})
    silence_id = await source.silence(alert, 7200, "alice", "deploy in progress")
    assert silence_id == recorded("alertmanager/silence_created.json")["silenceID"]
    body = json.loads(fake.requests[-1].content)
    assert body["matchers"] == [
        {"name": "alertname", "value": "HighLatency", "isRegex": False, "isEqual": True},
        {"name": "model", "value": "gpt-4.1", "isRegex": False, "isEqual": True},
        {"name": "severity", "value": "warning", "isRegex": False, "isEqual": True},
    ]
    assert (body["createdBy"], body["comment"]) == ("alice", "deploy in progress")
    starts, ends = (datetime.fromisoformat(body[k]) for k in ("startsAt", "endsAt"))
    assert (ends - starts).total_seconds() == pytest.approx(7200)

    await source.expire("0565ceb0/odd id")
    assert fake.requests[-1].method == "DELETE"
    assert fake.requests[-1].url.raw_path == b"/api/v2/silence/0565ceb0%2Fodd%20id"

    with pytest.raises(ActionError, match="longer than zero"):
        await source.silence(alert, 0, "alice", "x")
    await source.aclose()


async def test_alertmanager_refusals_are_action_errors() -> None:
    fake = FakeApis()
    fake.answers[("POST", "/api/v2/silences")] = httpx.Response(
        400, json="silence invalid: invalid label matcher 0")
    fake.answers[("DELETE", "*")] = httpx.Response(404, json="silence not found")
    source = fake.source()
    alert = Alert("X", "firing", None, None, None, {"alertname": "X"})
    with pytest.raises(ActionError) as info:
        await source.silence(alert, 60, "me", "c")
    assert str(info.value) == (
        "silence not created: HTTP 400 from Alertmanager at http://alertmanager.test:9093: "
        "silence invalid: invalid label matcher 0"
    )
    with pytest.raises(ActionError) as info:
        await source.expire("nope")
    assert str(info.value) == (
        "silence nope not expired: HTTP 404 from Alertmanager at http://alertmanager.test:9093: "
        "silence not found"
    )
    fake.answers[("POST", "/api/v2/silences")] = httpx.Response(200, json={})
    with pytest.raises(ActionError, match="no silence id"):
        await source.silence(alert, 60, "me", "c")
    fake.answers[("GET", "/api/v2/alerts")] = httpx.Response(401)
    with pytest.raises(SourceError) as err:
        await source.fetch()
    assert str(err.value).startswith("unauthorized: check the bearer token (HTTP 401 from Alert")
    assert "am-token" not in str(err.value)
    await source.aclose()


async def test_alerts_alertmanager_holds_that_prometheus_does_not_report_are_shown() -> None:
    """Rules evaluated elsewhere (vmalert, another Prometheus; VictoriaMetrics evaluates
    none) reach the same Alertmanager: they fire even if this Prometheus lists nothing."""
    fake = FakeApis()
    fake.answers[("GET", "/api/v1/alerts")] = httpx.Response(
        200, json={"status": "success", "data": {"alerts": []}})
    source = fake.source()
    alerts = {a.name: a for a in (await source.fetch()).alerts}
    await source.aclose()
    held = {a["labels"]["alertname"] for a in recorded("alertmanager/alerts.json")}
    assert set(alerts) == held and held
    assert alerts["HighLatency"].state == "suppressed" and alerts["HighLatency"].silenced


async def test_an_empty_list_from_a_server_without_alerting_rules_is_unknown() -> None:
    fake = FakeApis()
    empty = {"status": "success", "data": {"alerts": []}}
    fake.answers[("GET", "/api/v1/alerts")] = httpx.Response(200, json=empty)
    fake.answers[("GET", "/api/v1/rules")] = httpx.Response(
        200, json={"status": "success", "data": {"groups": []}})
    source = fake.source(alertmanager=None)
    with pytest.raises(SourceError, match="no alerting rules are evaluated there"):
        await source.fetch()
    # A server with rules, none firing: "none firing" is then true, and the rules are not
    # asked again at every refresh.
    fake.answers[("GET", "/api/v1/rules")] = httpx.Response(200, json={
        "status": "success", "data": {"groups": [{"name": "g", "rules": [{"name": "A"}]}]}})
    assert (await source.fetch()).alerts == ()
    assert (await source.fetch()).alerts == ()
    await source.aclose()
    paths = [r.url.path for r in fake.requests]
    assert paths.count("/api/v1/rules") == 2 and paths.count("/api/v1/alerts") == 3
