"""The exporters of a Snapshot and the shared figure formatting.

Snapshots are built by hand from the frozen model dataclasses, so every
assertion can name the exact figure or symbol it expects.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest

from console.export import snapshot_json, snapshot_markdown, snapshot_text
from console.model import (
    Alert,
    Condition,
    DeploymentState,
    HpaMetric,
    HpaState,
    KubeEvent,
    ModelFigures,
    PodState,
    ScrapeTarget,
    Snapshot,
    SourceStatus,
)
from console.text.format import (
    LEVEL_SYMBOL,
    UNKNOWN,
    Level,
    error_ratio_level,
    fmt_number,
    fmt_rate,
    fmt_ratio_pct,
    fmt_seconds,
    fmt_tokens_per_s,
    fmt_usd_per_h,
    latency_level,
    marked,
    model_level,
    worst,
)

NOW = 1_795_687_200.0  # 2026-11-26T10:00:00Z
NAN = float("nan")

# The README's JSON contract, key by key and in its order.
TOP_KEYS = [
    "generated_at", "window", "profile", "sources", "models", "targets",
    "deployment", "pods", "hpa", "alerts", "likely_cause",
]
SOURCE_KEYS = ["ok", "error", "latency_ms"]
MODEL_KEYS = [
    "provider", "model", "request_rate", "error_ratio", "p95_latency_s", "ttft_p95_s",
    "output_tokens_per_s", "cost_per_hour_usd",
]
TARGET_KEYS = ["instance", "up"]
DEPLOYMENT_KEYS = [
    "namespace", "name", "replicas", "ready_replicas", "updated_replicas",
    "available_replicas", "restarted_at", "rollout",
]
POD_KEYS = ["name", "phase", "ready", "restarts", "age_s", "node", "reason"]
HPA_KEYS = [
    "name", "min_replicas", "max_replicas", "current_replicas", "desired_replicas",
    "metrics", "conditions",
]
HPA_METRIC_KEYS = ["name", "current", "target"]
CONDITION_KEYS = ["type", "status", "reason", "message"]
ALERT_KEYS = ["name", "state", "severity", "since", "summary", "labels", "silenced"]


def ok(latency_ms: float) -> SourceStatus:
    return SourceStatus(True, None, latency_ms, last_ok_at=NOW)


def healthy() -> Snapshot:
    return Snapshot(
        generated_at=datetime.fromtimestamp(NOW, UTC),
        window="5m",
        profile="seed",
        sources={"prometheus": ok(12.5), "kubernetes": ok(30.1), "alertmanager": ok(4.0)},
        models=(
            ModelFigures("holysheep", "gpt-4.1", 20.0, 0.01, 1.62, None, 8000.0, 230.4),
            ModelFigures("holysheep", "claude-sonnet-4.5", 6.0, 0.031, 2.4, 0.9, 1200.0, 64.8),
            ModelFigures("holysheep", "gemini-2.5-flash", 12.0, 0.08, 0.85, 0.3, 3000.0, 27.0),
            ModelFigures("holysheep", "deepseek-v3.2", 3.0, 0.0, 0.4, None, 500.0, 0.76),
        ),
        targets=(ScrapeTarget("10.244.0.17:8080", True),),
        deployment=DeploymentState(
            "ai-services", "ai-gateway", 3, 3, 3, 3, restarted_at="2026-11-26T08:00:00Z",
            uid="dep-uid", generation=4, observed_generation=4,
        ),
        pods=(
            PodState("ai-gateway-7d9f8b6c5-x2k4p", "Running", True, 0, 3600.0, "node-1", None,
                     uid="pod-1", cpu_millicores=250.0),
            PodState("ai-gateway-7d9f8b6c5-q8w2z", "Running", False, 7, 300.0, "node-2",
                     "CrashLoopBackOff", uid="pod-2"),
        ),
        hpa=HpaState(
            "ai-gateway-hpa", 3, 10, 3, 4,
            metrics=(HpaMetric("cpu", 45.0, 70.0), HpaMetric("memory", 62.5, 80.0)),
            conditions=(Condition("ScalingLimited", "False", "DesiredWithinRange", "ok"),),
        ),
        alerts=(
            Alert("HighLatency", "pending", "warning", "2026-11-26T09:58:00Z",
                  "P95 above 2 s", {"alertname": "HighLatency"}, fingerprint="fp-1"),
            Alert("HighErrorRate", "firing", "critical", "2026-11-26T09:55:00Z",
                  "error ratio above 5 %", {"alertname": "HighErrorRate", "model": "gemini"}),
            Alert("UpstreamDown", "firing", "critical", "2026-11-26T09:50:00Z",
                  "gateway target down", {}, silenced=True),
        ),
        events=(
            KubeEvent("Warning", "BackOff", "Back-off restarting failed container", "Pod",
                      "ai-gateway-7d9f8b6c5-q8w2z", 12, "2026-11-26T09:59:30Z"),
        ),
        context="prod-eu",
    )


def kubernetes_down() -> Snapshot:
    """As `assemble` builds it: the failed source's parts are empty, its status says why."""
    base = healthy()
    return Snapshot(
        generated_at=base.generated_at,
        window="5m",
        profile="seed",
        sources={
            "prometheus": ok(12.5),
            "kubernetes": SourceStatus(False, "connection refused", 5.0, last_ok_at=NOW - 42),
            "alertmanager": SourceStatus(False, "timed out", 5000.0, last_ok_at=None),
        },
        models=base.models,
        targets=base.targets,
        context="prod-eu",
    )


