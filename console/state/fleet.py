"""The fleet view's data: one row per target, and every target's models in one list.

Pure functions of the latest readings (no Textual, no I/O), so the figures the
fleet screen shows can be checked against PromQL without a terminal. A row's
figures are the target's *worst*: the highest error ratio and P95 of any of its
models, and the total request rate, so a bad model in one cluster is visible
from the fleet without opening it. A figure that cannot be known is None.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from console.config.settings import TargetSettings
from console.model import SOURCE_NAMES, Alert, ModelFigures, SourceStatus, sort_alerts
from console.state.alert_counts import alert_counts
from console.state.polling import Latest
from console.text.format import Level, model_level


@dataclass(frozen=True, slots=True)
class FleetRow:
    """One target as the fleet view shows it."""

    target: str
    context: str | None
    namespace: str
    deployment: str
    read_only: bool
    models: int | None
    total_rate: float | None
    max_error_ratio: float | None
    max_p95_s: float | None
    replicas: int | None
    ready_replicas: int | None
    hpa_max: int | None
    firing: int | None
    problem: str | None
    """None when every source answers; else the first failure as one line."""
    waiting: bool = False
    """No source has answered yet (just started or switched)."""


@dataclass(frozen=True, slots=True)
class FleetModel:
    """One model of one target, for the all-clusters models table."""

    target: str
    figures: ModelFigures

    @property
    def key(self) -> str:
        return f"{self.target}/{self.figures.provider}/{self.figures.model}"


def _max(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None


def _ok(status: SourceStatus | None) -> bool:
    return status is not None and status.ok


def problem_line(latest: Latest) -> str | None:
    """What is wrong with a target, in one line: the failing sources and the first reason."""
    failing = [(name, status) for name in SOURCE_NAMES
               if (status := latest.status(name)) is not None and not status.ok]
    if not failing:
        return None
    name, status = failing[0]
    line = f"{name}: {status.error}"
    if len(failing) > 1:
        line += f" (+{', '.join(n for n, _ in failing[1:])} down)"
    return line


def firing_count(alerts: Sequence[Alert]) -> int:
    """Every firing alert, silenced ones too: the overview's alerts border counts the same."""
    return alert_counts(alerts).firing


def is_healthy(row: FleetRow) -> bool:
    """Healthy means nothing to look at: every source answers, no alert fires and no model
    is over its error or latency threshold. A cluster with a firing alert is not healthy."""
    return (row.problem is None and not row.waiting and row.firing == 0
            and model_level(row.max_error_ratio, row.max_p95_s) is not Level.BAD)


def fleet_row(target: TargetSettings, latest: Latest, read_only: bool = False) -> FleetRow:
    """The row of one target from its latest readings; a failed source's figures are None."""
    metrics = latest.metrics if _ok(latest.metrics_status) else None
    cluster = latest.cluster if _ok(latest.cluster_status) else None
    alerts = latest.alerts if _ok(latest.alerts_status) else None
    models = metrics.models if metrics is not None else ()
    rates = [m.request_rate for m in models]
    dep = cluster.deployment if cluster is not None else None
    hpa = cluster.hpa if cluster is not None else None
    return FleetRow(
        target=target.name,
        context=target.context,
        namespace=target.namespace,
        deployment=target.deployment,
        read_only=read_only or target.read_only,
        models=len(models) if metrics is not None else None,
        total_rate=(sum(r for r in rates if r is not None)
                    if any(r is not None for r in rates) else None),
        max_error_ratio=_max([m.error_ratio for m in models]),
        max_p95_s=_max([m.p95_latency_s for m in models]),
        replicas=dep.replicas if dep is not None else None,
        ready_replicas=dep.ready_replicas if dep is not None else None,
        hpa_max=hpa.max_replicas if hpa is not None else None,
        firing=firing_count(sort_alerts(alerts.alerts)) if alerts is not None else None,
        problem=problem_line(latest),
        waiting=all(latest.status(name) is None for name in SOURCE_NAMES),
    )


def fleet_rows(targets: Sequence[TargetSettings], latest: Mapping[str, Latest],
               read_only: bool = False) -> tuple[FleetRow, ...]:
    """Rows in the configured order: the fleet is a map the on-call learns by heart."""
    return tuple(fleet_row(t, latest.get(t.name, Latest()), read_only) for t in targets)


SORTS = ("worst", "cluster", "rate", "errors", "p95")
"""Orders of the all-clusters models table, cycled by a key of the fleet screen."""


def fleet_models(targets: Sequence[TargetSettings], latest: Mapping[str, Latest],
                 sort: str = "worst") -> tuple[FleetModel, ...]:
    """Every target's models with the target's name, in the chosen order.

    "worst" is the overview's triage order across the fleet; the figure orders put
    the highest first and the unknown last.
    """
    rows: list[FleetModel] = []
    for t in targets:
        lt = latest.get(t.name)
        if lt is None or lt.metrics is None or not _ok(lt.metrics_status):
            continue
        rows.extend(FleetModel(t.name, m) for m in lt.metrics.models)
    if sort == "cluster":
        order = {t.name: i for i, t in enumerate(targets)}
        return tuple(sorted(rows, key=lambda r: (order[r.target], r.figures.key)))
    if sort in ("rate", "errors", "p95"):
        attr = {"rate": "request_rate", "errors": "error_ratio", "p95": "p95_latency_s"}[sort]

        def value(r: FleetModel) -> tuple[bool, float, str]:
            v: float | None = getattr(r.figures, attr)
            return (v is None, -(v or 0.0), r.key)

        return tuple(sorted(rows, key=value))
    rank = {Level.BAD: 0, Level.WARN: 1, Level.OK: 2, Level.UNKNOWN: 3}
    return tuple(sorted(rows, key=lambda r: (
        rank[model_level(r.figures.error_ratio, r.figures.p95_latency_s)],
        r.figures.key, r.target)))
