"""Prove that the LiteLLM proxy starts and answers with no network at all.

`probe_offline()` runs this module under `unshare --net --mount`: a network
namespace of its own whose only interface is loopback, so no packet can leave
the machine whatever LiteLLM tries. Inside, /etc/resolv.conf is bind-mounted to
point at 127.0.0.53, where a catcher records every DNS question: anything that
reaches out by name (cost map, tokenizer hub, telemetry) asks DNS first, so an
empty list means nothing tried. (A connect to a literal address fails at once
with ENETUNREACH and is not recorded; nothing in LiteLLM's source does that.)

The probe then starts the fake upstream and the proxy, sends one chat and one
stream, reads `/metrics/`, and prints one JSON line: startup time, the three
HTTP statuses and the DNS questions caught. `--canary` makes one lookup of its
own instead (no proxy), so a test can show that the catcher does catch.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tests.stack.fake_openai import FakeOpenAI, Reply
from tests.stack.litellm_stack import DEPLOYMENTS, LiteLLMProxy

RESOLVER = "127.0.0.53"
CANARY_HOST = "telemetry.offline-probe.invalid"


class ProbeUnavailable(RuntimeError):
    """No way to make a network namespace here (no unshare, not permitted)."""


def _qname(packet: bytes) -> str:
    """The first question's name of a DNS query (header is 12 bytes, then labels)."""
    labels: list[str] = []
    i = 12
    while i < len(packet) and packet[i] != 0 and len(labels) < 64:
        size = packet[i]
        labels.append(packet[i + 1:i + 1 + size].decode("ascii", "replace"))
        i += 1 + size
    return ".".join(labels)[:253]


class DnsCatcher:
    """Answers nothing, records every question sent to 127.0.0.53:53 (UDP and TCP)."""

    def __init__(self) -> None:
        self.questions: list[str] = []
        self._udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._udp.bind((RESOLVER, 53))
        self._tcp = socket.create_server((RESOLVER, 53))
        for target in (self._serve_udp, self._serve_tcp):
            threading.Thread(target=target, daemon=True).start()

    def _serve_udp(self) -> None:
        while True:
            packet, _ = self._udp.recvfrom(4096)
            self.questions.append(_qname(packet))

    def _serve_tcp(self) -> None:
        while True:
            conn, _ = self._tcp.accept()
            with conn:
                conn.settimeout(2)
                try:
                    self.questions.append(_qname(conn.recv(4096)[2:]))
                except OSError:
                    self.questions.append("?")


def _loopback_up() -> None:
    """`ip link set lo up` without needing iproute2: SIOCGIFFLAGS / SIOCSIFFLAGS on "lo"."""
    get_flags, set_flags, up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(sock, get_flags, request)[:18])[1]
        fcntl.ioctl(sock, set_flags, struct.pack("16sH", b"lo", flags | up))


def _isolate_dns() -> None:
    """Inside the namespace: loopback up, resolv.conf pointing at the catcher."""
    _loopback_up()
    fd, path = tempfile.mkstemp(prefix="agc-resolv-")
    os.write(fd, f"nameserver {RESOLVER}\noptions timeout:1 attempts:1\n".encode())
    os.close(fd)
    subprocess.run(["mount", "--bind", path, "/etc/resolv.conf"], check=True, timeout=10)
    os.unlink(path)  # the mount keeps the file; nothing is left behind


def _exercise(proxy: LiteLLMProxy) -> dict[str, int]:
    model = DEPLOYMENTS[0].public
    with httpx.Client(base_url=proxy.url, timeout=30, trust_env=False,
                      headers={"Authorization": f"Bearer {proxy.master_key}"}) as client:
        chat = client.post("/v1/chat/completions", json={
            "model": model, "messages": [{"role": "user", "content": Reply().script()}]})
        stream = client.post("/v1/chat/completions", json={
            "model": model, "stream": True,
            "messages": [{"role": "user", "content": Reply().script()}]})
    time.sleep(0.5)
    metrics, _ = proxy.metrics_text()
    return {"chat": chat.status_code, "stream": stream.status_code, "metrics": metrics}


def run_inside(canary: bool) -> dict[str, Any]:
    _isolate_dns()
    catcher = DnsCatcher()
    if canary:
        with contextlib.suppress(OSError):
            socket.getaddrinfo(CANARY_HOST, 443)
        time.sleep(0.3)
        return {"dns_questions": sorted(set(catcher.questions))}
    with FakeOpenAI(tuple(d.deployment for d in DEPLOYMENTS)) as upstream:
        proxy = LiteLLMProxy(upstream.base_url, executable=Path(sys.argv[-1]))
        with proxy:
            statuses = _exercise(proxy)
            startup = proxy.startup_s
    time.sleep(0.3)
    return {"startup_s": startup, **statuses, "dns_questions": sorted(set(catcher.questions))}


def unshare_command() -> list[str]:
    """`unshare` as root, or with a user namespace mapping us to root otherwise."""
    exe = shutil.which("unshare")
    if exe is None or shutil.which("mount") is None:
        raise ProbeUnavailable("unshare or mount (util-linux) not installed")
    base = [exe, "--net", "--mount"]
    if os.geteuid() != 0:
        base.insert(1, "--map-root-user")
    probe = subprocess.run([*base, "true"], capture_output=True, timeout=10)
    if probe.returncode != 0:
        raise ProbeUnavailable(f"unshare refused: {probe.stderr.decode(errors='replace')[:200]}")
    return base


def probe_offline(litellm: Path, *, canary: bool = False,
                  timeout_s: float = 180.0) -> dict[str, Any]:
    """Run the probe in a fresh network namespace; its JSON result."""
    cmd = [*unshare_command(), sys.executable, "-m", "tests.stack.offline_probe"]
    if canary:
        cmd.append("--canary")
    done = subprocess.run([*cmd, str(litellm.resolve())], capture_output=True, timeout=timeout_s,
                          cwd=Path(__file__).resolve().parents[2], stdin=subprocess.DEVNULL)
    lines = done.stdout.decode(errors="replace").strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"offline probe exited {done.returncode}: "
                           f"{done.stderr.decode(errors='replace')[-600:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


if __name__ == "__main__":
    print(json.dumps(run_inside(canary="--canary" in sys.argv[1:-1])))
