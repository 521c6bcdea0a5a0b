"""The gateway's ConfigMap for `E`: which one, as an editable text, and its exact version.

Which ConfigMap: the first one the Deployment's pod template uses — a `configMap`
volume, then a container's `envFrom.configMapRef`, then an `env.valueFrom.
configMapKeyRef` — and, when it uses none, the name configured for the hints
(`config_map` in hints.toml, `ai-gateway-config` by default). Secrets are never
candidates: the console does not open them. The data is edited as read (never cleaned:
what is written back must be what the user saw in the editor); a ConfigMap with one key
is edited as that key's text, one with several as a YAML mapping of key to text.
No I/O and no Textual here.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from console.text.safe_text import clean_line

MAX_DIFF_LINES = 14


@dataclass(frozen=True, slots=True)
class ConfigMapVersion:
    """One ConfigMap exactly as read: an update of it carries this resourceVersion."""

    name: str
    resource_version: str
    data: Mapping[str, str] = field(default_factory=dict)
    chosen_by: str = ""
    """How the console picked it, said in the dialog ("mounted by the pod template")."""


def _containers(spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or ():
            if isinstance(c, Mapping):
                yield c


def referenced(deployment: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(name, how) of every ConfigMap the pod template uses, in the order described above."""
    spec = ((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}
    found: list[tuple[str, str]] = []
    for vol in spec.get("volumes") or ():
        ref = vol.get("configMap") if isinstance(vol, Mapping) else None
        if isinstance(ref, Mapping) and ref.get("name"):
            found.append((str(ref["name"]), f"mounted as volume {vol.get('name', '?')}"))
    for c in _containers(spec):
        for src in c.get("envFrom") or ():
            ref = src.get("configMapRef") if isinstance(src, Mapping) else None
            if isinstance(ref, Mapping) and ref.get("name"):
                found.append((str(ref["name"]), f"envFrom of container {c.get('name', '?')}"))
        for env in c.get("env") or ():
            ref = ((env.get("valueFrom") or {}).get("configMapKeyRef")
                   if isinstance(env, Mapping) else None)
            if isinstance(ref, Mapping) and ref.get("name"):
                found.append((str(ref["name"]), f"env {env.get('name', '?')} of container "
                                                f"{c.get('name', '?')}"))
    first: dict[str, str] = {}
    for name, how in found:
        first.setdefault(name, how)
    return list(first.items())


def choose(deployment: Mapping[str, Any], configured: str) -> tuple[str, str]:
    """The ConfigMap `E` opens and how it was chosen (said in the dialog)."""
    refs = referenced(deployment)
    if refs:
        name, how = refs[0]
        return name, f"{how} in the pod template"
    return configured, "the configured name (the pod template names no ConfigMap)"


class _Literal(str):
    """A string YAML writes as a `|` block, so that a config file stays readable."""


def _literal(dumper: yaml.SafeDumper, value: _Literal) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Literal, _literal)


def edit_text(data: Mapping[str, str]) -> str:
    """What the editor opens: the one key's text, or a YAML mapping of several."""
    if len(data) == 1:
        return next(iter(data.values()))
    return yaml.dump({k: _Literal(v) if "\n" in v else v for k, v in data.items()},
                     Dumper=_Dumper, sort_keys=True, allow_unicode=True)


def parse_edit(text: str, original: Mapping[str, str]) -> dict[str, str]:
    """The data as edited; ValueError (one line) when a several-keys text is not a mapping."""
    if len(original) == 1:
        return {next(iter(original)): text}
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"not YAML any more: {clean_line(str(exc))[:120]}") from None
    if not isinstance(loaded, Mapping) or not all(isinstance(k, str) for k in loaded):
        raise ValueError("the edited text must stay a mapping of key: text")
    return {k: "" if v is None else str(v) for k, v in loaded.items()}


def data_diff(old: Mapping[str, str], new: Mapping[str, str]) -> tuple[str, ...]:
    """The change as a unified diff per key, cleaned for the screen and capped."""
    lines: list[str] = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key, "").splitlines(), new.get(key, "").splitlines()
        lines += [clean_line(line)[:200] for line in difflib.unified_diff(
            a, b, f"{key} (read)", f"{key} (edited)", n=1, lineterm="")]
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"… {len(lines) - MAX_DIFF_LINES} more lines"]
    return tuple(lines)