def unknown_figures() -> Snapshot:
    return Snapshot(
        generated_at=datetime.fromtimestamp(NOW, UTC),
        window="1h",
        profile="kong",
        sources={"prometheus": ok(8.0), "kubernetes": ok(9.0), "alertmanager": ok(1.0)},
        models=(ModelFigures("holysheep", "gpt-4.1", NAN, NAN, float("inf"), NAN, NAN, NAN),
                ModelFigures("holysheep", "deepseek-v3.2", None, None, None)),
        hpa=HpaState("ai-gateway-hpa", 3, 10, 10, 10, metrics=(HpaMetric("cpu", None, 70.0),)),
    )


def parsed(snapshot: Snapshot) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(snapshot_json(snapshot))
    return data


# --- format.py ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [(20.0, True, "20.0/s"), (20.0, False, "20.0"), (0.0, True, "0.0/s"),
     (0.02, True, "0.020/s"), (12345.0, False, "12,345"), (None, True, UNKNOWN),
     (NAN, True, UNKNOWN)],
)
def test_fmt_rate(value: float | None, unit: bool, expected: str) -> None:
    assert fmt_rate(value, unit=unit) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.012, "1.2 %"), (0.0, "0.0 %"), (0.0004, "0.04 %"), (1.0, "100.0 %"), (None, UNKNOWN),
     (NAN, UNKNOWN)],
)
def test_fmt_ratio_pct(value: float | None, expected: str) -> None:
    assert fmt_ratio_pct(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1.62, "1.62 s"), (0.85, "850 ms"), (0.9996, "1.00 s"), (12.34, "12.3 s"),
     (0.0004, "0.40 ms"), (None, UNKNOWN), (float("inf"), UNKNOWN)],
)
def test_fmt_seconds(value: float | None, expected: str) -> None:
    assert fmt_seconds(value) == expected


def test_fmt_tokens_usd_and_number() -> None:
    assert fmt_tokens_per_s(8000.0) == "8.0k tok/s"
    assert fmt_tokens_per_s(8000.0, unit=False) == "8.0k"
    assert fmt_tokens_per_s(950.0) == "950 tok/s"
    assert fmt_tokens_per_s(2.5) == "2.5 tok/s"
    assert fmt_tokens_per_s(2_500_000.0, unit=False) == "2.5M"
    assert fmt_tokens_per_s(None) == UNKNOWN
    assert fmt_usd_per_h(230.4) == "$230.40"
    assert fmt_usd_per_h(1234.5, unit=True) == "$1,234.50/h"
    assert fmt_usd_per_h(None) == UNKNOWN
    assert fmt_number(45.0) == "45"
    assert fmt_number(62.5) == "62.5"
    assert fmt_number(NAN) == UNKNOWN


@pytest.mark.parametrize(
    ("ratio", "level"),
    [(0.051, Level.BAD), (0.05, Level.WARN), (0.026, Level.WARN), (0.025, Level.OK),
     (0.0, Level.OK), (None, Level.UNKNOWN), (NAN, Level.UNKNOWN)],
)
def test_error_ratio_level_follows_high_error_rate(ratio: float | None, level: Level) -> None:
    assert error_ratio_level(ratio) is level


