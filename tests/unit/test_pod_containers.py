"""A pod's containers as the console knows them for its logs: init containers first,
the spec's containers in order, the container `kubectl logs POD` would read (issue 17).
The pod is a multi-container pod in the API's JSON shape whose init container crashes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rich.table import Table

from console.sources import kube_mapping as km
from console.state.log_tails import LogTails, new_lines, prefixed

POD = json.loads((Path(__file__).parents[1] / "recorded" / "kubernetes"
                  / "pod_init_crash_sidecar.json").read_text())
NOW = km.parse_time("2026-11-26T10:00:00Z") or 0.0


def test_init_containers_then_containers_in_spec_order() -> None:
    pod = km.pod_state(POD, NOW)
    assert [c.name for c in pod.init_containers] == ["wait-for-config"]
    assert [c.name for c in pod.containers] == ["otel-agent", "gateway"]
    assert pod.log_containers() == ("wait-for-config", "otel-agent", "gateway")
    (init,) = pod.init_containers
    assert (init.state, init.reason, init.restarts) == ("waiting", "CrashLoopBackOff", 4)
    assert (init.last_termination_reason, init.last_exit_code) == ("Error", 1)
    assert pod.reason == "Init:CrashLoopBackOff"


def test_the_default_container_is_the_annotations_else_the_first() -> None:
    assert km.pod_state(POD, NOW).log_default() == "gateway"  # not the first: the annotation
    plain = {**POD, "metadata": {**POD["metadata"], "annotations": {}}}
    assert km.default_container(plain) == "otel-agent"
    assert km.pod_state(plain, NOW).log_default() == "otel-agent"
    wrong = {**POD, "metadata": {**POD["metadata"], "annotations": {
        km.DEFAULT_CONTAINER: "nope"}}}
    assert km.default_container(wrong) == "otel-agent", "a name the pod lacks is ignored"
    assert km.default_container({"spec": {}}) is None


def test_hostile_container_names_are_cleaned_and_their_number_capped() -> None:
    many = {"spec": {"containers": [{"name": f"c{i}\x1b[2J"} for i in range(500)]}}
    pod = km.pod_state(many, NOW)
    assert len(pod.containers) == km.MAX_CONTAINERS
    assert all("\x1b" not in name for name in pod.log_containers())
    assert prefixed("a\x07" * 100, "x").startswith("[a␇") and len(prefixed("a" * 500, "")) < 70


async def test_all_containers_reads_each_in_turn_and_says_a_failure_once() -> None:
    logs = {"wait-for-config": ["copying", "done"], "gateway": ["g1", "g2"]}
    asked: list[str | None] = []

    async def fetch(pod: str, tail: int, previous: bool, container: str | None) -> str:
        asked.append(container)
        if container not in logs:
            raise RuntimeError(f'container "{container}" is waiting to start')
        return "".join(f"{line}\n" for line in logs[container])

    tails = LogTails()
    names = ("wait-for-config", "otel-agent", "gateway")
    first = await tails.read_all(fetch, "p", 200, False, names)
    assert first == ["[wait-for-config] copying", "[wait-for-config] done",
                     '[otel-agent] ✗ cannot read logs: container "otel-agent" is waiting '
                     "to start", "[gateway] g1", "[gateway] g2"]
    assert asked == list(names)
    logs["gateway"].append("g3\x1b[31m")
    assert await tails.read_all(fetch, "p", 200, False, names) == ["[gateway] g3␛[31m"]


@pytest.mark.parametrize(("before", "after", "fresh"), [
    ([], ["a"], ["a"]), (["a", "b"], ["b", "c"], ["c"]), (["a"], ["x"], ["x"]),
    (["a", "b"], ["a", "b"], []),
])
def test_new_lines_follow_the_overlap(before: list[str], after: list[str],
                                      fresh: list[str]) -> None:
    assert new_lines(before, after) == fresh


def test_the_pod_detail_lists_the_init_container_first_and_red_while_it_crashes() -> None:
    from console.screens.pod_detail import containers_table

    pod = km.pod_state(POD, NOW)
    table = containers_table(pod.containers, pod.init_containers)
    assert isinstance(table, Table)
    names = [str(cell) for cell in table.columns[0].cells]
    assert names == ["wait-for-config (init)", "otel-agent", "gateway"]
    states: list[Any] = list(table.columns[2].cells)
    assert str(states[0]) == "waiting (CrashLoopBackOff)" and "red" in str(states[0].style)
