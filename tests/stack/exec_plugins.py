"""Kubeconfig exec credential plugins for tests: small executable scripts in a temp folder.

EKS (`aws eks get-token`), GKE (`gke-gcloud-auth-plugin`) and OIDC (`kubelogin`) all hand
the client a token through the exec protocol: the client runs the command, reads one
`ExecCredential` JSON from its stdout (apiVersion `client.authentication.k8s.io/v1` or
`v1beta1`, `status.token`, `status.expirationTimestamp`) and runs it again once that time
has passed or the API server answered 401. These stand-ins let the tests meet the same:

- `short_lived`: mints a token of the emulator's `TokenIssuer` (valid `ttl_s`), prints
  a real ExecCredential and appends one line per call to a file, so a test counts how
  often the client ran it;
- `hanging`: says it is waiting for a browser login on stderr and never answers;
- `failing`: floods stderr with noise (escape sequences included) and exits 1;
- `garbage`: exits 0 having printed something that is not JSON.

The scripts run under this interpreter and import only `tests.stack.kube_auth` (stdlib
only) from this checkout, so `kubectl` can run them as it would run a real plugin.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.stack.kube_auth import EXEC_API_V1, TokenIssuer

REPO = Path(__file__).resolve().parents[2]
HANG_S = 3600
"""A hanging plugin sleeps this long; every test kills it (and kubectl) well before."""


@dataclass(frozen=True)
class ExecPlugin:
    """One plugin script and the file where it counts its calls."""

    name: str
    path: Path
    calls_path: Path
    api_version: str = EXEC_API_V1

    @property
    def calls(self) -> int:
        """How many times the plugin was started so far."""
        if not self.calls_path.exists():
            return 0
        return len(self.calls_path.read_text().splitlines())

    def pids(self) -> list[int]:
        """The process ids of every call (the hanging plugin's, to check it was killed)."""
        if not self.calls_path.exists():
            return []
        return [int(line.split()[0]) for line in self.calls_path.read_text().splitlines()]

    def user(self, interactive_mode: str = "Never", **extra: Any) -> dict[str, Any]:
        """The kubeconfig `user` entry that runs this plugin (v1 requires interactiveMode)."""
        exec_: dict[str, Any] = {"apiVersion": self.api_version, "command": str(self.path),
                                 "provideClusterInfo": False, **extra}
        if self.api_version == EXEC_API_V1 or interactive_mode != "Never":
            exec_["interactiveMode"] = interactive_mode
        return {"exec": exec_}


_PREAMBLE = """#!{python}
# A test exec credential plugin written by tests/stack/exec_plugins.py.
import json, os, sys, time
with open({calls!r}, "a") as f:
    f.write(f"{{os.getpid()}} {{time.time():.3f}}\\n")
"""

_BODIES = {
    "short_lived": """
sys.path.insert(0, {repo!r})
from tests.stack.kube_auth import TokenIssuer
print(TokenIssuer(ttl_s={ttl_s!r}, secret={secret!r}).exec_credential({api!r}))
""",
    "hanging": """
print("waiting for the browser login at https://login.example.invalid/device ...",
      file=sys.stderr, flush=True)
time.sleep({hang_s})
""",
    "failing": """
for i in range(200):
    print(f"\\x1b[31merror\\x1b[0m {{i}}: token refresh failed \\x1b]0;owned\\x07 " + "x" * 200,
          file=sys.stderr)
sys.exit(1)
""",
    "garbage": """
sys.stdout.write("<html><body>\\x1b[2J\\x00 Sign in to continue</body></html>\\n")
""",
}


def _write(folder: Path, name: str, kind: str, api_version: str, **values: Any) -> ExecPlugin:
    folder.mkdir(parents=True, exist_ok=True)
    path, calls = folder / name, folder / f"{name}.calls"
    script = _PREAMBLE.format(python=sys.executable, calls=str(calls))
    script += _BODIES[kind].format(repo=str(REPO), api=api_version, hang_s=HANG_S, **values)
    path.write_text(script)
    path.chmod(0o755)
    return ExecPlugin(name, path, calls, api_version)


def short_lived(folder: Path, issuer: TokenIssuer, api_version: str = EXEC_API_V1,
                name: str = "agc-token-plugin") -> ExecPlugin:
    """A plugin whose tokens the emulator accepts for `issuer.ttl_s` seconds."""
    return _write(folder, name, "short_lived", api_version, ttl_s=issuer.ttl_s,
                  secret=issuer.secret)


def hanging(folder: Path, name: str = "aws-iam-authenticator",
            api_version: str = EXEC_API_V1) -> ExecPlugin:
    return _write(folder, name, "hanging", api_version)


def failing(folder: Path, name: str = "gke-gcloud-auth-plugin",
            api_version: str = EXEC_API_V1) -> ExecPlugin:
    return _write(folder, name, "failing", api_version)


def garbage(folder: Path, name: str = "kubelogin", api_version: str = EXEC_API_V1) -> ExecPlugin:
    return _write(folder, name, "garbage", api_version)
