"""The `Likely cause` panel's text: what fits in 80 columns, what is cut first, and hostile data.

Also the two facts the analyzers need from the API that the mapping now reads: the
pod's ReplicaSet (ownerReferences) and the container's termination message.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from console.analysis import Analysis, Finding, analyze
from console.model import ModelFigures, Snapshot
from console.sources import kube_mapping as km
from console.text.safe_text import clean_line
from console.views.likely_cause import likely_cause_lines, likely_cause_text
from tests.unit.test_analysis import DEPLOYMENT, STALLED, pod, ready_pods, snap
from tests.unit.test_hostile_properties import NOW, drawn, hostile_model, texts, unsafe

ROLLBACK = Finding("bad-rollout", "the new revision gw-new crashes", 0,
                   ("rollout stalled (ProgressDeadlineExceeded)", "1 pod CrashLoopBackOff"),
                   "roll back to the previous revision", "u",
                   "panic: config error: HOLYSHEEP_API_KEY is required but not set")
HPA = Finding("hpa-pinned", "HPA gw-hpa pinned at max 10", 1,
              ("10/10 replicas, desired 10", "cpu 92 % over target 70 %"),
              "raise the HPA's maximum", "H")
SLOW = Finding("latency", "2 models slow at provider holysheep", 2, ("a P95 4.50 s",),
               "open the slowest model (enter) for its latency hint")


def test_worst_first_its_quote_whole_and_the_rest_counted() -> None:
    lines = likely_cause_lines(Analysis((ROLLBACK, HPA, SLOW)), 80)
    assert [text for text, _ in lines] == [
        "the new revision gw-new crashes — roll back to the previous re… [u]",
        "log: panic: config error: HOLYSHEEP_API_KEY is required but not set · +2 more",
    ]
    wide = likely_cause_lines(Analysis((ROLLBACK, HPA, SLOW)), 200, max_lines=4)
    assert wide[1][0] == "log: panic: config error: HOLYSHEEP_API_KEY is required but not set"
    assert wide[2][0].startswith("HPA gw-hpa pinned at max 10 — 10/10 replicas")
    assert wide[3][0].startswith("2 models slow") and "more" not in wide[3][0]


def test_a_long_finding_keeps_its_cause_and_key_and_cuts_the_evidence() -> None:
    long = Finding("hpa-pinned", "HPA gw-hpa pinned at max 10", 1, ("e" * 200,),
                   "raise the HPA's maximum", "H")
    (line, _), = likely_cause_lines(Analysis((long,)), 100, max_lines=1)
    assert line.startswith("HPA gw-hpa pinned at max 10 — eeee")
    assert line.endswith("… — raise the HPA's maximum [H]") and cell_len(line) <= 87
    (line, _), = likely_cause_lines(Analysis((long,)), 40, max_lines=1)
    assert line == "HPA gw-hpa pinned at m… [H]"


def test_with_a_spare_line_the_evidence_gets_it() -> None:
    lines = likely_cause_lines(Analysis((HPA,)), 80)
    assert lines[0][0] == "HPA gw-hpa pinned at max 10 — raise the HPA's maximum [H]"
    assert lines[1][0] == "10/10 replicas, desired 10; cpu 92 % over target 70 %"


def test_healthy_unknown_and_waiting_read_differently() -> None:
    assert likely_cause_text(Analysis()).plain == (
        "Likely cause no cause found: every source answered and no rule matched")
    unknown = Analysis(unknown=("prometheus failed: errors and latency unknown",))
    assert likely_cause_text(unknown, 120).plain == (
        "Likely cause cannot tell: prometheus failed: errors and latency unknown")
    assert "no cause" not in likely_cause_text(unknown).plain
    assert likely_cause_text(Analysis(waiting=True)).plain == (
        "Likely cause waiting for the sources' first answers")
    both = Analysis((HPA,), unknown=("prometheus failed: errors and latency unknown",))
    assert likely_cause_text(both, 200, 1).plain.endswith(" [H] · prometheus unknown")


def test_the_termination_message_and_owner_come_from_the_api() -> None:
    state = km.pod_state({
        "metadata": {"name": "gw-new-1", "ownerReferences": [
            {"kind": "ReplicaSet", "name": "gw-new", "uid": "u"}]},
        "spec": {"containers": [{"name": "gateway"}]},
        "status": {"phase": "Running", "containerStatuses": [{
            "name": "gateway", "restartCount": 6, "state": {"waiting": {
                "reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"reason": "Error", "exitCode": 1, "message":
                                         "loading\n\tpanic: \x1b]52;c;x\x07gone\n"}}}]},
    }, NOW)
    assert state.owner == "gw-new"
    (container,) = state.containers
    assert container.last_termination_message == ("loading",
                                                   "        panic: ␛]52;c;x␇gone")
    assert km.pod_state({"metadata": {"name": "p"}}, NOW).owner is None


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(texts, min_size=4, max_size=4))
def test_hostile_strings_through_the_panel(s: list[str]) -> None:
    """Model names, ReplicaSet names, reasons and the crash log as an attacker writes them."""
    crash = km.pod_state({
        "metadata": {"name": "gw-new-1", "ownerReferences": [
            {"kind": "ReplicaSet", "name": s[0]}]},
        "spec": {"containers": [{"name": "c" + s[1]}]},
        "status": {"phase": "Running", "containerStatuses": [{
            "name": "c" + s[1], "restartCount": 6,
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"exitCode": 1, "message": "panic: " + s[2]}}}]},
    }, NOW)
    hostile = replace(hostile_model(s * 3), p95_latency_s=9.0)  # through the parser
    models = (hostile, replace(hostile, model=hostile.model + "x"),
              ModelFigures("other", "fine", 5.0, 0.0, 0.5))
    snapshot: Snapshot = snap(models, (*ready_pods(), crash), deployment=STALLED)
    analysis = analyze(snapshot)
    assert analysis.findings
    for width, lines in ((80, 2), (160, 4)):
        text = likely_cause_text(analysis, width, lines)
        assert unsafe(text.plain, multiline=True) == []
        assert drawn(text).rstrip("\n") == text.plain  # no markup read from data
        assert all(cell_len(line) <= width for line in text.plain.split("\n"))
        assert {str(span.style) for span in text.spans} <= {
            "bold", "bold red", "yellow", "italic", "", "dim", "green", "bold yellow"}
    rollout = next(f for f in analysis.findings if f.kind == "bad-rollout")
    assert rollout.quote is not None and rollout.quote.startswith("panic:")
    assert unsafe(rollout.quote) == []
    assert clean_line(rollout.quote) == rollout.quote
    assert DEPLOYMENT.replicas == 3 and pod("p").owner == "gw-old"


def test_exports_say_what_cannot_be_told() -> None:
    from console.export.json_export import snapshot_dict
    from console.export.text import snapshot_text
    from tests.unit.test_analysis import DOWN, OUTAGE

    down = snap(OUTAGE, prometheus=DOWN)
    assert snapshot_dict(down)["likely_cause"] == [{
        "kind": "unknown", "cause": "cannot tell: prometheus failed: errors and latency unknown",
        "rank": 9, "evidence": [], "action": "", "key": None, "quote": None}]
    assert snapshot_dict(snap())["likely_cause"] == []
    text = snapshot_text(down, NOW)
    assert "likely cause\n  cannot tell: prometheus failed: errors and latency unknown\n" in text
    assert "  no cause found: every source answered" in snapshot_text(snap(), NOW)
