"""The files the console writes: 0600 in 0700 folders, never through a planted link (issue 12).

Modes are read back with stat; the writers are the real ones (the App's `x`, the
audit log, `--record`, `snapshot --output`), not the helpers alone.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.actions.audit import AuditLog
from console.actions.files import create_exclusive, ensure_private_dir, write_fresh_folder
from console.cli import main
from console.clock import FixedClock
from console.record.frames import Header, RecordError
from console.record.recorder import Recorder
from console.sources.base import History
from tests.app_harness import demo_app, wait_for_data

STAMP = "20261126T100000Z"  # FixedClock's now, as the export names its folder


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The common 022: what makes a plain open() give 0644 files and 0755 folders."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


# ------------------------------------------------------------------ export


async def test_export_is_a_fresh_private_folder_of_private_files(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("x")
        await pilot.pause(0.1)
        await pilot.press("x")  # a second export in the same second: another folder
        await pilot.pause(0.1)
    folders = sorted(p for p in tmp_path.iterdir() if p.name.startswith("incident-"))
    assert len(folders) == 2
    for folder in folders:
        assert re.fullmatch(rf"incident-{STAMP}-[a-z0-9_]{{8}}", folder.name), folder.name
        assert not folder.is_symlink() and mode(folder) == 0o700
        assert sorted(p.name for p in folder.iterdir()) == ["incident.md", "snapshot.json"]
        for file in folder.iterdir():
            assert mode(file) == 0o600
        assert json.loads((folder / "snapshot.json").read_text())["window"] == "5m"


async def test_export_never_writes_through_a_planted_link(tmp_path: Path) -> None:
    """Before, `x` wrote into `incident-<time>/` even when that name was a planted symlink."""
    victim = tmp_path / "victim"
    victim.mkdir()
    for name in ("incident.md", "snapshot.json"):
        (victim / name).write_text("precious\n")
    (tmp_path / f"incident-{STAMP}").symlink_to(victim)
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("x")
        await pilot.pause(0.1)
        toasts = [n.message for n in app._notifications]
    for name in ("incident.md", "snapshot.json"):
        assert (victim / name).read_text() == "precious\n"
    made = [p for p in tmp_path.iterdir() if p.name.startswith(f"incident-{STAMP}-")]
    assert len(made) == 1 and not made[0].is_symlink()
    assert (made[0] / "incident.md").read_text().startswith("#")
    assert any(str(made[0]) in t for t in toasts), toasts


def test_exclusive_create_refuses_a_planted_link_and_keeps_its_target(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.write_text("precious\n")
    link = tmp_path / "incident.md"
    link.symlink_to(target)
    with pytest.raises(FileExistsError):
        create_exclusive(link, "overwritten")
    assert target.read_text() == "precious\n"
    with pytest.raises(ValueError, match="not a plain file name"):
        write_fresh_folder(tmp_path, "x-", {"../escape.md": "no"})
    assert not (tmp_path / "escape.md").exists()


def test_private_dir_creates_every_missing_folder_0700_and_tightens_only_when_asked(
    tmp_path: Path,
) -> None:
    deep = tmp_path / "a" / "b" / "c"
    ensure_private_dir(deep)
    assert [mode(p) for p in (tmp_path / "a", tmp_path / "a" / "b", deep)] == [0o700] * 3
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    ensure_private_dir(shared)
    assert mode(shared) == 0o755  # not ours to change (a home folder, say)
    ensure_private_dir(shared, tighten=True)
    assert mode(shared) == 0o700


# ------------------------------------------------------------------- audit


def _write_one(audit: AuditLog) -> None:
    audit.write(user="tester", context="ctx-a", namespace="ai-services", action="restart",
                target="deployment/ai-gateway", result="ok: restarted")


def test_audit_log_is_0600_in_a_0700_state_folder(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    audit = AuditLog(None, FixedClock())
    _write_one(audit)
    path = tmp_path / "state" / "ai-gateway-console" / "audit.jsonl"
    assert audit.path == path
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700 and mode(path.parent.parent) == 0o700
    assert json.loads(path.read_text())["context"] == "ctx-a"


def test_an_older_world_readable_audit_log_is_tightened(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    folder.mkdir(mode=0o755)
    path = folder / "audit.jsonl"
    path.write_text('{"old": "line"}\n')
    path.chmod(0o644)
    _write_one(AuditLog(path, FixedClock()))
    assert (mode(path), mode(folder)) == (0o600, 0o700)
    lines = path.read_text().splitlines()
    assert lines[0] == '{"old": "line"}' and len(lines) == 2  # appended, not replaced


def test_a_replay_audits_nothing_to_disk(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl", FixedClock(), persist=False)
    _write_one(audit)
    assert not (tmp_path / "audit.jsonl").exists()
    assert [r.action for r in audit.session] == ["restart"]  # still in the incident note


# -------------------------------------------------------------- recordings


def header() -> Header:
    return Header(started_at=0.0, target="t", namespace="ai-services", deployment="ai-gateway",
                  hpa="ai-gateway-hpa", profile="seed", window_s=300.0, refresh_s=2.0,
                  context=None, demo="steady", alertmanager_configured=True)


def test_recording_is_0600_and_an_older_one_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "incident.jsonl"
    recorder = Recorder(path, header(), max_bytes=1)
    recorder.record_history(1.0, 300.0, History())
    recorder.record_history(2.0, 300.0, History())  # past max_bytes: rotated to .1
    recorder.close()
    rotated = tmp_path / "incident.jsonl.1"
    assert rotated.exists()
    assert (mode(path), mode(rotated)) == (0o600, 0o600)
    old = tmp_path / "older.jsonl"
    old.write_text("")
    old.chmod(0o644)
    Recorder(old, header()).close()
    assert mode(old) == 0o600


def test_recording_refuses_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.write_text("precious\n")
    link = tmp_path / "rec.jsonl"
    link.symlink_to(target)
    with pytest.raises(RecordError, match="is a symbolic link, which is not followed"):
        Recorder(link, header())
    assert target.read_text() == "precious\n"


# ------------------------------------------------------------ snapshot -o


def test_snapshot_output_is_0600_and_not_written_through_a_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    out = tmp_path / "snap.json"
    assert main(["snapshot", "--demo", "--format", "json", "--output", str(out)]) == 0
    assert mode(out) == 0o600 and json.loads(out.read_text())["window"] == "5m"
    out.chmod(0o644)
    assert main(["snapshot", "--demo", "--format", "json", "--output", str(out)]) == 0
    assert mode(out) == 0o600
    target = tmp_path / "target"
    target.write_text("precious\n")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    capsys.readouterr()
    assert main(["snapshot", "--demo", "--output", str(link)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is a symbolic link, which is not followed" in err[0], err
    assert target.read_text() == "precious\n"
