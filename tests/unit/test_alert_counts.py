"""Counts that agree with the rows (issue 17): the alerts border and the fleet's
"N/M healthy" count the same alerts the tables list."""

from __future__ import annotations

from console.config.types import TargetSettings
from console.model import (
    Alert,
    AlertsReading,
    MetricsReading,
    ModelFigures,
    SourceStatus,
)
from console.state.alert_counts import silenced_state
from console.state.fleet import fleet_row, is_healthy
from console.state.polling import Latest
from console.views.alerts import alerts_title
from console.views.fleet import fleet_cells
from widgets.columns import plain

NOW = 1_795_687_200.0  # 2026-11-26T10:00:00Z
OK = SourceStatus(True, None, 5.0, NOW)


def alert(name: str, state: str = "firing", silenced: bool = False,
          until: str | None = None) -> Alert:
    return Alert(name, state, "warning", "2026-11-26T09:50:00Z", None, {"model": name},
                 silenced=silenced, silenced_until=until)


def test_a_silenced_firing_alert_is_counted_never_none_firing() -> None:
    reading = AlertsReading((alert("a"), alert("b", "suppressed", silenced=True)))
    assert alerts_title(reading, OK, NOW) == "2 firing · 1 silenced"
    only_silenced = AlertsReading((alert("b", "suppressed", silenced=True),))
    assert alerts_title(only_silenced, OK, NOW) == "1 firing · 1 silenced"
    assert alerts_title(AlertsReading((alert("p", "pending"),)), OK, NOW) == (
        "none firing · 1 pending")
    assert alerts_title(AlertsReading(()), OK, NOW) == "none firing"


def test_a_dead_alert_source_is_unknown_with_the_age_of_its_last_list() -> None:
    failed = SourceStatus(False, "connection refused", None, NOW - 95)
    assert alerts_title(AlertsReading(()), failed, NOW) == "unknown · last list 95s old"
    never = SourceStatus(False, "connection refused", None, None)
    assert alerts_title(None, never, NOW) == "unknown: no list read yet"
    assert alerts_title(None, None, NOW) == "unknown: not read yet"


def test_a_silence_shows_how_long_it_lasts() -> None:
    assert silenced_state(alert("a", silenced=True, until="2026-11-26T10:42:00Z"),
                          NOW) == "◌ silenced 42m left"
    assert silenced_state(alert("a", silenced=True), NOW) == "◌ silenced"


def latest(alerts: tuple[Alert, ...], p95: float = 0.5) -> Latest:
    figures = ModelFigures("openai", "gpt-4.1", 5.0, 0.0, p95)
    return Latest(metrics=MetricsReading((figures,), ()), cluster=None,
                  alerts=AlertsReading(alerts), metrics_status=OK, cluster_status=OK,
                  alerts_status=OK)


def test_a_cluster_with_firing_alerts_or_p95_over_is_not_healthy() -> None:
    target = TargetSettings(name="eu")
    calm = fleet_row(target, latest(()))
    assert is_healthy(calm) and plain(fleet_cells(calm)[-1]) == "✓ ok"
    firing = fleet_row(target, latest((alert("a"), alert("b", "suppressed", silenced=True))))
    assert firing.firing == 2 and not is_healthy(firing)
    assert plain(fleet_cells(firing)[-1]) == "✗ 2 firing"
    slow = fleet_row(target, latest((), p95=9.0))
    assert not is_healthy(slow) and plain(fleet_cells(slow)[-1]) == "✗ over threshold"
