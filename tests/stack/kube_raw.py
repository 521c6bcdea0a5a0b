"""Raw requests through the official `kubernetes` client and through `kubectl`, for tests.

The service proxy has no typed method that takes a query string, so tests (and, likely,
the console) call it as the client's own generated methods do: `param_serialize` with
the kubeconfig's auth settings, then `call_api`. `kubectl` is the reference client; it
is run with a bounded timeout, in its own process group, and killed with it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kubernetes import config

KUBECTL_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]


def api_client(kubeconfig: Path, context: str | None = None) -> Any:
    """The official client built from a kubeconfig, as `Any`: its models' fields are all
    optional and its methods untyped, so a test reads what it asserts on directly."""
    api: Any = config.new_client_from_config  # untyped in the client
    return api(str(kubeconfig), context=context)


def raw(api: Any, method: str, path: str, *,
        query: Sequence[tuple[str, str]] = (), headers: dict[str, str] | None = None,
        body: object = None, form: Sequence[tuple[str, str]] | None = None,
        timeout_s: float = 10.0) -> Answer:
    """One request with the kubeconfig's credentials; any status comes back, none raises."""
    method_, url, header_params, body_, post = api.param_serialize(
        method, path, query_params=list(query), header_params=dict(headers or {}),
        body=body, post_params=list(form) if form else None, auth_settings=["BearerToken"])
    resp = api.call_api(method_, url, header_params, body_, post, _request_timeout=timeout_s)
    data = resp.read()
    return Answer(resp.status, data or b"", {k.lower(): v for k, v in resp.getheaders().items()})


def require_kubectl() -> str:
    path = shutil.which("kubectl")
    if path is None:
        pytest.skip("kubectl not installed (apt-get install kubernetes-client)")
    return path


@dataclass(frozen=True)
class Run:
    returncode: int | None
    """None: still running at the deadline (then killed with its process group)."""
    stdout: str
    stderr: str


def kubectl(kubeconfig: Path, *args: str, timeout_s: float = KUBECTL_TIMEOUT_S) -> Run:
    """`kubectl --kubeconfig KUBECONFIG ARGS`, killed with its children after `timeout_s`."""
    proc = subprocess.Popen([require_kubectl(), "--kubeconfig", str(kubeconfig), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL, start_new_session=True,
                            env={**os.environ, "KUBECONFIG": str(kubeconfig)})
    try:
        out, err = proc.communicate(timeout=timeout_s)
        return Run(proc.returncode, out, err)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out, err = proc.communicate(timeout=10)
        return Run(None, out, err)


def kill_group(proc: subprocess.Popen[str]) -> None:
    """SIGKILL the process group `proc` leads (it was started with start_new_session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
