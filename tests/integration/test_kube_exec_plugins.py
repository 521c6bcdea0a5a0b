"""The test exec credential plugins (tests/stack/exec_plugins.py), proved with kubectl.

kubectl is the reference for what a client does with a plugin: how often it runs it,
what it caches (in memory, per process, until `expirationTimestamp`), what it does with
a 401 (runs the plugin again for the next request), and what it does with a plugin
that hangs (waits: client-go puts no deadline on a plugin), fails (passes the plugin's
stderr through, escape sequences and all) or prints garbage. The console must do
better on the last three; these tests pin down the stand-ins it will be tested with.
The emulator serves HTTPS (kubectl sends no token to a plain-HTTP server).
"""

from __future__ import annotations

import json
import re
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.stack import exec_plugins
from tests.stack.kube_auth import EXEC_API_V1, EXEC_API_V1BETA1, TokenIssuer
from tests.stack.kube_emulator import KubeEmulator
from tests.stack.kube_fixtures import loaded_emulator
from tests.stack.kube_raw import kill_group, kubectl, require_kubectl

DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
PODS = "/api/v1/namespaces/ai-services/pods"
TTL_S = 2.0


@pytest.fixture
def emu() -> Iterator[KubeEmulator]:
    emulator = loaded_emulator().start(tls=True)
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def issuer(emu: KubeEmulator) -> TokenIssuer:
    return emu.use_short_lived_tokens(TTL_S)


def kubeconfig_for(emu: KubeEmulator, plugin: exec_plugins.ExecPlugin, folder: Path) -> Path:
    return emu.write_kubeconfig(folder / f"kubeconfig-{plugin.name}", user=plugin.user())


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


# -- the short-lived token --------------------------------------------------------------------


def test_a_stale_token_gets_the_real_unauthorized_status(emu: KubeEmulator, issuer: TokenIssuer,
                                                         tmp_path: Path) -> None:
    fresh, expiry = issuer.mint()
    stale, _ = issuer.mint(now=time.time() - 2 * TTL_S)
    assert expiry == pytest.approx(time.time() + TTL_S, abs=1.5)
    assert (issuer.check(fresh), issuer.check(stale)) == (None, "expired")
    assert issuer.check(fresh[:-4] + "0000") == "bad signature"
    runs = {name: kubectl(emu.write_kubeconfig(tmp_path / name, user={"token": token}),
                          "get", "--raw", PODS)
            for name, token in (("fresh", fresh), ("stale", stale), ("static", emu.token))}
    assert runs["fresh"].returncode == 0
    assert json.loads(runs["fresh"].stdout)["kind"] == "PodList"
    for name in ("stale", "static"):  # the static token is refused once tokens are issued
        assert runs[name].returncode == 1
        assert "error: You must be logged in to the server" in runs[name].stderr
    assert set(emu.auth.refused) == {"expired", "not an issued token"}
    refused = [r for r in emu.requests if r.authorization == f"Bearer {stale}"]
    assert refused  # kubectl sent it and was answered 401
    assert emu.tls is not None
    request = urllib.request.Request(emu.url + PODS, headers={"Authorization": f"Bearer {stale}"})
    https = urllib.request.HTTPSHandler(context=ssl.create_default_context(
        cafile=str(emu.tls.ca_path)))
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.build_opener(urllib.request.ProxyHandler({}), https).open(request,
                                                                                timeout=10)
    assert info.value.code == 401
    assert json.loads(info.value.read()) == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": "Unauthorized", "reason": "Unauthorized", "code": 401}


@pytest.mark.parametrize("api_version", [EXEC_API_V1, EXEC_API_V1BETA1])
def test_kubectl_reads_pods_with_the_short_lived_plugin(emu: KubeEmulator, issuer: TokenIssuer,
                                                        tmp_path: Path, api_version: str) -> None:
    plugin = exec_plugins.short_lived(tmp_path, issuer, api_version)
    kubeconfig = kubeconfig_for(emu, plugin, tmp_path)
    first = kubectl(kubeconfig, "get", "pods", "-n", "ai-services", "-o", "name")
    after_one = plugin.calls
    second = kubectl(kubeconfig, "get", "pods", "-n", "ai-services", "-o", "name")
    assert (first.returncode, first.stderr) == (0, "")
    assert first.stdout == second.stdout and len(first.stdout.split()) == 4
    # Each kubectl process runs the plugin anew (nothing is cached on disk); kubectl 1.32
    # runs it twice per process (its discovery and its REST client authenticate apart).
    assert 1 <= after_one <= 2
    assert plugin.calls == 2 * after_one
    tokens = {r.authorization for r in emu.requests_where("GET", PODS + "$")}
    assert len(tokens) == 2 and all(t and t.startswith("Bearer agc-sl.") for t in tokens)


