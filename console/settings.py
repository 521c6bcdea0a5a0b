"""The one typed settings object, merged from flags > environment > config file > defaults.

Everything that reaches a source lives in a `TargetSettings`, never in a
global, so that several clusters can later be shown side by side. Secrets are
held in `Secret`, whose repr and str are masked, so an accidental print, log
line or `--print-config` never shows them.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console.durations import format_duration, parse_duration
from console.limits import ReadLimits
from console.profiles import DEFAULT_PRICES_PER_MTOK, PROFILES

ENV_PREFIX = "AI_GATEWAY_CONSOLE_"
SCENARIOS = ("steady", "provider-outage", "latency-spike", "crashloop", "hpa-maxed")
WINDOWS = ("1m", "5m", "15m", "1h")


class ConfigError(Exception):
    """Bad usage or configuration: the CLI prints the message on one line and exits 2."""


class Secret:
    """A credential that never shows itself in repr, str, logs or exports."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class HttpEndpoint:
    """How to reach one HTTP API (Prometheus-compatible or Alertmanager)."""

    url: str
    bearer_token: Secret | None = None
    username: str | None = None
    password: Secret | None = None
    ca_file: str | None = None
    insecure_skip_tls_verify: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout_s: float = 5.0
    secret_headers: frozenset[str] = frozenset()
    """Lower-cased names of headers marked secret (`secret_headers = [...]`), masked and
    scrubbed like those whose names say so (Authorization, X-Api-Key, *token*...)."""
    limits: ReadLimits = field(default_factory=ReadLimits)

    @property
    def deadline_s(self) -> float:
        """How long one whole request may take, body included."""
        return self.limits.deadline_s or self.timeout_s

    @property
    def verify(self) -> bool | str:
        """The value httpx/requests take for TLS verification."""
        if self.insecure_skip_tls_verify:
            return False
        return self.ca_file or True

    def auth_headers(self) -> dict[str, str]:
        headers = dict(self.headers)
        if self.bearer_token is not None:
            headers["Authorization"] = f"Bearer {self.bearer_token.reveal()}"
        return headers

    def secret_values(self) -> tuple[str, ...]:
        """Every credential string, so a test or a log filter can prove it never leaks."""
        out = []
        if self.bearer_token is not None:
            out.append(self.bearer_token.reveal())
        if self.password is not None:
            out.append(self.password.reveal())
        return tuple(out)


@dataclass(frozen=True)
class TargetSettings:
    """One cluster context with its Prometheus and Alertmanager."""

    name: str
    context: str | None = None
    kubeconfig: str | None = None
    namespace: str = "ai-services"
    deployment: str = "ai-gateway"
    hpa: str = "ai-gateway-hpa"
    prometheus: HttpEndpoint | None = None
    alertmanager: HttpEndpoint | None = None
    read_only: bool = False
    cluster: str | None = None
    """Value of `cluster_label` that selects this target's series in a store shared by
    several clusters (Thanos Query, Mimir, VictoriaMetrics); None: the store is its own."""
    cluster_label: str = "cluster"
    demo: str | None = None
    """Under --demo, this target's own scenario (None: the settings' scenario)."""
    limits: ReadLimits = field(default_factory=ReadLimits)


@dataclass(frozen=True)
class Settings:
    targets: tuple[TargetSettings, ...]
    demo: str | None = None
    profile: str = "seed"
    metrics_overrides: Mapping[str, str] = field(default_factory=dict)
    window_s: float = 300.0
    refresh_s: float = 2.0
    read_only: bool = False
    config_path: str | None = None
    prices: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_PRICES_PER_MTOK))
    seed: int | None = None
    low_bandwidth: bool = False
    """--low-bandwidth: no trend columns, cluster panels every 3rd refresh, no animations."""
    record: str | None = None
    """--record FILE: append every poll to this file for `replay` (console/record.py)."""
    record_max_bytes: int = 20 * 1024 * 1024
    limits: ReadLimits = field(default_factory=ReadLimits)

    @property
    def window(self) -> str:
        return format_duration(self.window_s)

    @property
    def target(self) -> TargetSettings:
        return self.targets[0]

    @property
    def fleet(self) -> bool:
        """More than one target: the console opens on the fleet view."""
        return len(self.targets) > 1


