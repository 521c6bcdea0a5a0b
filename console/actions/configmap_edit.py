"""`E`: edit the gateway's ConfigMap in $VISUAL / $EDITOR, as `kubectl edit` and k9s do.

The ConfigMap is read through the action's bound sources (which one: see
console/sources/kube_configmap.py), written to a private temporary file (0600 in a
0700 folder, deleted afterwards; the ConfigMap's name is not part of the path), and the
editor runs in the terminal while the console is suspended (`App.suspend()`). What
comes back is compared with what was read: no change sends nothing; a change is shown
as a diff in the confirmation and written as an update of exactly the version read.
Secrets are never opened: only ConfigMaps are read here.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from textual.app import App, SuspendNotSupported

from console.actions.files import write_private
from console.actions.runner import BoundAction
from console.screens.confirm import diff_text
from console.screens.details import DetailScreen
from console.sources import kube_configmap
from console.sources.base import ActionError, ConfigConflict, SourceError
from console.sources.kube_configmap import ConfigMapVersion
from console.text.safe_text import clean_line

HEADLESS_EDITOR_TIMEOUT_S = 60.0
"""Without a terminal to hand over (tests), a scripted editor gets this long."""


def editor_argv(env: dict[str, str] | None = None) -> list[str]:
    """$VISUAL, else $EDITOR, else vi — split as a shell would (`code --wait` works)."""
    env = dict(os.environ) if env is None else env
    text = env.get("VISUAL") or env.get("EDITOR") or "vi"
    try:
        argv = shlex.split(text)
    except ValueError:
        raise ActionError("$VISUAL / $EDITOR cannot be read as a command line") from None
    if not argv:
        raise ActionError("$VISUAL / $EDITOR is empty")
    return argv


def run_editor(app: App[Any], text: str) -> str:
    """The text after the user's editor has run on it; ActionError when it failed."""
    argv = editor_argv()
    with tempfile.TemporaryDirectory(prefix="agc-edit-") as folder:
        path = Path(folder) / "configmap.yaml"
        write_private(path, text)
        try:
            try:
                with app.suspend():
                    code = subprocess.run([*argv, str(path)], check=False).returncode
            except SuspendNotSupported:  # no terminal to hand over: a scripted editor
                code = subprocess.run([*argv, str(path)], check=False,
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL,
                                      timeout=HEADLESS_EDITOR_TIMEOUT_S).returncode
        except FileNotFoundError:
            raise ActionError(f"editor {argv[0]!r} not found: set $VISUAL or $EDITOR") from None
        except subprocess.TimeoutExpired:
            raise ActionError("the editor did not finish: nothing was sent") from None
        if code != 0:
            raise ActionError(f"the editor exited with status {code}: nothing was sent")
        return path.read_text(encoding="utf-8", errors="replace")


async def complete(app: App[Any], action: BoundAction, configured: str) -> BoundAction | None:
    """The action with the version read, the edited data and its diff; None: no change."""
    try:
        version = await action.sources.cluster.gateway_config(configured)
    except (ActionError, SourceError) as exc:
        raise ActionError(f"cannot read the gateway's ConfigMap: {exc}") from None
    before = kube_configmap.edit_text(version.data)
    after = run_editor(app, before)
    if after == before:
        return None
    try:
        data = kube_configmap.parse_edit(after, version.data)
    except ValueError as exc:
        raise ActionError(f"{exc}: nothing was sent") from None
    if data == dict(version.data):
        return None
    diff = kube_configmap.data_diff(version.data, data)
    return action.with_request(replace(
        action.request, config=version, new_data=tuple(sorted(data.items())),
        detail=(f"chosen: {version.chosen_by}", *diff)))


def theirs_screen(read: ConfigMapVersion, conflict: ConfigConflict) -> DetailScreen | None:
    """After a 409: their version, and how it differs from the one the edit started from."""
    theirs = conflict.theirs
    if theirs is None:
        return None
    diff = kube_configmap.data_diff(read.data, theirs.data)
    text = kube_configmap.edit_text(theirs.data)
    return DetailScreen(
        f"configmap/{theirs.name} was changed by someone else (resourceVersion "
        f"{read.resource_version} → {theirs.resource_version}); nothing was overwritten. "
        "Press E again to edit theirs.",
        diff_text(diff), "\n".join(clean_line(line) for line in text.splitlines()[:400]))
