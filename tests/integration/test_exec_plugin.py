"""Kubeconfig exec credential plugins: real plugin scripts, run by ExecRunner and by the
Kubernetes source through the official client's loader, against the API emulator.

The real console process with a hanging plugin (snapshot, doctor, `q`, the status line) is
in tests/integration/test_hostile_process.py.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import pytest

from console.clock import FixedClock
from console.config.limits import ReadLimits
from console.config.settings import TargetSettings
from console.sources.base import SourceError
from console.sources.exec_credential import ExecPluginError, ExecRunner
from console.sources.kubernetes import KubernetesSource
from tests.stack.kube_emulator import KubeEmulator
from tests.stack.kube_fixtures import CONTEXT

pytestmark = pytest.mark.timing

API = "client.authentication.k8s.io/v1beta1"


def plugin(tmp_path: Path, body: str, name: str = "auth-plugin") -> str:
    """A plugin script (Python, so it reads its environment the way a real one would)."""
    path = tmp_path / name
    path.write_text(f"#!{sys.executable}\nimport json, os, sys, time\n{body}\n")
    path.chmod(0o755)
    return str(path)


def answer(token: str) -> str:
    credential = {"apiVersion": API, "kind": "ExecCredential", "status": {"token": token}}
    return f"print(json.dumps({credential!r}))"


def alive(pid_file: Path) -> bool:
    pid = int(pid_file.read_text())
    return Path(f"/proc/{pid}").exists() and "Z" not in (
        Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[:1] or ["Z"])


# -- the runner --------------------------------------------------------------------------------


def test_a_hanging_plugin_is_killed_at_the_deadline_with_its_children(tmp_path: Path) -> None:
    command = plugin(tmp_path, (
        "import subprocess\n"
        f"child = subprocess.Popen(['sleep', '600'])\n"
        f"open({str(tmp_path / 'child.pid')!r}, 'w').write(str(child.pid))\n"
        "print('contacting the identity provider', file=sys.stderr, flush=True)\n"
        "print('still waiting for the browser', file=sys.stderr, flush=True)\n"
        "time.sleep(600)"))
    runner = ExecRunner(timeout_s=1.0)
    started = time.monotonic()
    with pytest.raises(ExecPluginError) as info:
        runner.run({"command": command, "apiVersion": API})
    assert time.monotonic() - started < 3.0
    assert str(info.value) == ("exec plugin auth-plugin: no answer in 1 s "
                               "(it said: still waiting for the browser)")
    deadline = time.monotonic() + 3.0
    while alive(tmp_path / "child.pid") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(tmp_path / "child.pid")


def test_a_noisy_plugin_answers_and_its_chatter_is_kept_to_one_line(tmp_path: Path) -> None:
    command = plugin(tmp_path, (
        "info = json.loads(os.environ['KUBERNETES_EXEC_INFO'])\n"
        "print('warning: cache is stale', file=sys.stderr)\n"
        "print('refreshed \\x1b]52;c;aGk=\\x07 ok', file=sys.stderr)\n"
        "assert os.environ['EXTRA'] == 'from-kubeconfig'\n"
        "assert sys.stdin.read() == ''\n"
        "token = 'tok-' + str(info['spec']['interactive']) + '-' + sys.argv[1]\n"
        + answer("PLACEHOLDER").replace("'PLACEHOLDER'", "token")))
    runner = ExecRunner(timeout_s=5.0)
    credential = runner.run({"command": command, "apiVersion": API, "args": ["arg1"],
                             "env": [{"name": "EXTRA", "value": "from-kubeconfig"}]})
    assert credential.token == "tok-False-arg1"
    assert runner.last_stderr == "refreshed \ufffd]52;c;aGk=\ufffd ok"


@pytest.mark.parametrize(("body", "message"), [
    ("print('token expired, run login', file=sys.stderr); sys.exit(3)",
     "exec plugin auth-plugin: exit status 3: token expired, run login"),
    ("print('hello')", "exec plugin auth-plugin: its answer is not an ExecCredential (not JSON)"),
    ("print(json.dumps({'apiVersion': 'v9', 'kind': 'ExecCredential', 'status': {}}))",
     f"exec plugin auth-plugin: answered in apiVersion v9, not {API}"),
    (f"print(json.dumps({{'apiVersion': '{API}', 'kind': 'ExecCredential', 'status': {{}}}}))",
     "exec plugin auth-plugin: its answer holds neither a token nor a client certificate "
     "and key"),
    ("sys.stdout.write('x' * (3 << 20)); time.sleep(30)",
     "exec plugin auth-plugin: answer over 1 MB, not a credential"),
])
def test_a_plugin_that_fails_says_so_in_one_line(tmp_path: Path, body: str,
                                                 message: str) -> None:
    with pytest.raises(ExecPluginError) as info:
        ExecRunner(timeout_s=10.0).run({"command": plugin(tmp_path, body), "apiVersion": API})
    assert str(info.value) == message


def test_missing_commands_and_terminal_only_plugins_are_refused(tmp_path: Path) -> None:
    runner = ExecRunner()
    with pytest.raises(ExecPluginError, match=r"^exec plugin nowhere: command not found$"):
        runner.run({"command": str(tmp_path / "nowhere"), "apiVersion": API})
    with pytest.raises(ExecPluginError, match="needs a terminal"):
        runner.run({"command": "true", "apiVersion": API, "interactiveMode": "Always"})


async def test_cancel_stops_a_running_plugin_at_once(tmp_path: Path) -> None:
    runner = ExecRunner(timeout_s=30.0)
    command = plugin(tmp_path, "time.sleep(600)")
    running = asyncio.create_task(asyncio.to_thread(
        runner.run, {"command": command, "apiVersion": API}))
    await asyncio.sleep(0.5)
    started = time.monotonic()
    runner.cancel()
    with pytest.raises(ExecPluginError, match="stopped, the source is closing"):
        await running
    assert time.monotonic() - started < 2.0
    with pytest.raises(ExecPluginError, match="not run, the source is closing"):
        runner.run({"command": command, "apiVersion": API})


# -- through the Kubernetes source and the official client's loader ---------------------------


def exec_target(emulator: KubeEmulator, tmp_path: Path, command: str,
                exec_timeout_s: float = 10.0) -> TargetSettings:
    path = tmp_path / "kubeconfig"
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": CONTEXT,
        "clusters": [{"name": "emulator", "cluster": {"server": emulator.url}}],
        "users": [{"name": "oncall", "user": {"exec": {"apiVersion": API,
                                                       "command": command}}}],
        "contexts": [{"name": CONTEXT, "context": {"cluster": "emulator", "user": "oncall",
                                                   "namespace": "ai-services"}}]}))
    return TargetSettings(CONTEXT, context=CONTEXT, kubeconfig=str(path),
                          limits=ReadLimits(exec_timeout_s=exec_timeout_s))


async def test_the_source_reads_the_cluster_with_the_plugins_token(
        kube_emulator: KubeEmulator, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    command = plugin(tmp_path, (
        f"open({str(runs)!r}, 'a').write('run\\n')\n"
        "print('noise', file=sys.stderr)\n" + answer(kube_emulator.token)))
    source = KubernetesSource(exec_target(kube_emulator, tmp_path, command), FixedClock(),
                              request_timeout_s=2.0)
    try:
        reading = await source.fetch()
        await source.fetch()
    finally:
        await source.aclose()
    assert reading.deployment is not None and reading.deployment.name == "ai-gateway"
    assert runs.read_text() == "run\n"  # once per connection, not per request


async def test_a_failed_plugin_is_not_run_again_at_every_refresh(
        kube_emulator: KubeEmulator, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    command = plugin(tmp_path, (
        f"open({str(runs)!r}, 'a').write('run\\n')\n"
        "print('not logged in', file=sys.stderr); sys.exit(1)"))
    source = KubernetesSource(exec_target(kube_emulator, tmp_path, command), FixedClock())
    try:
        messages = []
        for _ in range(3):
            with pytest.raises(SourceError) as info:
                await source.fetch()
            messages.append(str(info.value))
    finally:
        await source.aclose()
    assert messages == ["exec plugin auth-plugin: exit status 1: not logged in"] * 3
    assert runs.read_text() == "run\n"
    assert kube_emulator.requests_where() == []  # no request without a credential


async def test_closing_the_source_never_waits_for_a_hanging_plugin(
        kube_emulator: KubeEmulator, tmp_path: Path) -> None:
    command = plugin(tmp_path, "time.sleep(600)")
    source = KubernetesSource(exec_target(kube_emulator, tmp_path, command, 30.0),
                              FixedClock())
    fetching = asyncio.create_task(source.fetch())
    await asyncio.sleep(1.0)
    started = time.monotonic()
    await source.aclose()
    with pytest.raises(SourceError, match="exec plugin auth-plugin: stopped, the source is "
                                          "closing"):
        await fetching
    assert time.monotonic() - started < 2.0
