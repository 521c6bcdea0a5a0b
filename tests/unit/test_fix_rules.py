"""The pure rules behind `u`, `H` and `E`: revisions, bounds as typed, which ConfigMap."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.actions.hpa_bounds import parse_bounds, prefill, warning
from console.model import Condition, HpaState
from console.sources import kube_configmap, kube_rollout
from console.sources.silences import parse_silences
from tests.stack import kube_revisions as kr


def test_history_lists_only_the_deployments_own_replica_sets_newest_first() -> None:
    revisions = kube_rollout.history(kr.deployment(), kr.replica_sets())
    assert [(r.number, r.current) for r in revisions] == [(4, True), (3, False)]
    assert kube_rollout.previous(revisions) == revisions[1]
    assert revisions[1].change_cause == (
        "kubectl set image deployment/ai-gateway gateway=1.4.2")
    assert all("pod-template-hash" not in line for r in revisions for line in r.template)


def test_a_single_revision_has_no_previous() -> None:
    revisions = kube_rollout.history(kr.deployment(), kr.replica_sets()[:1])
    assert kube_rollout.previous(revisions) is None


def test_hostile_revision_texts_are_cleaned() -> None:
    sets = kr.replica_sets()
    sets[1]["metadata"]["annotations"]["kubernetes.io/change-cause"] = "ok\x1b[2J\nnext"
    sets[1]["spec"]["template"]["spec"]["containers"][0]["image"] = "img\x07:1"
    old = kube_rollout.history(kr.deployment(), sets)[1]
    assert "\x1b" not in (old.change_cause or "") and "\n" not in (old.change_cause or "")
    assert all(ch.isprintable() for ch in "".join(old.images))


def test_template_diff_names_what_changes_and_is_capped() -> None:
    a = tuple(f"line {i}" for i in range(100))
    b = tuple(f"line {i}" if i % 2 else f"LINE {i}" for i in range(100))
    diff = kube_rollout.template_diff(a, b)
    assert len(diff) == kube_rollout.MAX_DIFF_LINES + 1
    assert diff[-1].startswith("… ") and diff[-1].endswith(" more lines")
    assert kube_rollout.template_diff(a, a) == ("(the pod templates are the same)",)


@pytest.mark.parametrize(("text", "bounds"), [("3 20", (3, 20)), (" 1   1 ", (1, 1)),
                                              ("03 0010", (3, 10))])
def test_bounds_as_typed(text: str, bounds: tuple[int, int]) -> None:
    assert parse_bounds(text) == bounds


@pytest.mark.parametrize(("text", "error"), [
    ("20", "two whole numbers, MIN MAX (for example 3 20)"),
    ("3 20 30", "two whole numbers, MIN MAX (for example 3 20)"),
    ("0 5", "min must be at least 1"),
    ("9 3", "min 9 is above max 3"),
    ("3 ²0", "two whole numbers, MIN MAX (for example 3 20)"),
    ("3 1001", "more than 1000 replicas is surely a typo"),
    ("3 " + "9" * 5000, "more than 1000 replicas is surely a typo"),
])
def test_bad_bounds_say_what_is_wrong(text: str, error: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_bounds(text)
    assert str(info.value) == error


@settings(max_examples=50)
@given(st.text(max_size=30))
def test_any_typed_text_is_bounds_or_a_value_error(text: str) -> None:
    try:
        low, high = parse_bounds(text)
    except ValueError as exc:
        assert str(exc)
    else:
        assert 1 <= low <= high <= 1000


def _hpa(current: int, maximum: int, pinned: bool) -> HpaState:
    reason = "TooManyReplicas" if pinned else "DesiredWithinRange"
    cond = Condition("ScalingLimited", "True" if pinned else "False", reason, "")
    return HpaState("ai-gateway-hpa", 3, maximum, current, current, (), (cond,))


def test_prefill_doubles_a_pinned_max_only() -> None:
    assert prefill(_hpa(10, 10, pinned=True)) == "3 20"
    assert prefill(_hpa(4, 10, pinned=False)) == "3 10"
    assert prefill(None) == ""  # unknown is not "3 10"


def test_warning_when_the_new_max_is_below_what_runs() -> None:
    assert warning(_hpa(6, 10, False), (3, 5)) == (
        "max 5 is below the 6 replicas running now: the HPA will scale the gateway down")
    assert warning(_hpa(6, 10, False), (3, 6)) is None


def _deployment(spec: dict[str, Any]) -> dict[str, Any]:
    return {"spec": {"template": {"spec": spec}}}


def test_config_map_choice_follows_the_pod_template_and_skips_secrets() -> None:
    spec = {
        "volumes": [{"name": "tls", "secret": {"secretName": "gw-tls"}}],
        "containers": [{"name": "gateway",
                        "envFrom": [{"secretRef": {"name": "keys"}},
                                    {"configMapRef": {"name": "gw-env"}}],
                        "env": [{"name": "X", "valueFrom": {
                            "configMapKeyRef": {"name": "gw-x", "key": "x"}}}]}],
    }
    assert kube_configmap.referenced(_deployment(spec)) == [
        ("gw-env", "envFrom of container gateway"), ("gw-x", "env X of container gateway")]
    assert kube_configmap.choose(_deployment(spec), "cfg")[0] == "gw-env"
    assert kube_configmap.choose(_deployment({}), "cfg") == (
        "cfg", "the configured name (the pod template names no ConfigMap)")


def test_several_keys_edit_as_yaml_and_come_back_the_same() -> None:
    data = {"config.yaml": "a: 1\nb: 2\n", "mode": "fast"}
    text = kube_configmap.edit_text(data)
    assert "config.yaml: |" in text
    assert kube_configmap.parse_edit(text, data) == data
    with pytest.raises(ValueError, match="mapping"):
        kube_configmap.parse_edit("- a list\n", data)
    single = {"config.yaml": "raw \x1b text"}
    assert kube_configmap.edit_text(single) == "raw \x1b text"  # edited as read
    assert kube_configmap.parse_edit("new", single) == {"config.yaml": "new"}


def test_silences_in_force_are_listed_with_amtools_operators() -> None:
    def item(sid: str, state: str, ends: str, **m: bool) -> dict[str, Any]:
        return {"id": sid, "status": {"state": state}, "endsAt": ends, "createdBy": "bob",
                "comment": "c", "matchers": [{"name": "a", "value": "b", **m}]}
    listed = parse_silences([
        item("late", "active", "2026-12-02T00:00:00Z", isRegex=False, isEqual=True),
        item("gone", "expired", "2026-11-01T00:00:00Z"),
        item("soon", "pending", "2026-12-01T00:00:00Z", isRegex=True, isEqual=False),
        {"no": "id"}, "garbage",
    ])
    assert [(s.id, s.state, s.matchers) for s in listed] == [
        ("soon", "pending", ("a!~b",)), ("late", "active", ("a=b",))]
    assert parse_silences({"not": "a list"}) == ()


async def test_the_demo_lists_the_silences_it_made() -> None:
    from console.clock import FixedClock
    from console.demo.simulator import Simulation
    from console.demo.sources import DemoAlertSource

    source = DemoAlertSource(Simulation(clock=FixedClock(), scenario="provider-outage"))
    alert = next(a for a in (await source.fetch()).alerts if a.state == "firing")
    sid = await source.silence(alert, 600, "tester", "looking")
    (listed,) = await source.silences()
    assert (listed.id, listed.created_by, listed.comment) == (sid, "tester", "looking")
    await source.expire(sid)
    assert await source.silences() == ()
