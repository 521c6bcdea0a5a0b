"""The command line: bad input gives one line and exit 2; snapshot prints the contract."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from console.cli import main

BAD_INPUT = [
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["--demo", "--window", "5x"], "--window"),
    (["--demo", "--refresh", "0s"], "--refresh"),
    (["--demo", "--refresh", "soon"], "--refresh"),
    (["--demo", "nonsense"], "unknown demo scenario 'nonsense'"),
    (["--demo", "--profile", "acme"], "unknown profile 'acme'"),
    (["--demo", "--config", "/nonexistent/agc.toml"], "does not exist"),
    (["frobnicate"], "unknown command 'frobnicate'"),
    (["snapshot", "--demo", "--format", "yaml"], "invalid choice: 'yaml'"),
    ([], "no Prometheus configured"),
    (["--prometheus-url", "localhost:9090"], "must start with http:// or https://"),
]


@pytest.mark.parametrize(("argv", "expected"), BAD_INPUT)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("PROMETHEUS_URL", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ai-gateway-console: error: ")
    assert expected in lines[0]
    assert "Traceback" not in err


def test_unreadable_config_file_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                          ) -> None:
    bad = tmp_path / "config.toml"
    bad.write_text("window = [unclosed\n")
    assert main(["--demo", "--config", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not valid TOML" in err[0]


def test_print_config_masks_secrets(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    token = tmp_path / "token"
    token.write_text("s3cr3t-token-value\n")
    monkeypatch.setenv("AI_GATEWAY_CONSOLE_PROMETHEUS_PASSWORD", "hunter2-password")
    code = main(["--prometheus-url", "http://127.0.0.1:9", "--prometheus-token-file", str(token),
                 "--prometheus-username", "ops", "--print-config",
                 "--prometheus-header", "X-Scope-OrgID: tenant-a"])
    out = capsys.readouterr().out
    assert code == 0
    assert "s3cr3t-token-value" not in out and "hunter2-password" not in out
    prom = tomllib.loads(out)["prometheus"]
    assert prom["url"] == "http://127.0.0.1:9"
    assert prom["headers"] == {"X-Scope-OrgID": "tenant-a"}
    assert prom["bearer_token_file"] == str(token)  # the file, never its content
    assert '# [prometheus] password = "***"' in out


def test_snapshot_demo_json_has_the_design_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["snapshot", "--demo", "--format", "json", "--seed", "7"])
    out = capsys.readouterr().out
    assert code == 0
    data = json.loads(out)
    assert list(data) == ["generated_at", "window", "profile", "sources", "models", "targets",
                          "deployment", "pods", "hpa", "alerts", "likely_cause"]
    assert data["window"] == "5m" and data["profile"] == "seed"
    assert all(s["ok"] for s in data["sources"].values())
    seed = {m["model"]: m for m in data["models"] if m["provider"] == "holysheep"}
    assert set(seed) == {"gpt-4.1", "claude-sonnet-4.5", "gemini-2.5-flash", "deepseek-v3.2"}
    for m in seed.values():
        assert m["request_rate"] > 0
        assert 0 <= m["error_ratio"] < 1
        assert m["p95_latency_s"] > 0
    assert data["deployment"]["name"] == "ai-gateway"
    assert data["deployment"]["namespace"] == "ai-services"
    assert len(data["pods"]) >= 3
    assert data["hpa"]["min_replicas"] == 3 and data["hpa"]["max_replicas"] == 10


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_snapshot_demo_other_formats(fmt: str, capsys: pytest.CaptureFixture[str],
                                     tmp_path: Path) -> None:
    out_file = tmp_path / f"snap.{fmt}"
    assert main(["snapshot", "--demo", "--format", fmt, "--output", str(out_file)]) == 0
    text = out_file.read_text()
    assert "gpt-4.1" in text and "ai-gateway" in text


def test_snapshot_exits_1_when_a_source_is_down(capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    # Nothing listens on port 9 of loopback: Prometheus is down, the rest still prints.
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    code = main(["snapshot", "--prometheus-url", "http://127.0.0.1:9", "--format", "json",
                 "--kubeconfig", str(kubeconfig), "--timeout", "1s"])
    captured = capsys.readouterr()
    assert code == 1
    data = json.loads(captured.out)
    assert data["sources"]["prometheus"]["ok"] is False
    assert data["sources"]["prometheus"]["error"]
    assert data["models"] == []
    assert "Traceback" not in captured.err


def test_entry_point_runs_as_module() -> None:
    proc = subprocess.run([sys.executable, "-m", "console", "--version"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0
    assert proc.stdout.startswith("ai-gateway-console ")


def test_data_layer_never_imports_textual() -> None:
    code = (
        "import sys\n"
        "import console.model, console.state.polling, console.config.settings\n"
        "import console.config.profiles, console.sources, console.sources.base\n"
        "import console.actions.runner, console.actions.audit\n"
        "import console.export.json_export, console.export.text, console.export.markdown\n"
        "import console.demo.sources, console.sources.prometheus\n"
        "import console.sources.alertmanager, console.sources.kubernetes\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert proc.stdout.strip() == ""


def test_demo_does_not_import_kubernetes() -> None:
    code = (
        "import sys\n"
        "from console.cli import main\n"
        "main(['snapshot', '--demo', '--format', 'json'])\n"
        "print('KUBE', any(m == 'kubernetes' or m.startswith('kubernetes.') for m in sys.modules),"
        " file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert "KUBE False" in proc.stderr


# --- help, subcommands and the pipe (issue 17) ---------------------------------------------


def help_text(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 0
    return capsys.readouterr().out


def test_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    text = help_text(["--help"], capsys)
    listed = text.split("subcommands", 1)[1]
    for command in ("snapshot", "doctor", "manifests", "replay"):
        assert f"\n  {command} " in listed


TUI_ONLY = ("--refresh", "--low-bandwidth", "--record", "--record-max-size", "--demo-clusters")


@pytest.mark.parametrize(("command", "shown", "hidden"), [
    (["snapshot"], ("--format", "--output", "--window", "--prometheus-url", "--timeout"),
     (*TUI_ONLY, "--read-only", "--variant")),
    (["doctor"], ("--read-only", "--prometheus-url", "--kubeconfig", "--timeout"),
     (*TUI_ONLY, "--format")),
    (["manifests"], ("rbac|rules", "--namespace", "--profile", "--label", "--config"),
     (*TUI_ONLY, "--prometheus-url", "--demo", "--timeout", "--kubeconfig", "--read-only")),
    (["replay"], ("--speed", "--paused"), (*TUI_ONLY, "--prometheus-url", "--config")),
])
def test_each_subcommand_help_shows_only_its_options(
        command: list[str], shown: tuple[str, ...], hidden: tuple[str, ...],
        capsys: pytest.CaptureFixture[str]) -> None:
    text = help_text([*command, "--help"], capsys)
    for option in shown:
        assert option in text
    for option in hidden:
        assert f"{option} " not in text and f"{option}\n" not in text, option


@pytest.mark.parametrize(("argv", "expected"), [
    (["manifests"], "manifests: say which: rbac (Roles and RoleBindings) or rules"),
    (["--demo", "--refresh", "-1s"], "--refresh: '-1s' is negative: a duration must be longer"),
    (["--demo", "--window", "-5m"], "--window: '-5m' is negative"),
    (["snapshot", "--demo", "--timeout", "-.5s"], "--timeout: '-.5s' is not a duration"),
    (["--demo", "--timeout", "0"], "--timeout: '0' must be longer than zero"),
    (["--demo", "--prometheus-header", "novalue"], "--prometheus-header: 'novalue' is not"),
    (["snapshot", "--demo", "--refresh", "2s"], "unrecognized arguments: --refresh 2s"),
])
def test_cli_values_are_refused_with_what_is_wrong(
        argv: list[str], expected: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert expected in err


def test_manifests_rules_without_a_profile_say_which_they_wrote(
        capsys: pytest.CaptureFixture[str]) -> None:
    """`auto` needs a Prometheus; manifests asks none: the default profile, said on stderr."""
    assert main(["manifests", "rules"]) == 0
    out, err = capsys.readouterr()
    assert "(profile seed)" in out and "ai_gateway_requests_total" in out
    assert err.count("\n") == 1 and "no --profile given: rules for the seed gateway" in err


@pytest.mark.parametrize("argv", [
    ["snapshot", "--demo", "--format", "json"],
    ["snapshot", "--demo", "--format", "markdown"],
    ["--demo", "--print-config"],
    ["manifests", "rules", "--profile", "seed"],
])
def test_a_closed_pipe_is_no_traceback(argv: list[str], tmp_path: Path) -> None:
    """`| head -1` closes the pipe after a line: the command stops quietly, as Unix tools do."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AI_GATEWAY_CONSOLE_")}
    command = " ".join(shlex.quote(a) for a in (sys.executable, "-m", "console", *argv))
    # PIPESTATUS gives the console's own exit code; head reads one line and leaves.
    proc = subprocess.run(["bash", "-c", f"{command} 2>err.txt | head -1; "
                                         "echo \"${PIPESTATUS[0]}\" > code.txt"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          check=False, env={**env, "HOME": str(tmp_path)})
    assert proc.returncode == 0
    assert len(proc.stdout.splitlines()) == 1 and proc.stdout.strip()
    err = (tmp_path / "err.txt").read_text()
    assert err == "", err
    assert (tmp_path / "code.txt").read_text().strip() in ("0", "141")


@pytest.mark.parametrize("argv", [["snapshot", "--demo"], ["--demo", "--print-config"],
                                  ["manifests", "rbac"]])
def test_a_reader_gone_before_the_first_write_is_no_traceback(argv: list[str],
                                                              tmp_path: Path) -> None:
    """The deterministic form of `| head -1`: the read end is closed before the command writes.

    With head -1 the command usually writes everything before head leaves (the output fits
    in the pipe), so the traceback came now and then; here every write meets EPIPE.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("AI_GATEWAY_CONSOLE_")}
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([sys.executable, "-m", "console", *argv], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=120, check=False,
                              cwd=tmp_path, env={**env, "HOME": str(tmp_path)})
    finally:
        os.close(write_end)
    assert proc.stderr == ""
    assert proc.returncode == 141  # 128 + SIGPIPE, what a shell reports for `yes | head -1`
