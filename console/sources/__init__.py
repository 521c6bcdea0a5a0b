"""Sources of data, one set per target; see `base.py` for the interfaces."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.clock import Clock
from console.config.settings import Settings, TargetSettings
from console.sources.base import MetricsSource, SourceSet

if TYPE_CHECKING:
    from console.sources.store import StoreRegistry


def build_source_set(
    settings: Settings,
    target: TargetSettings,
    clock: Clock,
    stores: StoreRegistry | None = None,
) -> SourceSet:
    """The sources of one target: the simulator for --demo, the real APIs otherwise.

    A target that selects its series in a shared store by a cluster label reads
    through that store's one `SharedStore` in `stores` (a fleet passes one
    registry for all its targets; alone, a target gets a store of its own).
    Imports are local so the demo never pays for the kubernetes client.
    """
    if settings.demo is not None:
        from console.demo.sources import demo_source_set

        return demo_source_set(settings, target, clock)

    from console.sources.alertmanager import AlertmanagerSource
    from console.sources.kubernetes import KubernetesSource
    from console.sources.prometheus import PrometheusSource

    assert target.prometheus is not None  # build_settings guarantees it outside the demo
    metrics: MetricsSource
    if target.cluster is not None:
        from console.sources.store import StoreRegistry

        registry = stores if stores is not None else StoreRegistry()
        store = registry.store(target.prometheus, settings, clock, target.cluster_label)
        metrics = store.slice(target.cluster)
    else:
        metrics = PrometheusSource(target.prometheus, settings, clock)
    alerts = AlertmanagerSource(
        target.prometheus, target.alertmanager,
        cluster=None if target.cluster is None else (target.cluster_label, target.cluster))
    cluster = KubernetesSource(target, clock)
    return SourceSet(
        target=target.name, metrics=metrics, alerts=alerts, cluster=cluster, context=target.context
    )
