"""Looking closer from the overview: logs, events, the drill-downs and the incident export.

Each reads what the overview shows (its selection, the state, the sources of the
target shown) and opens a screen over it; none of them writes to the cluster, so
they need none of the action flow's guards. Kept apart from the overview's
drawing so that each file has one job; they take the screen they open over and
the App as the overview sees it (console/screens/host.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from textual.screen import Screen

from console.model import Alert, PodState
from console.screens import overview_cause
from console.screens.alert_detail import alert_detail
from console.screens.details import DetailScreen, events_table
from console.screens.host import OverviewHost
from console.screens.logs import LogsScreen
from console.screens.model_detail import ModelContext, ModelDetailScreen, model_context
from console.screens.overview_cause import current_analysis
from console.screens.pod_detail import PodDetailScreen, find_pod
from console.views.overview import model_row_key


def logs(screen: Screen[None], host: OverviewHost, pod: str | None) -> None:
    if pod is None:
        screen.notify("select a pod first (tab to the pods table)", severity="warning")
        return
    cluster = host.state.latest.cluster
    shown = find_pod(cluster.pods if cluster else (), pod)
    screen.app.push_screen(LogsScreen(
        pod, host.sources.cluster.logs, host.settings.refresh_s,
        shown.log_containers() if shown else (), shown.log_default() if shown else None))


async def events(screen: Screen[None], host: OverviewHost, pod: str | None) -> None:
    """`e`: the selected pod's events, or the Deployment's and the HPA's."""
    ts, cluster = host.runner.target, host.sources.cluster
    try:
        if pod:
            found = await cluster.events("Pod", pod)
            title = f"events of pod/{pod}"
        else:
            found = await cluster.events("Deployment", ts.deployment)
            found += await cluster.events("HorizontalPodAutoscaler", ts.hpa)
            title = f"events of deployment/{ts.deployment} and hpa/{ts.hpa}"
    except Exception as exc:
        screen.notify(f"cannot read events: {exc}", severity="error")
        return
    await screen.app.push_screen(DetailScreen(title, events_table(found, host.clock())))


async def pod_detail(screen: Screen[None], host: OverviewHost, name: str | None) -> None:
    """`enter` on a pod: its containers, resources and events, kept current."""
    state = host.state
    cluster = state.latest.cluster
    pod = find_pod(cluster.pods if cluster else (), name)
    if pod is None:
        return

    def latest() -> PodState | None:
        shown = state.latest.cluster
        return find_pod(shown.pods if shown else (), name)

    await screen.app.push_screen(PodDetailScreen(
        pod, host.sources.cluster, host.settings.refresh_s, latest=latest, clock=host.clock,
        hints=lambda: overview_cause.pod_hints(host, pod.name)))


async def model_detail(screen: Screen[None], host: OverviewHost, key: str | None) -> None:
    """`enter` on a model: its charts, errors with their triage hints, alerts and targets."""
    reading = host.state.latest.metrics
    if key is None or reading is None:
        return
    model = next((m for m in reading.models if model_row_key(m.key) == key), None)
    if model is None:
        return
    key_of = model.key

    def latest() -> ModelContext | None:
        # The likely causes as the panel has them (trends too): theirs are the first hints.
        return model_context(host.snapshot(), key_of, current_analysis(host).findings)

    context = latest()
    if context is None:
        return
    ts = host.runner.target
    await screen.app.push_screen(ModelDetailScreen(
        context, host.sources.metrics, host.sources.cluster,
        namespace=ts.namespace, deployment=ts.deployment, window_s=host.state.window_s,
        latest=latest,
    ))


def export(screen: Screen[None], host: OverviewHost) -> None:
    """`x`: a fresh 0700 folder of 0600 files, never written through a planted link."""
    from console.actions.files import write_fresh_folder
    from console.export.json_export import snapshot_json
    from console.export.markdown import snapshot_markdown
    snap = host.snapshot()
    cause = current_analysis(host)  # the one the panel shows, trends and all
    stamp = datetime.fromtimestamp(host.clock(), UTC).strftime("%Y%m%dT%H%M%SZ")
    files = {
        "incident.md": snapshot_markdown(snap, host.clock(), host.runner.audit.session_dicts(),
                                         cause),
        "snapshot.json": snapshot_json(snap, cause) + "\n",
    }
    try:
        folder = write_fresh_folder(host.export_dir or Path.cwd(), f"incident-{stamp}-", files)
    except OSError as exc:
        screen.notify(f"cannot export: {exc.strerror or exc}", severity="error")
        return
    screen.notify(f"wrote {folder}/incident.md and snapshot.json", title="exported",
                  timeout=10)


async def alert(screen: Screen[None], host: OverviewHost, selected: Alert | None) -> None:
    """`enter` on an alert: its labels, annotations, links and the silences holding it."""
    if selected is None:
        screen.notify("select an alert first (tab to the alerts table)", severity="warning")
        return
    screen.app.push_screen(await alert_detail(selected, host.sources.alerts.silences))
