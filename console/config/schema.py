"""The shape of the config file: every key at every level, and the TOML type it takes.

One place knows every key, so a typo (`windw`, `bearer_tokn_file`) is an error naming the
nearest known key instead of a setting silently not applied (a typo in a token key means
no auth), and a value of the wrong TOML type (a table where a string goes, a list of
integers for contexts) is one line naming the key, checked before any value is used.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from console.config.profiles import FIXED_FIELDS, OPTIONAL_ROLES, Profile
from console.config.types import ConfigError
from console.config.values import boolean, label_name, shown, text


@dataclass(frozen=True)
class Table:
    """A TOML table with fixed keys."""

    keys: Mapping[str, Field]


@dataclass(frozen=True)
class TableList:
    """An array of tables (`[[targets]]`), each with the same fixed keys."""

    keys: Mapping[str, Field]


Check = Callable[[Any, str], None]
Field = str | Table | TableList | Check
"""A kind name of _KINDS, a nested table, an array of tables, or a check of its own."""

_KINDS: Mapping[str, tuple[Callable[[Any], bool], str]] = {
    "string": (lambda v: isinstance(v, str), "a string"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "duration": (lambda v: isinstance(v, (str, int, float)) and not isinstance(v, bool),
                 'a duration such as "5m" (or a number of seconds)'),
    "size": (lambda v: isinstance(v, (str, int)) and not isinstance(v, bool),
             'a size such as "20MB"'),
    "count": (lambda v: isinstance(v, (str, int)) and not isinstance(v, bool),
              "a whole number"),
    "strings": (lambda v: isinstance(v, str) or (isinstance(v, list) and bool(v) and all(
        isinstance(i, str) for i in v)), "a string or an array of strings"),
}


def toml_type(value: Any) -> str:
    """The TOML name of a parsed value's type, for "must be X, not Y"."""
    for kind, name in ((bool, "a boolean"), (int, "an integer"), (float, "a float"),
                       (str, "a string"), (list, "an array"), (dict, "a table")):
        if isinstance(value, kind):
            return name
    return "a date or time"


def _headers(value: Any, where: str) -> None:
    """`headers = { "X-Scope-OrgID" = "t1" }`, or an array of "Name: value" strings."""
    if isinstance(value, Mapping):
        for name, item in value.items():
            if not isinstance(item, str):
                raise ConfigError(f"{where} {name!r} must be a string, not {toml_type(item)}")
    elif not (isinstance(value, list) and all(isinstance(i, str) for i in value)):
        raise ConfigError(f"{where} must be a table of name = value, not {toml_type(value)}")


def _prices(value: Any, where: str) -> None:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} must be a table of model = dollars, not {toml_type(value)}")
    for model, price in value.items():
        if (isinstance(price, bool) or not isinstance(price, (int, float))
                or not math.isfinite(price) or price < 0):
            raise ConfigError(f"{where} {model!r}: {price!r} is not a price in dollars")


METRIC_ROLES = tuple(f.name for f in fields(Profile) if f.name not in FIXED_FIELDS)
"""The `[metrics]` keys: every role a profile names (`requests`, `model_label`...)."""


def _metrics(value: Any, where: str) -> None:
    """Role names of the profile, each checked for what it becomes in PromQL."""
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} must be a table of role = name, not {toml_type(value)}")
    for role, name in value.items():
        if role not in METRIC_ROLES:
            raise ConfigError(f"unknown metrics key {role!r} in {where}"
                              f"{_nearest(role, list(METRIC_ROLES))}")
        what = f"{where} {role}"
        if isinstance(name, (dict, list)) or not isinstance(name, (str, int, float, bool)):
            raise ConfigError(f"{what} must be a string, not {toml_type(name)}")
        if role == "duration_unit_s":
            try:
                unit = float(name)
            except ValueError:
                raise ConfigError(f"{what}: {shown(name)} is not a number") from None
            if isinstance(name, bool) or not math.isfinite(unit) or unit <= 0:
                raise ConfigError(f"{what}: {shown(name)} must be a number above zero")
        elif role == "tokens_is_histogram":
            boolean(name, what)
        elif role.endswith("_label"):
            label_name(name, what)
        elif not isinstance(name, str):
            raise ConfigError(f"{what} must be a string, not {toml_type(name)}")
        elif role not in OPTIONAL_ROLES and not name:
            raise ConfigError(f"{what} must not be empty")
        else:
            text(name, what)


