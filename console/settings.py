"""The one typed settings object, merged from flags > environment > config file > defaults.

Everything that reaches a source lives in a `TargetSettings`, never in a
global, so that several clusters can later be shown side by side. Secrets are
held in `Secret`, whose repr and str are masked, so an accidental print, log
line or `--print-config` never shows them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import tomli_w

from console.durations import format_duration, parse_duration
from console.profiles import DEFAULT_PRICES_PER_MTOK
from console.sizes import format_size

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
    bearer_token_file: str | None = None
    """The file the token was read from (None: given as a value), for --print-config."""
    password_file: str | None = None

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


def _home(env: Mapping[str, str]) -> Path:
    # os.path.expanduser leaves "~nosuchuser" as it is; Path.expanduser raises RuntimeError.
    return Path(os.path.expanduser(env.get("HOME", "~")))


def default_config_path(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CONFIG_HOME") or str(_home(env) / ".config")
    return Path(base) / "ai-gateway-console" / "config.toml"


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """XDG state folder: the audit log and recordings live here."""
    env = os.environ if env is None else env
    base = env.get("XDG_STATE_HOME") or str(_home(env) / ".local" / "state")
    return Path(base) / "ai-gateway-console"


def build_settings(flags: Mapping[str, Any], env: Mapping[str, str] | None = None) -> Settings:
    """Merge the parsed flags with the environment and the config file.

    `flags` holds argparse's values, None where a flag was not given, so that the lower
    layers can fill it in. The only exception it raises is ConfigError. The merge lives in
    console/config_load.py, which builds this module's types (hence the late import).
    """
    from console.config_load import load_settings

    return load_settings(flags, env)




def describe(settings: Settings) -> str:
    """The effective settings as a config file that `--config` reads back (`--print-config`).

    The keys are the config file's own, so the output can be saved and edited. A secret never
    shows: the file it was read from is named (and read again on load); a value from the
    environment or the config file, or a header that looks secret, is left out, in a comment
    that says so.
    """
    notes = [f"# ai-gateway-console --print-config: the effective settings, secrets left out."
             f" From {settings.config_path or 'no config file'}."]
    if settings.seed is not None:
        notes.append(f"# --seed {settings.seed} is a flag only.")
    top: dict[str, Any] = {} if settings.demo is None else {"demo": settings.demo}
    top |= {"profile": settings.profile, "window": _toml_duration(settings.window_s),
            "refresh": _toml_duration(settings.refresh_s), "read_only": settings.read_only,
            "low_bandwidth": settings.low_bandwidth}
    if settings.record:
        top["record"] = settings.record
    top["record_max_size"] = format_size(settings.record_max_bytes)
    targets = settings.targets
    first = targets[0]
    single = (len(targets) == 1 and first.cluster is None and first.demo is None
              and first.read_only == settings.read_only
              and first.name == (first.context or ("demo" if settings.demo else "default")))
    if single:
        top |= _target_table(first, top_level=True)
    sections: list[tuple[str, dict[str, Any]]] = [("", top)]
    shared = {api: _shared_endpoint(targets, api) for api in _APIS}
    for api, endpoint in shared.items():
        if endpoint is not None:
            sections += _endpoint_sections(endpoint, f"[{api}]", api, notes)
    if settings.metrics_overrides:
        sections.append(("[metrics]", dict(settings.metrics_overrides)))
    prices = {m: p for m, p in settings.prices.items() if DEFAULT_PRICES_PER_MTOK.get(m) != p}
    if prices:
        sections.append(("[prices]", prices))
    for target in () if single else targets:
        sections.append(("[[targets]]", _target_table(target, top_level=False)))
        for api in _APIS:
            own = getattr(target, api)
            if own is not None and not (own == shared[api] and (
                    target.cluster is not None or len(targets) == 1)):
                sections += _endpoint_sections(own, f"[targets.{api}]", api, notes)
    body = "\n".join((f"{header}\n" if header else "") + tomli_w.dumps(table)
                     for header, table in sections if table or header)
    return "\n".join(notes) + "\n" + body.rstrip("\n")


_APIS = ("prometheus", "alertmanager")


def _toml_duration(seconds: float) -> str | float:
    """`5m` when that reads back exactly, else the number of seconds."""
    text = format_duration(seconds)
    return text if parse_duration(text) == seconds else seconds


def _target_table(target: TargetSettings, *, top_level: bool) -> dict[str, Any]:
    table: dict[str, Any] = {} if top_level else {"name": target.name}
    optional = {"context": target.context, "kubeconfig": target.kubeconfig}
    if not top_level:
        optional |= {"cluster": target.cluster, "demo": target.demo}
    table |= {k: v for k, v in optional.items() if v is not None}
    table |= {"namespace": target.namespace, "deployment": target.deployment,
              "hpa": target.hpa, "cluster_label": target.cluster_label}
    if not top_level:
        table["read_only"] = target.read_only
    return table


def _shared_endpoint(targets: tuple[TargetSettings, ...], api: str) -> HttpEndpoint | None:
    """The endpoint most targets use (the top-level one), None when one target has none."""
    endpoints: list[HttpEndpoint | None] = [getattr(t, api) for t in targets]
    if any(e is None for e in endpoints):
        return None
    return max(endpoints, key=endpoints.count)


def _endpoint_sections(endpoint: HttpEndpoint, header: str, api: str, notes: list[str]
                       ) -> list[tuple[str, dict[str, Any]]]:
    """The endpoint's table and its headers' table; each secret left out gets a note."""
    table: dict[str, Any] = {"url": _mask_url(endpoint.url)}
    if table["url"] != endpoint.url:
        notes.append(f"# {header} url: its password is masked; give it again.")
    if endpoint.username:
        table["username"] = endpoint.username
    for key, secret, path in (("bearer_token", endpoint.bearer_token, endpoint.bearer_token_file),
                              ("password", endpoint.password, endpoint.password_file)):
        if path is not None:
            table[f"{key}_file"] = path
        elif secret is not None:
            notes.append(f'# {header} {key} = "***"  (a value, not a file: not printed; '
                         f"give it again, e.g. in ${ENV_PREFIX}{api.upper()}_"
                         f"{key.removeprefix('bearer_').upper()})")
    if endpoint.ca_file:
        table["ca_file"] = endpoint.ca_file
    table["insecure_skip_tls_verify"] = endpoint.insecure_skip_tls_verify
    table["timeout"] = _toml_duration(endpoint.timeout_s)
    headers: dict[str, str] = {}
    for name, value in endpoint.headers.items():
        if "***" in _mask_header(name, value):
            notes.append(f'# {header[:-1]}.headers] "{name}" = "***"  (secret: not printed)')
        else:
            headers[name] = value
    sections = [(header, table)]
    if headers:
        sections.append((f"{header[:-1]}.headers]", headers))
    return sections


def _mask_url(text: str) -> str:
    """Hide the password of `https://user:pass@host` URLs, which carry credentials too."""
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    if parts.password is None:
        return text
    netloc = f"{parts.username}:***@{parts.netloc.rpartition('@')[2]}"
    return urlunsplit(parts._replace(netloc=netloc))


_SENSITIVE_HEADERS = ("authorization", "cookie", "token", "key", "secret", "password")


def _mask_header(name: str, value: Any) -> str:
    if any(word in name.lower() for word in _SENSITIVE_HEADERS):
        return '"***"'
    return f'"{value}"' if isinstance(value, str) else repr(value)
