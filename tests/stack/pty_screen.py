"""The real console under a pty, read back as a screen: what a user's terminal would show.

`PtyProcess` (tests/perf/ptyproc.py) keeps every byte the console writes; this
feeds them to `pyte`, a VT100-compatible terminal emulator, so a test can read
the screen's text, find where a string is drawn, click there (SGR mouse
reports, as a real terminal sends them) and type keys. All waits are bounded.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pyte

from tests.perf.ptyproc import PtyProcess, console_command

KEYS = {"enter": b"\r", "tab": b"\t", "shift+tab": b"\x1b[Z", "escape": b"\x1b",
        "down": b"\x1b[B", "up": b"\x1b[A", "pagedown": b"\x1b[6~", "end": b"\x1b[F"}


class PtyScreen:
    """One console process on a `cols` x `rows` pty and the screen its output draws."""

    def __init__(self, args: Sequence[str], env: dict[str, str], cwd: Path,
                 cols: int = 160, rows: int = 50) -> None:
        self.proc = PtyProcess(console_command(*args), cols, rows, env=env, cwd=cwd)
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self._fed = 0

    def start(self) -> PtyScreen:
        self.proc.start()
        return self

    @property
    def output(self) -> bytes:
        return bytes(self.proc.output)

    @property
    def alive(self) -> bool:
        return self.proc.proc is not None and self.proc.proc.poll() is None

    def lines(self) -> list[str]:
        """The screen now, one string per row."""
        data = self.output
        if len(data) > self._fed:
            self.stream.feed(data[self._fed:])
            self._fed = len(data)
        return list(self.screen.display)

    def text(self) -> str:
        return "\n".join(self.lines())

    def wait_for(self, *needles: str, timeout: float = 20.0) -> str:
        """The screen once it shows every needle; AssertionError with the screen if not."""
        return self.wait_until(lambda text: all(n in text for n in needles), timeout,
                               f"{needles!r} on screen")

    def wait_until(self, predicate: Callable[[str], bool], timeout: float = 20.0,
                   what: str = "condition") -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.text()
            if predicate(text):
                return text
            if not self.alive:
                raise AssertionError(f"the console exited while waiting for {what}:\n{text}")
            time.sleep(0.1)
        raise AssertionError(f"no {what} within {timeout} s; the screen:\n{text}")

    def find(self, needle: str) -> tuple[int, int]:
        """(column, row), 0-based, where `needle` starts on the screen."""
        for y, line in enumerate(self.lines()):
            x = line.find(needle)
            if x >= 0:
                return x, y
        raise AssertionError(f"{needle!r} is not on the screen:\n{self.text()}")

    def press(self, *keys: str, pause: float = 0.3) -> None:
        for key in keys:
            self.proc.send(KEYS.get(key, key.encode()))
            time.sleep(pause)

    def click(self, x: int, y: int) -> None:
        """A left click at (column, row), 0-based, as an SGR mouse report (press, release)."""
        self.proc.send(f"\x1b[<0;{x + 1};{y + 1}M".encode())
        time.sleep(0.05)
        self.proc.send(f"\x1b[<0;{x + 1};{y + 1}m".encode())

    def quit(self, timeout: float = 15.0) -> int | None:
        """`q`, and the exit code (None if it did not exit in time)."""
        assert self.proc.proc is not None
        if self.alive:
            self.proc.send(b"q")
        try:
            return self.proc.proc.wait(timeout)
        except Exception:
            return None

    def stop(self) -> None:
        self.proc.stop()
