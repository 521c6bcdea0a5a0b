"""Cells of the fleet screen's tables (rich text, no Textual): how a fleet row reads.

Same marks and colours as the overview (`✗` bad, `▲` warning, "—" unknown), so a
row reads without colour; a dead target's health cell says what is wrong in one line.
"""

from __future__ import annotations

from rich.text import Text

from console.state.fleet import FleetModel, FleetRow
from console.text.format import (
    UNKNOWN,
    Level,
    error_ratio_level,
    fmt_rate,
    fmt_ratio_pct,
    fmt_seconds,
    latency_level,
    model_level,
)
from console.views.overview import name_cell, styled
from widgets.columns import Cell, Column

FLEET_COLUMNS = (
    Column("cluster", "Cluster", max_width=32),
    Column("rate", "req/s", 7),
    Column("errors", "max err %", 9),
    Column("p95", "max P95", 8),
    Column("replicas", "Pods/max", 8),
    Column("alerts", "Alerts", 6),
    Column("health", "Health", max_width=100),
)

FLEET_MODEL_COLUMNS = (  # fixed widths: the table fits 80 columns from its first draw
    # Fitted to the names (capped), not fixed: a fixed 22 cut model names with 45 free columns.
    Column("cluster", "Cluster", max_width=32),
    Column("provider", "Provider", max_width=20),
    Column("model", "Model", max_width=48),
    Column("rate", "req/s", 7),
    Column("errors", "err %", 8),
    Column("p95", "P95", 8),
)


def fleet_row_level(row: FleetRow) -> Level:
    if row.problem is not None or row.firing:
        return Level.BAD
    return model_level(row.max_error_ratio, row.max_p95_s)


def fleet_cells(row: FleetRow) -> tuple[Cell, ...]:
    level = fleet_row_level(row)
    name = name_cell(row.target, level)
    if row.replicas is None:
        replicas = UNKNOWN
    else:
        replicas = f"{row.ready_replicas}/{row.replicas}"
        replicas += f" ≤{row.hpa_max}" if row.hpa_max is not None else ""
    if row.firing is None:
        alerts: Cell = UNKNOWN
    else:
        alerts = Text(f"● {row.firing}", style="bold red") if row.firing else Text("0")
    if row.waiting:
        health = Text("… connecting", style="dim")
    elif row.problem is not None:
        health = Text(f"✗ {row.problem}", style="red")
    elif row.firing:
        health = Text(f"✗ {row.firing} firing", style="red")
    elif level is Level.BAD:
        health = Text("✗ over threshold", style="red")
    else:
        health = Text("✓ ok", style="green")
    if row.read_only:
        health.append(" · READ-ONLY", style="yellow")
    return (
        name,
        fmt_rate(row.total_rate, unit=False),
        styled(fmt_ratio_pct(row.max_error_ratio), error_ratio_level(row.max_error_ratio)),
        styled(fmt_seconds(row.max_p95_s), latency_level(row.max_p95_s)),
        replicas,
        alerts,
        health,
    )


def fleet_model_cells(row: FleetModel) -> tuple[Cell, ...]:
    m = row.figures
    level = model_level(m.error_ratio, m.p95_latency_s)
    return (
        row.target,
        m.provider,
        name_cell(m.model, level),
        fmt_rate(m.request_rate, unit=False),
        styled(fmt_ratio_pct(m.error_ratio), error_ratio_level(m.error_ratio)),
        styled(fmt_seconds(m.p95_latency_s), latency_level(m.p95_latency_s)),
    )
