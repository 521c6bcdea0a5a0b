"""Each analyzer on snapshots built for it: the finding it must make, and the ones it must not."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from console.analysis import Analysis, Finding, analyze
from console.analysis.workload import telling_line
from console.model import (
    Condition,
    ContainerState,
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

OK = SourceStatus(True, None, 5.0, last_ok_at=0.0)
DOWN = SourceStatus(False, "connection refused", None, last_ok_at=None)
CRASH_LOG = (
    '{"level":"info","msg":"loading configuration"}',
    '{"level":"error","msg":"configuration invalid","error":"HOLYSHEEP_API_KEY is empty"}',
    "panic: config error: HOLYSHEEP_API_KEY is required but not set",
    "",
    "goroutine 1 [running]:",
    "main.main()",
)


def model(provider: str, name: str, errors: float = 0.01, p95: float = 1.0,
          rate: float = 10.0, codes: dict[str, float] | None = None,
          ttft: float | None = None) -> ModelFigures:
    return ModelFigures(provider, name, rate, errors, p95, ttft,
                        errors_by_code=codes or {})


def pod(name: str, ready: bool = True, owner: str = "gw-old", restarts: int = 0,
        reason: str | None = None, phase: str = "Running", age_s: float = 86400.0,
        container: ContainerState | None = None) -> PodState:
    return PodState(name, phase, ready, restarts, age_s, "node-1", reason, owner=owner,
                    containers=(container,) if container else ())


def ready_pods(n: int = 3) -> tuple[PodState, ...]:
    return tuple(pod(f"gw-old-{i}") for i in range(n))


STEADY_MODELS = (
    model("holysheep", "a"), model("holysheep", "b"), model("holysheep", "c"),
    model("openrouter", "x"), model("openrouter", "y"),
)
DEPLOYMENT = DeploymentState("ns", "gw", 3, 3, 3, 3, generation=2, observed_generation=2)


def snap(models: Sequence[ModelFigures] = STEADY_MODELS,
         pods: Sequence[PodState] | None = None, *,
         deployment: DeploymentState | None = DEPLOYMENT, hpa: HpaState | None = None,
         targets: Sequence[ScrapeTarget] = (), events: Sequence[KubeEvent] = (),
         prometheus: SourceStatus = OK, kubernetes: SourceStatus = OK) -> Snapshot:
    return Snapshot(datetime(2026, 11, 26, tzinfo=UTC), "5m", "seed",
                    {"prometheus": prometheus, "kubernetes": kubernetes, "alertmanager": OK},
                    tuple(models), tuple(targets), deployment,
                    ready_pods() if pods is None else tuple(pods), hpa, (), tuple(events))


def kinds(analysis: Analysis) -> list[str]:
    return [f.kind for f in analysis.findings]


def only(analysis: Analysis, kind: str) -> Finding:
    found = [f for f in analysis.findings if f.kind == kind]
    assert len(found) == 1, analysis.findings
    return found[0]


# ------------------------------------------------------------------------------ errors

OUTAGE = (
    *(model("holysheep", n, errors=0.28, codes={"503": 2.5}) for n in ("a", "b", "c", "d")),
    model("openrouter", "x"), model("openrouter", "y"), model("openrouter", "z"),
)


def test_steady_with_every_source_known_is_healthy() -> None:
    analysis = analyze(snap())
    assert analysis.findings == () and analysis.unknown == () and analysis.healthy


def test_provider_outage_names_the_provider_not_the_pods() -> None:
    f = only(analyze(snap(OUTAGE)), "provider-outage")
    assert f.cause == "provider holysheep is failing, not the gateway pods"
    assert f.evidence[:3] == ("4/4 holysheep models failing (28.0 %)", "pods 3/3 ready",
                              "openrouter 0/3 failing")
    assert "all 503 (10.0/s)" in f.evidence
    assert (f.rank, f.key) == (0, "E")
    # The provider-wide finding replaces four per-model ones.
    assert kinds(analyze(snap(OUTAGE))) == ["provider-outage"]


def test_provider_outage_with_pods_not_ready_says_several_causes_fit() -> None:
    pods = (*ready_pods(2), pod("gw-old-9", ready=False))
    f = only(analyze(snap(OUTAGE, pods)), "provider-outage")
    assert f.cause == ("several causes fit: provider holysheep, or the gateway pods "
                       "(pods 2/3 ready)")


def test_provider_outage_with_kubernetes_down_does_not_clear_the_pods() -> None:
    analysis = analyze(snap(OUTAGE, (), kubernetes=DOWN, deployment=None))
    f = only(analysis, "provider-outage")
    assert f.cause.startswith("several causes fit: provider holysheep, or the gateway pods")
    assert "pods unknown (kubernetes not read)" in f.evidence
    assert analysis.unknown == ("kubernetes failed: pods, rollout and HPA unknown",)


def test_every_provider_failing_is_the_gateway_not_a_provider() -> None:
    models = [replace(m, error_ratio=0.3) for m in STEADY_MODELS]
    f = only(analyze(snap(models)), "gateway-errors")
    assert f.cause.startswith("the gateway itself fails for every provider")
    assert f.evidence[0] == "5/5 models failing across all 2 providers"


def test_one_model_failing_names_it_and_its_error_class() -> None:
    models = (model("holysheep", "a", errors=0.2, codes={"401": 1.5, "503": 0.5}),
              *STEADY_MODELS[1:])
    f = only(analyze(snap(models)), "model-errors")
    assert f.cause == "model holysheep/a is failing"
    assert f.evidence == ("20.0 % errors", "mostly 401 (1.5/s)", "2 other holysheep models fine")
    assert "provider-outage" not in kinds(analyze(snap(models)))


# ----------------------------------------------------------------------------- latency

SLOW = (model("holysheep", "a", p95=4.5), model("holysheep", "b", p95=2.5),
        *STEADY_MODELS[2:])


def trends(p95: Sequence[float], rate: Sequence[float], keys: Sequence[tuple[str, str]]
           ) -> dict[str, dict[tuple[str, str], list[float | None]]]:
    return {"p95_latency_s": {k: list(p95) for k in keys},
            "request_rate": {k: list(rate) for k in keys}}


def test_latency_names_models_since_when_and_rules_out_load_and_rollout() -> None:
    keys = [("holysheep", "a"), ("holysheep", "b")]
    t = trends([1.0] * 4 + [3.0] * 6, [10.0] * 10, keys)
    f = only(analyze(snap(SLOW), t, 10.0), "latency")
    assert f.cause == "2 models slow at provider holysheep, not load or a rollout"
    assert f.evidence == ("a P95 4.50 s, b P95 2.50 s", "over 2.00 s for 60s", "req/s steady")


def test_latency_that_follows_load() -> None:
    keys = [("holysheep", "a"), ("holysheep", "b")]
    t = trends([3.0] * 10, [2.0] + [10.0] * 9, keys)
    f = only(analyze(snap(SLOW), t, 10.0), "latency")
    assert f.cause == "2 models slow: it follows load"
    assert "over 2.00 s for all of the last 100s" in f.evidence
    assert "req/s up 5.0-fold since the trend began" in f.evidence


def test_latency_during_a_rollout_with_more_load_says_several_causes_fit() -> None:
    keys = [("holysheep", "a"), ("holysheep", "b")]
    rolling = replace(DEPLOYMENT, updated_replicas=1)
    t = trends([3.0] * 10, [2.0] + [10.0] * 9, keys)
    f = only(analyze(snap(SLOW, deployment=rolling), t), "latency")
    assert f.cause == "2 models slow: several causes fit: more load, or the rollout"
    assert "a rollout is under way (1/3 updated)" in f.evidence
    t = trends([3.0] * 10, [10.0] * 10, keys)
    f = only(analyze(snap(SLOW, deployment=rolling), t), "latency")
    assert f.cause == "2 models slow: it follows a rollout"


def test_latency_without_trends_does_not_guess_load_or_time() -> None:
    f = only(analyze(snap(SLOW[:1] + STEADY_MODELS[1:])), "latency")
    assert f.cause == "a slow at provider holysheep (load or rollout unknown)"
    assert f.evidence == ("a P95 4.50 s",)


def test_ttft_alone_makes_a_model_slow() -> None:
    models = (model("holysheep", "a", ttft=3.0), *STEADY_MODELS[1:])
    assert only(analyze(snap(models)), "latency").evidence[0] == "a TTFT 3.00 s"


# ----------------------------------------------------------------------------- rollout


def crashed(message: Sequence[str] = CRASH_LOG) -> ContainerState:
    return ContainerState("gateway", "img:2", "waiting", "CrashLoopBackOff", False, 6,
                          last_termination_reason="Error", last_exit_code=1,
                          last_termination_message=tuple(message))


STALLED = replace(DEPLOYMENT, updated_replicas=1, conditions=(
    Condition("Progressing", "False", "ProgressDeadlineExceeded", "timed out"),))


def test_bad_rollout_quotes_the_crash_and_suggests_rollback() -> None:
    pods = (*ready_pods(), pod("gw-new-1", False, "gw-new", 6, "CrashLoopBackOff",
                               container=crashed()))
    f = only(analyze(snap(pods=pods, deployment=STALLED)), "bad-rollout")
    assert f.cause == "the new revision gw-new crashes"
    assert f.quote == "panic: config error: HOLYSHEEP_API_KEY is required but not set"
    assert f.evidence == ("rollout stalled (ProgressDeadlineExceeded)",
                          "1 pod CrashLoopBackOff, 6 restarts", "gateway exit code 1 (Error)",
                          "old pods 3/3 ready still serve")
    assert (f.rank, f.key) == (0, "u")


def test_a_crash_without_a_new_revision_is_not_a_rollback() -> None:
    pods = (*ready_pods(2), pod("gw-old-9", False, "gw-old", 6, "CrashLoopBackOff",
                                container=crashed()))
    analysis = analyze(snap(pods=pods, deployment=replace(DEPLOYMENT, ready_replicas=2)))
    f = only(analysis, "pods-crashing")
    assert f.key == "l" and f.quote is not None
    assert "bad-rollout" not in kinds(analysis)


def test_telling_line_prefers_panic_then_errors_then_the_last_line() -> None:
    assert telling_line(CRASH_LOG) == CRASH_LOG[2]
    assert telling_line(CRASH_LOG[:2]) == CRASH_LOG[1]
    assert telling_line(("starting", "listening", "")) == "listening"
    assert telling_line(()) is None
    assert telling_line(("panic: " + "x" * 1000,), limit=50) == "panic: " + "x" * 42 + "…"


def test_oom_killed_and_unschedulable_pods() -> None:
    oom = ContainerState("gateway", "img", "running", None, False, 2,
                         last_termination_reason="OOMKilled", last_exit_code=137,
                         memory_limit_bytes=512 * 2**20)
    pods = (*ready_pods(2), pod("gw-old-7", True, container=oom),
            pod("gw-old-8", False, phase="Pending", reason="Unschedulable"))
    events = (KubeEvent("Warning", "FailedScheduling", "0/3 nodes are available: "
                        "3 Insufficient cpu.", "Pod", "gw-old-8", 4, None),)
    analysis = analyze(snap(pods=pods, events=events))
    assert only(analysis, "pods-oomkilled").evidence == ("1 pod OOMKilled",
                                                         "memory limit 512Mi")
    assert only(analysis, "pods-unschedulable").evidence == (
        "1 pod Pending", "0/3 nodes are available: 3 Insufficient cpu.")


# --------------------------------------------------------------------------------- HPA


def hpa(current: int, desired: int, cpu: float | None) -> HpaState:
    return HpaState("gw-hpa", 3, 10, current, desired, (HpaMetric("cpu", cpu, 70.0),))


def test_hpa_pinned_at_max_with_cpu_over_target() -> None:
    f = only(analyze(snap(hpa=hpa(10, 10, 92.0))), "hpa-pinned")
    assert f.cause == "HPA gw-hpa pinned at max 10"
    assert f.evidence == ("10/10 replicas, desired 10", "cpu 92 % over target 70 %")
    assert f.key == "H"


def test_hpa_at_max_under_target_or_below_max_is_no_cause() -> None:
    assert analyze(snap(hpa=hpa(10, 10, 50.0))).findings == ()
    assert analyze(snap(hpa=hpa(6, 6, 92.0))).findings == ()
    assert only(analyze(snap(hpa=hpa(10, 10, None))), "hpa-pinned").evidence[-1] == (
        "metrics unknown")


# ----------------------------------------------------------------- targets and unknown


def test_targets_down_beyond_the_pods_not_ready() -> None:
    targets = (ScrapeTarget("10.0.0.1:8080", True), ScrapeTarget("10.0.0.2:8080", False))
    f = only(analyze(snap(targets=targets)), "targets-down")
    assert f.cause == "1/2 gateway scrape targets down"
    pods = (*ready_pods(2), pod("gw-old-9", False))
    assert "targets-down" not in kinds(analyze(snap(targets=targets, pods=pods)))


def test_a_source_down_is_unknown_never_healthy() -> None:
    analysis = analyze(snap(OUTAGE, prometheus=DOWN))
    assert analysis.findings == () and not analysis.healthy
    assert analysis.unknown == ("prometheus failed: errors and latency unknown",)
    analysis = analyze(snap(hpa=hpa(10, 10, 92.0), kubernetes=DOWN))
    assert "hpa-pinned" not in kinds(analysis) and not analysis.healthy


def test_worst_first() -> None:
    pods = (*ready_pods(), pod("gw-new-1", False, "gw-new", 6, "CrashLoopBackOff",
                               container=crashed()))
    analysis = analyze(snap(SLOW, pods, deployment=STALLED, hpa=hpa(10, 10, 92.0)))
    assert kinds(analysis) == ["bad-rollout", "hpa-pinned", "latency"]


def test_many_failing_models_are_named_worst_first_then_counted() -> None:
    models = [model(f"p{i}", f"bad{i}", errors=0.1 + i / 100) for i in range(8)]
    models += [model(f"p{i}", f"ok{i}-{j}") for i in range(8) for j in range(2)]
    found = analyze(snap(models)).findings
    assert [f.cause for f in found] == [
        f"model p{i}/bad{i} is failing" for i in (7, 6, 5, 4, 3)] + ["3 more models failing"]
    assert found[0].evidence == ("17.0 % errors", "2 other p7 models fine")
    assert found[-1].evidence == ("up to 12.0 % errors",)
