"""Every bad value is one line on stderr and exit 2, naming what is wrong — never a traceback.

Each case below raised a traceback (or was silently accepted) before the config loader
checked it: non-UTF-8 files, NaN and infinite durations, sizes past float range,
malformed URLs, headers and tokens that cannot go into an HTTP header, a CA file that is
not PEM, values of the wrong TOML type and unknown keys at every level.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from console.cli import main
from console.config.settings import build_settings

PROM = ["--prometheus-url", "http://127.0.0.1:9"]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in list(os.environ):
        if name.startswith("AI_GATEWAY_CONSOLE_") or name in (
                "PROMETHEUS_URL", "KUBECONFIG", "XDG_CONFIG_HOME"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def one_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run the CLI on argv; assert exit 2, nothing on stdout, one stderr line; return it."""
    code = main(argv)
    out, err = capsys.readouterr()
    assert (code, out) == (2, ""), err
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n"), err
    assert lines[0].startswith("ai-gateway-console: error: ")
    assert "Traceback" not in err and "\x1b" not in err
    return lines[0].removeprefix("ai-gateway-console: error: ")


# Files the cases name: written into the test's own folder (the current directory).
FILES: dict[str, bytes] = {
    "latin1.toml": 'namespace = "caf\xe9"\n'.encode("latin-1"),
    "latin1.token": b"t\xf6ken\n",
    "spaced.token": b"two words\n",
    "empty.token": b"\n",
    "control.token": b"a\x1bb\n",
    "notpem.crt": b"this is not a certificate\n",
    "pw.txt": b"pw\n",
}
CONFIG = {
    "inf.toml": "window = inf\n", "nan.toml": "window = nan\n", "rnan.toml": "refresh = nan\n",
    "ninf.toml": "refresh = -inf\n", "zero.toml": "window = 0\n", "neg.toml": "refresh = -1\n",
    "tzero.toml": "timeout = 0\n", "long.toml": 'window = "400d"\n',
    "slow.toml": 'refresh = "2h"\n', "tiny.toml": 'timeout = "1ms"\n',
    "date.toml": "window = 2026-01-01\n", "ns-table.toml": "namespace = { a = 1 }\n",
    "url-int.toml": "[prometheus]\nurl = 5\n", "ctx-ints.toml": 'context = ["a", 1]\n',
    "ctx-empty.toml": "context = []\n", "ro-str.toml": 'read_only = "yes"\n',
    "targets-str.toml": 'targets = "eu"\n',
    "target-prom.toml": '[[targets]]\nname = "eu"\nprometheus = "http://p"\n',
    "metric-list.toml": '[metrics]\nrequests = ["a"]\n',
    "metric-unit.toml": "[metrics]\nduration_unit_s = nan\n",
    "metric-label.toml": '[metrics]\nmodel_label = "model name"\n',
    "price-nan.toml": '[prices]\n"gpt-4.1" = nan\n',
    "headers-int.toml": "[prometheus]\nheaders = 5\n",
    "header-val.toml": '[prometheus]\nurl = "http://p"\nheaders = { "X-Org" = 1 }\n',
    "header-utf8.toml": '[prometheus]\nurl = "http://p"\nheaders = { "X-Org" = "caf\u00e9" }\n',
    "timeout-bool.toml": "timeout = true\n", "size-float.toml": "record_max_size = 1.5\n",
    "label.toml": 'cluster_label = "k8s-cluster"\n', "esc.toml": 'namespace = "a\\u001b[2J"\n',
    "windw.toml": 'windw = "5m"\n', "tokn.toml": '[prometheus]\nbearer_tokn_file = "x"\n',
    "am-urll.toml": '[alertmanager]\nurll = "http://am"\n',
    "t-ns.toml": '[[targets]]\nname = "eu"\nnamespce = "gw"\n',
    "t-user.toml": '[[targets]]\nname = "eu"\n[targets.prometheus]\nurl = "http://p"\n'
                   'usrname = "ops"\n',
    "m-req.toml": '[metrics]\nrequestz = "x"\n', "junk.toml": 'zzzzzzzz = 1\n',
}

