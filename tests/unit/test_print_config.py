"""--print-config: a config file that --config reads back into the same settings, secrets left out.

Round trip: settings -> describe -> file -> build_settings -> equal settings (up to the
path of the config file itself), for the demo, a single target with every kind of
setting, fleets from [[targets]], from repeated --context and the demo fleet. Secrets
given as files come back as the same files; secrets given as values are not printed.
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

import certifi
import pytest

from console.cli import main
from console.config.settings import Settings, build_settings, describe


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def round_trip(settings: Settings, env: dict[str, str], tmp_path: Path) -> Settings:
    """Print the settings, load the printout as the config file, and return what it gives."""
    text = describe(settings)
    tomllib.loads(text)  # valid TOML, or this raises
    printed = write(tmp_path / "printed.toml", text)
    loaded = build_settings({"config": str(printed)}, env)
    assert loaded.config_path == str(printed)
    return replace(loaded, config_path=settings.config_path)


def test_demo_round_trip(env: dict[str, str], tmp_path: Path) -> None:
    s = build_settings({"demo": "crashloop", "window": "15m", "refresh": "500ms",
                        "read_only": True, "low_bandwidth": True, "namespace": "gw",
                        "deployment": "edge", "hpa": "edge-hpa", "profile": "kong"}, env)
    assert round_trip(s, env, tmp_path) == s


def test_single_target_round_trip_with_every_kind_of_setting(
        env: dict[str, str], tmp_path: Path) -> None:
    token = write(tmp_path / "secrets" / "prom.token", "prom-token-value\n")
    password = write(tmp_path / "secrets" / "prom.password", "prom-password-value\n")
    am_token = write(tmp_path / "secrets" / "am.token", "am-token-value\n")
    cfg = write(tmp_path / "c.toml", f"""
