"""The hints of the likely causes (hints.toml `findings`): first, filled from the finding."""

from __future__ import annotations

from console.analysis import Finding, analyze
from console.hints import finding_hint, hint_values, hints_for, load_hints
from console.model import ModelFigures
from tests.unit.test_analysis import OUTAGE, SLOW, STALLED, crashed, hpa, pod, ready_pods, snap

BOOK = load_hints()


def model_hints(model: ModelFigures, findings: tuple[Finding, ...]) -> list[str]:
    values = hint_values(BOOK, namespace="ai-services", deployment="ai-gateway", model=model)
    return [h.title for h in hints_for(BOOK, model, values, None, findings)]


def test_a_provider_outage_points_at_the_provider_first_not_at_pod_resources() -> None:
    findings = analyze(snap(OUTAGE)).findings
    hints = hints_for(BOOK, OUTAGE[0], hint_values(BOOK, namespace="ns", deployment="gw",
                                                   model=OUTAGE[0]), None, findings)
    (hint,) = hints  # the provider's hint stands in for the general 503 one
    assert hint.title == ("holysheep is failing: its models error, the other providers and "
                          "the gateway pods are fine")
    assert hint.live[0].startswith("4/4 holysheep models failing (28.0 %); pods 3/3 ready")
    assert "set resources" not in " ".join(hint.steps)
    assert "E on the overview" in hint.steps[1]
    # The other provider's models are not concerned: no provider hint there.
    openrouter = OUTAGE[4]
    assert not findings[0].concerns(openrouter.provider, openrouter.model)


def test_without_the_finding_the_general_503_hint_checks_the_provider_first() -> None:
    titles = model_hints(OUTAGE[0], ())
    assert titles == ["503: the upstream fails or times out, or the gateway pods are starved"]
    values = hint_values(BOOK, namespace="ns", deployment="gw", model=OUTAGE[0])
    (hint,) = hints_for(BOOK, OUTAGE[0], values)
    assert hint.steps[0].startswith("Check the provider from inside a pod")
    assert hint.steps[-1].startswith("Only if CPU sits at its limit")


def test_a_slow_model_gets_the_latency_hint() -> None:
    findings = analyze(snap(SLOW)).findings
    values = hint_values(BOOK, namespace="ns", deployment="gw", model=SLOW[0])
    (hint,) = hints_for(BOOK, SLOW[0], values, None, findings)
    assert hint.title == "a is slow: upstream, load or a rollout"
    assert hint.live == ("2 models slow at provider holysheep (load or rollout unknown)",
                         "a P95 4.50 s, b P95 2.50 s")
    assert model_hints(SLOW[2], findings) == []  # a fast model has none


def test_the_crash_hint_quotes_the_log_line_and_rolls_back() -> None:
    pods = (*ready_pods(), pod("gw-new-1", False, "gw-new", 6, "CrashLoopBackOff",
                               container=crashed()))
    (finding,) = analyze(snap(pods=pods, deployment=STALLED)).findings
    hint = finding_hint(BOOK, finding, namespace="ai-services", deployment="ai-gateway")
    assert hint is not None
    assert hint.title == ("the new pods crash at start: panic: config error: "
                          "HOLYSHEEP_API_KEY is required but not set")
    assert hint.live[0] == "log: panic: config error: HOLYSHEEP_API_KEY is required but not set"
    assert hint.steps[0].endswith("kubectl -n ai-services rollout undo deployment/ai-gateway")
    assert "logs gw-new-1 -c gateway --previous" in hint.steps[1]


def test_the_pinned_hpa_hint_names_the_hpa_and_its_patch() -> None:
    (finding,) = analyze(snap(hpa=hpa(10, 10, 92.0))).findings
    hint = finding_hint(BOOK, finding, namespace="ns", deployment="gw")
    assert hint is not None
    assert hint.title == "HPA gw-hpa is pinned at its maximum: the load outgrew its bounds"
    assert hint.live == ("10/10 replicas, desired 10; cpu 92 % over target 70 %",)
    assert hint.steps[0].endswith(
        "kubectl -n ns patch hpa gw-hpa --type=merge -p '{\"spec\":{\"maxReplicas\":20}}'")