CASES = [
    (["--demo", "--config", "latin1.toml"], "config file latin1.toml is not UTF-8 text (byte 16)"),
    ([*PROM, "--prometheus-token-file", "latin1.token"],
     "prometheus token file latin1.token is not UTF-8 text"),
    ([*PROM, "--prometheus-username", "u", "--prometheus-password-file", "latin1.token"],
     "prometheus password file latin1.token is not UTF-8 text"),
    ([*PROM, "--prometheus-token-file", "spaced.token"],
     "prometheus token file spaced.token has a character a bearer token cannot have"),
    ([*PROM, "--prometheus-token-file", "control.token"], "cannot have"),
    ([*PROM, "--prometheus-token-file", "empty.token"], "token file empty.token is empty"),
    ([*PROM, "--prometheus-token-file", "/dev/zero"], "/dev/zero is larger than 64KB"),
    (["--demo", "--config", "/dev/zero"], "config file /dev/zero is larger than 1024KB"),
    (["--demo", "--config", "inf.toml"], "config file inf.toml: window: inf is not a duration"),
    (["--demo", "--config", "nan.toml"], "window: nan is not a duration"),
    (["--demo", "--config", "rnan.toml"], "refresh: nan is not a duration"),
    (["--demo", "--config", "ninf.toml"], "refresh: -inf is not a duration"),
    (["--demo", "--config", "zero.toml"], "window must be longer than zero"),
    (["--demo", "--config", "neg.toml"], "refresh must be longer than zero"),
    (["--demo", "--config", "tzero.toml"], "timeout must be longer than zero"),
    (["--demo", "--config", "long.toml"], "window must be at most 365d"),
    (["--demo", "--config", "slow.toml"], "refresh must be at most 1h"),
    (["--demo", "--config", "tiny.toml"], "timeout must be at least 100ms"),
    (["--demo", "--window", "1" * 400 + "s"], "--window: '1111"),
    (["--demo", "--refresh", "-1s"], "--refresh: '-1s' is negative"),
    (["--demo", "--timeout", "0"], "--timeout: '0' must be longer than zero"),
    (["--demo", "--timeout", "-5s"], "--timeout: '-5s' is negative"),
    (["--demo", "--record-max-size", "1e400MB"], "--record-max-size: '1e400MB' is not a size"),
    (["--demo", "--record-max-size", "9" * 400 + "MB"], "is too large"),
    (["--demo", "--record-max-size", "0"], "--record-max-size: '0' is too small"),
    (["--prometheus-url", "http://[::1"], "--prometheus-url: 'http://[::1' is not a URL"),
    (["--prometheus-url", "http://"], "--prometheus-url: 'http://' has no host"),
    (["--prometheus-url", "http://a b:9090"], "'http://a b:9090' has a space in it"),
    (["--prometheus-url", "http://p:99999"], "is not a URL (Port out of range 0-65535)"),
    (["--prometheus-url", "http://p:0"], "'http://p:0' has port 0"),
    (["--prometheus-url", "http://p:-1"], "is not a URL"),
    (["--prometheus-url", "http://p:abc"], "is not a URL"),
    (["--prometheus-url", "ftp://p"], "must start with http:// or https://"),
    (["--prometheus-url", "http://p\x1b]0;owned\x07"], "has a control or invisible character"),
    (["--demo", "--alertmanager-url", "am:9093"], "--alertmanager-url 'am:9093' must start"),
    ([*PROM, "--prometheus-header", "X-Tenänt: a"], "'X-Tenänt' is not a header name"),
    ([*PROM, "--prometheus-header", "X-Org: café"], "cannot carry (ASCII only)"),
    ([*PROM, "--prometheus-header", "X Org: a"], "'X Org' is not a header name"),
    (["--demo", "--prometheus-header", "novalue"], "--prometheus-header: 'novalue' is not"),
    (["--demo", "--alertmanager-header", ": v"], "--alertmanager-header: ': v' is not"),
    ([*PROM, "--prometheus-ca-file", "notpem.crt"],
     "prometheus CA file notpem.crt is not a PEM certificate bundle"),
    ([*PROM, "--prometheus-ca-file", "missing.crt"],
     "prometheus CA file missing.crt does not exist"),
    ([*PROM, "--prometheus-ca-file", "/"], "prometheus CA file / is not a file"),
    ([*PROM, "--prometheus-username", "a:b", "--prometheus-password-file", "pw.txt"],
     "cannot contain ':'"),
    (["--demo", "--namespace", "Bad_NS"], "--namespace: 'Bad_NS' is not a Kubernetes name"),
    (["--demo", "--deployment", "a" * 254], "is not a Kubernetes name"),
    (["--demo", "--context", "prod\x1b[2J"], "--context: 'prod\\x1b[2J' has a control"),
    (["--demo", "--namespace", "\udcff"], "has a control or invisible character"),
    (["--demo", "--config", "date.toml"], "window must be a duration such as"),
    (["--demo", "--config", "ns-table.toml"], "namespace must be a string, not a table"),
    (["--demo", "--config", "url-int.toml"], "[prometheus] url must be a string, not an integer"),
    (["--demo", "--config", "ctx-ints.toml"], "context must be a string or an array of strings, "
                                              "not an array holding an integer"),
    (["--demo", "--config", "ctx-empty.toml"], "not an empty array"),
    (["--demo", "--config", "ro-str.toml"], "read_only must be true or false, not a string"),
    (["--demo", "--config", "targets-str.toml"], "[[targets]] must be tables, not a string"),
    (["--demo", "--config", "target-prom.toml"], "[[targets]] 'eu' [prometheus] must be a table"),
    (["--demo", "--config", "metric-list.toml"], "[metrics] requests must be a string, not an"),
    (["--demo", "--config", "metric-unit.toml"], "duration_unit_s: 'nan' must be a number above"),
    (["--demo", "--config", "metric-label.toml"], "'model name' is not a Prometheus label name"),
    (["--demo", "--config", "price-nan.toml"], "[prices] 'gpt-4.1': nan is not a price"),
    (["--demo", "--config", "headers-int.toml"], "[prometheus] headers must be a table of"),
    (["--config", "header-val.toml"], "[prometheus] headers 'X-Org' must be a string"),
    (["--config", "header-utf8.toml"], "X-Org: the value has a character an HTTP header cannot"),
    (["--demo", "--config", "timeout-bool.toml"], "timeout must be a duration such as"),
    (["--demo", "--config", "size-float.toml"], "record_max_size must be a size such as"),
    (["--demo", "--config", "label.toml"], "'k8s-cluster' is not a Prometheus label name"),
    (["--demo", "--config", "esc.toml"], "namespace: 'a\\x1b[2J' has a control"),
    (["--demo", "--config", "windw.toml"], "unknown key 'windw' (did you mean 'window'?)"),
    (["--demo", "--config", "tokn.toml"],
     "unknown key 'bearer_tokn_file' in [prometheus] (did you mean 'bearer_token_file'?)"),
    (["--demo", "--config", "am-urll.toml"], "unknown key 'urll' in [alertmanager] (did you "
                                             "mean 'url'?)"),
    (["--demo", "--config", "t-ns.toml"],
     "unknown key 'namespce' in [[targets]] 'eu' (did you mean 'namespace'?)"),
    (["--demo", "--config", "t-user.toml"],
     "unknown key 'usrname' in [[targets]] 'eu' [prometheus] (did you mean 'username'?)"),
    (["--demo", "--config", "m-req.toml"],
     "unknown metrics key 'requestz' in [metrics] (did you mean 'requests'?)"),
    (["--demo", "--config", "junk.toml"], "unknown key 'zzzzzzzz' (known: alertmanager, "),
]


