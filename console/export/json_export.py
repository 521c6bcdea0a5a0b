"""`snapshot --format json`: exactly the README's JSON contract, for scripts and tickets."""

from __future__ import annotations

import json
from typing import Any

from console.analysis import Analysis, analyze
from console.export import likely_cause
from console.model import SOURCE_NAMES, Snapshot
from console.state.rollout import rollout_state
from console.text.safe_text import json_escape


def snapshot_dict(snapshot: Snapshot, analysis: Analysis | None = None) -> dict[str, Any]:
    """The JSON contract as plain values, sources in the contract's order.

    Sources are a mapping filled by whoever assembled the snapshot; ordering
    them here keeps diffs between two exports readable. `analysis` is the one the
    screen showed (with its trends); without one the snapshot is analysed alone.
    """
    data = snapshot.to_json()
    data["likely_cause"] = likely_cause.entries(analysis or analyze(snapshot))
    sources: dict[str, Any] = data["sources"]
    rank: dict[str, int] = {name: i for i, name in enumerate(SOURCE_NAMES)}
    data["sources"] = dict(
        sorted(sources.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))
    )
    if snapshot.deployment is not None:  # the words the screen and the other formats show
        state = rollout_state(snapshot.deployment)
        data["deployment"]["rollout"] = state[1] if state else None
    return data


def snapshot_json(snapshot: Snapshot, analysis: Analysis | None = None) -> str:
    """The snapshot as indented JSON (no trailing newline); unknown figures are null.

    `allow_nan=False` is a guard: `to_json` already turns NaN into null, and a
    bare NaN would make the output invalid JSON for every strict parser. Non-ASCII
    text stays readable, but what json.dumps leaves raw and a terminal would obey
    (C1 such as U+009B, bidi controls) is escaped (console/text/safe_text.py).
    """
    text = json.dumps(snapshot_dict(snapshot, analysis), indent=2, ensure_ascii=False,
                      allow_nan=False)
    return json_escape(text)
