"""`doctor` against the real stack: Prometheus and Alertmanager of the session's
`gateway_stack`, the Kubernetes API emulator of kube_fixtures, through `console.cli.main`.

What matters is that each problem is named on its own line with its fix, that the exit
code says whether anything failed, that it stays fast when a server is down, and that no
credential ever reaches the output.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from console.cli import main
from console.doctor.checks import Check
from console.doctor.report import report
from tests.stack.fixtures import GatewayStack
from tests.stack.kube_emulator import KubeEmulator
from tests.stack.kube_fixtures import CONTEXT, FAKE_TOKEN, free_port

PROM_TOKEN = "prom-doctor-token-7c1e9b"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No config file or environment of the machine leaks into the settings."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    for name in ("KUBECONFIG", "PROMETHEUS_URL"):
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith("AI_GATEWAY_CONSOLE_"):
            monkeypatch.delenv(name)


def doctor(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, str], str]:
    """Run `doctor`; (exit code, line per check name, whole output)."""
    code = main(["doctor", *argv])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    lines = captured.out.splitlines()
    by_name: dict[str, str] = {}
    for line in lines[1:-1]:
        name = line[8:].split("  ", 1)[0].strip()
        by_name[name] = line
    return code, by_name, captured.out + captured.err


def stack_args(stack: GatewayStack, kubeconfig: Path, *extra: str) -> list[str]:
    return ["--prometheus-url", stack.prometheus_url, "--alertmanager-url",
            stack.alertmanager_url, "--kubeconfig", str(kubeconfig), "--context", CONTEXT,
            "--timeout", "2s", *extra]


def test_doctor_passes_on_the_test_stack(
        gateway_stack: GatewayStack, kubeconfig: Path, kube_emulator: KubeEmulator,
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    token_file = tmp_path / "prom.token"
    token_file.write_text(PROM_TOKEN)
    code, lines, out = doctor(capsys, *stack_args(
        gateway_stack, kubeconfig, "--prometheus-token-file", str(token_file)))
    assert code == 0, out
    assert not [line for line in lines.values() if "FAIL" in line]
    assert lines["prometheus"].startswith("✓ PASS")
    assert f"reachable at {gateway_stack.prometheus_url} (Prometheus 2." in lines["prometheus"]
    for role, metric in (("requests", "ai_gateway_requests_total"),
                         ("errors", "ai_gateway_errors_total"),
                         ("duration", "ai_gateway_request_duration_seconds_bucket"),
                         ("tokens", "ai_gateway_tokens_total"),
                         ("ttft", "ai_gateway_time_to_first_token_seconds_bucket")):
        line = lines[f"metric {role}"]
        assert line.startswith("✓ PASS") and f"{metric}: " in line and " series" in line
    for role in ("requests", "errors", "duration", "tokens", "ttft"):
        assert lines[f"labels {role}"].startswith("✓ PASS"), lines[f"labels {role}"]
    assert "by (provider, model, direction)" in lines["labels tokens"]
    # The stack's dead target is the gateway's problem, not the console's: a warning.
    assert lines["scrape targets"].startswith("! WARN")
    assert f"1 of 2 up; down: {gateway_stack.dead_target}" in lines["scrape targets"]
    assert lines["recording rules"].startswith("! WARN")
    assert "not found" in lines["recording rules"] and "manifests rules" in lines[
        "recording rules"]
    assert lines["alertmanager"].startswith("✓ PASS") and "(Alertmanager 0." in lines[
        "alertmanager"]
    assert lines["kubeconfig"].startswith("✓ PASS")
    assert lines["kubeconfig"].endswith(f"  context {CONTEXT}")
    assert "ai-services/ai-gateway: 2/3 ready" in lines["deployment"]
    assert "3 found, 2 ready" in lines["pods"]
    assert lines["hpa"].startswith("✓ PASS") and "ai-gateway-hpa" in lines["hpa"]
    assert lines["metrics.k8s.io"].startswith("✓ PASS")
    rbac = [name for name in lines if name.startswith("rbac ")]
    assert rbac == ["rbac access review", "rbac get/list/watch pods",
                    "rbac get/list/watch deployments",
                    "rbac get/list/watch horizontalpodautoscalers", "rbac get/list/watch events",
                    "rbac get pods/log", "rbac patch deployments", "rbac patch deployments/scale",
                    "rbac delete pods", "rbac list replicasets",
                    "rbac patch horizontalpodautoscalers", "rbac update configmaps"]
    assert all(lines[name].startswith("✓ PASS") for name in rbac)
    reviews = kube_emulator.requests_where("POST", "selfsubjectaccessreviews")
    assert len(reviews) == 19
    asked = {(a["verb"], a["resource"], a.get("name")) for a in
             (r.body["spec"]["resourceAttributes"] for r in reviews)}
    # By name where `manifests rbac` grants by name: a review without it would be refused.
    assert {("update", "configmaps", "ai-gateway-config"),
            ("patch", "horizontalpodautoscalers", "ai-gateway-hpa"),
            ("patch", "deployments", "ai-gateway"), ("list", "replicasets", None)} <= asked
    assert out.splitlines()[-1].endswith("0 fail, 0 skip")
    assert FAKE_TOKEN not in out and PROM_TOKEN not in out


def test_doctor_names_prometheus_when_it_is_down(
        kubeconfig: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    code, lines, _ = doctor(capsys, "--prometheus-url", url, "--kubeconfig", str(kubeconfig),
                            "--context", CONTEXT, "--timeout", "2s")
    assert time.monotonic() - started < 8  # refused at once; the rest is the kube client
    assert code == 1
    failed = [line for line in lines.values() if "FAIL" in line]
    assert failed == [lines["prometheus"]]
    assert lines["prometheus"].startswith("✗ FAIL")
    assert f"connection refused at {url}" in lines["prometheus"]
    assert "fix: check --prometheus-url" in lines["prometheus"]
    assert lines["metric requests"].startswith("- SKIP")
    assert lines["alertmanager"].startswith("- SKIP") and "not configured" in lines[
        "alertmanager"]
    assert lines["deployment"].startswith("✓ PASS")  # the other groups still report


def test_doctor_names_the_denied_verb(
        gateway_stack: GatewayStack, kubeconfig: Path, kube_emulator: KubeEmulator,
        capsys: pytest.CaptureFixture[str]) -> None:
    kube_emulator.deny("delete", "pods", reason="no RBAC policy matched")
    code, lines, _ = doctor(capsys, *stack_args(gateway_stack, kubeconfig))
    assert code == 1
    failed = [line for line in lines.values() if "FAIL" in line]
    assert failed == [lines["rbac delete pods"]]
    line = lines["rbac delete pods"]
    assert line.startswith("✗ FAIL") and "delete denied (no RBAC policy matched)" in line
    assert "operator Role of `ai-gateway-console manifests rbac`" in line
    assert "or run with --read-only" in line

    # With --read-only the console never deletes: the same answer is no failure.
    code, lines, _ = doctor(capsys, *stack_args(gateway_stack, kubeconfig, "--read-only"))
    assert code == 0
    assert lines["rbac delete pods"].startswith("- SKIP")
    assert "not needed with --read-only" in lines["rbac delete pods"]


def test_doctor_names_a_denied_watch_with_the_read_only_role(
        gateway_stack: GatewayStack, kubeconfig: Path, kube_emulator: KubeEmulator,
        capsys: pytest.CaptureFixture[str]) -> None:
    kube_emulator.deny("watch", "events")
    code, lines, _ = doctor(capsys, *stack_args(gateway_stack, kubeconfig, "--read-only"))
    assert code == 1
    line = lines["rbac get/list/watch events"]
    assert line.startswith("✗ FAIL") and "watch denied" in line
    assert "get denied" not in line and "list denied" not in line
    assert "read-only Role" in line


def test_doctor_fails_when_the_access_review_is_forbidden(
        gateway_stack: GatewayStack, kubeconfig: Path, kube_emulator: KubeEmulator,
        capsys: pytest.CaptureFixture[str]) -> None:
    kube_emulator.fail(method="POST", path="selfsubjectaccessreviews", status=403)
    code, lines, _ = doctor(capsys, *stack_args(gateway_stack, kubeconfig))
    assert code == 1
    line = lines["rbac access review"]
    assert line.startswith("✗ FAIL") and "cannot ask the API: forbidden" in line
    assert "system:basic-user" in line
    assert not [name for name in lines if name.startswith("rbac get")]


def test_doctor_names_a_missing_deployment_and_kubeconfig(
        gateway_stack: GatewayStack, kubeconfig: Path, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    code, lines, _ = doctor(capsys, *stack_args(gateway_stack, kubeconfig,
                                                "--deployment", "no-such-gateway"))
    assert code == 1
    assert lines["deployment"].startswith("✗ FAIL")
    assert "Deployment no-such-gateway not found in namespace ai-services" in lines["deployment"]
    assert "check --namespace and --deployment" in lines["deployment"]
    assert lines["pods"].startswith("- SKIP")

    code, lines, _ = doctor(capsys, "--prometheus-url", gateway_stack.prometheus_url,
                            "--kubeconfig", str(tmp_path / "missing"))
    assert code == 1
    assert lines["kubeconfig"].startswith("✗ FAIL") and "not found" in lines["kubeconfig"]
    assert "fix: give --kubeconfig FILE" in lines["kubeconfig"]


def test_doctor_fails_a_profile_whose_core_metrics_are_absent(
        gateway_stack: GatewayStack, kubeconfig: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = doctor(capsys, *stack_args(gateway_stack, kubeconfig,
                                                "--profile", "litellm"))
    assert code == 1
    assert lines["metric requests"].startswith("✗ FAIL")
    assert ('litellm_proxy_total_requests_metric_total{requested_model!="",api_provider!="None"}'
            ": no series") in lines["metric requests"]
    assert "labels requests" not in lines  # no series, no labels to check
    assert "check --profile" in lines["metric requests"]
    assert lines["metric tokens"].startswith("! WARN")  # optional: a warning only


def test_doctor_demo_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, out = doctor(capsys, "--demo")
    assert code == 0, out
    assert not [line for line in lines.values() if "FAIL" in line or "WARN" in line]
    assert lines["kubeconfig"].startswith("✓ PASS")
    assert lines["rbac delete pods"].startswith("✓ PASS")


def test_doctor_bad_usage_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor"]) == 2  # no Prometheus and no --demo
    assert main(["doctor", "--demo", "--frobnicate"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("ai-gateway-console: error: ") for line in err)


def test_report_reads_without_colour() -> None:
    text = report([Check("prometheus", "fail", "connection refused", "check --prometheus-url"),
                   Check("metric tokens", "warn", "no series", "name it"),
                   Check("pods", "pass", "3 found", "never shown"),
                   Check("alertmanager", "skip", "not configured")])
    assert text.splitlines() == [
        "✗ FAIL  prometheus     connection refused — fix: check --prometheus-url",
        "! WARN  metric tokens  no series — fix: name it",
        "✓ PASS  pods           3 found",
        "- SKIP  alertmanager   not configured",
        "1 pass, 1 warn, 1 fail, 1 skip",
    ]
    assert "\x1b" not in text


def test_doctor_warns_without_metrics_server(
        gateway_stack: GatewayStack, kubeconfig: Path, kube_emulator: KubeEmulator,
        capsys: pytest.CaptureFixture[str]) -> None:
    kube_emulator.metrics_enabled = False  # no metrics-server: usage unknown, still usable
    code, lines, _ = doctor(capsys, *stack_args(gateway_stack, kubeconfig))
    assert code == 0
    line = lines["metrics.k8s.io"]
    assert line.startswith("! WARN") and "not served" in line and "install metrics-server" in line
