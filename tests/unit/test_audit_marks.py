"""Demo actions are marked in the audit log; real ones keep their documented keys."""

from __future__ import annotations

import json
from pathlib import Path

from console.actions.audit import AuditLog
from console.clock import FixedClock


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_demo_lines_say_demo_and_real_lines_stay_as_they_were(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    AuditLog(path, FixedClock()).write(user="u", context="prod-eu", namespace="ns",
                                       action="restart", target="deployment/x", result="ok")
    AuditLog(path, FixedClock(), demo=True).write(
        user="u", context=None, namespace="ns", action="restart", target="deployment/x",
        result="ok")
    real, demo = lines(path)
    assert list(real) == ["time", "user", "context", "namespace", "action", "target", "result"]
    assert real["context"] == "prod-eu" and "demo" not in real
    assert (demo["demo"], demo["context"]) == (True, "demo")