ENDPOINT_KEYS: Mapping[str, Field] = {
    "url": "string", "bearer_token": "string", "bearer_token_file": "string",
    "username": "string", "password": "string", "password_file": "string",
    "ca_file": "string", "insecure_skip_tls_verify": "bool", "headers": _headers,
    "timeout": "duration", "secret_headers": "strings",
}
TARGET_KEYS: Mapping[str, Field] = {
    "name": "string", "context": "string", "kubeconfig": "string", "namespace": "string",
    "deployment": "string", "hpa": "string", "read_only": "bool", "cluster": "string",
    "cluster_label": "string", "demo": "string",
    "prometheus_service": "string", "alertmanager_service": "string",
    "prometheus": Table(ENDPOINT_KEYS),
    "alertmanager": Table(ENDPOINT_KEYS),
}
TOP_KEYS: Mapping[str, Field] = {
    "demo": "string", "profile": "string", "window": "duration", "refresh": "duration",
    "timeout": "duration", "read_only": "bool", "low_bandwidth": "bool", "record": "string",
    "record_max_size": "size", "kubeconfig": "string", "context": "strings",
    "namespace": "string", "deployment": "string", "hpa": "string", "cluster_label": "string",
    "prometheus_url": "string", "alertmanager_url": "string",
    "prometheus_service": "string", "alertmanager_service": "string",
    "max_body_size": "size", "deadline": "duration", "max_series": "count",
    "exec_timeout": "duration",
    "prometheus": Table(ENDPOINT_KEYS),
    "alertmanager": Table(ENDPOINT_KEYS),
    "metrics": _metrics, "prices": _prices,
    "targets": TableList(TARGET_KEYS),
}


def _nearest(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (known: {', '.join(sorted(known))})"


def check_config(cfg: Mapping[str, Any]) -> None:
    """Raise ConfigError for the first unknown key or value of the wrong type, at any level."""
    _check_table(cfg, TOP_KEYS, "")


def _check_table(table: Mapping[str, Any], keys: Mapping[str, Field], where: str) -> None:
    """`where` names the table in errors: "" (the top), `[prometheus]`, `[[targets]] 'eu'`."""
    for key, value in table.items():
        if key not in keys:
            place = f" in {where}" if where else ""
            raise ConfigError(f"unknown key {key!r}{place}{_nearest(key, list(keys))}")
        field = keys[key]
        # A table of free keys is named as a table (`[prices]`), a plain value by its key.
        free_table = callable(field)
        if not where and free_table and isinstance(value, Mapping):
            path = f"[{key}]"
        else:
            path = f"{where} {key}" if where else key
        _check_field(value, field, key, path, where)


def _check_field(value: Any, field: Field, key: str, path: str, where: str) -> None:
    if isinstance(field, Table):
        name = f"{where} [{key}]" if where else f"[{key}]"
        if not isinstance(value, Mapping):
            raise ConfigError(f"{name} must be a table, not {toml_type(value)}")
        _check_table(value, field.keys, name)
    elif isinstance(field, TableList):
        if not isinstance(value, list) or not all(isinstance(t, Mapping) for t in value):
            raise ConfigError(f"[[{key}]] must be tables, not {toml_type(value)}")
        for index, item in enumerate(value):
            label = item.get("name")
            name = f"[[{key}]] {label!r}" if isinstance(label, str) else (
                f"[[{key}]] #{index + 1}")
            _check_table(item, field.keys, name)
    elif isinstance(field, str):
        accepts, expected = _KINDS[field]
        if not accepts(value):
            got = toml_type(value)
            if isinstance(value, list):
                got = "an empty array" if not value else "an array holding " + next(
                    (toml_type(i) for i in value if not isinstance(i, str)), "strings")
            raise ConfigError(f"{path} must be {expected}, not {got}")
    else:
        field(value, path)