@pytest.mark.parametrize(
    ("p95", "level"),
    [(2.01, Level.BAD), (2.0, Level.WARN), (1.51, Level.WARN), (1.5, Level.OK),
     (None, Level.UNKNOWN)],
)
def test_latency_level_follows_high_latency(p95: float | None, level: Level) -> None:
    assert latency_level(p95) is level


def test_levels_combine_and_mark() -> None:
    assert model_level(0.01, 2.5) is Level.BAD
    assert model_level(0.03, 0.2) is Level.WARN
    assert model_level(None, 0.2) is Level.OK
    assert model_level(None, None) is Level.UNKNOWN
    assert worst() is Level.UNKNOWN
    assert worst(Level.OK, Level.UNKNOWN) is Level.OK
    assert marked("8.0 %", Level.BAD) == "8.0 % ✗"
    assert marked("1.62 s", Level.WARN) == "1.62 s ▲"
    assert marked("0.4 s", Level.OK) == "0.4 s"
    assert LEVEL_SYMBOL[Level.OK] == "✓"


# --- JSON ---------------------------------------------------------------------------------


def test_json_has_exactly_the_design_keys_in_order() -> None:
    data = parsed(healthy())
    assert list(data) == TOP_KEYS
    assert list(data["sources"]) == ["prometheus", "kubernetes", "alertmanager"]
    for source in data["sources"].values():
        assert list(source) == SOURCE_KEYS
    assert [list(m) for m in data["models"]] == [MODEL_KEYS] * 4
    assert [list(t) for t in data["targets"]] == [TARGET_KEYS]
    assert list(data["deployment"]) == DEPLOYMENT_KEYS
    assert [list(p) for p in data["pods"]] == [POD_KEYS] * 2
    assert list(data["hpa"]) == HPA_KEYS
    assert [list(m) for m in data["hpa"]["metrics"]] == [HPA_METRIC_KEYS] * 2
    assert [list(c) for c in data["hpa"]["conditions"]] == [CONDITION_KEYS]
    assert [list(a) for a in data["alerts"]] == [ALERT_KEYS] * 3


def test_json_values() -> None:
    data = parsed(healthy())
    assert data["generated_at"] == "2026-11-26T10:00:00Z"
    assert (data["window"], data["profile"]) == ("5m", "seed")
    assert data["sources"]["prometheus"] == {"ok": True, "error": None, "latency_ms": 12.5}
    assert data["models"][0] == {
        "provider": "holysheep", "model": "gpt-4.1", "request_rate": 20.0, "error_ratio": 0.01,
        "p95_latency_s": 1.62, "ttft_p95_s": None, "output_tokens_per_s": 8000.0,
        "cost_per_hour_usd": 230.4,
    }
    assert data["targets"] == [{"instance": "10.244.0.17:8080", "up": True}]
    assert data["deployment"]["restarted_at"] == "2026-11-26T08:00:00Z"
    assert data["pods"][1] == {
        "name": "ai-gateway-7d9f8b6c5-q8w2z", "phase": "Running", "ready": False,
        "restarts": 7, "age_s": 300.0, "node": "node-2", "reason": "CrashLoopBackOff",
    }
    assert data["hpa"]["metrics"][0] == {"name": "cpu", "current": 45.0, "target": 70.0}
    assert data["alerts"][1]["labels"] == {"alertname": "HighErrorRate", "model": "gemini"}
    assert data["alerts"][2]["silenced"] is True


def test_json_leaves_out_internal_fields() -> None:
    text = snapshot_json(healthy())
    for internal in ("uid", "fingerprint", "last_ok_at", "cpu_millicores", "events", "context",
                     "configured", "generation"):
        assert f'"{internal}"' not in text


def test_json_orders_sources_as_design_whatever_the_mapping_order() -> None:
    base = healthy()
    reordered = Snapshot(
        generated_at=base.generated_at, window="5m", profile="seed",
        sources={"alertmanager": ok(1.0), "prometheus": ok(2.0), "kubernetes": ok(3.0)},
    )
    assert list(parsed(reordered)["sources"]) == ["prometheus", "kubernetes", "alertmanager"]


def test_json_failed_source_has_null_and_empty_parts() -> None:
    data = parsed(kubernetes_down())
    assert list(data) == TOP_KEYS
    assert data["sources"]["kubernetes"] == {
        "ok": False, "error": "connection refused", "latency_ms": 5.0,
    }
    assert data["sources"]["alertmanager"]["error"] == "timed out"
    assert data["deployment"] is None
    assert data["hpa"] is None
    assert data["pods"] == []
    assert data["alerts"] == []
    assert len(data["models"]) == 4


