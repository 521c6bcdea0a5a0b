"""Which kubeconfig the console reads, and the contexts in it: one resolver for everyone.

The Kubernetes source, the doctor, `c` (the contexts list) and the command line's `ctx`
completion must agree on the file, or the list would offer contexts the source cannot
use, and the doctor could check a different cluster than the console shows. So all of
them ask `kubeconfig_path`, which follows kubectl's order:

1. the explicit path (`--kubeconfig`, or the config file's `kubeconfig`);
2. `$KUBECONFIG`, a list of files separated by `:` and merged as kubectl merges them
   (contexts from every file, the first `current-context` wins);
3. `~/.kube/config`;
4. none of those inside a pod (`KUBERNETES_SERVICE_HOST` set and no `~/.kube/config`):
   the pod's service account (`None` here; the client loads the in-cluster config).

The files are read here with PyYAML, without the kubernetes client, so the demo and the
completion stay cheap. No Textual here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from console.sources.base import SourceError

IN_CLUSTER = "in-cluster service account"
"""What the console names as its context when it runs on a pod's service account."""


@dataclass(frozen=True, slots=True)
class Contexts:
    """The contexts of a kubeconfig, in file order, for the contexts list and completion."""

    names: tuple[str, ...]
    current: str | None
    namespaces: Mapping[str, str]
    """The namespace each context names, where it names one."""


def default_kubeconfig(env: Mapping[str, str] | None = None) -> Path:
    """`~/.kube/config` of the user (of `env`'s HOME when given)."""
    env = os.environ if env is None else env
    home = env.get("HOME") or os.path.expanduser("~")
    return Path(home) / ".kube" / "config"


def kubeconfig_path(explicit: str | None, env: Mapping[str, str] | None = None) -> str | None:
    """The kubeconfig to read, as kubectl picks it; None in a pod: its service account."""
    env = os.environ if env is None else env
    if explicit:
        return str(explicit)
    listed = env.get("KUBECONFIG")
    if listed:
        return listed
    default = default_kubeconfig(env)
    # os.path.isfile, not Path.exists: a HOME too long for the kernel is "no file", no OSError.
    if os.path.isfile(default) or not env.get("KUBERNETES_SERVICE_HOST"):
        return str(default)
    return None


def _files(path: str) -> list[Path]:
    """The files a kubeconfig path names (a `:` list), those that exist, in order."""
    return [f for f in (Path(p).expanduser() for p in path.split(os.pathsep) if p)
            if f.is_file()]


def _load(file: Path) -> Mapping[str, Any]:
    """One kubeconfig file as a mapping; ValueError naming the file when it is not one."""
    import yaml

    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read kubeconfig {file}: {type(exc).__name__}") from None
    if not isinstance(data, Mapping):
        raise ValueError(f"kubeconfig {file} is not a kubeconfig file")
    return data


def _entries(data: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(name, context) of every named context entry of one file."""
    for entry in data.get("contexts") or []:
        if isinstance(entry, Mapping) and entry.get("name"):
            ctx = entry.get("context")
            yield str(entry["name"]), ctx if isinstance(ctx, Mapping) else {}


def read_contexts(path: str | None) -> Contexts:
    """Every context of the kubeconfig at `path`; a missing or unreadable file is no contexts.

    `path` is what `kubeconfig_path` answered: None (a pod's service account) has none.
    """
    names: list[str] = []
    namespaces: dict[str, str] = {}
    current: str | None = None
    for file in _files(path or ""):
        try:
            data = _load(file)
        except ValueError:
            continue
        for name, ctx in _entries(data):
            if name in names:
                continue  # kubectl keeps the first file's entry whole, namespace included
            names.append(name)
            if ctx.get("namespace"):
                namespaces[name] = str(ctx["namespace"])
        current = current or (str(data["current-context"]) if data.get("current-context")
                              else None)
    return Contexts(tuple(names), current, namespaces)


def check_context(path: str, context: str | None) -> str:
    """The context that will be used, with a clear message if it is not there.

    Read here because the client's loader reports these cases as "Invalid kube-config
    file. Expected object with name ..."; an unreadable file is a SourceError naming it.
    """
    existing = _files(path)
    if not existing:
        raise SourceError(f"kubeconfig {path} not found")
    names: list[str] = []
    current = ""
    for file in existing:
        try:
            data = _load(file)
        except ValueError as exc:
            raise SourceError(str(exc)) from None
        names.extend(name for name, _ in _entries(data))
        current = current or str(data.get("current-context") or "")
    if context:
        if context not in names:
            raise SourceError(f"context {context} not found in kubeconfig {path}")
        return context
    if not current:
        raise SourceError(f"kubeconfig {path} has no current-context (give --context)")
    if current not in names:
        raise SourceError(f"current-context {current} not found in kubeconfig {path}")
    return current


def resolve_context(explicit: str | None, context: str | None,
                    env: Mapping[str, str] | None = None) -> str:
    """The context the console will use (or IN_CLUSTER); SourceError when it cannot."""
    path = kubeconfig_path(explicit, env)
    return IN_CLUSTER if path is None else check_context(path, context)
