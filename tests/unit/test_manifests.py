"""`manifests rbac|rules`, and the console reading the recording rules it ships.

How the YAML is validated (no network here but the package registries):
- Role and RoleBinding: deserialised into the official `kubernetes` client's models
  (V1Role, V1RoleBinding; pydantic models that reject missing or mistyped fields) and
  serialised back, which must give the same document: a key the API does not know would be
  dropped on the way and break the equality.
- PrometheusRule: validated by `cloudcoil-models-prometheus-operator`, pydantic models
  generated from the prometheus-operator CRDs' openAPIV3Schema (the test extra installs it with
  `filelock`, which cloudcoil's own pytest plugin needs; pyproject disables that plugin). On
  top, `crd_shape_problems` below checks what the generated models leave open: record xor
  alert, and no keys the CRD does not define.
- The rule groups themselves: `promtool check rules` (Debian's prometheus package), a hard
  requirement under CI=true, a skip elsewhere.
- The recording rules: loaded into a Prometheus of this module's own (the session stack is
  shared and must keep its figures), where the console's 5m figures read from them must
  equal the raw queries' figures at the same instant.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from console.cli import main
from console.clock import FixedClock
from console.config.profiles import PROFILES
from console.config.settings import HttpEndpoint, Settings, TargetSettings, build_settings
from console.manifests import prometheus_rule, rbac_documents, render, rule_groups
from console.model import MetricsReading
from console.sources.prometheus import PrometheusSource
from console.sources.promql import build_queries
from console.sources.recording_rules import build_recorded_queries, recording_rules
from tests.stack.fixtures import SEED_JOB, require_binaries
from tests.stack.gateway_exporter import GatewayExporter, seed_models
from tests.stack.prometheus_stack import PrometheusStack, ScrapeJob, running_under_ci

RULES_WINDOW_S = 300.0


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No config file or environment of the machine leaks into the settings."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    for name in ("KUBECONFIG", "PROMETHEUS_URL"):
        monkeypatch.delenv(name, raising=False)
    import os

    for name in list(os.environ):
        if name.startswith("AI_GATEWAY_CONSOLE_"):
            monkeypatch.delenv(name)


def settings_for(*argv: str) -> Settings:
    flags: dict[str, Any] = {"allow_no_prometheus": True}
    for flag, value in zip(argv[::2], argv[1::2], strict=True):
        flags[flag.lstrip("-").replace("-", "_")] = value
    return build_settings(flags)


def documents(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


# -- the command ----------------------------------------------------------------------------


def test_manifests_rbac_prints_both_roles_for_the_namespace(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMETHEUS_URL", "http://prometheus:9090")  # not through the proxy
    code = main(["manifests", "rbac", "--namespace", "gw-prod", "--deployment", "gw"])
    out = capsys.readouterr().out
    assert code == 0
    docs = documents(out)
    assert [(d["kind"], d["metadata"]["name"]) for d in docs] == [
        ("Role", "ai-gateway-console-read-only"),
        ("RoleBinding", "ai-gateway-console-read-only"),
        ("Role", "ai-gateway-console-operator"),
        ("RoleBinding", "ai-gateway-console-operator"),
    ]
    assert {d["metadata"]["namespace"] for d in docs} == {"gw-prod"}
    assert "system:basic-user" in out  # why no rule for SelfSubjectAccessReview is needed

    def grants(role: dict[str, Any]) -> set[tuple[str, str, str, tuple[str, ...]]]:
        return {(g, r, v, tuple(rule.get("resourceNames", ())))
                for rule in role["rules"] for g in rule["apiGroups"]
                for r in rule["resources"] for v in rule["verbs"]}

    read, operator = grants(docs[0]), grants(docs[2])
    watch = {(g, r, v, ()) for g, r in (("", "pods"), ("", "events"), ("apps", "deployments"),
                                        ("autoscaling", "horizontalpodautoscalers"))
             for v in ("get", "list", "watch")}
    logs_and_usage = {("", "pods/log", "get", ()), ("metrics.k8s.io", "pods", "get", ()),
                      ("metrics.k8s.io", "pods", "list", ()),
                      ("", "configmaps", "get", ("ai-gateway-config",))}
    assert read == watch | logs_and_usage
    assert operator - read == {("apps", "deployments", "patch", ("gw",)),
                               ("apps", "deployments/scale", "patch", ("gw",)),
                               ("apps", "replicasets", "list", ()),
                               ("autoscaling", "horizontalpodautoscalers", "patch",
                                ("ai-gateway-hpa",)),
                               ("", "configmaps", "update", ("ai-gateway-config",)),
                               ("", "pods", "delete", ())}
    # Least privilege: each write names its object but the pod's, nothing reads Secrets.
    assert not any(r == "secrets" for _, r, _, _ in operator)


def test_manifests_rbac_one_variant_and_own_groups(capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMETHEUS_URL", "http://prometheus:9090")
    assert main(["manifests", "rbac", "--variant", "read-only", "--readers", "sre"]) == 0
    docs = documents(capsys.readouterr().out)
    assert [d["kind"] for d in docs] == ["Role", "RoleBinding"]
    assert docs[1]["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                                    "name": "sre"}]


def rules_of(doc: dict[str, Any]) -> set[tuple[str, str, tuple[str, ...]]]:
    return {(r, v, tuple(rule.get("resourceNames", ()))) for rule in doc["rules"]
            for r in rule["resources"] for v in rule["verbs"]}


def test_manifests_rbac_for_services_found_through_the_api_server(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manifests", "rbac"]) == 0
    out = capsys.readouterr().out
    docs = {(d["kind"], d["metadata"]["name"]): d for d in documents(out)}
    read = docs[("ClusterRole", "ai-gateway-console-read-only-services")]
    operator = docs[("ClusterRole", "ai-gateway-console-operator-services")]
    assert rules_of(read) == {("services", "list", ()), ("services/proxy", "get", ())}
    # Silences go through the proxy too: POST is create, expiring one is DELETE.
    assert rules_of(operator) == rules_of(read) | {("services/proxy", "create", ()),
                                                   ("services/proxy", "delete", ())}
    binding = docs[("ClusterRoleBinding", "ai-gateway-console-read-only-services")]
    assert binding["roleRef"]["kind"] == "ClusterRole"
    assert "silences are written" in out


def test_manifests_rbac_for_pinned_services_names_them(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AI_GATEWAY_CONSOLE_ALERTMANAGER_URL", "http://am:9093")
    assert main(["manifests", "rbac", "--variant", "read-only", "--prometheus-service",
                 "monitoring/prometheus-operated:web"]) == 0
    docs = documents(capsys.readouterr().out)
    assert [(d["kind"], d["metadata"].get("namespace")) for d in docs] == [
        ("Role", "ai-services"), ("RoleBinding", "ai-services"),
        ("Role", "monitoring"), ("RoleBinding", "monitoring")]
    assert rules_of(docs[2]) == {("services", "get", ("prometheus-operated",)),
                                 ("services/proxy", "get", ("prometheus-operated:web",))}


@pytest.mark.parametrize("argv", [["manifests"], ["manifests", "secrets"],
                                  ["manifests", "rules", "--label", "novalue"],
                                  ["manifests", "rbac", "--variant", "admin"]])
def test_manifests_bad_usage_is_one_line_and_exit_2(
        argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert "Traceback" not in captured.err


def test_manifests_rules_has_the_guides_alerts_verbatim(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manifests", "rules", "--label", "release=kube-prometheus-stack"]) == 0
    (doc,) = documents(capsys.readouterr().out)
    assert doc["apiVersion"] == "monitoring.coreos.com/v1" and doc["kind"] == "PrometheusRule"
    assert doc["metadata"]["namespace"] == "ai-services"
    assert doc["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    alerts = {r["alert"]: r for g in doc["spec"]["groups"] for r in g["rules"] if "alert" in r}
    # The deployment guide's expressions, thresholds and `for`.
    guide = {
        "HighErrorRate": ("sum(rate(ai_gateway_errors_total[5m])) / "
                          "sum(rate(ai_gateway_requests_total[5m])) > 0.05", "2m", "warning"),
        # Per model, the buckets summed over pods and codes (issue 17), not per series.
        "HighLatency": ("histogram_quantile(0.95, sum by (le, model) "
                        "(rate(ai_gateway_request_duration_seconds_bucket[5m]))) > 2",
                        "5m", "warning"),
        "UpstreamDown": ('up{job="ai-gateway"} == 0', "1m", "critical"),
    }
    for name, (expr, for_, severity) in guide.items():
        rule = alerts[name]
        assert (rule["expr"], rule["for"], rule["labels"]["severity"]) == (expr, for_, severity)
        assert rule["annotations"]["summary"].isascii()
    per_model = alerts["HighErrorRatePerModel"]["expr"]
    assert "sum by (provider, model)" in per_model and per_model.endswith("> 0.05")
    assert "sum by (provider, model, le)" in alerts["HighLatencyPerModel"]["expr"]
    # Every rule links the README section that explains it, and that section exists.
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for name, rule in alerts.items():
        assert rule["annotations"]["runbook_url"] == f"README.md#{name.lower()}"
        assert f"\n#### {name}\n" in readme
    assert main(["manifests", "rules", "--runbook-base", "https://git.example/README.md"]) == 0
    (doc,) = documents(capsys.readouterr().out)
    urls = {r["annotations"]["runbook_url"] for g in doc["spec"]["groups"] for r in g["rules"]
            if "alert" in r}
    assert "https://git.example/README.md#upstreamdown" in urls and len(urls) == len(alerts)
    records = [r["record"] for g in doc["spec"]["groups"] for r in g["rules"] if "record" in r]
    assert records == [r.record for r in recording_rules(PROFILES["seed"])]
    assert "provider_model:ai_gateway_requests:rate5m" in records
    assert "provider_model_le:ai_gateway_request_duration_seconds_bucket:rate5m" in records


def test_rules_follow_the_profile() -> None:
    kong = prometheus_rule(settings_for("--profile", "kong"))
    alerts = {r["alert"]: r["expr"] for g in kong["spec"]["groups"] for r in g["rules"]
              if "alert" in r}
    # Kong 3.9's AI metrics have no status (kong/plugins/prometheus/exporter.lua): no error
    # alert rather than one that fires forever on `status!~"2.."`.
    assert "HighErrorRate" not in alerts and "HighErrorRatePerModel" not in alerts
    assert "kong_ai_llm_provider_latency_ms_bucket" in alerts["HighLatency"]
    assert alerts["HighLatency"].endswith("> 2000")  # Kong reports milliseconds
    assert alerts["UpstreamDown"] == 'up{job="kong"} == 0'
    records = [r.record for r in recording_rules(PROFILES["kong"])]
    assert len(records) == len(set(records))
    assert all(re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_]+:rate5m", r) for r in records)


# -- schemas --------------------------------------------------------------------------------


def test_rbac_validates_against_the_kubernetes_models() -> None:
    from kubernetes.client import ApiClient

    api: Any = ApiClient()  # its private deserializer and sanitizer are untyped
    deserialize = api._ApiClient__deserialize  # the client's own JSON-to-model path
    for doc in rbac_documents(settings_for()):
        model = deserialize(doc, f"V1{doc['kind']}")
        assert api.sanitize_for_serialization(model) == doc  # no key the API would drop
    broken = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
              "metadata": {"name": "x"}, "rules": [{"apiGroups": [""], "resources": ["pods"]}]}
    with pytest.raises(ValueError, match="verbs"):
        deserialize(broken, "V1Role")  # the check can fail


RULE_KEYS = {"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"}
DURATION = re.compile(r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?"
                      r"(([0-9]+)s)?(([0-9]+)ms)?)$")  # the CRD's pattern for `for`


def crd_shape_problems(doc: dict[str, Any]) -> list[str]:
    """The minimal PrometheusRule shape, after the CRD's openAPIV3Schema."""
    problems = []
    if doc.get("apiVersion") != "monitoring.coreos.com/v1" or doc.get("kind") != "PrometheusRule":
        problems.append("apiVersion/kind")
    if not isinstance(doc.get("metadata", {}).get("name"), str):
        problems.append("metadata.name")
    if set(doc.get("spec", {})) != {"groups"}:
        problems.append("spec: only groups")
    for group in doc.get("spec", {}).get("groups", []):
        if not (isinstance(group.get("name"), str) and group["name"]):
            problems.append("group name")
        if set(group) - {"name", "interval", "rules", "labels", "limit", "query_offset"}:
            problems.append(f"group keys {sorted(group)}")
        for rule in group.get("rules", []):
            if set(rule) - RULE_KEYS or ("record" in rule) == ("alert" in rule):
                problems.append(f"rule keys {sorted(rule)}")
            if not isinstance(rule.get("expr"), str):
                problems.append("expr")
            if "for" in rule and not DURATION.match(rule["for"]):
                problems.append(f"for {rule['for']!r}")
            for key in ("labels", "annotations"):
                values = rule.get(key, {})
                if not all(isinstance(k, str) and isinstance(v, str) for k, v in values.items()):
                    problems.append(key)
    return problems


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_prometheus_rule_validates_against_the_operator_crd_models(profile: str) -> None:
    from cloudcoil.models.prometheus_operator.v1 import PrometheusRule
    from pydantic import ValidationError

    doc = prometheus_rule(settings_for("--profile", profile))
    parsed = PrometheusRule.model_validate(doc)
    assert parsed.spec is not None and len(parsed.spec.groups or []) == len(doc["spec"]["groups"])
    broken = yaml.safe_load(yaml.safe_dump(doc))
    broken["spec"]["groups"][0]["rules"][0]["for"] = "2 minutes"
    with pytest.raises(ValidationError, match="for"):
        PrometheusRule.model_validate(broken)
    del broken["spec"]["groups"][0]["name"]
    with pytest.raises(ValidationError, match="name"):
        PrometheusRule.model_validate(broken)


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_prometheus_rule_has_the_crd_shape(profile: str) -> None:
    doc = prometheus_rule(settings_for("--profile", profile))
    assert crd_shape_problems(doc) == []
    broken = yaml.safe_load(yaml.safe_dump(doc))
    broken["spec"]["groups"][0]["rules"][0]["for"] = "2 minutes"
    assert crd_shape_problems(broken) == ["for '2 minutes'"]


