"""Kubeconfig exec credential plugins (`users[].user.exec`), run under a deadline, detached.

The official client's ExecProvider waits for the plugin with no time limit, hands it the
terminal's stdin and stderr when stdout is a terminal, and the source held its lock
meanwhile: one plugin waiting for a login nobody gives hung `snapshot` and `doctor`
forever, made `q` wait 90 s and printed the plugin's chatter over the screen. This runner
gives a plugin what kubectl gives a non-interactive one (`KUBERNETES_EXEC_INFO` with
`interactive: false`, the kubeconfig's env and args, the cluster when it asks), never a
terminal: stdin is /dev/null and stderr is captured (its last line is kept for the
status line). It runs in a session of its own, so a deadline or `cancel()` (the source
closing) kills the plugin and whatever it started. Its answer is capped like any other.

Reusable on purpose: refreshing an expiring token (issue 15) runs the same `run()`.
No Textual here.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_ANSWER_BYTES = 1024 * 1024
"""An ExecCredential is a few KB; more than this is not one."""
STDERR_TAIL_BYTES = 4096
AFTER_EXIT_S = 1.0
"""How long the pipes may stay open once the plugin exited (a child it left holds them)."""


class ExecPluginError(Exception):
    """The plugin gave no usable credential; str(error) is one line naming the plugin."""


@dataclass(frozen=True, slots=True)
class ExecCredential:
    """The `status` of the plugin's ExecCredential: a token, or a client certificate."""

    token: str | None = None
    client_certificate_data: str | None = None
    client_key_data: str | None = None
    expiration: str | None = None
    """RFC 3339 time after which the plugin must be asked again (None: never)."""


