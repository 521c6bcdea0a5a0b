"""The demo's alert rules and silences behave like Prometheus and Alertmanager."""

from __future__ import annotations

from dataclasses import replace

import pytest

from console.clock import FixedClock
from console.config.settings import Settings, TargetSettings
from console.demo.scenarios import get_scenario
from console.demo.simulator import Simulation
from console.demo.sources import DemoAlertSource, DemoClusterSource, demo_source_set
from console.model import Alert
from console.sources.base import ActionError, SourceSet


def demo(scenario: str = "steady") -> tuple[SourceSet, FixedClock]:
    clock = FixedClock()
    settings = Settings(targets=(TargetSettings(name="demo"),), demo=scenario)
    return demo_source_set(settings, settings.target, clock), clock


def firing(alerts: tuple[Alert, ...], name: str) -> Alert:
    return next(a for a in alerts if a.name == name and a.state == "firing")


async def test_silence_then_expire() -> None:
    sources, clock = demo("provider-outage")
    alert = firing((await sources.alerts.fetch()).alerts, "HighErrorRate")
    assert not alert.silenced and alert.silence_ids == ()
    silence_id = await sources.alerts.silence(alert, 3600.0, "oncall", "upstream ticket 42")
    assert silence_id
    silenced = firing((await sources.alerts.fetch()).alerts, "HighErrorRate")
    assert silenced.silenced and silenced.silence_ids == (silence_id,)
    assert silenced.fingerprint == alert.fingerprint

    clock.advance(30.0)
    assert firing((await sources.alerts.fetch()).alerts, "HighErrorRate").silenced

    await sources.alerts.expire(silence_id)
    after = firing((await sources.alerts.fetch()).alerts, "HighErrorRate")
    assert not after.silenced and after.silence_ids == ()
    with pytest.raises(ActionError, match="already expired"):
        await sources.alerts.expire(silence_id)
    with pytest.raises(ActionError, match="not found"):
        await sources.alerts.expire("no-such-silence")


async def test_a_silence_ends_by_itself() -> None:
    sources, clock = demo("provider-outage")
    alert = firing((await sources.alerts.fetch()).alerts, "HighErrorRate")
    await sources.alerts.silence(alert, 600.0, "oncall", "")
    clock.advance(599.0)
    assert firing((await sources.alerts.fetch()).alerts, "HighErrorRate").silenced
    clock.advance(2.0)
    assert not firing((await sources.alerts.fetch()).alerts, "HighErrorRate").silenced


async def test_a_silence_matches_only_its_alert() -> None:
    sources, _ = demo("latency-spike")
    alerts = [a for a in (await sources.alerts.fetch()).alerts if a.name == "HighLatency"]
    assert len(alerts) >= 2, "one HighLatency per slow model"
    await sources.alerts.silence(alerts[0], 600.0, "oncall", "")
    after = {a.fingerprint: a for a in (await sources.alerts.fetch()).alerts}
    assert after[alerts[0].fingerprint].silenced
    assert not after[alerts[1].fingerprint].silenced


async def test_silences_need_a_duration() -> None:
    sources, _ = demo("provider-outage")
    alert = firing((await sources.alerts.fetch()).alerts, "HighErrorRate")
    with pytest.raises(ActionError):
        await sources.alerts.silence(alert, 0.0, "oncall", "")


async def test_alerts_go_pending_then_firing() -> None:
    """An outage that starts with the first refresh, so the rule's for: can be watched."""
    clock = FixedClock()
    scenario = replace(get_scenario("provider-outage"), onset_before_start_s=0, ramp_s=1.0,
                       outage_error_ratio=0.5)
    sim = Simulation(clock=clock, scenario=scenario)
    alerts = DemoAlertSource(sim)
    assert (await alerts.fetch()).alerts == ()
    states: list[tuple[float, str, str | None]] = []
    for _ in range(80):
        clock.advance(5.0)
        for a in (await alerts.fetch()).alerts:
            if a.name == "HighErrorRate":
                states.append((clock.now, a.state, a.since))
    assert states, "the outage must raise HighErrorRate"
    assert states[0][1] == "pending"
    assert states[-1][1] == "firing"
    first_pending = states[0][0]
    first_firing = next(t for t, state, _ in states if state == "firing")
    assert 120.0 <= first_firing - first_pending <= 120.0 + 20.0
    pending_since = states[0][2]
    firing_since = states[-1][2]
    assert pending_since is not None and firing_since is not None
    assert pending_since < firing_since


async def test_a_replaced_crashing_pod_gets_its_own_upstream_down_alert() -> None:
    sources, clock = demo("crashloop")
    down = firing((await sources.alerts.fetch()).alerts, "UpstreamDown")
    assert down.severity == "critical"
    assert {"alertname", "severity", "instance", "job", "pod"} <= set(down.labels)
    assert isinstance(sources.cluster, DemoClusterSource)
    await sources.cluster.delete_pod(down.labels["pod"])
    clock.advance(30.0)
    alerts = [a for a in (await sources.alerts.fetch()).alerts if a.name == "UpstreamDown"]
    assert len(alerts) == 1
    assert alerts[0].labels["pod"] != down.labels["pod"]
    assert alerts[0].state == "pending"
    clock.advance(75.0)
    alerts = [a for a in (await sources.alerts.fetch()).alerts if a.name == "UpstreamDown"]
    assert [a.state for a in alerts] == ["firing"]


async def test_steady_has_no_alerts_for_an_hour() -> None:
    sources, clock = demo("steady")
    for _ in range(12):
        clock.advance(300.0)
        assert (await sources.alerts.fetch()).alerts == ()


async def test_alert_fields() -> None:
    sources, _ = demo("latency-spike")
    for alert in (await sources.alerts.fetch()).alerts:
        assert alert.name == "HighLatency"
        assert alert.labels["alertname"] == alert.name
        assert alert.labels["severity"] == alert.severity == "warning"
        assert alert.labels["provider"] == "holysheep"
        assert alert.summary and alert.summary.isascii()
        assert len(alert.fingerprint) == 16