def require_promtool() -> str:
    promtool = shutil.which("promtool")
    if promtool is None:
        message = "promtool not installed: apt-get install prometheus"
        if running_under_ci():
            pytest.fail(f"CI needs promtool: {message}")
        pytest.skip(message)
    return promtool


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_promtool_accepts_the_rule_groups(profile: str, tmp_path: Path) -> None:
    promtool = require_promtool()
    doc = documents(render("rules", settings_for("--profile", profile)))[0]
    rules_file = tmp_path / "rules.yml"
    rules_file.write_text(yaml.safe_dump({"groups": doc["spec"]["groups"]}, sort_keys=False))
    proc = subprocess.run([promtool, "check", "rules", str(rules_file)], capture_output=True,
                          text=True, timeout=30, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    total = sum(len(g["rules"]) for g in doc["spec"]["groups"])
    assert f"SUCCESS: {total} rules found" in proc.stdout


# -- the console reads the recording rules --------------------------------------------------


@pytest.fixture(scope="module")
def ruled_prometheus() -> Iterator[PrometheusStack]:
    """A small Prometheus of its own, scraping a seed exporter, with the shipped rules
    evaluated every second (the session stack is shared and keeps the raw series only)."""
    require_binaries()
    groups = rule_groups(PROFILES["seed"])
    for group in groups:
        group["interval"] = "1s"
    exporter = GatewayExporter(seed_models()).start()
    stack = PrometheusStack([ScrapeJob(SEED_JOB, [exporter.target])],
                            rules=yaml.safe_dump({"groups": groups}, sort_keys=False),
                            with_alertmanager=False)
    try:
        stack.start()
        stack.wait_for_samples(SEED_JOB, samples=2)  # rate() needs two
        deadline = time.monotonic() + 15
        needed = {r.record for r in recording_rules(PROFILES["seed"])}
        while True:
            found = {r["metric"]["__name__"] for r in stack.query(
                'count by (__name__) ({__name__=~".+:.+:rate5m"})')}
            if needed <= found:
                break
            assert time.monotonic() < deadline, f"recorded series missing: {needed - found}"
            time.sleep(0.3)
        yield stack
    finally:
        stack.stop()
        exporter.stop()


def rule_source(url: str, clock: FixedClock) -> PrometheusSource:
    return PrometheusSource(HttpEndpoint(url, timeout_s=3.0),
                            Settings(targets=(TargetSettings("rules"),)), clock)


async def test_recorded_figures_equal_the_raw_ones(ruled_prometheus: PrometheusStack) -> None:
    """At a rule evaluation's own timestamp, the recorded plan and the raw plan give the same
    numbers; the source switches after its first 5m refresh, with the same query count."""
    deadline = time.monotonic() + 10
    while not (stamps := ruled_prometheus.query(
            "timestamp(provider_model:ai_gateway_requests:rate5m)", at=time.time() - 1.5)):
        assert time.monotonic() < deadline, "no rule evaluation 1.5 s ago"
        time.sleep(0.3)
    latest = max(float(s["value"][1]) for s in stamps)
    mismatches: list[tuple[MetricsReading, MetricsReading]] = []
    # A scrape appended while a rule evaluates can land on one side only: try a few
    # evaluations (one per second); a real difference would show at every one of them.
    for back in range(4):
        clock = FixedClock(latest - back)
        source = rule_source(ruled_prometheus.prometheus_url, clock)
        try:
            assert not source.uses_recording_rules
            raw = await source.fetch(RULES_WINDOW_S)  # raw plan; probes for the rules beside
            assert source.uses_recording_rules
            plan = source.queries(RULES_WINDOW_S).queries
            assert plan.keys() == build_queries(PROFILES["seed"], "5m").queries.keys()
            assert "provider_model:ai_gateway_requests:rate5m" in plan["request_rate"]
            assert "rate(" not in "".join(v for k, v in plan.items() if k != "error_ratio")
            sent = source.requests_sent
            recorded = await source.fetch(RULES_WINDOW_S)
            assert source.requests_sent - sent == source.queries_per_refresh == len(plan)
        finally:
            await source.aclose()
        assert len(raw.models) == 4 and all(m.p95_latency_s for m in raw.models)
        if recorded == raw:
            break
        mismatches.append((raw, recorded))
    else:
        pytest.fail(f"recorded figures differ from the raw ones: {mismatches[0]}")


async def test_other_windows_and_missing_rules_keep_the_raw_queries(
        ruled_prometheus: PrometheusStack) -> None:
    source = rule_source(ruled_prometheus.prometheus_url, FixedClock(time.time()))
    try:
        assert await source.detect_recording_rules()
        assert source.queries(60.0) == build_queries(PROFILES["seed"], "1m")
    finally:
        await source.aclose()
    seed = PROFILES["seed"]
    assert build_recorded_queries(seed, frozenset()) == build_queries(seed, "5m")
    only_requests = build_recorded_queries(
        seed, frozenset({"provider_model:ai_gateway_requests:rate5m"})).queries
    assert "provider_model:" in only_requests["request_rate"]
    assert only_requests["latency"] == build_queries(seed, "5m").queries["latency"]


async def test_no_probe_outside_the_rules_window(ruled_prometheus: PrometheusStack) -> None:
    source = rule_source(ruled_prometheus.prometheus_url, FixedClock(time.time()))
    try:
        await source.fetch(60.0)
        assert source.requests_sent == source.queries_per_refresh
        assert not source.uses_recording_rules
    finally:
        await source.aclose()


def test_doctor_reports_the_recording_rules_in_use(
        ruled_prometheus: PrometheusStack, capsys: pytest.CaptureFixture[str]) -> None:
    main(["doctor", "--prometheus-url", ruled_prometheus.prometheus_url,
          "--kubeconfig", "/nonexistent/kubeconfig", "--timeout", "2s"])
    lines = capsys.readouterr().out.splitlines()
    (line,) = [x for x in lines if "recording rules" in x]
    total = len(recording_rules(PROFILES["seed"]))
    assert line.startswith("✓ PASS") and f"used for the 5m window ({total} of {total}" in line


def test_probe_answers_within_one_query() -> None:
    # Sanity of the probe's regex: every recorded name, nothing else, for every profile.
    from console.sources.recording_rules import recording_rules_probe

    for profile in PROFILES.values():
        probe = recording_rules_probe(profile)
        names = re.search(r'=~"(.*)"', probe)
        assert names is not None
        assert names.group(1).split("|") == [r.record for r in recording_rules(profile)]
    assert asyncio.iscoroutinefunction(PrometheusSource.detect_recording_rules)


async def test_removed_rules_fall_back_to_raw_at_once() -> None:
    """Rules deleted: their series go stale and the recorded plan answers nothing; the next
    refresh must be raw again instead of an empty table until the next probe."""
    import httpx

    records = [r.record for r in recording_rules(PROFILES["seed"])]
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        query = request.url.params["query"]
        sent.append(query)
        result: list[dict[str, Any]] = []
        if query.startswith("count by (__name__)"):
            result = [{"metric": {"__name__": r}, "value": [0, "4"]} for r in records]
        elif "rate(" in query and query.startswith("sum by (provider, model) (rate("):
            result = [{"metric": {"provider": "p", "model": "m"}, "value": [0, "1.5"]}]
        return httpx.Response(200, json={"status": "success",
                                         "data": {"resultType": "vector", "result": result}})

    source = PrometheusSource(HttpEndpoint("http://prometheus.test:9090"),
                              Settings(targets=(TargetSettings("unit"),)), FixedClock(),
                              transport=httpx.MockTransport(handler))
    try:
        first = await source.fetch(RULES_WINDOW_S)  # raw, probe finds the rules
        assert [m.request_rate for m in first.models] == [1.5]
        assert source.uses_recording_rules
        await source.fetch(RULES_WINDOW_S)  # recorded: stale, nothing
        assert not source.uses_recording_rules
        sent.clear()
        third = await source.fetch(RULES_WINDOW_S)  # raw again, and probing again
        assert [m.request_rate for m in third.models] == [1.5]
        assert sum(q.startswith("count by (__name__)") for q in sent) == 1
    finally:
        await source.aclose()