def _printable(text: str, limit: int = 160) -> str:
    """One line of a plugin's stderr, fit for a status line: no control characters."""
    line = "".join(ch if ch.isprintable() else "\ufffd" for ch in " ".join(text.split()))
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _last_line(stderr: bytes) -> str:
    lines = [ln for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    return _printable(lines[-1]) if lines else ""


@dataclass
class _Output:
    stdout: bytearray
    stderr: bytearray
    exited_at: float | None = None


class ExecRunner:
    """Runs exec plugins for one Kubernetes source; `cancel()` stops every run, for good."""

    def __init__(self, timeout_s: float = 10.0) -> None:
        self.timeout_s = timeout_s
        self.last_stderr = ""
        """The last line the last plugin wrote on stderr (never shown over the screen)."""
        self._lock = threading.Lock()
        self._live: set[subprocess.Popen[bytes]] = set()
        self._cancelled = False

    @staticmethod
    def name(spec: Mapping[str, Any]) -> str:
        return _printable(os.path.basename(str(spec.get("command") or "?")), 60)

    def cancel(self) -> None:
        """Kill the plugins running now and refuse later runs (the source is closing)."""
        with self._lock:
            self._cancelled = True
            live = list(self._live)
        for process in live:
            _kill(process, reap=False)  # the thread running it reaps it

    def run(self, spec: Mapping[str, Any], *, cwd: str | None = None,
            cluster: Mapping[str, Any] | None = None) -> ExecCredential:
        """Run the plugin of one kubeconfig user's `exec` stanza; ExecPluginError if it
        does not answer in time, fails, or answers something that is not a credential."""
        name = self.name(spec)
        if not spec.get("command"):
            raise ExecPluginError("exec plugin: the kubeconfig names no command")
        if str(spec.get("interactiveMode") or "") == "Always":
            raise ExecPluginError(f"exec plugin {name}: needs a terminal "
                                  "(interactiveMode: Always), which the console never gives")
        api_version = str(spec.get("apiVersion") or "client.authentication.k8s.io/v1beta1")
        process = self._start(spec, name, api_version, cwd, cluster)
        try:
            output = self._collect(process, name)
        finally:
            with self._lock:
                self._live.discard(process)
        self.last_stderr = _last_line(bytes(output.stderr))
        code = process.returncode
        if code:
            said = f": {self.last_stderr}" if self.last_stderr else ""
            raise ExecPluginError(f"exec plugin {name}: exit status {code}{said}")
        return _credential(bytes(output.stdout), name, api_version)

    def _start(self, spec: Mapping[str, Any], name: str, api_version: str,
               cwd: str | None, cluster: Mapping[str, Any] | None) -> subprocess.Popen[bytes]:
        info: dict[str, Any] = {"apiVersion": api_version, "kind": "ExecCredential",
                                "spec": {"interactive": False}}
        if spec.get("provideClusterInfo") and cluster is not None:
            info["spec"]["cluster"] = dict(cluster)
        env = dict(os.environ)
        for item in spec.get("env") or ():
            if isinstance(item, Mapping) and item.get("name"):
                env[str(item["name"])] = str(item.get("value") or "")
        env["KUBERNETES_EXEC_INFO"] = json.dumps(info)
        args = [str(spec["command"]), *(str(a) for a in spec.get("args") or ())]
        with self._lock:
            if self._cancelled:
                raise ExecPluginError(f"exec plugin {name}: not run, the source is closing")
            try:
                process = subprocess.Popen(
                    args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, cwd=cwd or None, env=env, start_new_session=True)
            except FileNotFoundError:
                raise ExecPluginError(f"exec plugin {name}: command not found") from None
            except OSError as exc:
                raise ExecPluginError(
                    f"exec plugin {name}: cannot run it ({exc.strerror})") from None
            self._live.add(process)
        return process

    def _collect(self, process: subprocess.Popen[bytes], name: str) -> _Output:
        """Both pipes until they close, the deadline passes or the answer is too big."""
        assert process.stdout is not None and process.stderr is not None
        out = _Output(bytearray(), bytearray())
        deadline = time.monotonic() + self.timeout_s
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(process.stdout, selectors.EVENT_READ, out.stdout)
                selector.register(process.stderr, selectors.EVENT_READ, out.stderr)
                while selector.get_map():
                    now = time.monotonic()
                    if out.exited_at is None and process.poll() is not None:
                        out.exited_at = now
                    ends = deadline if out.exited_at is None else min(deadline,
                                                                       out.exited_at + AFTER_EXIT_S)
                    if now >= ends:
                        break
                    for key, _ in selector.select(min(ends - now, 0.2)):
                        chunk = os.read(key.fd, 65536)
                        if not chunk:
                            selector.unregister(key.fileobj)
                            continue
                        buffer: bytearray = key.data
                        buffer += chunk
                        if buffer is out.stderr and len(buffer) > STDERR_TAIL_BYTES:
                            del buffer[: len(buffer) - STDERR_TAIL_BYTES]
                        if buffer is out.stdout and len(buffer) > MAX_ANSWER_BYTES:
                            _kill(process)
                            raise ExecPluginError(f"exec plugin {name}: answer over 1 MB, "
                                                  "not a credential")
        finally:
            for pipe in (process.stdout, process.stderr):
                pipe.close()
        try:
            # Both pipes closed a moment before the exit status is there: wait for it, within
            # what is left of the deadline.
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _kill(process)
            self.last_stderr = _last_line(bytes(out.stderr))
            self._refuse_if_cancelled(name)
            said = f" (it said: {self.last_stderr})" if self.last_stderr else ""
            raise ExecPluginError(
                f"exec plugin {name}: no answer in {self.timeout_s:g} s{said}") from None
        self._refuse_if_cancelled(name)
        return out

    def _refuse_if_cancelled(self, name: str) -> None:
        """A plugin killed by `cancel()` failed because the source closed, not by itself."""
        with self._lock:
            if self._cancelled:
                raise ExecPluginError(f"exec plugin {name}: stopped, the source is closing")


def _kill(process: subprocess.Popen[bytes], reap: bool = True) -> None:
    """The plugin and everything it started (its own session), then reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    if reap:
        with contextlib.suppress(Exception):
            process.wait(timeout=2.0)


def _credential(stdout: bytes, name: str, api_version: str) -> ExecCredential:
    try:
        answer = json.loads(stdout.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ExecPluginError(f"exec plugin {name}: its answer is not an ExecCredential "
                              "(not JSON)") from None
    status = answer.get("status") if isinstance(answer, Mapping) else None
    if not isinstance(status, Mapping):
        raise ExecPluginError(f"exec plugin {name}: its answer has no status")
    if answer.get("apiVersion") != api_version:
        raise ExecPluginError(f"exec plugin {name}: answered in apiVersion "
                              f"{_printable(str(answer.get('apiVersion')), 60)}, "
                              f"not {api_version}")

    def text(key: str) -> str | None:
        value = status.get(key)
        return value if isinstance(value, str) and value else None

    credential = ExecCredential(
        token=text("token"),
        client_certificate_data=text("clientCertificateData"),
        client_key_data=text("clientKeyData"),
        expiration=text("expirationTimestamp"),
    )
    if credential.token is None and not (credential.client_certificate_data
                                         and credential.client_key_data):
        raise ExecPluginError(f"exec plugin {name}: its answer holds neither a token "
                              "nor a client certificate and key")
    return credential
