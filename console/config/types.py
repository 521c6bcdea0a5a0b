"""The settings' types: frozen dataclasses every layer builds and every reader gets.

Kept apart from the loading (load.py and its helpers) and the printing (printout.py),
which build and read these types, so that no module of config/ imports one that imports
it back; `console.config.settings` is the one name the rest of the console imports.
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

from console.config.limits import ReadLimits
from console.config.profiles import DEFAULT_PRICES_PER_MTOK
from console.text.durations import format_duration

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


@dataclass(frozen=True, slots=True)
class ServiceRef:
    """A Service read through the API server's service proxy (`NS/NAME:PORT`)."""

    namespace: str
    name: str
    port: str | None = None
    """The Service port's name or number; None: read from the Service (web, http-web, http)."""

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}" + (f":{self.port}" if self.port else "")


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
    prometheus_service: ServiceRef | None = None
    """Pinned Prometheus Service (`--prometheus-service`); with no URL and no pin, the
    console looks for one in the cluster (console/sources/discovery.py)."""
    alertmanager_service: ServiceRef | None = None
    request_timeout_s: float = 5.0
    """The top-level timeout (`--timeout`, else 2 x refresh in 2..10 s): reads through the
    API server's service proxy have no endpoint of their own to carry one."""

    @property
    def has_alertmanager(self) -> bool:
        """An Alertmanager URL, or one looked for in the cluster (with Prometheus, or pinned)."""
        return (self.alertmanager is not None or self.prometheus is None
                or self.alertmanager_service is not None)


@dataclass(frozen=True)
class Settings:
    targets: tuple[TargetSettings, ...]
    demo: str | None = None
    profile: str = "seed"
    profile_note: str = ""
    """How `--profile auto` chose the profile (console/sources/profile_detect.py); "" when
    the user named it."""
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
    """--record FILE: append every poll to this file for `replay` (console/record/recorder.py)."""
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
