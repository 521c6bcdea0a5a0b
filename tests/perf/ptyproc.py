"""A real console process under a pseudo-terminal, measured from outside.

What a user feels is the process: its start-up, the CPU it takes from the jump
host, its memory, and the bytes it pushes through SSH. So the benchmarks spawn
`ai-gateway-console` on a pty of a given size, drain the master side in a
thread (counting every byte with a timestamp), and read the child's CPU time
and memory from /proc. Nothing here runs inside the console's own process.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


REPO = Path(__file__).resolve().parents[2]


def console_command(*args: str) -> list[str]:
    """`python -m console` from this checkout (PtyProcess puts it first on PYTHONPATH).

    Not the venv's `ai-gateway-console` entry point: an editable install maps the
    package to whichever checkout ran `pip install -e` last, which on a shared venv
    need not be this one (a benchmark once measured another engineer's tree).
    """
    return [sys.executable, "-m", "console", *args]


def set_winsize(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class PtyProcess:
    """One child on a pty; `output` grows as the child writes, `chunks` keeps (time, size)."""

    def __init__(
        self,
        argv: Sequence[str],
        cols: int = 120,
        rows: int = 40,
        env: Mapping[str, str] | None = None,
        keep_output: bool = True,
        cwd: Path | None = None,
    ) -> None:
        self.argv = list(argv)
        self.cwd = cwd
        """The child's working folder (where `x` exports), this process's by default."""
        self.cols, self.rows = cols, rows
        child_env = dict(os.environ)
        child_env["TERM"] = "xterm-256color"
        # The size comes from the pty (TIOCSWINSZ) only: Textual asks shutil, which prefers
        # COLUMNS/LINES, so with those set a resize (see `resize`) would never be seen.
        for name in ("NO_COLOR", "COLUMNS", "LINES"):
            child_env.pop(name, None)
        child_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
        if env:
            child_env.update(env)
        self.env = child_env
        self.keep_output = keep_output
        self.output = bytearray()
        self.total_bytes = 0
        self.chunks: list[tuple[float, int]] = []
        self.started = 0.0
        self._lock = threading.Lock()
        self._found: dict[bytes, float] = {}
        self._watch: list[bytes] = []
        self.master = -1
        self.proc: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle
    def start(self, watch: Sequence[bytes] = ()) -> PtyProcess:
        master, slave = pty.openpty()
        set_winsize(slave, self.cols, self.rows)
        self._watch = list(watch)
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            self.argv, stdin=slave, stdout=slave, stderr=slave, env=self.env,
            start_new_session=True, close_fds=True, cwd=self.cwd,
        )
        os.close(slave)
        self.master = master
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        return self

    def _drain(self) -> None:
        tail = b""
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            now = time.perf_counter()
            with self._lock:
                self.total_bytes += len(data)
                self.chunks.append((now, len(data)))
                if self.keep_output:
                    self.output += data
                window = tail + data
                for needle in self._watch:
                    if needle not in self._found and needle in window:
                        self._found[needle] = now
                tail = window[-256:]

    def found_at(self, needle: bytes, timeout: float) -> float | None:
        """Seconds from spawn until `needle` (registered in start) first crossed the pty."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            with self._lock:
                if needle in self._found:
                    return self._found[needle] - self.started
            if self.proc is not None and self.proc.poll() is not None:
                return None
            time.sleep(0.005)
        return None

    def resize(self, cols: int, rows: int) -> None:
        set_winsize(self.master, cols, rows)
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGWINCH)

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def bytes_since(self, t0: float) -> int:
        with self._lock:
            return sum(n for t, n in self.chunks if t >= t0)

    def stop(self, timeout: float = 5.0) -> int | None:
        """Quit politely (q), then SIGTERM, then SIGKILL; always closes the master."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            with contextlib.suppress(OSError):
                self.send(b"q")
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout)
        with contextlib.suppress(OSError):
            os.close(self.master)
        if self._reader is not None:
            self._reader.join(2)
        return proc.returncode

    def __enter__(self) -> PtyProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------- /proc
    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def cpu_seconds(self) -> float:
        """User + system CPU time of the child so far (its threads included)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def rss_bytes(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0