@pytest.mark.parametrize(("argv", "expected"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_bad_value_is_one_line_and_exit_2(argv: list[str], expected: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    for name, data in FILES.items():
        (tmp_path / name).write_bytes(data)
    for name, text in CONFIG.items():
        (tmp_path / name).write_text(text)
    assert expected in one_error(capsys, argv)


def test_a_secret_in_a_bad_value_is_never_quoted(capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("AI_GATEWAY_CONSOLE_PROMETHEUS_TOKEN", "s3cret tok\u00e9n"),
                        ("AI_GATEWAY_CONSOLE_PROMETHEUS_PASSWORD", "s3cret\x07pass")):
        monkeypatch.setenv(name, value)
        line = one_error(capsys, [*PROM, "--prometheus-username", "ops"])
        assert name in line and "s3cret" not in line
        monkeypatch.delenv(name)


def test_top_level_timeout_is_honoured(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('timeout = "7s"\n[prometheus]\nurl = "http://p"\n'
                      '[alertmanager]\nurl = "http://am"\ntimeout = "3s"\n'
                      '[[targets]]\nname = "eu"\n[[targets]]\nname = "lab"\n'
                      '[targets.prometheus]\nurl = "http://lab"\n')
    env = {"HOME": str(tmp_path)}
    s = build_settings({"config": str(config)}, env)
    eu, lab = s.targets
    assert eu.prometheus is not None and eu.alertmanager is not None
    assert (eu.prometheus.timeout_s, eu.alertmanager.timeout_s) == (7.0, 3.0)
    assert lab.prometheus is not None and lab.prometheus.timeout_s == 7.0
    s = build_settings({"config": str(config), "timeout": "2s"}, env)
    assert s.targets[0].prometheus is not None and s.targets[0].prometheus.timeout_s == 2.0


def test_a_home_that_cannot_be_expanded_is_no_crash(tmp_path: Path) -> None:
    s = build_settings({"demo": "steady"}, {"HOME": "~no-such-user-anywhere"})
    assert s.config_path is None


@pytest.mark.parametrize(("argv", "config", "expected"), [
    (["--config", "c.toml"], "refresh = nan\n", "config file c.toml: refresh: nan is not"),
    (["--config", "c.toml"], b'namespace = "\xff"\n', "is not UTF-8 text"),
    (["snapshot", "--prometheus-url", "http://[::1"], None, "is not a URL"),
    (["doctor", "--prometheus-url", "https://p", "--prometheus-ca-file", "c.toml"],
     "not a certificate\n", "is not a PEM certificate bundle"),
    (["--demo", "--refresh", "-1s"], None, "'-1s' is negative"),
])
def test_the_real_command_prints_no_traceback(argv: list[str], config: str | bytes | None,
                                              expected: str, tmp_path: Path) -> None:
    if config is not None:
        data = config.encode() if isinstance(config, str) else config
        (tmp_path / "c.toml").write_bytes(data)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AI_GATEWAY_CONSOLE_")}
    proc = subprocess.run([sys.executable, "-m", "console", *argv], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False,
                          env={**env, "HOME": str(tmp_path)})
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert expected in proc.stderr
