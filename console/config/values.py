"""Checks of single values from flags, the environment and the config file.

Each returns the typed value or raises ConfigError with one line naming where the value
came from (`--window`, `AI_GATEWAY_CONSOLE_WINDOW`, `window in c.toml`) and what is wrong
with it. A value that passes is safe where it goes next: a finite interval for a timer, a
URL httpx can connect to, a header and a token that fit in an HTTP header, a CA bundle
that ssl loads, text with no control character for the terminal.
"""

from __future__ import annotations

import math
import re
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from console.config.types import ConfigError, ServiceRef
from console.text.durations import format_duration, parse_duration
from console.text.sizes import parse_size

MAX_TEXT = 8192
"""Longest text setting, in characters: room for a long URL or a JWT in a header."""
MAX_SECRET_FILE = 64 * 1024
"""A token or password file larger than this is the wrong file (or /dev/zero)."""

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 token
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")  # what httpx sends: visible ASCII, space, tab
_TOKEN = re.compile(r"[\x21-\x7e]+")


def shown(value: object) -> str:
    """A value quoted for an error line: repr escapes control characters; cut short."""
    text = value if isinstance(value, str) else str(value)
    return repr(text if len(text) <= 40 else text[:40] + "…")


def text(value: Any, what: str, *, limit: int = MAX_TEXT) -> str:
    """A string with no control or invisible character (it reaches the terminal), capped."""
    if not isinstance(value, str):
        raise ConfigError(f"{what} must be a string")
    if len(value) > limit:
        raise ConfigError(f"{what}: {shown(value)} is longer than {limit} characters")
    for pos, char in enumerate(value):
        if not char.isprintable():
            raise ConfigError(f"{what}: {shown(value)} has a control or invisible character "
                              f"at position {pos}")
    return value


def nonempty(value: Any, what: str) -> str:
    out = text(value, what)
    if not out.strip():
        raise ConfigError(f"{what} must not be empty")
    return out


@dataclass(frozen=True)
class Bounds:
    """Where a duration makes sense, in seconds, both ends included."""

    at_least: float
    at_most: float


def duration(value: Any, what: str, bounds: Bounds) -> float:
    """Seconds from `5m`-style text, or a TOML number of seconds; finite and in range."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(f"{what} must be a duration such as 30s, 5m, 1h")
    if isinstance(value, str):
        try:
            seconds = parse_duration(text(value, what, limit=64))
        except ValueError as exc:
            raise ConfigError(f"{what}: {exc}") from None
    else:
        seconds = float(value)
        if not math.isfinite(seconds):
            raise ConfigError(f"{what}: {value!r} is not a duration (use e.g. 30s, 5m, 1h)")
        if seconds <= 0:
            raise ConfigError(f"{what} must be longer than zero")
    if seconds < bounds.at_least:
        raise ConfigError(f"{what} must be at least {format_duration(bounds.at_least)}")
    if seconds > bounds.at_most:
        raise ConfigError(f"{what} must be at most {format_duration(bounds.at_most)}")
    return seconds


def boolean(value: Any, what: str) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{what}: {shown(value)} is not true or false")


def size(value: Any, what: str, *, at_least: int) -> int:
    """Bytes from `20MB`-style text or a TOML integer."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ConfigError(f"{what} must be a size such as 20MB")
    try:
        out = parse_size(str(value))
    except ValueError as exc:
        raise ConfigError(f"{what}: {exc}") from None
    if out < at_least:
        raise ConfigError(f"{what}: {shown(value)} is too small (at least {at_least // 1024}KB)")
    return out


MAX_COUNT = 10_000_000
"""A larger count is a typo (and would make a PromQL `topk` pointless)."""