def default_config_path(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    return Path(base) / "ai-gateway-console" / "config.toml"


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """XDG state folder: the audit log and recordings live here."""
    env = os.environ if env is None else env
    base = env.get("XDG_STATE_HOME") or str(
        Path(env.get("HOME", "~")).expanduser() / ".local" / "state"
    )
    return Path(base) / "ai-gateway-console"


def _load_toml(path: Path, explicit: bool) -> dict[str, Any]:
    if not path.exists():
        if explicit:
            raise ConfigError(f"config file {path} does not exist")
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


def _duration(value: Any, what: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value <= 0:
            raise ConfigError(f"{what} must be longer than zero")
        return float(value)
    try:
        return parse_duration(str(value))
    except ValueError as exc:
        raise ConfigError(f"{what}: {exc}") from None


def _bool(value: Any, what: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{what}: {value!r} is not true or false")


def _parse_headers(items: Any, what: str) -> dict[str, str]:
    if isinstance(items, Mapping):
        return {str(k): str(v) for k, v in items.items()}
    out: dict[str, str] = {}
    for item in items or ():
        name, sep, value = str(item).partition(":")
        if not sep or not name.strip():
            raise ConfigError(f"{what}: {item!r} is not 'Name: value'")
        out[name.strip()] = value.strip()
    return out


def _read_secret_file(path: str, what: str) -> Secret:
    try:
        return Secret(Path(path).expanduser().read_text().strip())
    except OSError as exc:
        raise ConfigError(f"{what} {path} cannot be read: {exc.strerror}") from None


def _endpoint(
    name: str,
    flags: Mapping[str, Any],
    env: Mapping[str, str],
    section: Mapping[str, Any],
    top: Mapping[str, Any],
    default_timeout: float,
) -> HttpEndpoint | None:
    """Build one endpoint; `name` is "prometheus" or "alertmanager"."""
    env_up = ENV_PREFIX + name.upper()

    def pick(flag: str, env_key: str | None, cfg_key: str | None) -> Any:
        if flags.get(flag) not in (None, [], ()):
            return flags[flag]
        if env_key and env.get(env_key):
            return env[env_key]
        if cfg_key is not None and cfg_key in section:
            return section[cfg_key]
        return None

    # PROMETHEUS_URL is environment too, so it must outrank the config file's [prometheus] url.
    generic_env = env.get("PROMETHEUS_URL") if name == "prometheus" else None
    url = pick(f"{name}_url", env_up + "_URL", None)
    if url is None:
        url = generic_env or section.get("url") or top.get(f"{name}_url")
    if url is None:
        return None
    url = str(url).rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"--{name}-url {url!r} must start with http:// or https://")

    token: Secret | None = None
    # Flag and environment (file or value) outrank the config file (file or value).
    token_file = pick(f"{name}_token_file", env_up + "_TOKEN_FILE", None)
    if token_file:
        token = _read_secret_file(str(token_file), f"{name} token file")
    elif env.get(env_up + "_TOKEN"):
        token = Secret(env[env_up + "_TOKEN"])
    elif section.get("bearer_token_file"):
        token = _read_secret_file(str(section["bearer_token_file"]), f"{name} token file")
    elif section.get("bearer_token"):
        token = Secret(str(section["bearer_token"]))

    username = pick(f"{name}_username", env_up + "_USERNAME", "username")
    password: Secret | None = None
    password_file = pick(f"{name}_password_file", env_up + "_PASSWORD_FILE", None)
    if password_file:
        password = _read_secret_file(str(password_file), f"{name} password file")
    elif env.get(env_up + "_PASSWORD"):
        password = Secret(env[env_up + "_PASSWORD"])
    elif section.get("password_file"):
        password = _read_secret_file(str(section["password_file"]), f"{name} password file")
    elif section.get("password"):
        password = Secret(str(section["password"]))
    if password is not None and not username:
        raise ConfigError(f"{name}: a password was given without a username")

    ca_file = pick(f"{name}_ca_file", env_up + "_CA_FILE", "ca_file")
    if ca_file and not Path(str(ca_file)).expanduser().is_file():
        raise ConfigError(f"{name} CA file {ca_file} does not exist")
    insecure_raw = pick("insecure_skip_tls_verify", ENV_PREFIX + "INSECURE_SKIP_TLS_VERIFY",
                        "insecure_skip_tls_verify")
    insecure = _bool(insecure_raw, "insecure_skip_tls_verify") if insecure_raw else False
    headers = _parse_headers(section.get("headers", {}), f"[{name}] headers")
    headers.update(_parse_headers(flags.get(f"{name}_header") or (), f"--{name}-header"))
    timeout_raw = pick("timeout", ENV_PREFIX + "TIMEOUT", "timeout")
    timeout = _duration(timeout_raw, "timeout") if timeout_raw is not None else default_timeout
    return HttpEndpoint(
        url=url,
        bearer_token=token,
        username=str(username) if username else None,
        password=password,
        ca_file=str(ca_file) if ca_file else None,
        insecure_skip_tls_verify=insecure,
        headers=headers,
        timeout_s=timeout,
    )


def build_settings(flags: Mapping[str, Any], env: Mapping[str, str] | None = None) -> Settings:
    """Merge the parsed flags with the environment and the config file.

    `flags` holds argparse's values, None where a flag was not given, so that
    the lower layers can fill it in.
    """
    env = os.environ if env is None else env
    explicit_config = flags.get("config") or env.get(ENV_PREFIX + "CONFIG")
    config_path = Path(explicit_config).expanduser() if explicit_config else (
        default_config_path(env)
    )
    cfg = _load_toml(config_path, explicit=bool(explicit_config))

    def layer(key: str, default: Any, env_names: tuple[str, ...] = ()) -> Any:
        if flags.get(key) is not None:
            return flags[key]
        for name in (ENV_PREFIX + key.upper(), *env_names):
            if env.get(name):
                return env[name]
        if key in cfg:
            return cfg[key]
        return default

    demo = layer("demo", None)
    if demo is not None and demo not in SCENARIOS:
        raise ConfigError(f"unknown demo scenario {demo!r} (choose from {', '.join(SCENARIOS)})")
    profile = str(layer("profile", "seed"))
    if profile not in PROFILES:
        raise ConfigError(f"unknown profile {profile!r} (choose from {', '.join(PROFILES)})")
    overrides = cfg.get("metrics", {})
    if not isinstance(overrides, Mapping):
        raise ConfigError("[metrics] in the config file must be a table")
    try:
        PROFILES[profile].with_overrides({str(k): str(v) for k, v in overrides.items()})
    except ValueError as exc:
        raise ConfigError(f"config file {config_path}: {exc}") from None

    window_s = _duration(layer("window", "5m"), "--window")
    refresh_s = _duration(layer("refresh", "2s"), "--refresh")
    if refresh_s < 0.1:
        raise ConfigError("--refresh must be at least 100ms")
    read_only = _bool(layer("read_only", False), "--read-only")
    timeout_default = min(10.0, max(2.0, refresh_s * 2))

    prices = dict(DEFAULT_PRICES_PER_MTOK)
    cfg_prices = cfg.get("prices", {})
    if not isinstance(cfg_prices, Mapping):
        raise ConfigError("[prices] in the config file must be a table of model = dollars")
    for model, price in cfg_prices.items():
        if not isinstance(price, (int, float)) or isinstance(price, bool) or price < 0:
            raise ConfigError(f"[prices] {model!r}: {price!r} is not a price in dollars")
        prices[str(model)] = float(price)

    limits = _limits(layer)
    prom = _endpoint_extras(_endpoint(
        "prometheus", flags, env, _table(cfg, "prometheus"), cfg, timeout_default
    ), _table(cfg, "prometheus"), limits)
    am = _endpoint_extras(_endpoint(
        "alertmanager", flags, env, _table(cfg, "alertmanager"), cfg, timeout_default
    ), _table(cfg, "alertmanager"), limits)
    defaults = TargetSettings(
        name="default",
        kubeconfig=layer("kubeconfig", None, ("KUBECONFIG",)),
        namespace=str(layer("namespace", "ai-services")),
        deployment=str(layer("deployment", "ai-gateway")),
        hpa=str(layer("hpa", "ai-gateway-hpa")),
        prometheus=prom,
        alertmanager=am,
        read_only=read_only,
        cluster_label=str(cfg.get("cluster_label", "cluster")),
        limits=limits,
    )
    targets = _targets(flags, env, cfg, defaults, demo, timeout_default)
    if demo is None and any(t.prometheus is None for t in targets) and not flags.get(
        "allow_no_prometheus"
    ):
        missing = next(t.name for t in targets if t.prometheus is None)
        raise ConfigError(
            "no Prometheus configured: give --prometheus-url (or PROMETHEUS_URL), "
            "or run the embedded demo with --demo"
            if len(targets) == 1 else
            f"target {missing!r} has no Prometheus: give it a [targets.prometheus] url, "
            "or a shared one with --prometheus-url"
        )
    seed = flags.get("seed")
    record = layer("record", None)
    record_max_bytes = _size(layer("record_max_size", "20MB"), "--record-max-size")
    return Settings(
        targets=targets,
        demo=demo,
        profile=profile,
        metrics_overrides={str(k): str(v) for k, v in overrides.items()},
        window_s=window_s,
        refresh_s=refresh_s,
        read_only=read_only,
        config_path=str(config_path) if config_path.exists() else None,
        prices=prices,
        seed=int(seed) if seed is not None else None,
        low_bandwidth=_bool(layer("low_bandwidth", False), "--low-bandwidth"),
        record=str(record) if record else None,
        record_max_bytes=record_max_bytes,
        limits=limits,
    )


def _limits(layer: Any) -> ReadLimits:
    """The read limits (flag > environment > config file > default), one set for all."""
    deadline = layer("deadline", None)
    series = layer("max_series", 2000)
    try:
        max_series = int(str(series).replace("_", "").replace(",", ""))
    except ValueError:
        raise ConfigError(f"--max-series: {series!r} is not a whole number") from None
    if max_series < 1:
        raise ConfigError("--max-series must be at least 1")
    return ReadLimits(
        max_body_bytes=_size(layer("max_body_size", "8MB"), "--max-body-size"),
        deadline_s=None if deadline is None else _duration(deadline, "--deadline"),
        max_series=max_series,
        exec_timeout_s=_duration(layer("exec_timeout", "10s"), "--exec-timeout"),
    )


def _endpoint_extras(endpoint: HttpEndpoint | None, section: Mapping[str, Any],
                     limits: ReadLimits) -> HttpEndpoint | None:
    """The endpoint with the read limits and the headers its section marks secret."""
    if endpoint is None:
        return None
    marked = section.get("secret_headers", [])
    if isinstance(marked, str):
        marked = [marked]
    if not isinstance(marked, list) or not all(isinstance(m, str) for m in marked):
        raise ConfigError("secret_headers must be a list of header names")
    from dataclasses import replace

    return replace(endpoint, secret_headers=frozenset(m.strip().lower() for m in marked),
                   limits=limits)


_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2,
               "g": 1024**3, "gb": 1024**3}


def _size(value: Any, what: str) -> int:
    """A file size such as 20MB, 512k or 1048576 (bytes); at least 64 KB, so rotation is sane."""
    text = str(value).strip().lower().replace("ib", "b")
    number = text.rstrip("kmgb")
    unit = text[len(number):]
    try:
        size = int(float(number) * _SIZE_UNITS[unit])
    except (ValueError, KeyError):
        raise ConfigError(f"{what}: {value!r} is not a size (use e.g. 20MB, 512KB)") from None
    if size < 64 * 1024:
        raise ConfigError(f"{what}: {value!r} is too small (at least 64KB)")
    return size


DEMO_CLUSTERS = ("eu-west-1", "us-east-1", "ap-south-1", "eu-central-1", "us-west-2",
                 "sa-east-1", "ap-northeast-1", "ca-central-1")
"""Names of the demo fleet's clusters (`--demo --demo-clusters N`)."""
DEMO_FLEET_SCENARIOS = ("steady", "latency-spike", "crashloop", "hpa-maxed", "provider-outage")
"""Scenarios of the demo fleet's clusters after the first (which runs --demo's own)."""


def _contexts(value: Any) -> list[str]:
    """--context given once (a string), several times (a list) or not at all."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    out: list[str] = []
    for item in items:
        for name in str(item).split(","):
            if name.strip() and name.strip() not in out:
                out.append(name.strip())
    return out


_TARGET_KEYS = frozenset({
    "name", "context", "kubeconfig", "namespace", "deployment", "hpa", "read_only",
    "prometheus", "alertmanager", "cluster", "cluster_label",
})


def _targets(
    flags: Mapping[str, Any],
    env: Mapping[str, str],
    cfg: Mapping[str, Any],
    defaults: TargetSettings,
    demo: str | None,
    timeout_default: float,
) -> tuple[TargetSettings, ...]:
    """The targets: --context (repeatable) > [[targets]] of the config > the current context.

    A target without its own Prometheus reads the shared one; when several targets
    share it, each selects its series by `cluster_label` = its `cluster` (default:
    its context, else its name), so a global store (Thanos, Mimir, VictoriaMetrics)
    serves the whole fleet with the queries of one cluster.
    """
    from dataclasses import replace

    flag_contexts = _contexts(flags.get("context"))
    env_context = env.get(ENV_PREFIX + "CONTEXT")
    contexts = flag_contexts or _contexts(env_context)
    tables = cfg.get("targets", [])
    if not isinstance(tables, list) or not all(isinstance(t, Mapping) for t in tables):
        raise ConfigError("targets in the config file must be [[targets]] tables")
    configured = [_target_table(t, i, defaults, flags, env, timeout_default)
                  for i, t in enumerate(tables)]
    names = [t.name for t in configured]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise ConfigError(f"[[targets]]: the name {dup!r} is used twice")

    demo_clusters = flags.get("demo_clusters")
    if demo_clusters is not None:
        count = int(demo_clusters)
        if demo is None:
            raise ConfigError("--demo-clusters needs --demo")
        if not 1 <= count <= len(DEMO_CLUSTERS):
            raise ConfigError(f"--demo-clusters: between 1 and {len(DEMO_CLUSTERS)}")
        return tuple(
            replace(defaults, name=name, context=name, read_only=defaults.read_only or i == 1,
                    demo=None if i == 0 else DEMO_FLEET_SCENARIOS[(i - 1) %
                                                                  len(DEMO_FLEET_SCENARIOS)])
            for i, name in enumerate(DEMO_CLUSTERS[:count])
        )

    if contexts:
        by_context = {t.context or t.name: t for t in configured} | {t.name: t for t in configured}
        chosen = [by_context.get(c) or replace(defaults, name=c, context=c) for c in contexts]
    elif configured:
        chosen = configured
    else:
        cfg_context = cfg.get("context")
        context = str(cfg_context) if cfg_context else None
        return (replace(defaults, name=context or ("demo" if demo else "default"),
                        context=context),)
    if len(chosen) > 1 and demo is None:
        # Several targets on one shared store: each selects its own series by label.
        chosen = [t if t.cluster is not None or t.prometheus is not defaults.prometheus
                  else replace(t, cluster=t.context or t.name) for t in chosen]
    return tuple(chosen)


def _target_table(
    table: Mapping[str, Any],
    index: int,
    defaults: TargetSettings,
    flags: Mapping[str, Any],
    env: Mapping[str, str],
    timeout_default: float,
) -> TargetSettings:
    """One [[targets]] table; its keys are this target's own, the rest come from the defaults."""
    from dataclasses import replace

    where = f"[[targets]] #{index + 1}"
    unknown = sorted(set(table) - _TARGET_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} "
                          f"(known: {', '.join(sorted(_TARGET_KEYS))})")
    name = table.get("name") or table.get("context")
    if not name or not isinstance(name, str):
        raise ConfigError(f"{where}: give it a name (or a context)")
    where = f"[[targets]] {name!r}"
    changes: dict[str, Any] = {"name": name}
    for key in ("context", "kubeconfig", "namespace", "deployment", "hpa", "cluster",
                "cluster_label"):
        if key in table:
            if not isinstance(table[key], str) or not table[key]:
                raise ConfigError(f"{where}: {key} must be a non-empty string")
            changes[key] = table[key]
    if "read_only" in table:
        changes["read_only"] = defaults.read_only or _bool(table["read_only"],
                                                           f"{where} read_only")
    for api in ("prometheus", "alertmanager"):
        if api in table:
            section = table[api]
            if not isinstance(section, Mapping) or not section.get("url"):
                raise ConfigError(f"{where}: [{api}] must be a table with a url")
            # The target's own endpoint: flags and environment do not override it.
            changes[api] = _endpoint_extras(_endpoint(api, {}, {}, section, {}, timeout_default),
                                            section, defaults.limits)
    return replace(defaults, **changes)


def _table(cfg: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = cfg.get(name, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"[{name}] in the config file must be a table")
    return value


def describe(settings: Settings) -> str:
    """The effective settings, every secret masked (`--print-config`; console/config_print.py)."""
    from console.config_print import describe_settings

    return describe_settings(settings)
