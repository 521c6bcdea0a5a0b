"""`snapshot --format text|markdown|json` and `doctor` on hostile data: the real processes.

Their stdout is what a user pastes into a chat or a ticket, or reads in a
terminal: the same properties as the live screen must hold on its bytes (no
OSC, BEL, NUL, C1 or payload verbatim), Markdown must render as written with
every table keeping its columns, and JSON must round-trip to the contract.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from console.text.safe_text import clean_line
from tests.perf.ptyproc import REPO
from tests.stack.faults import FaultServer
from tests.stack.hostile import (
    CLICK,
    CONTROLS,
    CORPUS,
    LONG,
    MARKUP,
    by_kind,
    leaks,
    markdown_problems,
    markdown_text,
)
from tests.stack.hostile_stack import CONTEXT, HostileStack

pytestmark = pytest.mark.stack

CONTRACT_KEYS = ["generated_at", "window", "profile", "sources", "models", "targets",
                 "deployment", "pods", "hpa", "alerts", "likely_cause"]


def run(stack: HostileStack, home: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, **stack.env(home), "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "console", *args], capture_output=True,
                          timeout=90, env=env, cwd=home, check=False)


def snapshot(stack: HostileStack, home: Path, fmt: str) -> str:
    done = run(stack, home, "snapshot", *stack.console_args(), "--format", fmt)
    assert done.returncode == 0, done.stderr
    assert leaks(done.stdout) == [] and leaks(done.stderr) == []
    return done.stdout.decode()


def test_text_snapshot(hostile_stack: HostileStack, tmp_path: Path) -> None:
    out = snapshot(hostile_stack, tmp_path, "text")
    for payload in CORPUS:
        assert clean_line(payload.raw).split("⏎")[0][:12] in out, payload.kind
    assert CLICK.raw in out and "HX16[/]" in out
    assert LONG not in out  # cut at the boundary, then folded by the table


def test_markdown_snapshot_renders_as_written(hostile_stack: HostileStack,
                                              tmp_path: Path) -> None:
    note = snapshot(hostile_stack, tmp_path, "markdown")
    assert markdown_problems(note) == []
    seen = markdown_text(note)
    # What a reader of the rendered ticket sees is the data as the console shows it.
    for payload in (*MARKUP, *CONTROLS[:6]):
        assert clean_line(payload.raw) in seen, payload.kind


def test_json_snapshot_round_trips_to_the_contract(hostile_stack: HostileStack,
                                                   tmp_path: Path) -> None:
    text = snapshot(hostile_stack, tmp_path, "json")
    data = json.loads(text)
    assert list(data) == CONTRACT_KEYS
    models = {m["model"] for m in data["models"]}
    assert {clean_line(p.raw) for p in CORPUS} <= models
    assert clean_line(LONG) in models and len(clean_line(LONG)) == 1000
    providers = {m["provider"] for m in data["models"]}
    assert clean_line(by_kind("OSC 52 clipboard write").raw) in providers
    summaries = {a["summary"] for a in data["alerts"]}
    assert any("HX14[@click=app.quit]x[/]" in s for s in summaries)
    assert json.loads(json.dumps(data)) == data


def test_doctor_on_hostile_stack_and_a_hostile_error(hostile_stack: HostileStack,
                                                     tmp_path: Path) -> None:
    done = run(hostile_stack, tmp_path, "doctor", *hostile_stack.console_args())
    assert leaks(done.stdout) == [] and leaks(done.stderr) == []
    assert b"PASS  prometheus" in done.stdout, done.stdout
    body = "HX04\x1b[2J HX06\x9b2J HX08\x07 HX14[@click=app.quit]x[/] HX13\u202eevil"
    with FaultServer() as proxy:
        proxy.fail_json(503, {"status": "error", "errorType": "unavailable", "error": body})
        args = ["--prometheus-url", proxy.url, "--kubeconfig",
                str(hostile_stack.kubeconfig), "--context", CONTEXT]
        done = run(hostile_stack, tmp_path, "doctor", *args)
    assert done.returncode == 1, done.stdout
    assert leaks(done.stdout) == [] and leaks(done.stderr) == []
    assert clean_line(body).encode() in done.stdout, done.stdout
