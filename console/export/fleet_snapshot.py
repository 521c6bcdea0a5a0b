"""`snapshot` over every target of a fleet (or the one `--target` names).

Every target is polled at once, each with its own sources, and targets on one global
store share its reader (console/sources/store.py), so the store answers the same number
of queries for 1 target as for 3. JSON: with one target, the document of the README's
contract, as before (scripts parse it); with several, a list of those documents in the
targets' order, each naming its target. Text and markdown: one section per target.
No Textual here.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

from console.clock import Clock
from console.config.settings import ConfigError, Settings, TargetSettings
from console.config.values import shown
from console.model import Snapshot
from console.text.safe_text import json_escape


def chosen_targets(settings: Settings, name: str | None) -> tuple[TargetSettings, ...]:
    """Every target, or the one named; ConfigError naming the known ones otherwise."""
    if name is None:
        return settings.targets
    for target in settings.targets:
        if target.name == name:
            return (target,)
    known = ", ".join(t.name for t in settings.targets)
    raise ConfigError(f"--target: no target {shown(name)} (targets: {known})")


async def collect_all(settings: Settings, targets: Sequence[TargetSettings], clock: Clock,
                      backstop_s: float) -> list[Snapshot]:
    """One snapshot per target, polled concurrently, sources closed whatever happens."""
    from console.sources import build_source_set
    from console.sources.store import StoreRegistry
    from console.state.polling import collect_once

    stores = StoreRegistry()

    async def one(target: TargetSettings) -> Snapshot:
        sources = build_source_set(settings, target, clock, stores)
        try:
            return await collect_once(
                sources, window_s=settings.window_s, window=settings.window,
                profile=settings.profile, clock=clock,
                alertmanager_configured=settings.demo is not None or target.has_alertmanager,
                timeout_s=backstop_s)
        finally:
            await sources.aclose()

    return list(await asyncio.gather(*(one(t) for t in targets)))


def render_all(snapshots: Sequence[Snapshot], targets: Sequence[TargetSettings], fmt: str,
               now: float) -> str:
    from console.export.json_export import snapshot_dict, snapshot_json
    from console.export.markdown import snapshot_markdown
    from console.export.text import snapshot_text

    if len(snapshots) == 1:
        snap = snapshots[0]
        return (snapshot_json(snap) if fmt == "json" else
                snapshot_markdown(snap, now) if fmt == "markdown" else snapshot_text(snap, now))
    if fmt == "json":
        docs: list[dict[str, Any]] = []
        for snap, target in zip(snapshots, targets, strict=True):
            docs.append({"target": target.name, **snapshot_dict(snap)})
        return json_escape(json.dumps(docs, indent=2, ensure_ascii=False, allow_nan=False))
    parts = []
    for snap, target in zip(snapshots, targets, strict=True):
        if fmt == "markdown":
            parts.append(f"# Target {target.name}\n\n{snapshot_markdown(snap, now)}")
        else:
            parts.append(f"== target {target.name} ==\n{snapshot_text(snap, now)}")
    return "\n\n".join(p.rstrip("\n") for p in parts)


def failure_lines(snapshots: Sequence[Snapshot], targets: Sequence[TargetSettings],
                  prog: str) -> list[str]:
    """`prog: source: error` per failed source (`prog: target: source: error` in a fleet)."""
    lines = []
    for snap, target in zip(snapshots, targets, strict=True):
        where = f"{target.name}: " if len(targets) > 1 else ""
        lines += [f"{prog}: {where}{name}: {snap.sources[name].error}"
                  for name in snap.failed_sources]
    return lines
