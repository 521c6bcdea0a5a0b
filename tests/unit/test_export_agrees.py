"""Exports agree with the screen (issue 17): the rollout words, the pods' order, every
failing model, and an unknown said once."""

from __future__ import annotations

import json
from dataclasses import replace

from console.export import snapshot_json, snapshot_markdown, snapshot_text
from console.model import (
    ClusterReading,
    Condition,
    DeploymentState,
    ModelFigures,
    SourceStatus,
)
from console.state.polling import Latest, assemble
from console.views.overview import deployment_title, pods_in_triage_order, rollout_note
from tests.unit.test_export import NOW, healthy, section

OK = SourceStatus(True, None, 5.0, NOW)
SETTLED = Condition("Progressing", "True", "NewReplicaSetAvailable", "done")
ROLLING = Condition("Progressing", "True", "ReplicaSetUpdated", 'ReplicaSet "x" is progressing.')


def dep(replicas: int, ready: int, updated: int, pods: int, progressing: Condition,
        generation: int = 5, observed: int = 5) -> DeploymentState:
    return DeploymentState("ai-services", "ai-gateway", replicas, ready, updated, ready,
                           generation=generation, observed_generation=observed,
                           conditions=(progressing,), status_replicas=pods)


def test_a_scale_is_not_a_rollout() -> None:
    # kubectl scale 14 → 10: the controller leaves Progressing alone; 14 pods still counted.
    down = dep(10, 10, 14, 14, SETTLED)
    assert rollout_note(down, 14, None).plain == "⟳ scaling 14→10"
    assert "scaling 14→10" in deployment_title(down).plain
    assert "updated 14" not in deployment_title(down).plain
    up = dep(14, 10, 10, 10, SETTLED)
    assert rollout_note(up, 10, None).plain == "⟳ scaling 10→14"
    # Once the new pods exist a scale up looks like pods failing: neither is claimed.
    assert rollout_note(dep(14, 10, 14, 14, SETTLED), 14, None).plain == (
        "▲ 10 of 14 replicas available")
    # A new template: the old ReplicaSet's pods are still there.
    rollout = dep(10, 10, 3, 13, ROLLING)
    assert rollout_note(rollout, 13, None).plain == "⟳ rolling out: 3/10 updated"
    # The tail of a rollout (old pods gone, new ones not yet available) is still one.
    tail = dep(10, 8, 10, 10, ROLLING)
    assert rollout_note(tail, 10, None).plain == "⟳ rolling out: 10/10 updated"
    assert rollout_note(dep(3, 3, 3, 3, SETTLED), 3, None).plain == "3 pods"


def test_json_text_and_markdown_say_what_the_screen_says() -> None:
    for state, words in ((dep(10, 10, 3, 13, ROLLING), "rolling out: 3/10 updated"),
                         (dep(10, 10, 14, 14, SETTLED), "scaling 14→10")):
        snap = replace(healthy(), deployment=state)
        assert rollout_note(state, 3, None).plain.endswith(words)
        assert json.loads(snapshot_json(snap))["deployment"]["rollout"] == words
        text = " ".join(snapshot_text(snap, NOW).split())  # the text export wraps at 100
        assert f"restartedAt not set; {words}" in text
        assert words in section(snapshot_markdown(snap, NOW), "Deployment")
    assert json.loads(snapshot_json(healthy()))["deployment"]["rollout"] is None


def test_an_unknown_restart_time_is_said_once() -> None:
    snap = replace(healthy(), deployment=dep(10, 10, 3, 13, ROLLING))
    for out in (snapshot_text(snap, NOW), snapshot_markdown(snap, NOW)):
        assert "restartedAt not set; rolling" in out
        assert "— —" not in out


def test_pods_in_the_screens_order_in_every_format() -> None:
    snap = healthy()
    cluster = ClusterReading(snap.deployment, snap.pods, snap.hpa)  # API order: ok pod first
    assembled = assemble(Latest(cluster=cluster, cluster_status=OK), window="5m",
                         profile="seed", clock=lambda: NOW)
    crashing = "ai-gateway-7d9f8b6c5-q8w2z"
    assert pods_in_triage_order(cluster.pods)[0].name == crashing
    assert json.loads(snapshot_json(assembled))["pods"][0]["name"] == crashing
    text = snapshot_text(assembled, NOW)
    assert text.index(crashing) < text.index("ai-gateway-7d9f8b6c5-x2k4p")
    pods = section(snapshot_markdown(assembled, NOW), "Pods")
    assert pods.index(crashing) < pods.index("ai-gateway-7d9f8b6c5-x2k4p")


def test_markdown_worst_lists_every_failing_model() -> None:
    models = tuple(ModelFigures("p", f"m{i}", 1.0, 0.10 + i / 100, 2.5 + i) for i in range(5))
    body = section(snapshot_markdown(replace(healthy(), models=models), NOW), "Worst models")
    by_errors, by_latency = body.split("### By P95 latency")
    for i in range(5):
        assert f"| p | m{i} |" in by_errors and f"| p | m{i} |" in by_latency
    # Below the threshold the top three are enough.
    calm = tuple(ModelFigures("p", f"m{i}", 1.0, 0.001, 0.2) for i in range(5))
    body = section(snapshot_markdown(replace(healthy(), models=calm), NOW), "Worst models")
    assert body.split("### By P95 latency")[0].count("| p | m") == 3
