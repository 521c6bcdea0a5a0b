"""Credentials that expire or hang, with a kubeconfig alone (Prometheus and Alertmanager
through the API server's service proxy, the cluster through the API).

Time is compressed: the emulator's tokens live 3 s (an EKS token lives 15 min, an OIDC
one minutes), so ~12 s of reading crosses several expiries. kubectl's behaviour (cache
until expiry, run again after a 401) is pinned down in test_kube_exec_plugins.py; the
console must match it and bound what kubectl leaves unbounded (a hanging plugin).
Processes are run as the user runs them (tests/stack/measure.py, tests/perf/ptyproc.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.clock import system_clock
from console.config.settings import build_settings
from console.sources import build_source_set
from tests.perf.ptyproc import PtyProcess, console_command
from tests.stack import exec_plugins
from tests.stack import kube_services as ks
from tests.stack.fixtures import GatewayStack
from tests.stack.kube_auth import TokenIssuer
from tests.stack.kube_emulator import KubeEmulator
from tests.stack.kube_fixtures import loaded_emulator
from tests.stack.kube_objects import POD_OK_1
from tests.stack.measure import console_env, run_console

pytestmark = [pytest.mark.stack, pytest.mark.timing]

TTL_S = 3.0
READ_FOR_S = 12.0


@pytest.fixture(scope="module")
def emu(gateway_stack: GatewayStack) -> Iterator[KubeEmulator]:
    emulator = loaded_emulator()
    for svc in ks.kube_prometheus_stack():
        emulator.put(svc)
    emulator.proxy.register("monitoring", "kube-prometheus-stack-prometheus", "http-web",
                            gateway_stack.prometheus_url)
    emulator.proxy.register("monitoring", "kube-prometheus-stack-alertmanager", "http-web",
                            gateway_stack.alertmanager_url)
    emulator.start(tls=True)
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def issuer(emu: KubeEmulator) -> Iterator[TokenIssuer]:
    previous = emu.auth.issuer, emu.auth.static_token_allowed
    yield emu.use_short_lived_tokens(TTL_S)
    emu.auth.issuer, emu.auth.static_token_allowed = previous


async def test_three_second_tokens_keep_every_source_readable(
        emu: KubeEmulator, issuer: TokenIssuer, tmp_path: Path) -> None:
    plugin = exec_plugins.short_lived(tmp_path, issuer)
    kubeconfig = emu.write_kubeconfig(tmp_path / "kubeconfig", user=plugin.user())
    settings = build_settings({"kubeconfig": str(kubeconfig)}, env={"HOME": str(tmp_path)})
    sources = build_source_set(settings, settings.target, system_clock)
    failures: list[str] = []
    rounds = 0
    started = time.monotonic()
    try:
        while time.monotonic() - started < READ_FOR_S:
            rounds += 1
            results = await asyncio.wait_for(asyncio.gather(
                sources.metrics.fetch(settings.window_s), sources.alerts.fetch(),
                sources.cluster.fetch(), return_exceptions=True), 20)
            failures += [f"round {rounds}: {r}" for r in results if isinstance(r, Exception)]
            await asyncio.sleep(0.5)
    finally:
        await sources.aclose()
    assert failures == []
    assert rounds >= 8
    # Two clients (the cluster's and the proxy's), each renewing at a fifth of the token's
    # life left: about READ_FOR_S / 2.4 + 1 runs each. The client's own rule (renew five
    # minutes ahead) would run the plugin before every one of the requests.
    expiries = READ_FOR_S / TTL_S
    print(f"plugin ran {plugin.calls} times in {READ_FOR_S:g} s of {TTL_S:g}-s tokens, "
          f"{rounds} rounds")
    assert expiries <= plugin.calls <= 2 * (READ_FOR_S / (TTL_S * 0.8) + 2)


async def test_a_revoked_token_is_renewed_once_and_the_read_sent_once_more(
        emu: KubeEmulator, issuer: TokenIssuer, tmp_path: Path) -> None:
    plugin = exec_plugins.short_lived(tmp_path, issuer)
    kubeconfig = emu.write_kubeconfig(tmp_path / "kubeconfig", user=plugin.user())
    settings = build_settings({"kubeconfig": str(kubeconfig)}, env={"HOME": str(tmp_path)})
    sources = build_source_set(settings, settings.target, system_clock)
    try:
        await sources.metrics.fetch(settings.window_s)
        ran = plugin.calls
        # Every token issued so far goes stale before its stated expiry (a revocation).
        issuer.revoke_before()
        reading = await sources.metrics.fetch(settings.window_s)
    finally:
        await sources.aclose()
    assert reading.models
    # The refresh's queries, sent at once, were all refused: one new token for all of them.
    assert plugin.calls == ran + 1


def hanging_kubeconfig(emu: KubeEmulator, tmp_path: Path) -> tuple[Path, exec_plugins.ExecPlugin]:
    plugin = exec_plugins.hanging(tmp_path)
    return emu.write_kubeconfig(tmp_path / "kubeconfig", user=plugin.user()), plugin


def test_a_hanging_plugin_fails_snapshot_naming_it(emu: KubeEmulator, tmp_path: Path) -> None:
    kubeconfig, plugin = hanging_kubeconfig(emu, tmp_path)
    run = run_console(["snapshot", "--kubeconfig", str(kubeconfig)], console_env(tmp_path),
                      timeout_s=40.0)
    print(f"snapshot with a hanging plugin answered in {run.seconds:.1f} s")
    assert run.killed == "", run.killed
    assert run.returncode == 1
    assert run.seconds < 20.0
    said = f"exec plugin {plugin.name}: no answer in 10 s"
    lines = (run.stdout + run.stderr).splitlines()
    assert any(said in line and "prometheus" in line for line in lines), run.stderr
    assert any(said in line and "kubernetes" in line for line in lines), run.stderr


def test_q_quits_at_once_while_the_plugin_hangs(emu: KubeEmulator, tmp_path: Path) -> None:
    kubeconfig, plugin = hanging_kubeconfig(emu, tmp_path)
    proc = PtyProcess(console_command("--kubeconfig", str(kubeconfig)), cols=160, rows=40,
                      env=console_env(tmp_path))
    with proc.start(watch=[b"Models"]):
        assert proc.found_at(b"Models", 20.0) is not None
        deadline = time.monotonic() + 10.0
        while plugin.calls < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert plugin.calls >= 2  # the cluster's client and the proxy's both wait for it
        time.sleep(1.0)
        asked = time.monotonic()
        proc.send(b"q")
        assert proc.proc is not None
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.proc.wait(timeout=10.0)
        took = time.monotonic() - asked
        proc.stop(timeout=2.0)
    print(f"q took {took:.2f} s while the plugin hung")
    assert took < 2.0, f"q took {took:.1f} s"
    assert proc.proc.returncode == 0


async def test_the_cluster_source_renews_a_revoked_token_once_for_a_read_not_a_write(
        emu: KubeEmulator, issuer: TokenIssuer, tmp_path: Path) -> None:
    from console.sources.base import ActionError
    from console.sources.kubernetes import KubernetesSource

    plugin = exec_plugins.short_lived(tmp_path, issuer)
    kubeconfig = emu.write_kubeconfig(tmp_path / "kubeconfig", user=plugin.user())
    settings = build_settings({"kubeconfig": str(kubeconfig)}, env={"HOME": str(tmp_path)})
    source = KubernetesSource(settings.target, system_clock)
    try:
        await source.fetch()
        ran = plugin.calls
        issuer.revoke_before()
        logs = await source.logs(POD_OK_1)
        assert logs and plugin.calls == ran + 1  # refused, renewed once, sent once more
        issuer.revoke_before()
        emu.clear_requests()
        with pytest.raises(ActionError, match="credentials expired or invalid"):
            await source.delete_pod(POD_OK_1)
        assert len(emu.requests_where("DELETE")) == 1  # a write is never sent twice
        assert plugin.calls == ran + 2  # but its token is renewed for the next attempt
    finally:
        await source.aclose()
