"""Hypothesis: any string, from any source, through every renderer and exporter.

Random text (every Unicode category but lone surrogates, control characters and
markup brackets made frequent, and the corpus of tests/stack/hostile.py) enters
the way a source's answer does, through the parsers (Prometheus' vectors and
alerts, Kubernetes objects, a server's error), and comes out of the overview's
cells, titles, the HPA and status panels, the drill-downs' text, the hints and
the text, Markdown, JSON and recording exporters. Whatever the input: nothing
raises, no control or format character comes out (judged by `unicodedata`, not
by the code under test), and what Rich draws is the text as written, so no
markup was read.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console, RenderableType
from rich.text import Text
from textual.content import Content

from console.clock import FixedClock
from console.export.json_export import snapshot_dict, snapshot_json
from console.export.markdown import snapshot_markdown
from console.export.text import snapshot_text
from console.hints import hint_values, hints_for, load_hints
from console.model import Alert, ModelFigures, Snapshot, SourceStatus
from console.record.codec import dump_snapshot, load_snapshot
from console.screens.details import events_table
from console.screens.model_detail import alerts_text, errors_text, hints_text, targets_text
from console.screens.pod_detail import containers_table, resources_text, status_text
from console.sources import kube_mapping as km
from console.sources.alertmanager import merge, parse_alertmanager_alerts, parse_prometheus_alerts
from console.sources.base import SourceError
from console.sources.prometheus_answers import assemble_models, assemble_targets, parse_vector
from console.state.polling import Latest, assemble, poll
from console.text.safe_text import clean_line
from console.views.events import event_rows
from console.views.overview import (
    alert_cells,
    deployment_title,
    hpa_text,
    model_cells,
    pod_cells,
    rollout_note,
    source_status_text,
)
from tests.stack.hostile import CORPUS, markdown_problems, markdown_text
from widgets.columns import plain

UNSAFE = {"Cc", "Cf", "Cs", "Zl", "Zp"}
JOINERS = "\u200c\u200d"
CLOCK = FixedClock()
NOW = CLOCK()

texts = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=40),  # every category, no surrogates
    st.text(st.characters(categories=("Cc", "Cf", "Zl", "Zp", "Ps", "Pe", "Po", "Sm")),
            max_size=30),
    st.text(st.sampled_from("[]/@=$\\`*_|<>#&\x1b\x9b\x07\n\r\t bold"), max_size=30),
    st.sampled_from([p.raw for p in CORPUS]),
)
many = st.lists(texts, min_size=12, max_size=12)
checked = settings(max_examples=150, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow])


def unsafe(text: str, multiline: bool = False) -> list[str]:
    """The characters of `text` no terminal should get from data, by Unicode category."""
    return [f"U+{ord(c):04X}" for c in text
            if unicodedata.category(c) in UNSAFE and c not in JOINERS
            and not (multiline and c == "\n")]


def drawn(renderable: RenderableType) -> str:
    """What Rich draws for `renderable` (markup on, as for any str it is handed)."""
    console = Console(width=4000, file=io.StringIO(), color_system=None, legacy_windows=False)
    with console.capture() as capture:
        console.print(renderable)
    return capture.get()


def flat(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- the model


def vector(*series: tuple[dict[str, str], str]) -> dict[str, Any]:
    result = [{"metric": labels, "value": [NOW, value]} for labels, value in series]
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


def hostile_model(s: list[str]) -> ModelFigures:
    labels = {"provider": s[0], "model": s[1]}
    results = {
        "request_rate": parse_vector(vector((labels, "2.5"))),
        "error_ratio": parse_vector(vector((labels, "0.2"))),
        "errors_by_code": parse_vector(vector(({**labels, "code": s[2]}, "0.5"))),
        "errors_by_type": parse_vector(vector(({**labels, "type": s[3]}, "0.5"))),
    }
    (model,) = assemble_models(results, km_profile(), {s[1]: 1.0})
    return model


def km_profile() -> Any:
    from console.config.profiles import PROFILES

    return PROFILES["seed"]


def hostile_alert(s: list[str]) -> Alert:
    prom = parse_prometheus_alerts({"status": "success", "data": {"alerts": [{
        "labels": {"alertname": s[4], "severity": s[5], "model": s[1], s[6]: s[7]},
        "annotations": {"summary": s[8]}, "state": "firing",
        "activeAt": "2026-11-26T09:58:00Z"}]}})
    am = parse_alertmanager_alerts([{"labels": prom[0]["labels"], "fingerprint": s[9],
                                     "status": {"state": "active", "silencedBy": [s[10]]}}])
    (alert,) = merge(prom, am)
    return alert


def hostile_cluster(s: list[str]) -> tuple[Any, Any, Any, Any]:
    conditions = [{"type": s[0], "status": "True", "reason": s[1], "message": s[2]}]
    dep = km.deployment_state({"metadata": {"name": s[3], "namespace": s[4]},
                               "status": {"conditions": conditions, "replicas": 3}})
    pod = km.pod_state({
        "metadata": {"name": s[5], "uid": s[6]},
        "spec": {"nodeName": s[7], "containers": [
            {"name": s[8], "image": s[9], "resources": {"limits": {"cpu": "500m"}}}]},
        "status": {"phase": s[10], "containerStatuses": [{
            "name": s[8], "restartCount": 4,
            "state": {"waiting": {"reason": s[11], "message": s[0]}},
            "lastState": {"terminated": {"reason": s[1], "exitCode": 1}}}]},
    }, NOW)
    hpa = km.hpa_state({
        "metadata": {"name": s[2]},
        "spec": {"minReplicas": 1, "maxReplicas": 3, "metrics": [{"type": "External",
                 "external": {"metric": {"name": s[3]}, "target": {"value": "1"}}}]},
        "status": {"currentReplicas": 3, "desiredReplicas": 3, "conditions": [
            {"type": "ScalingLimited", "status": "True", "reason": s[4], "message": s[5]}]},
    })
    event = km.kube_event({"type": s[6], "reason": s[7], "message": s[8],
                           "involvedObject": {"kind": s[9], "name": s[10]},
                           "lastTimestamp": s[11], "count": 2})
    return dep, pod, hpa, event


def failed_status(message: str) -> SourceStatus:
    async def fetch() -> None:
        raise SourceError(message)

    return asyncio.run(poll("prometheus", fetch, None, CLOCK)).status


def hostile_snapshot(s: list[str], failing: bool = False) -> Snapshot:
    """Every part from hostile strings; or, `failing`, every source failed with them."""
    dep, pod, hpa, event = hostile_cluster(s)
    ok = SourceStatus(True, None, 5.0, NOW)
    latest = Latest(
        metrics=_metrics(s), cluster=_cluster(dep, pod, hpa, event), alerts=_alerts(s),
        metrics_status=failed_status(s[9]) if failing else ok,
        cluster_status=failed_status(s[10]) if failing else ok,
        alerts_status=failed_status(s[11]) if failing else ok,
    )
    return assemble(latest, window="5m", profile="seed", clock=CLOCK, context="ctx")


def _metrics(s: list[str]) -> Any:
    from console.model import MetricsReading

    targets = assemble_targets(
        parse_vector(vector(({"instance": s[2]}, "1"), ({"instance": s[3]}, "0"))))
    return MetricsReading(models=(hostile_model(s),), targets=targets)


def _cluster(dep: Any, pod: Any, hpa: Any, event: Any) -> Any:
    from console.model import ClusterReading

    return ClusterReading(deployment=dep, pods=(pod,), hpa=hpa, events=(event,))


def _alerts(s: list[str]) -> Any:
    from console.model import AlertsReading

    return AlertsReading(alerts=(hostile_alert(s),))


def strings(value: Any) -> Iterator[str]:
    """Every string held anywhere in a model value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings(k)
            yield from strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from strings(v)
    elif hasattr(value, "__dataclass_fields__"):
        for name in value.__dataclass_fields__:
            yield from strings(getattr(value, name))


