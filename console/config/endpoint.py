"""One HTTP endpoint (Prometheus or Alertmanager) from flags, environment and a config table.

Every part is checked here, where the user can still be told which flag, variable or key
to fix: the URL parses and has a host and a port in range, the token and headers fit in
an HTTP header, secret files are UTF-8 and small, the CA file is a PEM bundle that ssl
loads. The files a secret came from are kept, so --print-config can name them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from console.config import values
from console.config.layers import Found, Layers
from console.config.limits import ReadLimits
from console.config.types import ENV_PREFIX, ConfigError, HttpEndpoint, Secret

TIMEOUT_RANGE = values.Bounds(at_least=0.1, at_most=3600.0)
"""A request timeout from 100ms to an hour: 0 would fail every request, more is a typo."""


def build_endpoint(api: str, layers: Layers, section: Mapping[str, Any], where: str,
                   default_timeout: float, limits: ReadLimits, *,
                   top_url: Found | None = None) -> HttpEndpoint | None:
    """The endpoint of `api` ("prometheus" or "alertmanager"), None when it has no URL.

    `section` is its config table, named `where` in errors (`[prometheus]`, or a target's
    `[[targets]] 'eu' [prometheus]`); `top_url` the legacy top-level `prometheus_url` key.
    """
    env_up = ENV_PREFIX + api.upper()
    flag_headers = _flag_headers(api, layers)  # checked even when there is no URL
    found = (layers.flag(f"{api}_url") or layers.environ(env_up + "_URL")
             # PROMETHEUS_URL is environment too: it outranks the config file's url.
             or (layers.environ("PROMETHEUS_URL") if api == "prometheus" else None)
             or layers.config("url", section, where) or top_url)
    if found is None:
        return None
    url = values.url(found[0], found[1])

    def pick(flag: str, env_name: str, key: str) -> Found | None:
        return (layers.flag(flag) or layers.environ(env_name)
                or layers.config(key, section, where))

    token, token_file = _secret(api, layers, section, where, "token", "bearer_token")
    password, password_file = _secret(api, layers, section, where, "password", "password")
    user = pick(f"{api}_username", env_up + "_USERNAME", "username")
    username = values.username(*user) if user else None
    if password is not None and not username:
        raise ConfigError(f"{api}: a password was given without a username")
    ca = pick(f"{api}_ca_file", env_up + "_CA_FILE", "ca_file")
    insecure = pick("insecure_skip_tls_verify", ENV_PREFIX + "INSECURE_SKIP_TLS_VERIFY",
                    "insecure_skip_tls_verify")
    headers = _config_headers(layers, section, where)
    headers.update(flag_headers)
    timeout = pick("timeout", ENV_PREFIX + "TIMEOUT", "timeout")
    return HttpEndpoint(
        url=url,
        bearer_token=token,
        username=username,
        password=password,
        ca_file=values.ca_file(ca[0], f"{api} CA file") if ca else None,
        insecure_skip_tls_verify=values.boolean(*insecure) if insecure else False,
        headers=headers,
        timeout_s=(values.duration(*timeout, TIMEOUT_RANGE) if timeout else default_timeout),
        bearer_token_file=token_file,
        password_file=password_file,
        secret_headers=_secret_headers(layers, section, where),
        limits=limits,
    )


def _secret_headers(layers: Layers, section: Mapping[str, Any], where: str) -> frozenset[str]:
    """Headers the user marks secret (`secret_headers = [...]`; the schema checked the type)."""
    found = layers.config("secret_headers", section, where)
    if found is None:
        return frozenset()
    names = [found[0]] if isinstance(found[0], str) else found[0]
    return frozenset(values.text(n, found[1]).strip().lower() for n in names)


def _secret(api: str, layers: Layers, section: Mapping[str, Any], where: str, kind: str,
            key: str) -> tuple[Secret | None, str | None]:
    """A token or password and the file it came from (None: a value, or not given).

    Flag and environment (file or value) outrank the config file (file or value).
    """
    env_name = f"{ENV_PREFIX}{api.upper()}_{kind.upper()}"
    what = f"{api} {kind}"
    check = values.token if kind == "token" else values.password
    from_file = layers.flag(f"{api}_{kind}_file") or layers.environ(env_name + "_FILE")
    if from_file is None and layers.environ(env_name) is None:
        from_file = layers.config(f"{key}_file", section, where)
    if from_file is not None:
        path = values.nonempty(*from_file)
        content = values.read_secret_file(path, f"{what} file")
        return Secret(check(content, f"{what} file {path}")), path
    given = layers.environ(env_name) or layers.config(key, section, where)
    if given is None or not given[0]:
        return None, None
    # Never through values.text: its errors quote the value, and this one is a secret.
    return Secret(check(str(given[0]), given[1])), None


def _flag_headers(api: str, layers: Layers) -> dict[str, str]:
    found = layers.flag(f"{api}_header")
    items = found[0] if found else []
    return dict(values.header(item, f"--{api}-header") for item in items)


def _config_headers(layers: Layers, section: Mapping[str, Any], where: str) -> dict[str, str]:
    found = layers.config("headers", section, where)
    if found is None:
        return {}
    given, what = found
    if isinstance(given, Mapping):
        return dict(values.header_pair(name, value, what) for name, value in given.items())
    return dict(values.header(item, what) for item in given)
