"""`u` and `H` on the live console against the emulated API: guarded, audited, one write.

The console is built on a kubeconfig as the CLI builds it and driven with keys. Every
test counts the writes the emulator received: none when read-only or when RBAC says
no (the SelfSubjectAccessReview's answer), exactly one for `y y`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from console.actions.audit import AuditLog
from console.app import GatewayConsole
from console.clock import system_clock
from console.config.settings import build_settings
from console.screens.confirm import ConfirmScreen
from console.screens.prompt import PromptScreen
from console.screens.revisions import RevisionScreen
from tests.integration.test_action_binding import overview_ready, until
from tests.stack import kube_revisions as kr
from tests.stack.kube_emulator import KubeEmulator
from tests.stack.kube_fixtures import FAKE_TOKEN, free_port, loaded_emulator

DEPLOYMENT = "/apis/apps/v1/namespaces/ai-services/deployments/ai-gateway"
HPA = "/apis/autoscaling/v2/namespaces/ai-services/horizontalpodautoscalers/ai-gateway-hpa"
SSAR = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"


@pytest.fixture
def emu() -> Iterator[KubeEmulator]:
    emulator = loaded_emulator(bookmark_interval_s=1.0)
    kr.load(emulator)
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()


def console(emu: KubeEmulator, folder: Path, *, read_only: bool = False) -> GatewayConsole:
    kubeconfig = emu.write_kubeconfig(folder / "kubeconfig", context="emu")
    flags: dict[str, Any] = {"kubeconfig": str(kubeconfig), "context": ["emu"],
                             "prometheus_url": f"http://127.0.0.1:{free_port()}",
                             "refresh": "500ms", "read_only": True if read_only else None}
    settings = build_settings(flags, env={"HOME": str(folder)})
    return GatewayConsole.from_settings(
        settings, system_clock, audit=AuditLog(folder / "audit.jsonl", system_clock),
        user="tester", export_dir=folder)


def writes(emu: KubeEmulator) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in emu.requests if r.method != "GET" and r.path != SSAR]


def audit(folder: Path) -> list[tuple[str, str, str]]:
    path = folder / "audit.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    return [(a["action"], a["target"], a["result"]) for a in lines]


async def test_rollback_y_y_is_one_json_patch(emu: KubeEmulator, tmp_path: Path) -> None:
    app = console(emu, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await overview_ready(pilot, app)
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, RevisionScreen))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.command_text == ("kubectl --context emu -n ai-services rollout undo "
                                           "deployment/ai-gateway --to-revision=3")
        detail = app.screen.detail
        assert "-    image: apijson/gateway:latest" in detail
        assert f"+    image: {kr.OLD_IMAGE}" in detail
        await pilot.press("y", "y")
        await until(pilot, lambda: len(audit(tmp_path)) == 1)
        await pilot.pause(0.3)
    assert writes(emu) == [("PATCH", DEPLOYMENT)]
    assert emu.requests_where("PATCH")[0].content_type == "application/json-patch+json"
    assert audit(tmp_path) == [("rollback", "deployment/ai-gateway",
                                "ok: rolled back deployment/ai-gateway to revision 3")]


async def test_rbac_no_refuses_before_any_dialog_and_is_audited(
    emu: KubeEmulator, tmp_path: Path
) -> None:
    """One console for the three keys (CI budget): each its own review, each refused."""
    emu.deny("patch", "deployments", reason="no rollbacks for oncall")
    emu.deny("patch", "horizontalpodautoscalers", reason="no HPA changes for oncall")
    emu.deny("update", "configmaps", reason="no config edits for oncall")
    app = console(emu, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await overview_ready(pilot, app)
        for count, key in enumerate(("u", "H", "E"), 1):
            await pilot.press(key)
            await until(pilot, lambda n=count: len(audit(tmp_path)) == n)  # type: ignore[misc]
            assert not isinstance(app.screen, (ConfirmScreen, PromptScreen, RevisionScreen))
    assert writes(emu) == []
    assert emu.requests_where("GET", "replicasets|configmaps") == []
    assert audit(tmp_path) == [
        ("rollback", "deployment/ai-gateway", "refused: no rollbacks for oncall"),
        ("hpa-bounds", "hpa/ai-gateway-hpa", "refused: no HPA changes for oncall"),
        ("edit-config", "configmap/(the gateway config)", "refused: no config edits for oncall"),
    ]


async def test_read_only_refuses_all_three_unsent_and_audited(emu: KubeEmulator,
                                                         tmp_path: Path) -> None:
    app = console(emu, tmp_path, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await overview_ready(pilot, app)
        for key in ("u", "H", "E"):
            await pilot.press(key)
            await pilot.pause(0.1)
            assert not isinstance(app.screen, (ConfirmScreen, PromptScreen, RevisionScreen))
        await until(pilot, lambda: len(audit(tmp_path)) == 3)
    assert writes(emu) == []
    assert [(a[0], a[2].split(":")[0]) for a in audit(tmp_path)] == [
        ("rollback", "refused"), ("hpa-bounds", "refused"), ("edit-config", "refused")]
    assert emu.requests_where("GET", "replicasets|configmaps") == []  # nothing was even read


async def test_hpa_bounds_bad_input_says_why_and_sends_nothing(emu: KubeEmulator,
                                                               tmp_path: Path) -> None:
    app = console(emu, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await overview_ready(pilot, app)
        await until(pilot, lambda: bool(app.latest.cluster and app.latest.cluster.hpa))
        await pilot.press("H")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        assert isinstance(app.screen, PromptScreen) and app.screen.default == "3 10"
        await pilot.press("ctrl+a", "ctrl+k", *"20 4", "enter")
        await pilot.pause(0.1)
        error = str(app.screen.query_one("#prompt-error").render())
        assert error == "✗ min 20 is above max 4"
        await pilot.press("ctrl+a", "ctrl+k", *"1 2", "enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 5.0)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.warning == ("max 2 is below the 3 replicas running now: the HPA "
                                      "will scale the gateway down")
        await pilot.press("n")
        await until(pilot, lambda: len(audit(tmp_path)) == 1)
    assert writes(emu) == []
    assert audit(tmp_path) == [("hpa-bounds", "hpa/ai-gateway-hpa", "cancelled: nothing was sent")]
    assert FAKE_TOKEN not in (tmp_path / "audit.jsonl").read_text()


async def test_edit_y_is_one_put_then_the_restart_is_offered(
    emu: KubeEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/burst: 10/burst: 20/' \"$1\"\n")
    editor.chmod(0o700)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(editor))
    read_rv = emu.get("ConfigMap", "ai-gateway-config")["metadata"]["resourceVersion"]  # type: ignore[index]
    app = console(emu, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await overview_ready(pilot, app)
        await pilot.press("E")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert isinstance(app.screen, ConfirmScreen)
        assert "+  burst: 20" in app.screen.detail and "-  burst: 10" in app.screen.detail
        await pilot.press("y", "y")  # the second `y` must not answer the restart's dialog
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen)
                    and app.screen.title_text.startswith("Restart"))
        await pilot.pause(0.3)
        assert isinstance(app.screen, ConfirmScreen) and app.screen.confirm_key == "r"
        await pilot.press("n")
        await until(pilot, lambda: len(audit(tmp_path)) == 2)
    assert writes(emu) == [("PUT", "/api/v1/namespaces/ai-services/configmaps/ai-gateway-config")]
    (put,) = emu.requests_where("PUT")
    assert put.body["metadata"]["resourceVersion"] == read_rv
    assert [(a[0], a[2].split(":")[0]) for a in audit(tmp_path)] == [
        ("edit-config", "ok"), ("restart", "cancelled")]