# ---------------------------------------------------------------------------- renderers


@checked
@given(many)
def test_overview_cells_and_titles(s: list[str]) -> None:
    model = hostile_model(s)
    cells = model_cells(model, (1.0, None), (None, 2.0))
    # An empty provider or model label reads "—" (unlabelled), as everywhere.
    assert plain(cells[0]) == (clean_line(s[0]) or "—")
    assert plain(cells[1]) == (clean_line(s[1]) or "—")
    alert = hostile_alert(s)
    dep, pod, _, event = hostile_cluster(s)
    (event_row,) = event_rows((event,), NOW, 120).values()
    all_cells = [*cells, *alert_cells(alert, NOW), *pod_cells(pod), *event_row]
    for cell in all_cells:
        assert unsafe(plain(cell)) == []
        if isinstance(cell, Text):
            assert drawn(cell).rstrip("\n") == cell.plain
    assert clean_line(s[4]) in plain(all_cells[11])  # the alert's name
    for title in (deployment_title(dep), rollout_note(dep, 1, None)):
        assert Content.from_rich_text(title).plain == title.plain
        assert unsafe(title.plain) == []
    assert clean_line(s[3]) in deployment_title(dep).plain


@checked
@given(many)
def test_hpa_and_status_panels(s: list[str]) -> None:
    _, _, hpa, _ = hostile_cluster(s)
    for compact in (False, True):
        text = hpa_text(hpa, compact=compact)
        assert unsafe(text.plain, multiline=True) == []
        assert drawn(text).rstrip("\n") == text.plain.rstrip("\n")
    assert clean_line(s[4]) in hpa_text(hpa).plain
    status = failed_status(s[0] + s[1])
    text = source_status_text("prometheus", status, NOW)
    assert unsafe(text.plain) == [] and status.error is not None
    assert flat(status.error) in flat(text.plain)
    assert unsafe(hpa_text(None, status.error).plain) == []


