"""The settings merge (flag > environment > config file > default) and its errors.

`build_settings` always gets an explicit `env` whose HOME and XDG_CONFIG_HOME
point into tmp_path, so neither the real environment nor a real user config
file can change an outcome.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import certifi
import pytest

from console.config.profiles import DEFAULT_PRICES_PER_MTOK, PROFILES
from console.config.settings import (
    ConfigError,
    HttpEndpoint,
    Secret,
    Settings,
    build_settings,
    default_config_path,
)

FLAG_NAMES = (
    "demo", "prometheus_url", "alertmanager_url", "kubeconfig", "context", "namespace",
    "deployment", "hpa", "profile", "window", "refresh", "read_only", "config",
    "prometheus_token_file", "prometheus_username", "prometheus_password_file",
    "prometheus_ca_file", "prometheus_header", "alertmanager_token_file",
    "alertmanager_header", "insecure_skip_tls_verify", "timeout", "seed",
    "allow_no_prometheus",
)


def flags(**given: Any) -> dict[str, Any]:
    """argparse-style values: every flag present, None where the user did not give it."""
    unknown = set(given) - set(FLAG_NAMES)
    assert not unknown, unknown
    return {name: given.get(name) for name in FLAG_NAMES}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def build(env: dict[str, str], **given: Any) -> Settings:
    return build_settings(flags(**given), env)


def config_error(env: dict[str, str], **given: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        build(env, **given)
    return str(caught.value)


# --- defaults -----------------------------------------------------------------------------


def test_defaults(env: dict[str, str]) -> None:
    s = build(env, demo="steady")
    assert s.demo == "steady"
    assert s.profile == "seed"
    assert (s.window_s, s.window, s.refresh_s) == (300.0, "5m", 2.0)
    assert s.read_only is False
    assert s.config_path is None
    assert s.metrics_overrides == {}
    assert s.prices == dict(DEFAULT_PRICES_PER_MTOK)
    assert s.seed is None
    t = s.target
    assert (t.name, t.context, t.kubeconfig) == ("demo", None, None)
    assert (t.namespace, t.deployment, t.hpa) == ("ai-services", "ai-gateway", "ai-gateway-hpa")
    assert t.prometheus is None and t.alertmanager is None


def test_prometheus_endpoint_defaults(env: dict[str, str]) -> None:
    s = build(env, prometheus_url="http://prom:9090/", refresh="3s", seed="7")
    prom = s.target.prometheus
    assert prom is not None
    assert prom.url == "http://prom:9090"  # trailing slash removed
    assert prom.timeout_s == 6.0  # twice the refresh, between 2 and 10 s
    assert prom.verify is True
    assert prom.auth_headers() == {}
    assert s.target.name == "default"
    assert s.seed == 7


# --- precedence ---------------------------------------------------------------------------


def test_window_flag_beats_env_beats_config_beats_default(
    env: dict[str, str], tmp_path: Path
) -> None:
    cfg = write(tmp_path / "c.toml", 'window = "15m"\nnamespace = "from-config"\n')
    full_env = {**env, "AI_GATEWAY_CONSOLE_WINDOW": "1h", "AI_GATEWAY_CONSOLE_NAMESPACE": "e"}
    s = build_settings(flags(demo="steady", config=str(cfg), window="1m", namespace="f"), full_env)
    assert (s.window, s.target.namespace) == ("1m", "f")
    s = build_settings(flags(demo="steady", config=str(cfg)), full_env)
    assert (s.window, s.target.namespace) == ("1h", "e")
    s = build_settings(flags(demo="steady", config=str(cfg)), env)
    assert (s.window, s.target.namespace) == ("15m", "from-config")
    assert s.config_path == str(cfg)
    assert build(env, demo="steady").window == "5m"


def test_empty_env_value_does_not_override(env: dict[str, str], tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", 'window = "15m"\n')
    s = build_settings(
        flags(demo="steady", config=str(cfg)), {**env, "AI_GATEWAY_CONSOLE_WINDOW": ""}
    )
    assert s.window == "15m"


def test_prometheus_url_precedence(env: dict[str, str], tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", '[prometheus]\nurl = "http://config:9090"\n')
    top = write(tmp_path / "top.toml", 'prometheus_url = "http://top-level:9090"\n')
    both = {**env, "AI_GATEWAY_CONSOLE_PROMETHEUS_URL": "http://ours:9090",
            "PROMETHEUS_URL": "http://generic:9090"}

    def url(f: dict[str, Any], e: dict[str, str]) -> str:
        prom = build_settings(f, e).target.prometheus
        assert prom is not None
        return prom.url

    assert url(flags(config=str(cfg), prometheus_url="http://flag:9090"), both) == (
        "http://flag:9090"
    )
    assert url(flags(config=str(cfg)), both) == "http://ours:9090"
    # PROMETHEUS_URL is the environment layer too: it outranks the config file.
    assert url(flags(config=str(cfg)), {**env, "PROMETHEUS_URL": "http://generic:9090"}) == (
        "http://generic:9090"
    )
    assert url(flags(config=str(cfg)), env) == "http://config:9090"
    assert url(flags(config=str(top)), env) == "http://top-level:9090"


def test_kubeconfig_precedence(env: dict[str, str], tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", 'kubeconfig = "/from/config"\n')
    e = {**env, "KUBECONFIG": "/from/kubeconfig-env"}
    assert build_settings(flags(demo="steady", config=str(cfg), kubeconfig="/flag"),
                          e).target.kubeconfig == "/flag"
    assert build_settings(
        flags(demo="steady", config=str(cfg)), {**e, "AI_GATEWAY_CONSOLE_KUBECONFIG": "/ours"}
    ).target.kubeconfig == "/ours"
    assert build_settings(flags(demo="steady", config=str(cfg)), e).target.kubeconfig == (
        "/from/kubeconfig-env"
    )
    assert build_settings(flags(demo="steady", config=str(cfg)), env).target.kubeconfig == (
        "/from/config"
    )


def test_every_plain_key_from_each_layer(env: dict[str, str], tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "c.toml",
        'demo = "crashloop"\nprofile = "kong"\nrefresh = "5s"\nread_only = true\n'
        'context = "prod"\ndeployment = "gw"\nhpa = "gw-hpa"\n',
    )
    s = build_settings(flags(config=str(cfg)), env)
    assert (s.demo, s.profile, s.refresh_s, s.read_only) == ("crashloop", "kong", 5.0, True)
    assert s.target.read_only is True
    assert (s.target.context, s.target.name) == ("prod", "prod")
    assert (s.target.deployment, s.target.hpa) == ("gw", "gw-hpa")
    e = {**env, "AI_GATEWAY_CONSOLE_DEMO": "hpa-maxed", "AI_GATEWAY_CONSOLE_PROFILE": "litellm",
         "AI_GATEWAY_CONSOLE_REFRESH": "10s", "AI_GATEWAY_CONSOLE_READ_ONLY": "no",
         "AI_GATEWAY_CONSOLE_CONTEXT": "staging"}
    s = build_settings(flags(config=str(cfg)), e)
    assert (s.demo, s.profile, s.refresh_s, s.read_only) == ("hpa-maxed", "litellm", 10.0, False)
    assert s.target.context == "staging"
    s = build_settings(
        flags(config=str(cfg), demo="steady", profile="envoy-ai-gateway", refresh="1s",
              read_only=False, context="dev"), e,
    )
    assert (s.demo, s.profile, s.refresh_s, s.read_only) == (
        "steady", "envoy-ai-gateway", 1.0, False
    )
    assert s.target.context == "dev"


def test_numbers_in_toml_are_seconds(env: dict[str, str], tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", "window = 90\nrefresh = 0.5\n")
    s = build(env, demo="steady", config=str(cfg))
    assert (s.window_s, s.window, s.refresh_s) == (90.0, "90s", 0.5)


# --- where the config file comes from -----------------------------------------------------


def test_config_from_env_variable(env: dict[str, str], tmp_path: Path) -> None:
    cfg = write(tmp_path / "env.toml", 'namespace = "via-env-config"\n')
    s = build_settings(flags(demo="steady"), {**env, "AI_GATEWAY_CONSOLE_CONFIG": str(cfg)})
    assert s.target.namespace == "via-env-config"
    assert s.config_path == str(cfg)


def test_config_flag_beats_config_env(env: dict[str, str], tmp_path: Path) -> None:
    by_flag = write(tmp_path / "flag.toml", 'namespace = "flag-config"\n')
    by_env = write(tmp_path / "env.toml", 'namespace = "env-config"\n')
    s = build_settings(
        flags(demo="steady", config=str(by_flag)),
        {**env, "AI_GATEWAY_CONSOLE_CONFIG": str(by_env)},
    )
    assert s.target.namespace == "flag-config"


def test_config_default_xdg_path(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "xdg" / "ai-gateway-console" / "config.toml"
    assert default_config_path(env) == path
    write(path, 'namespace = "xdg"\n')
    s = build(env, demo="steady")
    assert s.target.namespace == "xdg"
    assert s.config_path == str(path)


def test_config_default_under_home_without_xdg(tmp_path: Path) -> None:
    home_env = {"HOME": str(tmp_path / "home")}
    path = tmp_path / "home" / ".config" / "ai-gateway-console" / "config.toml"
    assert default_config_path(home_env) == path
    write(path, 'namespace = "home"\n')
    assert build_settings(flags(demo="steady"), home_env).target.namespace == "home"


def test_missing_default_config_is_fine(env: dict[str, str]) -> None:
    assert build(env, demo="steady").config_path is None


# --- every ConfigError --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"window": "5x"}, "--window: '5x' is not a duration"),
        ({"window": "0s"}, "--window: '0s' must be longer than zero"),
        ({"refresh": "fast"}, "--refresh: 'fast' is not a duration"),
        ({"refresh": "50ms"}, "--refresh must be at least 100ms"),
        ({"demo": "earthquake"}, "unknown demo scenario 'earthquake'"),
        ({"profile": "nginx"}, "unknown profile 'nginx'"),
        ({"read_only": "maybe"}, "--read-only: 'maybe' is not true or false"),
    ],
)
def test_bad_flags(env: dict[str, str], given: dict[str, Any], message: str) -> None:
    given = {"demo": "steady", **given}
    assert message in config_error(env, **given)


def test_bad_window_from_env(env: dict[str, str]) -> None:
    # The error names the variable to fix, not the flag that was not given.
    with pytest.raises(ConfigError, match=r"^AI_GATEWAY_CONSOLE_WINDOW: 'soon' is not a duration"):
        build_settings(flags(demo="steady"), {**env, "AI_GATEWAY_CONSOLE_WINDOW": "soon"})


def test_bad_toml_numbers(env: dict[str, str], tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", "window = -5\n")
    assert config_error(env, demo="steady", config=str(cfg)) == (
        f"config file {cfg}: window must be longer than zero"
    )


def test_missing_config_file(env: dict[str, str], tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    assert config_error(env, demo="steady", config=str(missing)) == (
        f"config file {missing} does not exist"
    )
    with pytest.raises(ConfigError, match="does not exist"):
        build_settings(flags(demo="steady"), {**env, "AI_GATEWAY_CONSOLE_CONFIG": str(missing)})


def test_unreadable_config_file(env: dict[str, str], tmp_path: Path) -> None:
    # A directory cannot be read as a file, even by root (chmod would not stop root).
    folder = tmp_path / "config-dir.toml"
    folder.mkdir()
    assert f"config file {folder} cannot be read" in config_error(
        env, demo="steady", config=str(folder)
    )


def test_invalid_toml(env: dict[str, str], tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", "window = \n[[broken\n")
    assert f"config file {cfg} is not valid TOML" in config_error(
        env, demo="steady", config=str(cfg)
    )


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[metrics]\nrequestz = "x"\n', "unknown metrics key 'requestz'"),
        ('[metrics]\nname = "x"\n', "unknown metrics key 'name'"),
        ('[metrics]\nduration_unit_s = "fast"\n', "[metrics] duration_unit_s: 'fast' is not a "
         "number"),
        ('metrics = "requests"\n', "metrics must be a table of role = name, not a string"),
        ('[prices]\n"gpt-4.1" = "cheap"\n', "[prices] 'gpt-4.1': 'cheap' is not a price"),
        ('[prices]\n"gpt-4.1" = -1.0\n', "[prices] 'gpt-4.1': -1.0 is not a price"),
        ('[prices]\n"gpt-4.1" = true\n', "[prices] 'gpt-4.1': True is not a price"),
        ('prices = 3\n', "prices must be a table of model = dollars, not an integer"),
        ('prometheus = "http://x"\n', "[prometheus] must be a table, not a string"),
        ('[prometheus]\nurl = "prom:9090"\n', "'prom:9090' must start with http:// or https://"),
        ('[prometheus]\nurl = "http://p"\npassword = "pw"\n',
         "prometheus: a password was given without a username"),
        ('[prometheus]\nurl = "http://p"\nheaders = ["NoColon"]\n',
         "[prometheus] headers: 'NoColon' is not 'Name: value'"),
    ],
)
def test_bad_config_file(env: dict[str, str], tmp_path: Path, toml: str, message: str) -> None:
    cfg = write(tmp_path / "c.toml", toml)
    assert message in config_error(env, demo="steady", config=str(cfg))


def test_metrics_error_names_the_file(env: dict[str, str], tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", '[metrics]\nrequestz = "x"\n')
    assert config_error(env, demo="steady", config=str(cfg)).startswith(f"config file {cfg}: ")


def test_url_without_scheme(env: dict[str, str]) -> None:
    assert "must start with http:// or https://" in config_error(env, prometheus_url="prom:9090")
    with pytest.raises(ConfigError, match="must start with http"):
        build_settings(flags(), {**env, "PROMETHEUS_URL": "localhost:9090"})
    assert "--alertmanager-url 'am:9093'" in config_error(
        env, demo="steady", alertmanager_url="am:9093"
    )


def test_password_without_username(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="a password was given without a username"):
        build_settings(
            flags(prometheus_url="http://p"), {**env, "AI_GATEWAY_CONSOLE_PROMETHEUS_PASSWORD": "x"}
        )


def test_no_prometheus_without_demo(env: dict[str, str]) -> None:
    message = config_error(env)
    assert message.startswith("no Prometheus configured")
    assert "--demo" in message and "PROMETHEUS_URL" in message
    s = build(env, allow_no_prometheus=True)
    assert s.target.prometheus is None and s.demo is None


def test_missing_secret_and_ca_files(env: dict[str, str], tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    assert f"prometheus token file {missing} cannot be read" in config_error(
        env, prometheus_url="http://p", prometheus_token_file=str(missing)
    )
    assert f"prometheus password file {missing} cannot be read" in config_error(
        env, prometheus_url="http://p", prometheus_username="u",
        prometheus_password_file=str(missing),
    )
    assert f"prometheus CA file {missing} does not exist" in config_error(
        env, prometheus_url="http://p", prometheus_ca_file=str(missing)
    )


def test_bad_header_flag_and_timeout(env: dict[str, str]) -> None:
    assert "--prometheus-header: 'X-Org' is not 'Name: value'" in config_error(
        env, prometheus_url="http://p", prometheus_header=["X-Org"]
    )
    assert "timeout: 'later' is not a duration" in config_error(
        env, prometheus_url="http://p", timeout="later"
    )


# --- endpoints: credentials, TLS, headers -------------------------------------------------


def test_credentials_from_each_layer(env: dict[str, str], tmp_path: Path) -> None:
    flag_file = write(tmp_path / "flag-token", "flag-token\n")
    env_file = write(tmp_path / "env-token", "env-file-token\n")
    cfg_file = write(tmp_path / "cfg-token", "config-file-token\n")
    cfg = write(
        tmp_path / "c.toml",
        f'[prometheus]\nurl = "http://p"\nbearer_token_file = "{cfg_file}"\n'
        'bearer_token = "config-token"\n',
    )
    inline = write(tmp_path / "inline.toml",
                   '[prometheus]\nurl = "http://p"\nbearer_token = "config-token"\n')

    def token(f: dict[str, Any], e: dict[str, str]) -> str:
        prom = build_settings(f, e).target.prometheus
        assert prom is not None and prom.bearer_token is not None
        return prom.bearer_token.reveal()

    e_file = {**env, "AI_GATEWAY_CONSOLE_PROMETHEUS_TOKEN_FILE": str(env_file)}
    e_value = {**env, "AI_GATEWAY_CONSOLE_PROMETHEUS_TOKEN": "env-token"}
    assert token(flags(config=str(cfg), prometheus_token_file=str(flag_file)), e_value) == (
        "flag-token"
    )
    assert token(flags(config=str(cfg)), e_file) == "env-file-token"
    # The environment outranks the config file, whether the config names a file or a value.
    assert token(flags(config=str(cfg)), e_value) == "env-token"
    assert token(flags(config=str(cfg)), env) == "config-file-token"
    assert token(flags(config=str(inline)), env) == "config-token"


def test_basic_auth_and_tls(env: dict[str, str], tmp_path: Path) -> None:
    ca = Path(certifi.where())  # a real PEM bundle: the CA file is loaded by ssl to check it
    pw_file = write(tmp_path / "pw", "file-password\n")
    cfg = write(tmp_path / "c.toml", '[prometheus]\nusername = "config-user"\n')
    s = build_settings(
        flags(config=str(cfg), prometheus_url="https://p", prometheus_ca_file=str(ca)),
        {**env, "AI_GATEWAY_CONSOLE_PROMETHEUS_PASSWORD": "env-password"},
    )
    prom = s.target.prometheus
    assert prom is not None and prom.password is not None
    assert (prom.username, prom.password.reveal()) == ("config-user", "env-password")
    assert prom.verify == str(ca)
    s = build(env, prometheus_url="https://p", prometheus_username="u",
              prometheus_password_file=str(pw_file), insecure_skip_tls_verify=True)
    prom = s.target.prometheus
    assert prom is not None and prom.password is not None
    assert prom.password.reveal() == "file-password"
    assert prom.verify is False
    s = build_settings(flags(prometheus_url="https://p"),
                       {**env, "AI_GATEWAY_CONSOLE_INSECURE_SKIP_TLS_VERIFY": "true"})
    assert s.target.prometheus is not None and s.target.prometheus.verify is False


def test_headers_timeout_and_alertmanager(env: dict[str, str], tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "c.toml",
        'alertmanager_url = "http://am:9093/"\n'
        '[prometheus]\nurl = "http://p"\ntimeout = "3s"\n'
        'headers = { "X-Scope-OrgID" = "config-tenant", "X-Team" = "sre" }\n',
    )
    s = build(env, config=str(cfg), prometheus_header=["X-Scope-OrgID: flag-tenant"])
    prom, am = s.target.prometheus, s.target.alertmanager
    assert prom is not None and am is not None
    assert prom.headers == {"X-Scope-OrgID": "flag-tenant", "X-Team": "sre"}
    assert prom.timeout_s == 3.0
    assert am.url == "http://am:9093"
    assert am.timeout_s == 4.0
    s = build_settings(flags(config=str(cfg)), {**env, "AI_GATEWAY_CONSOLE_TIMEOUT": "7s"})
    assert s.target.prometheus is not None and s.target.prometheus.timeout_s == 7.0


def test_auth_headers_and_secret_values() -> None:
    endpoint = HttpEndpoint(url="http://p", bearer_token=Secret("tok"), username="u",
                            password=Secret("pw"), headers={"X-Org": "a"})
    assert endpoint.auth_headers() == {"X-Org": "a", "Authorization": "Bearer tok"}
    assert endpoint.headers == {"X-Org": "a"}  # not mutated
    assert endpoint.secret_values() == ("tok", "pw")


# --- prices and metrics overrides ---------------------------------------------------------


def test_prices_and_metrics_overrides(env: dict[str, str], tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "c.toml",
        '[prices]\n"gpt-4.1" = 9\n"my-model" = 1.25\n'
        '[metrics]\nrequests = "my_requests_total"\ntokens = ""\n',
    )
    s = build(env, demo="steady", config=str(cfg))
    assert s.prices["gpt-4.1"] == 9.0 and isinstance(s.prices["gpt-4.1"], float)
    assert s.prices["my-model"] == 1.25
    assert s.prices["deepseek-v3.2"] == 0.42
    assert s.metrics_overrides == {"requests": "my_requests_total", "tokens": ""}


def test_profile_with_overrides() -> None:
    seed = PROFILES["seed"]
    changed = seed.with_overrides(
        {"requests": "r_total", "errors": "", "duration_unit_s": "0.001",
         "tokens_is_histogram": "true", "model_label": "llm"}
    )
    assert changed.requests == "r_total"
    assert changed.errors is None  # an empty name means "not exported"
    assert changed.duration_unit_s == 0.001
    assert changed.tokens_is_histogram is True
    assert changed.model_label == "llm"
    assert changed.name == "seed"
    assert seed.requests == "ai_gateway_requests_total"  # the original is untouched
    assert seed.with_overrides({}) == seed
    with pytest.raises(ValueError, match="unknown metrics key 'nope'"):
        seed.with_overrides({"nope": "x"})
    with pytest.raises(ValueError, match="unknown metrics key 'name'"):
        seed.with_overrides({"name": "other"})


# --- secrets never show -------------------------------------------------------------------


def test_secret_repr_and_str() -> None:
    secret = Secret("hunter2")
    assert repr(secret) == "Secret('***')"
    assert str(secret) == "Secret('***')"
    assert f"{secret}" == "Secret('***')"
    assert "hunter2" not in repr([secret]) and "hunter2" not in repr({"k": secret})
    assert secret.reveal() == "hunter2"
    assert secret == Secret("hunter2") and secret != Secret("other")
    assert secret != "hunter2"
    assert hash(secret) == hash(Secret("hunter2"))
