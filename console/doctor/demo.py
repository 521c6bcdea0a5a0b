"""The doctor under `--demo`: the same cluster checks on the simulated cluster, and the
simulator's metrics and alerts in place of Prometheus and Alertmanager. No Textual here."""

from __future__ import annotations

from console.clock import Clock
from console.config.settings import Settings, TargetSettings
from console.doctor.checks import Check
from console.doctor.kubernetes import cluster_checks


async def demo_checks(settings: Settings, target: TargetSettings, clock: Clock) -> list[Check]:
    from console.demo.sources import demo_source_set

    sources = demo_source_set(settings, target, clock)
    try:
        metrics = await sources.metrics.fetch(settings.window_s)
        alerts = await sources.alerts.fetch()
        checks = [
            Check("prometheus", "pass", f"demo simulator, scenario {settings.demo}"),
            Check("metrics", "pass",
                  f"simulated: {len(metrics.models)} models, every figure of the profile"),
            Check("recording rules", "skip", "not applicable to the demo"),
            Check("alertmanager", "pass", f"demo simulator ({len(alerts.alerts)} alerts now)"),
        ]
        context = Check("kubeconfig", "pass", "demo: simulated cluster, no kubeconfig needed")
        return checks + await cluster_checks(sources.cluster, target, settings.read_only,
                                             context)
    finally:
        await sources.aclose()
