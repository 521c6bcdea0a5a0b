"""`--print-config`: the effective settings as TOML-like text, every secret masked.

The printout is for pasting into a ticket or a chat when the console reads the wrong
thing, so it must show every setting and no credential: Secret values, the password of a
`user:password@` URL, every query value of a URL (`?api_key=...`), and every header that
carries a credential — by its name (Authorization, X-Api-Key, *token*, *secret*, *key*,
Cookie...), because its value looks like one (`Bearer ...`, `Basic ...`), or because the
user marked it with `secret_headers`. No Textual here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import fields, is_dataclass
from typing import Any

from console.durations import format_duration
from console.limits import format_size
from console.scrub import MASK, is_secret_header, mask_url
from console.settings import Secret, Settings

_CREDENTIAL_SCHEMES = ("bearer ", "basic ", "token ", "digest ", "negotiate ")


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _header(name: str, value: Any, marked: Collection[str]) -> str:
    text = str(value)
    if is_secret_header(name, marked) or text.strip().lower().startswith(_CREDENTIAL_SCHEMES):
        return _quoted(MASK)
    return _quoted(text)


def _value(name: str, value: Any, owner: Any) -> str:
    """One value as shown; `owner` is the dataclass holding it (for marked headers)."""
    if isinstance(value, Secret):
        return _quoted(MASK)
    if isinstance(value, Mapping):
        marked: Collection[str] = getattr(owner, "secret_headers", frozenset())
        # Only header names hint at secrets; a [metrics] "tokens" key is not one.
        return "{" + ", ".join(
            f"{_quoted(str(k))} = "
            + (_header(str(k), v, marked) if name == "headers"
               else _quoted(v) if isinstance(v, str) else repr(v))
            for k, v in value.items()
        ) + "}"
    if isinstance(value, (frozenset, set, tuple, list)):
        return "[" + ", ".join(_quoted(str(v)) for v in sorted(value, key=str)) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and name.endswith("_s"):
        return _quoted(format_duration(value))
    if isinstance(value, int) and name.endswith("_bytes"):
        return _quoted(format_size(value))
    if value is None:
        return "# not set"
    if isinstance(value, str):
        return _quoted(mask_url(value))
    return repr(value)


def _emit(lines: list[str], prefix: str, obj: Any) -> None:
    """A table's plain values first, then its sub-tables, so the text reads as TOML does."""
    tables = []
    for f in fields(obj):
        value = getattr(obj, f.name)
        if f.name == "targets":
            continue
        if is_dataclass(value):
            tables.append((f.name, value))
            continue
        lines.append(f"{f.name} = {_value(f.name, value, obj)}")
    for name, value in tables:
        lines.append(f"[{prefix}{name}]")
        _emit(lines, f"{prefix}{name}.", value)


def describe_settings(settings: Settings) -> str:
    lines: list[str] = []
    _emit(lines, "", settings)
    for i, target in enumerate(settings.targets):
        lines.append(f"\n[[targets]]  # {i}")
        _emit(lines, f"targets.{i}.", target)
    return "\n".join(lines)
