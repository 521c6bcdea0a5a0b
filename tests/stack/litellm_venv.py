"""The real LiteLLM proxy's own venv: `python -m tests.stack.litellm_venv ensure`.

LiteLLM (`litellm[proxy]` with `prometheus_client`, which the proxy extra lacks)
brings ~120 packages and ~750 MB, some pinned against the project's own
dependencies, so it lives in a venv of its own (`.venv-litellm` beside `.venv`,
or `$AGC_LITELLM_VENV`) and runs as a subprocess; the test process never
imports it. Every package is pinned in `litellm-requirements.txt`.

`ensure` is idempotent: a marker file holds the hash of the requirements the
venv was built from, so a second call costs a file read, and a changed pin
rebuilds it. A file lock keeps two test sessions from building it at once.
Called by tests/run before pytest and by the stack fixture on first use. When
the install fails it prints one line and exits 0 (the LiteLLM tests then skip),
except under CI, where it exits 1.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from filelock import FileLock

from tests.stack.prometheus_stack import running_under_ci

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = Path(__file__).with_name("litellm-requirements.txt")
LITELLM_VERSION = "1.108.7"
MARKER = "agc-requirements.sha256"
INSTALL_TIMEOUT_S = 900.0


class LiteLLMUnavailable(RuntimeError):
    """The LiteLLM venv is missing and could not be built."""


def venv_dir() -> Path:
    return Path(os.environ.get("AGC_LITELLM_VENV") or ROOT / ".venv-litellm")


def _wanted() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def installed(venv: Path | None = None) -> Path | None:
    """The `litellm` executable when the venv matches the pins, else None."""
    venv = venv or venv_dir()
    exe = venv / "bin" / "litellm"
    marker = venv / MARKER
    if exe.exists() and marker.exists() and marker.read_text().strip() == _wanted():
        return exe
    return None


def ensure(venv: Path | None = None) -> Path:
    """The `litellm` executable, building the venv first if needed (minutes, once)."""
    venv = venv or venv_dir()
    exe = installed(venv)
    if exe is not None:
        return exe
    venv.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(venv) + ".lock", timeout=INSTALL_TIMEOUT_S):
        exe = installed(venv)
        if exe is None:
            exe = _build(venv)
    return exe


def _build(venv: Path) -> Path:
    if venv.exists():
        shutil.rmtree(venv)
    log = venv.parent / f"{venv.name}-install.log"
    python = shutil.which("python3") or sys.executable
    steps = [
        [python, "-m", "venv", str(venv)],
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
         "--disable-pip-version-check", "-r", str(REQUIREMENTS)],
    ]
    with log.open("wb") as out:
        for step in steps:
            try:
                done = subprocess.run(step, stdout=out, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, timeout=INSTALL_TIMEOUT_S)
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise LiteLLMUnavailable(f"{' '.join(step[1:4])} failed: {exc}") from exc
            if done.returncode != 0:
                raise LiteLLMUnavailable(f"{' '.join(step[1:4])} exited {done.returncode}: "
                                         f"{_last_line(log)} (see {log})")
    exe = venv / "bin" / "litellm"
    if not exe.exists():
        raise LiteLLMUnavailable(f"{exe} missing after install (see {log})")
    (venv / MARKER).write_text(_wanted() + "\n")
    return exe


def _last_line(log: Path) -> str:
    lines = [ln for ln in log.read_text(errors="replace").splitlines()
             if ln.strip() and "is ignored" not in ln]
    return lines[-1][:200] if lines else "no output"


def main(argv: list[str]) -> int:
    if argv != ["ensure"]:
        print("usage: python -m tests.stack.litellm_venv ensure", file=sys.stderr)
        return 2
    if installed() is not None:
        return 0
    started = time.monotonic()
    print(f"tests/run: installing litellm[proxy]=={LITELLM_VERSION} into {venv_dir()}")
    try:
        ensure()
    except (LiteLLMUnavailable, OSError) as exc:
        if running_under_ci():
            print(f"tests/run: LiteLLM not installed ({exc}): CI needs it")
            return 1
        print(f"tests/run: LiteLLM not installed ({exc}): its stack tests will skip")
        return 0
    print(f"tests/run: LiteLLM installed in {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