def count(value: Any, what: str, *, at_least: int) -> int:
    """A whole number from a TOML integer or text such as `2000` or `2_000`."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ConfigError(f"{what} must be a whole number")
    raw = str(value).strip().replace("_", "").replace(",", "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(MAX_COUNT)):
        raise ConfigError(f"{what}: {shown(value)} is not a whole number up to {MAX_COUNT:,}")
    out = int(raw)
    if not at_least <= out <= MAX_COUNT:
        raise ConfigError(f"{what}: {shown(value)} must be from {at_least} to {MAX_COUNT:,}")
    return out


def kube_name(value: Any, what: str, *, label: bool = False) -> str:
    """A Kubernetes object name: a DNS-1123 label (namespaces) or subdomain (the rest)."""
    name = nonempty(value, what)
    pattern, limit = (_DNS_LABEL, 63) if label else (_DNS_SUBDOMAIN, 253)
    if len(name) > limit or not pattern.fullmatch(name):
        kind = "DNS label" if label else "DNS subdomain"
        raise ConfigError(f"{what}: {shown(name)} is not a Kubernetes name (a {kind}: "
                          f"lower-case letters, digits and '-', at most {limit})")
    return name


_PORT_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def service_ref(value: Any, what: str) -> ServiceRef:
    """`NAMESPACE/NAME:PORT` (PORT a port name or number, optional) of a Service."""
    raw = nonempty(value, what).strip()
    namespace, slash, rest = raw.partition("/")
    name, colon, port = rest.partition(":")
    if not slash or not namespace or not name or (colon and not port):
        raise ConfigError(f"{what}: {shown(raw)} is not NAMESPACE/NAME:PORT "
                          "(e.g. monitoring/prometheus-operated:web)")
    kube_name(namespace, f"{what} namespace", label=True)
    kube_name(name, f"{what} Service name", label=True)
    if port.isdigit():
        if not 1 <= int(port) <= 65535:
            raise ConfigError(f"{what}: port {shown(port)} is not between 1 and 65535")
    elif port and (len(port) > 15 or not _PORT_NAME.fullmatch(port)):
        raise ConfigError(f"{what}: {shown(port)} is not a Service port name or number")
    return ServiceRef(namespace, name, port or None)


def label_name(value: Any, what: str) -> str:
    """A Prometheus label name: it goes into PromQL unquoted."""
    name = nonempty(value, what)
    if not _LABEL_NAME.fullmatch(name):
        raise ConfigError(f"{what}: {shown(name)} is not a Prometheus label name")
    return name


def url(value: Any, what: str) -> str:
    """An http(s) URL with a host and a valid port, without its trailing slash."""
    raw = nonempty(value, what).strip()
    if any(char.isspace() for char in raw):
        raise ConfigError(f"{what}: {shown(raw)} has a space in it")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"{what}: {shown(raw)} is not a URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ConfigError(f"{what} {shown(raw)} must start with http:// or https://")
    if not parts.hostname:
        raise ConfigError(f"{what}: {shown(raw)} has no host")
    if port == 0:
        raise ConfigError(f"{what}: {shown(raw)} has port 0")
    return raw.rstrip("/")


def header(item: Any, what: str) -> tuple[str, str]:
    """One `Name: value` header, as httpx can send it (ASCII only)."""
    name, sep, value = text(item, what).partition(":")
    if not sep or not name.strip():
        raise ConfigError(f"{what}: {shown(item)} is not 'Name: value'")
    return header_pair(name.strip(), value.strip(), what)


def header_pair(name: Any, value: Any, what: str) -> tuple[str, str]:
    name = text(name, what)
    if not _HEADER_NAME.fullmatch(name):
        raise ConfigError(f"{what}: {shown(name)} is not a header name (ASCII letters, "
                          "digits and -)")
    value = text(value, f"{what} {name}")
    if not _HEADER_VALUE.fullmatch(value):
        raise ConfigError(f"{what} {name}: the value has a character an HTTP header cannot "
                          "carry (ASCII only)")
    return name, value


def token(value: str, what: str) -> str:
    """A bearer token: it goes after `Bearer ` in a header, so visible ASCII only."""
    value = value.strip()
    if not value:
        raise ConfigError(f"{what} is empty")
    if len(value) > MAX_SECRET_FILE or not _TOKEN.fullmatch(value):
        # Never quote it: it is a secret, even when it is a wrong one.
        raise ConfigError(f"{what} has a character a bearer token cannot have "
                          "(visible ASCII only, no spaces)")
    return value


def password(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise ConfigError(f"{what} is empty")
    if len(value) > MAX_SECRET_FILE or not value.isprintable():
        raise ConfigError(f"{what} has a control character or is too long")
    return value


def username(value: Any, what: str) -> str:
    name = nonempty(value, what)
    if ":" in name:
        raise ConfigError(f"{what}: a basic-auth user name cannot contain ':'")
    return name


def read_secret_file(path: Any, what: str) -> str:
    """The UTF-8 text of a token or password file, read no further than MAX_SECRET_FILE."""
    name = nonempty(path, what)
    try:
        with Path(name).expanduser().open("rb") as fh:
            data = fh.read(MAX_SECRET_FILE + 1)
    except OSError as exc:
        raise ConfigError(f"{what} {name} cannot be read: {exc.strerror}") from None
    if len(data) > MAX_SECRET_FILE:
        raise ConfigError(f"{what} {name} is larger than {MAX_SECRET_FILE // 1024}KB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{what} {name} is not UTF-8 text") from None


def ca_file(path: Any, what: str) -> str:
    """A CA bundle that ssl loads the way httpx will, so a wrong file fails here, not later."""
    name = nonempty(path, what)
    file = Path(name).expanduser()
    if not file.exists():
        raise ConfigError(f"{what} {name} does not exist")
    if not file.is_file():
        raise ConfigError(f"{what} {name} is not a file")
    try:
        ssl.create_default_context(cafile=str(file))
    except ssl.SSLError as exc:
        raise ConfigError(f"{what} {name} is not a PEM certificate bundle "
                          f"({exc.reason or exc.strerror})") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{what} {name} cannot be read: {exc}") from None
    return name