def test_json_nan_and_inf_become_null() -> None:
    text = snapshot_json(unknown_figures())
    assert "NaN" not in text and "Infinity" not in text
    data = json.loads(text)
    first = data["models"][0]
    assert {k: first[k] for k in MODEL_KEYS[2:]} == dict.fromkeys(MODEL_KEYS[2:])
    assert data["hpa"]["metrics"] == [{"name": "cpu", "current": None, "target": 70.0}]


def test_json_is_indented_by_two() -> None:
    lines = snapshot_json(healthy()).splitlines()
    assert lines[0] == "{"
    assert lines[1] == '  "generated_at": "2026-11-26T10:00:00Z",'


# --- text ---------------------------------------------------------------------------------


def line_with(text: str, needle: str) -> str:
    """The first line with `needle` outside the likely cause block (which names models too)."""
    head, _, rest = text.partition("likely cause\n")
    block = rest.splitlines()
    while block and block[0].startswith("  "):
        block.pop(0)
    lines = [line for line in head.splitlines() + block if needle in line]
    assert lines, f"no line contains {needle!r}"
    return lines[0]


def test_text_header_and_sources() -> None:
    text = snapshot_text(healthy(), NOW)
    first = text.splitlines()[0]
    for part in ("2026-11-26T10:00:00Z", "context prod-eu", "namespace ai-services",
                 "window 5m", "profile seed"):
        assert part in first
    assert "✓ prometheus: ok (12 ms)" in text
    assert "✓ kubernetes: ok (30 ms)" in text


def test_text_models_figures_and_symbols() -> None:
    text = snapshot_text(healthy(), NOW)
    gpt = line_with(text, "gpt-4.1")
    # P95 1.62 s is above the 1.5 s warning line: the row and the figure carry ▲.
    assert gpt.split()[0] == "▲"
    for figure in ("20.0", "1.0 %", "1.62 s ▲", "8.0k", "$230.40"):
        assert figure in gpt
    assert "—" in gpt  # TTFT unknown
    gemini = line_with(text, "gemini-2.5-flash")
    assert gemini.split()[0] == "✗"
    assert "8.0 % ✗" in gemini and "850 ms" in gemini
    claude = line_with(text, "claude-sonnet-4.5")
    assert "3.1 % ▲" in claude and "2.40 s ✗" in claude and "900 ms" in claude
    deepseek = line_with(text, "deepseek-v3.2")
    assert deepseek.split()[0] == "✓"
    assert "$0.76" in deepseek


def test_text_workload() -> None:
    text = snapshot_text(healthy(), NOW)
    dep = line_with(text, "deployment ai-gateway: ✓")
    assert "ready 3/3" in dep and "updated 3" in dep and "available 3" in dep
    assert "restartedAt 2026-11-26T08:00:00Z" in dep
    crashing = line_with(text, "ai-gateway-7d9f8b6c5-q8w2z")
    assert crashing.split()[1:] == ["Running", "✗", "7", "5m", "CrashLoopBackOff"]
    healthy_pod = line_with(text, "ai-gateway-7d9f8b6c5-x2k4p")
    assert healthy_pod.split()[1:] == ["Running", "✓", "0", "60m", "—"]
    hpa = line_with(text, "hpa ai-gateway-hpa")
    assert "current/desired 3/4, min/max 3/10" in hpa
    assert "cpu 45/70 %" in hpa and "memory 62.5/80 %" in hpa
    assert "PINNED AT MAX" not in text


def test_text_alerts_firing_first_with_silenced_mark() -> None:
    text = snapshot_text(healthy(), NOW)
    lines = text.splitlines()
    order = [next(i for i, line in enumerate(lines) if name in line)
             for name in ("HighErrorRate", "HighLatency", "UpstreamDown")]
    assert order == sorted(order)
    firing = line_with(text, "HighErrorRate")
    assert firing.startswith("●") and "critical" in firing and "5m ago" in firing
    assert "error ratio above 5 %" in firing
    assert line_with(text, "HighLatency").startswith("○")
    assert "firing (silenced)" in line_with(text, "UpstreamDown")


