"""The contexts of the user's kubeconfig, for `c` and the command line's `ctx` completion.

Read as kubectl reads it (KUBECONFIG may list several files; names from all of
them, the first current-context wins), without the kubernetes client, so the
demo and the completion stay cheap. A missing or unreadable file is no contexts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Contexts:
    names: tuple[str, ...]
    current: str | None
    namespaces: Mapping[str, str]
    """The namespace each context names, where it names one."""


def kubeconfig_path(explicit: str | None, env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return explicit or env.get("KUBECONFIG") or str(Path("~/.kube/config").expanduser())


def read_contexts(path: str) -> Contexts:
    import yaml

    names: list[str] = []
    namespaces: dict[str, str] = {}
    current: str | None = None
    for part in path.split(os.pathsep):
        file = Path(part).expanduser()
        if not part or not file.is_file():
            continue
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if not isinstance(data, Mapping):
            continue
        for entry in data.get("contexts") or []:
            if isinstance(entry, Mapping) and entry.get("name"):
                name = str(entry["name"])
                if name not in names:
                    names.append(name)
                ctx = entry.get("context")
                if isinstance(ctx, Mapping) and ctx.get("namespace"):
                    namespaces.setdefault(name, str(ctx["namespace"]))
        current = current or (str(data["current-context"]) if data.get("current-context")
                              else None)
    return Contexts(tuple(names), current, namespaces)
