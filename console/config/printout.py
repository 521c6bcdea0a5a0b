"""`--print-config`: the effective settings as a config file that `--config` reads back.

The printout is for saving and editing, and for pasting into a ticket when the console
reads the wrong thing: so the keys are the config file's own, and no credential shows.
A secret read from a file is printed as that file (and read again on load); a secret
given as a value, the password of a `user:password@` URL, every query value of a URL
(`?api_key=...`), and every header that carries a credential — by its name
(Authorization, X-Api-Key, *token*, *secret*, *key*, Cookie...), by its value
(`Bearer ...`, `Basic ...`) or because the user marked it with `secret_headers` — is left
out or masked, with a comment saying what to give again. No Textual here.
"""

from __future__ import annotations

from typing import Any

import tomli_w

from console.config.limits import ReadLimits
from console.config.profiles import DEFAULT_PRICES_PER_MTOK
from console.config.types import ENV_PREFIX, HttpEndpoint, Settings, TargetSettings
from console.text.durations import format_duration, parse_duration
from console.text.scrub import is_secret_header, mask_url
from console.text.sizes import format_size

_APIS = ("prometheus", "alertmanager")
_CREDENTIAL_SCHEMES = ("bearer ", "basic ", "token ", "digest ", "negotiate ")


def describe_settings(settings: Settings) -> str:
    notes = [f"# ai-gateway-console --print-config: the effective settings, secrets left out."
             f" From {settings.config_path or 'no config file'}."]
    if settings.seed is not None:
        notes.append(f"# --seed {settings.seed} is a flag only.")
    top: dict[str, Any] = {} if settings.demo is None else {"demo": settings.demo}
    top |= {"profile": settings.profile, "window": _toml_duration(settings.window_s),
            "refresh": _toml_duration(settings.refresh_s),
            "timeout": _toml_duration(settings.targets[0].request_timeout_s),
            "read_only": settings.read_only,
            "low_bandwidth": settings.low_bandwidth}
    if settings.record:
        top["record"] = settings.record
    top["record_max_size"] = format_size(settings.record_max_bytes)
    top |= _limits_keys(settings.limits)
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


def _limits_keys(limits: ReadLimits) -> dict[str, Any]:
    keys: dict[str, Any] = {"max_body_size": format_size(limits.max_body_bytes),
                            "max_series": limits.max_series,
                            "exec_timeout": _toml_duration(limits.exec_timeout_s)}
    if limits.deadline_s is not None:
        keys["deadline"] = _toml_duration(limits.deadline_s)
    return keys


def _toml_duration(seconds: float) -> str | float:
    """`5m` when that reads back exactly, else the number of seconds."""
    text = format_duration(seconds)
    return text if parse_duration(text) == seconds else seconds


def _target_table(target: TargetSettings, *, top_level: bool) -> dict[str, Any]:
    table: dict[str, Any] = {} if top_level else {"name": target.name}
    optional: dict[str, str | None] = {
        "context": target.context, "kubeconfig": target.kubeconfig,
        "prometheus_service": (str(target.prometheus_service)
                               if target.prometheus_service else None),
        "alertmanager_service": (str(target.alertmanager_service)
                                 if target.alertmanager_service else None)}
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


def secret_header(endpoint: HttpEndpoint, name: str, value: str) -> bool:
    """A header whose value must not be printed: by its name, its value, or marked secret."""
    return (is_secret_header(name, endpoint.secret_headers)
            or value.strip().lower().startswith(_CREDENTIAL_SCHEMES))


def _endpoint_sections(endpoint: HttpEndpoint, header: str, api: str, notes: list[str]
                       ) -> list[tuple[str, dict[str, Any]]]:
    """The endpoint's table and its headers' table; each secret left out gets a note."""
    table: dict[str, Any] = {"url": mask_url(endpoint.url)}
    if table["url"] != endpoint.url:
        notes.append(f"# {header} url: its password or query values are masked; "
                     "give them again.")
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
    if endpoint.secret_headers:
        table["secret_headers"] = sorted(endpoint.secret_headers)
    headers: dict[str, str] = {}
    for name, value in endpoint.headers.items():
        if secret_header(endpoint, name, value):
            notes.append(f'# {header[:-1]}.headers] "{name}" = "***"  (secret: not printed)')
        else:
            headers[name] = value
    sections = [(header, table)]
    if headers:
        sections.append((f"{header[:-1]}.headers]", headers))
    return sections