def test_text_failed_source() -> None:
    text = snapshot_text(kubernetes_down(), NOW)
    assert "✗ kubernetes: connection refused; data 42 s old" in text
    assert "✗ alertmanager: timed out; no data yet" in text
    assert "deployment: unknown (kubernetes failed: connection refused)" in text
    assert "pods: unknown (kubernetes failed: connection refused)" in text
    assert "hpa: unknown (kubernetes failed: connection refused)" in text
    assert "alerts: unknown (alertmanager failed: timed out)" in text
    assert "gpt-4.1" in text  # Prometheus still answered


def test_text_unknown_figures_and_pinned_hpa() -> None:
    text = snapshot_text(unknown_figures(), NOW)
    gpt = line_with(text, "gpt-4.1")
    # No level symbol: nothing is known about the row.
    assert gpt.split() == ["holysheep", "gpt-4.1", *["—"] * 6]
    assert "nan" not in text.lower() and "inf" not in text.lower()
    hpa = line_with(text, "hpa ai-gateway-hpa")
    assert hpa == (
        "hpa ai-gateway-hpa: current/desired 10/10, min/max 3/10 ▲ PINNED AT MAX · cpu —/70 %"
    )
    assert "pods: none" in text and "alerts: none" in text
    assert "deployment: not found" in text


def test_text_has_no_escape_codes_and_respects_width() -> None:
    for width in (100, 72):
        text = snapshot_text(healthy(), NOW, width=width)
        assert "\x1b" not in text
        assert max(len(line) for line in text.splitlines()) <= width
        assert all(line == line.rstrip() for line in text.splitlines())


def test_text_narrow_keeps_alerting_figures() -> None:
    text = snapshot_text(healthy(), NOW, width=72)
    assert "TTFT" not in text
    gemini = line_with(text, "gemini-2.5-flash")
    assert "8.0 % ✗" in gemini and "850 ms" in gemini


def test_text_does_not_interpret_markup_in_data() -> None:
    base = healthy()
    tricky = Snapshot(
        generated_at=base.generated_at, window="5m", profile="seed", sources=base.sources,
        alerts=(Alert("Weird", "firing", "info", None, "[bold]x[/bold] :warning:", {}),),
    )
    assert "[bold]x[/bold] :warning:" in snapshot_text(tricky, NOW)


# --- Markdown -----------------------------------------------------------------------------

AUDIT: list[dict[str, Any]] = [
    {"time": "2026-11-26T09:57:00Z", "user": "alice", "context": "prod-eu",
     "namespace": "ai-services", "action": "restart", "target": "deployment/ai-gateway",
     "result": "ok"},
    {"time": NOW - 60, "user": "bob", "context": "prod-eu", "namespace": "ai-services",
     "action": "delete-pod", "target": "pod/ai-gateway-7d9f8b6c5-q8w2z",
     "result": "refused: read-only"},
]


def section(markdown: str, title: str) -> str:
    """The body of one `## title` section."""
    start = markdown.index(f"## {title}\n")
    rest = markdown[start + len(title) + 4:]
    end = rest.find("\n## ")
    return rest if end < 0 else rest[:end]


def test_markdown_title_and_sections_in_order() -> None:
    md = snapshot_markdown(healthy(), NOW, AUDIT)
    assert md.startswith("# AI gateway incident snapshot — 2026-11-26 10:00:00 UTC\n")
    assert "- **Context:** prod-eu" in md
    assert "- **Namespace:** ai-services" in md
    assert "**Window:** 5m" in md
    titles = [line[3:] for line in md.splitlines() if line.startswith("## ")]
    assert titles == [
        "Likely cause", "What fires", "Worst models", "Deployment", "HPA", "Pods", "Recent events",
        "Source health", "Actions taken from the console",
    ]


def test_markdown_what_fires() -> None:
    body = section(snapshot_markdown(healthy(), NOW), "What fires")
    rows = [line for line in body.splitlines() if line.startswith("| ")][1:]
    assert rows[0].startswith("| ● firing | HighErrorRate | critical |")
    assert "error ratio above 5 % |" in rows[0]
    assert rows[1].startswith("| ○ pending | HighLatency | warning |")
    assert rows[2].startswith("| ● firing (silenced) | UpstreamDown |")


