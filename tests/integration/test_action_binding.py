"""Writes go where the dialog said, once (issue 12): the live console on two real API servers.

Two Kubernetes API emulators, each with its own bearer token, are `ctx-a` and
`ctx-b` of one kubeconfig; the console is built on it as the CLI builds it and
driven with keys. The permission check (SelfSubjectAccessReview) is stalled on
ctx-a so that it is still in flight when the test switches context. Every test
counts the writes each emulator received: none, or one to the dialog's cluster.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from console.actions.audit import AuditLog
from console.actions.runner import ActionRequest, ActionRunner
from console.app import GatewayConsole
from console.clock import system_clock
from console.config.settings import build_settings
from console.screens.confirm import ConfirmScreen
from console.screens.fleet import FleetScreen
from console.screens.prompt import PromptScreen
from console.sources import build_source_set
from console.sources.base import ActionError
from tests.app_harness import eventually, pilot_until
from tests.stack import kube_objects as k
from tests.stack.kube_emulator import KubeEmulator
from tests.stack.kube_fixtures import free_port, loaded_emulator
from widgets.keyed_table import KeyedTable

SSAR = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
DEPLOYMENT = "/apis/apps/v1/namespaces/ai-services/deployments/ai-gateway"
POD_PATH = "/api/v1/namespaces/ai-services/pods/"
TOKENS = {"ctx-a": "kubetoken-ctx-a-3e1f0c-never-shown",
          "ctx-b": "kubetoken-ctx-b-77d2aa-never-shown"}
STALL_S = 4.0
"""How long ctx-a holds the permission check (under the client's 5 s read timeout): the
switch happens inside it, with room for a loaded machine."""


@dataclass
class Clusters:
    a: KubeEmulator
    b: KubeEmulator
    kubeconfig: Path
    folder: Path

    def writes(self) -> dict[str, list[tuple[str, str]]]:
        """Every request that could change something, per context (reviews are questions)."""
        return {name: [(r.method, r.path) for r in emu.requests
                       if r.method != "GET" and r.path != SSAR]
                for name, emu in (("ctx-a", self.a), ("ctx-b", self.b))}

    def audit(self) -> list[dict[str, Any]]:
        path = self.folder / "audit.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def app(self, *contexts: str, read_only: bool = False) -> GatewayConsole:
        """The console as the CLI builds it; Prometheus is down (it plays no part here)."""
        flags: dict[str, Any] = {
            "kubeconfig": str(self.kubeconfig),
            "context": list(contexts) or ["ctx-a"],
            "prometheus_url": f"http://127.0.0.1:{free_port()}",
            "refresh": "500ms",
            "read_only": True if read_only else None,
        }
        settings = build_settings(flags, env={"HOME": str(self.folder)})
        return GatewayConsole.from_settings(
            settings, system_clock, audit=AuditLog(self.folder / "audit.jsonl", system_clock),
            user="tester", export_dir=self.folder)


def write_kubeconfig(path: Path, servers: dict[str, str]) -> Path:
    """Two clusters, two users with their own tokens: a request sent to the wrong one shows."""
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": n, "cluster": {"server": u}} for n, u in servers.items()],
        "users": [{"name": f"oncall-{n}", "user": {"token": TOKENS[n]}} for n in servers],
        "contexts": [{"name": n, "context": {"cluster": n, "user": f"oncall-{n}",
                                             "namespace": "ai-services"}} for n in servers],
        "current-context": "ctx-a",
    }))
    return path


@pytest.fixture
def clusters(tmp_path: Path) -> Iterator[Clusters]:
    a = loaded_emulator(TOKENS["ctx-a"], bookmark_interval_s=1.0)
    b = loaded_emulator(TOKENS["ctx-b"], bookmark_interval_s=1.0)
    a.start()
    b.start()
    try:
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"ctx-a": a.url, "ctx-b": b.url})
        yield Clusters(a, b, kubeconfig, tmp_path)
    finally:
        b.stop()
        a.stop()


async def until(pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    await pilot_until(pilot, predicate, timeout)


async def confirm_if_shown(pilot: Pilot[Any], app: GatewayConsole, within: float) -> str | None:
    """Play the user who confirms whatever dialog comes up; its command, or None if none did."""
    if await eventually(pilot, lambda: isinstance(app.screen, ConfirmScreen), within):
        assert isinstance(app.screen, ConfirmScreen)
        command = app.screen.command_text
        await pilot.press("y")
        return command
    return None


def stall_check(emu: KubeEmulator, seconds: float = STALL_S) -> None:
    emu.clear_requests()
    emu.fail(method="POST", path=SSAR, stall_s=seconds, times=1)


async def check_in_flight(pilot: Pilot[Any], app: GatewayConsole, emu: KubeEmulator) -> None:
    """Until the review is on its way; a scale prompt met first (the old order) is answered."""
    def asked() -> bool:
        return bool(emu.requests_where("POST", SSAR))

    await until(pilot, lambda: asked() or isinstance(app.screen, PromptScreen))
    if not asked():
        await pilot.press("ctrl+a", "ctrl+k", "5", "enter")
        await until(pilot, asked)


async def overview_ready(pilot: Pilot[Any], app: GatewayConsole) -> None:
    await until(pilot, lambda: bool(app.latest.cluster and app.latest.cluster.pods))


async def select_pod(pilot: Pilot[Any], app: GatewayConsole, name: str) -> None:
    pods = app.query_one("#pods", KeyedTable)
    pods.focus()
    await until(pilot, lambda: pods.row_count == 3)
    for row in range(pods.row_count):
        pods.move_cursor(row=row)
        if app.overview.selected_pod() == name:
            return
    raise AssertionError(f"no row for pod {name}")


# ----------------------------------------------------- a switch during the check


async def test_scale_then_ctx_switch_during_the_check_sends_nothing(clusters: Clusters) -> None:
    """The repro: `s` on ctx-a, `:ctx ctx-b` while the check is in flight, `y` on the dialog."""
    app = clusters.app("ctx-a")
    async with app.run_test(size=(120, 40)) as pilot:
        await overview_ready(pilot, app)
        stall_check(clusters.a)
        await pilot.press("s")
        await check_in_flight(pilot, app, clusters.a)
        await pilot.press("colon", *"ctx ctx-b", "enter")
        await until(pilot, lambda: app.current_target.context == "ctx-b")
        toasts = [n.message for n in app._notifications]
        command = await confirm_if_shown(pilot, app, STALL_S + 1.5)
        await pilot.pause(0.5)
        assert clusters.writes() == {"ctx-a": [], "ctx-b": []}, command
        assert command is None
        assert not isinstance(app.screen, (ConfirmScreen, PromptScreen))
        assert any(t.startswith("scale of deployment/ai-gateway cancelled: the console "
                                "switched to context ctx-b") for t in toasts), toasts
    (line,) = clusters.audit()
    assert (line["action"], line["context"], line["target"]) == (
        "scale", "ctx-a", "deployment/ai-gateway")
    assert line["result"] == ("cancelled: the console switched to context ctx-b, namespace "
                              "ai-services before it was confirmed; nothing was sent")


async def test_restart_then_fleet_enter_on_another_cluster_sends_nothing(
    clusters: Clusters,
) -> None:
    app = clusters.app("ctx-a", "ctx-b")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, FleetScreen))
        await pilot.press("enter")  # the first row: ctx-a
        await until(pilot, lambda: app.current_target.name == "ctx-a"
                    and not isinstance(app.screen, FleetScreen))
        await overview_ready(pilot, app)
        stall_check(clusters.a)
        await pilot.press("r")
        await check_in_flight(pilot, app, clusters.a)
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, FleetScreen))
        table = app.screen.query_one("#fleet-targets", KeyedTable)
        table.focus()
        table.move_cursor(row=list(table.row_keys).index("ctx-b"))
        await pilot.press("enter")
        await until(pilot, lambda: app.current_target.name == "ctx-b")
        command = await confirm_if_shown(pilot, app, STALL_S + 1.5)
        await pilot.pause(0.5)
        assert clusters.writes() == {"ctx-a": [], "ctx-b": []}, command
        assert command is None
    (line,) = clusters.audit()
    assert (line["action"], line["context"]) == ("restart", "ctx-a")
    assert line["result"].startswith("cancelled: the console switched to context ctx-b")


async def test_delete_pod_then_c_switch_during_the_check_deletes_nothing(
    clusters: Clusters,
) -> None:
    app = clusters.app("ctx-a")
    async with app.run_test(size=(120, 40)) as pilot:
        await overview_ready(pilot, app)
        await select_pod(pilot, app, k.POD_OK_1)
        stall_check(clusters.a)
        await pilot.press("ctrl+d")
        await check_in_flight(pilot, app, clusters.a)
        await pilot.press("c")  # the contexts list, on ctx-a; one down is ctx-b
        await pilot.pause(0.3)
        await pilot.press("down", "enter")
        await until(pilot, lambda: app.current_target.context == "ctx-b")
        await overview_ready(pilot, app)  # ctx-b's pods known: a delete there could go out
        command = await confirm_if_shown(pilot, app, STALL_S + 1.5)
        await pilot.pause(0.5)
        assert clusters.writes() == {"ctx-a": [], "ctx-b": []}, command
        assert command is None
    assert clusters.a.get("Pod", k.POD_OK_1) is not None
    assert clusters.b.get("Pod", k.POD_OK_1) is not None
    (line,) = clusters.audit()
    assert (line["action"], line["context"], line["target"]) == (
        "delete-pod", "ctx-a", f"pod/{k.POD_OK_1}")
    assert line["result"].startswith("cancelled: the console switched to context ctx-b")


async def test_a_switch_withdraws_an_open_prompt_and_an_open_dialog(clusters: Clusters) -> None:
    """`:ns`/`:ctx` resolved while a prompt or dialog is up (a command typed before it
    opened): both close, and keys typed at them afterwards send nothing."""
    app = clusters.app("ctx-a")
    async with app.run_test(size=(120, 40)) as pilot:
        await overview_ready(pilot, app)
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await app.run_command("ctx ctx-b")
        await until(pilot, lambda: not isinstance(app.screen, PromptScreen))
        await pilot.press("ctrl+a", "ctrl+k", "5", "enter", "y")
        await overview_ready(pilot, app)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await app.run_command("ctx ctx-a")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        await pilot.press("y", "y")
        await pilot.pause(1.0)
        assert clusters.writes() == {"ctx-a": [], "ctx-b": []}
    assert [(a["action"], a["context"], a["result"]) for a in clusters.audit()] == [
        ("scale", "ctx-a", "cancelled: the console switched to context ctx-b, namespace "
                           "ai-services before it was confirmed; nothing was sent"),
        ("restart", "ctx-b", "cancelled: the console switched to context ctx-a, namespace "
                             "ai-services before it was confirmed; nothing was sent"),
    ]


# ------------------------------------------------------------- one write per y


@pytest.mark.parametrize(("key", "kind", "path"), [
    ("r", "restart", DEPLOYMENT),
    ("ctrl+d", "delete-pod", POD_PATH + k.POD_OK_1),
])
async def test_double_key_then_double_y_is_one_write(
    clusters: Clusters, key: str, kind: str, path: str,
) -> None:
    """`r r` (or `ctrl+d ctrl+d`) then `y y`: one dialog, one write, the second key audited."""
    app = clusters.app("ctx-a")
    async with app.run_test(size=(120, 40)) as pilot:
        await overview_ready(pilot, app)
        await select_pod(pilot, app, k.POD_OK_1)
        stall_check(clusters.a, 1.5)  # the first check is slow; the second key lands in it
        await pilot.press(key)
        await check_in_flight(pilot, app, clusters.a)
        await pilot.press(key)
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y", "y")
        await until(pilot, lambda: bool(clusters.writes()["ctx-a"]))
        # If a second dialog comes up, the user says yes to it too (the reported bug).
        while await confirm_if_shown(pilot, app, 1.5) is not None:
            pass
        await pilot.pause(0.5)
        method = "PATCH" if kind == "restart" else "DELETE"
        assert clusters.writes() == {"ctx-a": [(method, path)], "ctx-b": []}
    lines = clusters.audit()
    assert [(a["action"], a["result"].split(":")[0]) for a in lines] == [
        (kind, "refused"), (kind, "ok")]
    assert lines[0]["result"].endswith("is already in progress (its permission check is "
                                       "in flight)")
    assert {a["context"] for a in lines} == {"ctx-a"}


async def test_scale_prompt_refuses_unicode_digits_and_y_y_scales_once(
    clusters: Clusters,
) -> None:
    """`²` at the prompt is refused in words (it crashed the console); with or without HPA."""
    app = clusters.app("ctx-a")
    async with app.run_test(size=(120, 40)) as pilot:
        await overview_ready(pilot, app)
        clusters.a.clear_requests()
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        assert isinstance(app.screen, PromptScreen)
        assert app.screen.hint is not None and "ai-gateway-hpa" in app.screen.hint
        for typed in ("²", "\u0663", "\uff13", "1²", "-1"):  # ², Arabic-Indic 3, fullwidth 3
            await pilot.press("ctrl+a", "ctrl+k", *typed, "enter")
            await pilot.pause(0.1)
            assert isinstance(app.screen, PromptScreen), typed
            error = str(app.screen.query_one("#prompt-error").render())
            assert error == "✗ a whole number of replicas, 0 or more", typed
        await pilot.press("ctrl+a", "ctrl+k", "5", "enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.command_text == ("kubectl --context ctx-a -n ai-services scale "
                                           "deployment/ai-gateway --replicas=5")
        assert app.screen.where_text == "context ctx-a, namespace ai-services"
        await pilot.press("y", "y")
        await until(pilot, lambda: bool(clusters.writes()["ctx-a"]))
        await pilot.pause(0.5)
        assert clusters.writes() == {"ctx-a": [("PATCH", DEPLOYMENT + "/scale")], "ctx-b": []}
        (patch,) = clusters.a.requests_where("PATCH")
        assert patch.body == {"spec": {"replicas": 5}}

        # Without an HPA: no hint, the same refusal.
        clusters.a.delete("HorizontalPodAutoscaler", "ai-gateway-hpa")
        await until(pilot, lambda: app.latest.cluster is not None
                    and app.latest.cluster.hpa is None)
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        assert isinstance(app.screen, PromptScreen) and app.screen.hint is None
        await pilot.press("ctrl+a", "ctrl+k", "³", "enter")
        await pilot.pause(0.1)
        assert isinstance(app.screen, PromptScreen)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, PromptScreen))
        assert len(clusters.writes()["ctx-a"]) == 1
    assert [a["result"].split(":")[0] for a in clusters.audit()] == [
        "ok", "cancelled at the prompt"]


# ------------------------------------------------------------------ refusals


async def test_rbac_no_and_read_only_are_audited_and_send_nothing(clusters: Clusters) -> None:
    clusters.a.deny("patch", "deployments", reason="operators only (on-call-readers group)")
    app = clusters.app("ctx-a")
    async with app.run_test(size=(120, 40)) as pilot:
        await overview_ready(pilot, app)
        await pilot.press("r")
        await until(pilot, lambda: any("operators only" in n.message
                                       for n in app._notifications))
        assert not isinstance(app.screen, ConfirmScreen)
    read_only = clusters.app("ctx-a", read_only=True)
    clusters.a.clear_requests()
    async with read_only.run_test(size=(120, 40)) as pilot:
        await overview_ready(pilot, read_only)
        for key in ("r", "s", "ctrl+d"):
            await pilot.press(key)
            await pilot.pause(0.1)
            assert not isinstance(read_only.screen, (ConfirmScreen, PromptScreen))
        assert clusters.a.requests_where("POST", SSAR) == []
    assert clusters.writes() == {"ctx-a": [], "ctx-b": []}
    lines = [(a["action"], a["context"], a["result"]) for a in clusters.audit()]
    reason = "read-only mode: actions are disabled (started with --read-only)"
    assert lines == [
        ("restart", "ctx-a", "refused: operators only (on-call-readers group)"),
        ("restart", "ctx-a", f"refused: {reason}"),
        ("scale", "ctx-a", f"refused: {reason}"),
        ("delete-pod", "ctx-a", f"refused: {reason}"),
    ]


async def test_the_runner_refuses_an_action_bound_to_another_target(clusters: Clusters) -> None:
    """The last guard: a binding that is not the console's current one is never sent."""
    settings = build_settings({"kubeconfig": str(clusters.kubeconfig),
                               "context": ["ctx-a", "ctx-b"],
                               "prometheus_url": f"http://127.0.0.1:{free_port()}"},
                              env={"HOME": str(clusters.folder)})
    ta, tb = settings.targets
    sa = build_source_set(settings, ta, system_clock)
    sb = build_source_set(settings, tb, system_clock)
    audit = AuditLog(clusters.folder / "audit.jsonl", system_clock)
    try:
        on_a = ActionRunner(ta, sa, audit, user="tester")
        on_b = ActionRunner(tb, sb, audit, user="tester", in_flight=on_a.in_flight)
        back_on_a = ActionRunner(ta, sa, audit, user="tester", in_flight=on_a.in_flight)
        bound = on_a.bind(ActionRequest("scale", replicas=7))
        with pytest.raises(ActionError) as info:
            await on_b.run(bound)
        assert str(info.value) == ("not sent: the dialog named context ctx-a, namespace "
                                   "ai-services, but the console now shows context ctx-b, "
                                   "namespace ai-services")
        with pytest.raises(ActionError, match=r"^not sent: "):
            await back_on_a.run(bound)  # switched away and back: still another binding
        assert clusters.writes() == {"ctx-a": [], "ctx-b": []}
        assert clusters.a.requests_where("POST", SSAR) == []
        assert await on_a.run(bound) == "scaled deployment/ai-gateway to 7"
        assert clusters.writes() == {"ctx-a": [("PATCH", DEPLOYMENT + "/scale")], "ctx-b": []}
    finally:
        await sa.aclose()
        await sb.aclose()
    assert [(a["context"], a["result"].split(":")[0]) for a in clusters.audit()] == [
        ("ctx-a", "refused"), ("ctx-a", "refused"), ("ctx-a", "ok")]
