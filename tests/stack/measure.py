"""Run the real console as a process and measure it from outside: exit, output, peak memory.

The memory figures of the bounded-reads tests are taken here, not asserted from inside
the process: the peak resident set size comes from the kernel (the process's own VmHWM), and
a process that grows past `kill_above` is killed at once, so a regression fails the test
in seconds instead of taking the shared machine down with it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MB = 1024 * 1024
_ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][A-Z0-9]")


@dataclass(frozen=True)
class Measured:
    returncode: int | None
    """None: killed (too slow or too big)."""
    stdout: str
    stderr: str
    seconds: float
    peak_rss: int
    """Bytes, from the kernel's accounting of the process's peak resident set."""
    killed: str = ""


def rss(pid: int, field: str = "VmRSS") -> int:
    """A memory field of /proc/PID/status in bytes (0 once the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def console_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AI_GATEWAY_CONSOLE_")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_STATE_HOME=str(home / ".state"), NO_COLOR="1",
               PYTHONPATH=os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH"))
                                          if p))
    env.pop("KUBECONFIG", None)
    env.pop("PROMETHEUS_URL", None)
    env.update(extra or {})
    return env


def run_console(args: Sequence[str], env: Mapping[str, str], *, timeout_s: float,
                kill_above: int = 600 * MB) -> Measured:
    """`python -m console ARGS` from this checkout, watched until it exits or must be killed."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "console", *args], stdin=subprocess.DEVNULL,
                                stdout=out, stderr=err, env=dict(env), start_new_session=True)
        killed = ""
        peak = 0
        while True:
            # The peak is the process's own high-water mark, read while it runs: wait4's
            # ru_maxrss also counts the pytest process it was forked from (Linux keeps the
            # larger of the old and new address space's peak across exec), which a long test
            # run makes hundreds of MB.
            peak = max(peak, rss(proc.pid, "VmHWM"))
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            elapsed = time.monotonic() - started
            size = rss(proc.pid)
            if not killed and (size > kill_above or elapsed > timeout_s):
                killed = (f"resident memory {size // MB} MB" if size > kill_above
                          else f"still running after {timeout_s:g} s")
                os.killpg(proc.pid, signal.SIGKILL)
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return Measured(
            returncode=None if killed else proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            seconds=seconds,
            peak_rss=peak or usage.ru_maxrss * 1024,
            killed=killed,
        )


def screen_text(output: bytes) -> str:
    """What a pty received, escape sequences taken out (the text a user could read)."""
    return _ANSI.sub(b"", output).decode("utf-8", "replace")
