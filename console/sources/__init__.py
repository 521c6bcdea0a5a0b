"""Sources of data, one set per target; see `base.py` for the interfaces."""

from __future__ import annotations

from console.clock import Clock
from console.settings import Settings, TargetSettings
from console.sources.base import SourceSet


def build_source_set(settings: Settings, target: TargetSettings, clock: Clock) -> SourceSet:
    """The sources of one target: the simulator for --demo, the real APIs otherwise.

    Imports are local so the demo never pays for the kubernetes client.
    """
    if settings.demo is not None:
        from console.demo.sources import demo_source_set

        return demo_source_set(settings, target, clock)

    from console.sources.alertmanager import AlertmanagerSource
    from console.sources.kubernetes import KubernetesSource
    from console.sources.prometheus import PrometheusSource

    assert target.prometheus is not None  # build_settings guarantees it outside the demo
    metrics = PrometheusSource(target.prometheus, settings, clock)
    alerts = AlertmanagerSource(target.prometheus, target.alertmanager)
    cluster = KubernetesSource(target, clock)
    return SourceSet(
        target=target.name, metrics=metrics, alerts=alerts, cluster=cluster, context=target.context
    )
