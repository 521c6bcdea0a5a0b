"""The read limits as settings: flag > environment > config file > default, one set shared by
every endpoint and target, and a bad value is one line and exit 2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from console.cli import main
from console.config.limits import MB, ReadLimits, format_size
from console.config.settings import ConfigError, build_settings


def settings_of(tmp_path: Path, config: str = "", env: dict[str, str] | None = None,
                **flags: Any) -> Any:
    path = tmp_path / "config.toml"
    path.write_text(config)
    return build_settings({"config": str(path), "prometheus_url": "http://prom:9090",
                           "alertmanager_url": "http://am:9093", **flags},
                          env={"HOME": str(tmp_path), **(env or {})})


def test_defaults(tmp_path: Path) -> None:
    s = settings_of(tmp_path)
    assert s.limits == ReadLimits(max_body_bytes=8 * MB, deadline_s=None, max_series=2000,
                                  exec_timeout_s=10.0)
    prom, am = s.target.prometheus, s.target.alertmanager
    assert prom is not None and am is not None
    assert prom.limits == am.limits == s.target.limits == s.limits
    assert prom.deadline_s == prom.timeout_s == 4.0  # no deadline given: the timeout


def test_flag_over_environment_over_config(tmp_path: Path) -> None:
    config = ('max_body_size = "2MB"\ndeadline = "3s"\nmax_series = 500\n'
              'exec_timeout = "4s"\n')
    s = settings_of(tmp_path, config)
    assert s.limits == ReadLimits(2 * MB, 3.0, 500, 4.0)
    assert s.target.prometheus is not None and s.target.prometheus.deadline_s == 3.0
    env = {"AI_GATEWAY_CONSOLE_MAX_SERIES": "1,000", "AI_GATEWAY_CONSOLE_EXEC_TIMEOUT": "6s"}
    s = settings_of(tmp_path, config, env)
    assert (s.limits.max_series, s.limits.exec_timeout_s, s.limits.max_body_bytes) == (
        1000, 6.0, 2 * MB)
    s = settings_of(tmp_path, config, env, max_series="50", max_body_size="512KB",
                    deadline="9s")
    assert s.limits == ReadLimits(512 * 1024, 9.0, 50, 6.0)


def test_a_target_of_its_own_gets_the_same_limits(tmp_path: Path) -> None:
    s = settings_of(tmp_path, 'max_series = 7\n'
                    '[[targets]]\nname = "lab"\n[targets.prometheus]\nurl = "http://lab:9090"\n'
                    'secret_headers = ["X-Lab-Key"]\n')
    lab = s.targets[0]
    assert lab.prometheus is not None and lab.prometheus.url == "http://lab:9090"
    assert lab.prometheus.limits.max_series == 7
    assert lab.prometheus.secret_headers == frozenset({"x-lab-key"})


@pytest.mark.parametrize(("config", "message"), [
    ("max_series = 0", "max_series: '0' must be from 1 to 10,000,000"),
    ('max_series = "lots"', "max_series: 'lots' is not a whole number"),
    ('max_body_size = "huge"', "max_body_size: 'huge' is not a size"),
    ('exec_timeout = "soon"', "exec_timeout: 'soon' is not a duration"),
    ('deadline = "later"', "deadline: 'later' is not a duration"),
    ('[prometheus]\nsecret_headers = [1, 2]',
     r"\[prometheus\] secret_headers must be a string or an array of strings"),
])
def test_bad_values_are_a_config_error(tmp_path: Path, config: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        settings_of(tmp_path, config)


def test_a_bad_flag_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    assert main(["snapshot", "--demo", "--max-series", "0"]) == 2
    err = capsys.readouterr().err
    assert err == "ai-gateway-console: error: --max-series: '0' must be from 1 to 10,000,000\n"


def test_sizes_read_as_they_are_written() -> None:
    assert [format_size(n) for n in (8 * MB, 1536 * 1024, 65536, 100)] == [
        "8 MB", "1.5 MB", "64 KB", "100 bytes"]