def test_kubectl_caches_the_token_until_its_expiry_and_refreshes_after_a_401(
    emu: KubeEmulator, issuer: TokenIssuer, tmp_path: Path
) -> None:
    plugin = exec_plugins.short_lived(tmp_path, issuer)
    proxy = subprocess.Popen(
        [require_kubectl(), "--kubeconfig", str(kubeconfig_for(emu, plugin, tmp_path)),
         "proxy", "--port=0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        assert proxy.stdout is not None
        line = proxy.stdout.readline()  # "Starting to serve on 127.0.0.1:PORT"
        port = int(re.search(r"127\.0\.0\.1:(\d+)", line).group(1))  # type: ignore[union-attr]

        def get() -> int:
            try:
                with DIRECT.open(f"http://127.0.0.1:{port}{PODS}", timeout=10) as resp:
                    return int(resp.status)
            except urllib.error.HTTPError as exc:
                return exc.code

        at_start = plugin.calls  # kubectl proxy authenticates once as it starts
        calls: list[tuple[str, int, int]] = [("first", get(), plugin.calls - at_start),
                                             ("cached", get(), plugin.calls - at_start)]
        time.sleep(TTL_S + 0.5)
        calls.append(("expired", get(), plugin.calls - at_start))
        issuer.revoke_before()  # stale before its expirationTimestamp, as after a rotation
        calls.append(("revoked", get(), plugin.calls - at_start))
        calls.append(("retried", get(), plugin.calls - at_start))
    finally:
        kill_group(proxy)
        proxy.communicate(timeout=10)
    # One run for the proxy's own transport, none while the token is fresh, one after its
    # expirationTimestamp; a 401 makes it run again for the next request but the refused
    # request itself is not retried: the caller sees the 401.
    assert at_start == 1
    assert calls == [("first", 200, 1), ("cached", 200, 1), ("expired", 200, 2),
                     ("revoked", 401, 3), ("retried", 200, 3)]


# -- plugins that misbehave -------------------------------------------------------------------


def test_kubectl_waits_for_a_hanging_plugin_however_long(emu: KubeEmulator,
                                                         tmp_path: Path) -> None:
    plugin = exec_plugins.hanging(tmp_path)
    run = kubectl(kubeconfig_for(emu, plugin, tmp_path), "get", "pods",
                  "--request-timeout=1s", timeout_s=4.0)
    assert run.returncode is None  # still waiting when killed: no deadline on the plugin
    assert "waiting for the browser login" in run.stderr
    (pid,) = plugin.pids()
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)  # killed with kubectl's process group
    assert emu.requests_where(path=PODS) == []


def test_kubectl_passes_a_failing_plugins_stderr_through(emu: KubeEmulator,
                                                         tmp_path: Path) -> None:
    plugin = exec_plugins.failing(tmp_path)
    run = kubectl(kubeconfig_for(emu, plugin, tmp_path), "get", "pods")
    assert run.returncode == 1
    assert f"getting credentials: exec: executable {plugin.path} failed with exit code 1" in (
        run.stderr)
    assert "\x1b]0;owned\x07" in run.stderr  # raw escape sequences, unfiltered
    assert run.stderr.count("token refresh failed") >= 200  # every line of it, at least once
    assert plugin.calls >= 1
    assert emu.requests_where(path=PODS) == []


def test_kubectl_refuses_a_plugin_that_prints_garbage(emu: KubeEmulator,
                                                      tmp_path: Path) -> None:
    plugin = exec_plugins.garbage(tmp_path)
    run = kubectl(kubeconfig_for(emu, plugin, tmp_path), "get", "pods")
    assert run.returncode == 1
    assert "getting credentials: decoding stdout:" in run.stderr
    assert emu.requests_where(path=PODS) == []