timeout = "7s"
cluster_label = "k8s_cluster"
[prometheus]
url = "https://mimir.example/prometheus/"
username = "ops"
password_file = "{password}"
ca_file = "{certifi.where()}"
headers = {{ "X-Scope-OrgID" = "tenant-1" }}
[alertmanager]
url = "http://am.example:9093"
bearer_token_file = "{am_token}"
timeout = 1.5
[metrics]
requests = "my_requests_total"
duration_unit_s = 0.001
tokens_is_histogram = true
[prices]
"my-model" = 1.25
"gpt-4.1" = 9
""")
    s = build_settings({"config": str(cfg), "prometheus_token_file": str(token),
                        "context": ["prod"], "kubeconfig": "/etc/kube/config",
                        "record": str(tmp_path / "rec.jsonl.gz"), "record_max_size": "512KB",
                        "window": "1h30m", "refresh": "1.5s",
                        "prometheus_header": ["X-Team: sre"]}, env)
    back = round_trip(s, env, tmp_path)
    assert back == s
    prom = back.target.prometheus
    assert prom is not None and prom.bearer_token is not None and prom.password is not None
    # The secrets came back because the files were named, never their values.
    assert (prom.bearer_token.reveal(), prom.password.reveal()) == (
        "prom-token-value", "prom-password-value")
    text = describe(s)
    for secret in ("prom-token-value", "prom-password-value", "am-token-value"):
        assert secret not in text
    assert f'bearer_token_file = "{token}"' in text


FLEET = """
[prometheus]
url = "http://thanos:9090"
timeout = "3s"
[[targets]]
name = "eu"
context = "eu-ctx"
[[targets]]
name = "us"
cluster = "us-east"
read_only = true
namespace = "gw"
[[targets]]
name = "lab"
kubeconfig = "/lab/kubeconfig"
[targets.prometheus]
url = "http://lab-prom:9090"
headers = ["X-Lab: 1"]
[targets.alertmanager]
url = "http://lab-am:9093"
"""


@pytest.mark.parametrize("given", [
    {"config": "FLEET"},
    {"context": ["a,b", "c"], "prometheus_url": "http://store:9090"},
    {"demo": "latency-spike", "demo_clusters": 5},
    {"config": "FLEET", "context": ["us", "lab", "adhoc"]},
])
def test_fleet_round_trip(given: dict[str, Any], env: dict[str, str], tmp_path: Path) -> None:
    if given.get("config") == "FLEET":
        given = {**given, "config": str(write(tmp_path / "fleet.toml", FLEET))}
    s = build_settings(given, env)
    assert s.fleet
    assert round_trip(s, env, tmp_path) == s


def test_keys_are_the_config_files_own(env: dict[str, str]) -> None:
    text = describe(build_settings({"demo": "steady"}, env))
    data = tomllib.loads(text)
    assert data["window"] == "5m" and data["refresh"] == "2s"
    assert "window_s" not in text and "# not set" not in text and "config_path" not in data


def test_sub_millisecond_durations_are_printed_as_seconds(env: dict[str, str],
                                                          tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", "window = 90.0005\nrefresh = 0.1234567\n")
    s = build_settings({"demo": "steady", "config": str(cfg)}, env)
    assert tomllib.loads(describe(s))["window"] == 90.0005
    assert round_trip(s, env, tmp_path) == s


def test_describe_masks_every_credential(env: dict[str, str], tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "c.toml",
        '[prometheus]\nusername = "ops"\n'
        'headers = { "Authorization" = "Basic c2VjcmV0LWhlYWRlcg==", '
        '"X-Api-Key" = "api-key-value", "X-Scope-OrgID" = "tenant-1" }\n'
        '[alertmanager]\nurl = "https://admin:url-password@am.example:9093"\n'
        '[metrics]\ntokens = "my_tokens_total"\n',
    )
    e = {**env, "AI_GATEWAY_CONSOLE_PROMETHEUS_TOKEN": "bearer-secret-value",
         "AI_GATEWAY_CONSOLE_PROMETHEUS_PASSWORD": "password-secret-value",
         "AI_GATEWAY_CONSOLE_ALERTMANAGER_TOKEN": "am-bearer-secret"}
    s = build_settings({"config": str(cfg), "prometheus_url": "https://prom.example"}, e)
    text = describe(s)
    for secret in ("bearer-secret-value", "password-secret-value", "am-bearer-secret",
                   "c2VjcmV0LWhlYWRlcg==", "api-key-value", "url-password"):
        assert secret not in text
    # Values held in Secret do not show in a plain repr either (a stray log line).
    for secret in ("bearer-secret-value", "password-secret-value", "am-bearer-secret"):
        assert secret not in repr(s)
    data = tomllib.loads(text)
    prom, am = data["prometheus"], data["alertmanager"]
    # A secret value is left out, with a comment naming what to give again.
    assert "bearer_token" not in prom and "password" not in prom
    assert '# [prometheus] bearer_token = "***"' in text
    assert '# [prometheus] password = "***"' in text
    assert '# [prometheus.headers] "Authorization" = "***"' in text
    assert '# [prometheus.headers] "X-Api-Key" = "***"' in text
    # What is not secret stays readable, or the printout would be useless.
    assert prom["headers"] == {"X-Scope-OrgID": "tenant-1"}
    assert prom["username"] == "ops"
    assert prom["url"] == "https://prom.example"
    assert am["url"] == "https://admin:***@am.example:9093"
    assert data["metrics"] == {"tokens": "my_tokens_total"}
    assert data["window"] == "5m"
    for endpoint in (s.target.prometheus, s.target.alertmanager):
        assert endpoint is not None
        for value in endpoint.secret_values():
            assert value not in text


def test_print_config_needs_no_prometheus(capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("PROMETHEUS_URL", raising=False)
    assert main(["--print-config", "--namespace", "gw"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    data = tomllib.loads(out)
    assert data["namespace"] == "gw" and "prometheus" not in data
    # What it printed is what the user has: without --demo, still no Prometheus.
    config = write(tmp_path / "printed.toml", out)
    assert main(["--config", str(config)]) == 2
    assert "no Prometheus configured" in capsys.readouterr().err


@pytest.mark.parametrize("command", [[], ["snapshot"], ["doctor"], ["manifests", "rbac"]])
def test_print_config_of_every_command_reads_back(
        command: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    demo = [] if command[:1] == ["manifests"] else ["--demo", "hpa-maxed"]
    assert main([*command, *demo, "--namespace", "gw", "--print-config"]) == 0
    config = write(tmp_path / "printed.toml", capsys.readouterr().out)
    s = build_settings({"config": str(config), "allow_no_prometheus": not demo},
                       {"HOME": str(tmp_path)})
    assert s.target.namespace == "gw" and s.demo == ("hpa-maxed" if demo else None)