def test_markdown_worst_models_named_first_with_figures() -> None:
    body = section(snapshot_markdown(healthy(), NOW), "Worst models")
    by_errors, by_latency = body.split("### By P95 latency")
    error_rows = [line for line in by_errors.splitlines() if line.startswith("| 1 ")]
    assert error_rows == ["| 1 | holysheep | gemini-2.5-flash | 8.0 % ✗ | 12.0/s | 850 ms |"]
    assert "| 2 | holysheep | claude-sonnet-4.5 | 3.1 % ▲ |" in by_errors
    assert "| 3 | holysheep | gpt-4.1 | 1.0 % |" in by_errors
    assert "deepseek" not in by_errors  # only the top three
    latency_rows = [line for line in by_latency.splitlines() if line.startswith("| 1 ")]
    assert latency_rows == ["| 1 | holysheep | claude-sonnet-4.5 | 2.40 s ✗ | 3.1 % | 6.0/s |"]
    assert "| 2 | holysheep | gpt-4.1 | 1.62 s ▲ |" in by_latency


def test_markdown_workload_events_and_sources() -> None:
    md = snapshot_markdown(healthy(), NOW)
    assert "`ai-services/ai-gateway`: ✓ ready 3/3, updated 3, available 3" in md
    hpa = section(md, "HPA")
    assert "- `ai-gateway-hpa`: 3 current / 4 desired (min 3, max 10)" in hpa
    assert "- cpu 45/70 %" in hpa and "PINNED" not in hpa
    pods = section(md, "Pods")
    assert ("| ai-gateway-7d9f8b6c5-q8w2z | Running | ✗ | 7 | 5m | node-2 | CrashLoopBackOff |"
            in pods)
    events = section(md, "Recent events")
    assert ("| 2026-11-26T09:59:30Z | Warning | BackOff | Pod/ai-gateway-7d9f8b6c5-q8w2z | 12 |"
            " Back-off restarting failed container |") in events
    sources = section(md, "Source health")
    assert "| prometheus | ✓ ok (12 ms) |" in sources


def test_markdown_audit_lines() -> None:
    body = section(snapshot_markdown(healthy(), NOW, AUDIT), "Actions taken from the console")
    assert "| Time | User | Context | Namespace | Action | Target | Result |" in body
    assert ("| 2026-11-26T09:57:00Z | alice | prod-eu | ai-services | restart |"
            " deployment/ai-gateway | ok |") in body
    # Epoch seconds are shown as UTC ISO like the rest of the note.
    assert ("| 2026-11-26T09:59:00Z | bob | prod-eu | ai-services | delete-pod |"
            " pod/ai-gateway-7d9f8b6c5-q8w2z | refused: read-only |") in body


def test_markdown_no_actions_says_none() -> None:
    md = snapshot_markdown(healthy(), NOW)
    assert section(md, "Actions taken from the console").strip() == "none"
    assert md.endswith("none\n")


def test_markdown_failed_source() -> None:
    md = snapshot_markdown(kubernetes_down(), NOW)
    assert section(md, "What fires").strip() == "Unknown: alertmanager failed: timed out."
    assert section(md, "Deployment").strip() == (
        "Unknown: kubernetes failed: connection refused."
    )
    assert section(md, "Recent events").strip() == (
        "Unknown: kubernetes failed: connection refused."
    )
    health = section(md, "Source health")
    assert "| kubernetes | ✗ connection refused; data 42 s old |" in health
    assert "| alertmanager | ✗ timed out; no data yet |" in health
    assert "| 1 | holysheep | gemini-2.5-flash |" in section(md, "Worst models")


def test_markdown_unknown_figures_and_pinned_hpa() -> None:
    md = snapshot_markdown(unknown_figures(), NOW)
    worst_models = section(md, "Worst models")
    assert worst_models.count("No figures known.") == 2
    assert "nan" not in md.lower()
    assert "**▲ PINNED AT MAX**" in section(md, "HPA")
    assert section(md, "What fires").strip() == "No alerts."


def test_markdown_escapes_table_cells() -> None:
    base = healthy()
    tricky = Snapshot(
        generated_at=base.generated_at, window="5m", profile="seed", sources=base.sources,
        alerts=(Alert("Pipe", "firing", None, None, "a | b\nsecond line", {}),),
    )
    body = section(snapshot_markdown(tricky, NOW), "What fires")
    assert "| ● firing | Pipe | — | — | a \\| b second line |" in body


# --- boundaries ---------------------------------------------------------------------------


def test_exporters_do_not_import_textual() -> None:
    code = (
        "import sys, console.export, console.text.format; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