@checked
@given(many)
def test_detail_screens_text(s: list[str]) -> None:
    model = hostile_model(s)
    alert = hostile_alert(s)
    _, pod, _, event = hostile_cluster(s)
    snap = hostile_snapshot(s)
    parts: list[RenderableType] = [
        errors_text(model), alerts_text((alert,)), targets_text(snap.targets),
        status_text(pod), resources_text(pod), containers_table(pod.containers),
        # Two objects: the object column shows (under one pod it is left out).
        events_table((event, dataclasses.replace(event, object_name="other")), 0.0),
    ]
    shown = "\n".join(drawn(p) for p in parts)
    assert unsafe(shown, multiline=True) == []
    for value in (s[2], s[3], s[7], s[9], s[10]):  # code, type, node, image / kind, name
        assert flat(clean_line(value))[:20] in flat(shown), value


@checked
@given(many)
def test_hints_quote_hostile_config(s: list[str]) -> None:
    book = load_hints()
    model = hostile_model(s)
    config = {"server": {"timeout": s[4]}, "rate_limit": {"enabled": s[5],
              "requests_per_minute": s[6], "burst": s[7]},
              "providers": {model.provider: {"timeout": s[8], "models": [s[9], s[10]],
                                             "retry": {"max_attempts": s[11]}}}}
    values = hint_values(book, namespace="ns", deployment="dep", model=model, config=config)
    assert all(unsafe(k) == [] and unsafe(v) == [] for k, v in values.items())
    hints = hints_for(book, model, values)
    text = hints_text(hints, clean_line(s[0]))
    assert unsafe(text.plain, multiline=True) == []
    assert drawn(text).rstrip("\n") == text.plain.rstrip("\n")


# ---------------------------------------------------------------------------- exporters


@checked
@given(many)
def test_text_and_markdown_exports(s: list[str]) -> None:
    snap = hostile_snapshot(s)
    text = snapshot_text(snap, NOW, width=10_000)
    assert unsafe(text, multiline=True) == []
    for value in (snap.models[0].model, snap.pods[0].name, snap.alerts[0].name):
        assert flat(value) in flat(text)
    note = snapshot_markdown(snap, NOW)
    assert unsafe(note, multiline=True) == []
    dep, hpa = snap.deployment, snap.hpa
    assert dep is not None and hpa is not None
    names = (flat(f"{dep.namespace}/{dep.name}"), flat(hpa.name) or "—")
    assert markdown_problems(note, code=names) == []
    seen = flat(markdown_text(note))
    for value in (snap.models[0].model, snap.pods[0].name, snap.events[0].message):
        assert flat(value) in seen, value
    failed = hostile_snapshot(s, failing=True)
    for out in (snapshot_text(failed, NOW), snapshot_markdown(failed, NOW)):
        assert unsafe(out, multiline=True) == []
    seen = flat(markdown_text(snapshot_markdown(failed, NOW)))
    assert all(flat(st.error or "") in seen for st in failed.sources.values())


@checked
@given(many)
def test_json_export_and_recording_round_trip(s: list[str]) -> None:
    snap = hostile_snapshot(s)
    text = snapshot_json(snap)
    assert unsafe(text, multiline=True) == []
    assert json.loads(text) == snapshot_dict(snap)
    line = dump_snapshot(snap)
    # Raw label values (for silences) stay out of recordings: a replay cannot silence.
    assert '"raw_labels"' not in line
    unraw = tuple(dataclasses.replace(a, raw_labels={}) for a in snap.alerts)
    assert unsafe(line) == [] and load_snapshot(line) == dataclasses.replace(snap, alerts=unraw)


raw_texts = st.text(max_size=40)  # any code point, lone surrogates included


@checked
@given(st.lists(raw_texts, min_size=4, max_size=4))
def test_exports_escape_what_did_not_pass_the_boundary(s: list[str]) -> None:
    """A snapshot made in code (not through a source): JSON escapes what a terminal obeys,
    and a recording of it replays clean."""
    snap = Snapshot(
        generated_at=datetime.fromtimestamp(NOW, UTC), window="5m", profile="seed",
        sources={"prometheus": SourceStatus(False, s[0], None, None)},
        models=(ModelFigures(s[1], s[2], 1.0, 0.5, None),),
        alerts=(Alert(s[3], "firing", None, None, s[0], {s[1]: s[2]}),),
    )
    text = snapshot_json(snap)
    text.encode("utf-8")
    assert unsafe(text, multiline=True) == []
    assert json.loads(text) == snapshot_dict(snap)
    replayed = load_snapshot(dump_snapshot(snap))
    assert all(unsafe(value) == [] for value in strings(replayed))
    assert replayed.models[0].model == clean_line(s[2], 4000)
