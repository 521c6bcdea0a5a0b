"""A TCP-level fault proxy on loopback, for Prometheus, Alertmanager and the Kubernetes API.

`faults.FaultServer` answers HTTP itself, so it cannot pass a Kubernetes watch
through as a stream, reset a connection mid-body or cut a watch after a few
seconds. This proxy works on sockets: in `forward` mode every connection is a
byte pipe to the upstream (keep-alive, chunked watch streams and all), and in
a fault mode each request is read and answered with the fault:

=================  ==========================================================================
`refuse()`         stop listening: connection refused
`status(code)`     answer every request with `code` (a JSON body; `echo_auth` puts the
                   request's Authorization header in it, as a careless server might)
`reset()`          headers and half a body, then a TCP reset
`stall(s)`         hold every request `s` seconds (bounded), then hang up without an answer
`malformed()`      200 with an HTML body
`truncate()`       the upstream's real answer cut in half (Content-Length of the half: the
                   transport is fine, the JSON is not); a watch gets one cut-off event line
`transform(fn)`    the upstream's JSON rewritten by `fn` (NaN/Inf values); watches pass
`cut_watches(s)`   forward, but close every watch connection `s` seconds after it started
=================  ==========================================================================

Every switch drops the open connections (as a proxy restart would), so a
fault reaches clients with pooled or streaming connections at once. With
`paths` only requests whose path matches the regular expression get the fault;
the others are forwarded. Binds 127.0.0.1 only; every wait is bounded.

Below the proxy: the campaign's named faults per source (`FAULTS`, `apply_fault`)
and the console built as the CLI builds it with every source behind a proxy
(`build_app`), shared by tests/integration/test_fault_campaign.py and tests/perf/soak.py.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import selectors
import socket
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.model import SOURCE_NAMES, SourceName

if TYPE_CHECKING:
    from console.app import GatewayConsole

MAX_STALL_S = 30.0
MAX_HEADER_BYTES = 64 * 1024
IO_TIMEOUT_S = 10.0
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length",
               "proxy-connection", "upgrade", "te", "trailer", "accept-encoding"}
"""Not passed on when the proxy reads an answer itself: it must see (and cut or rewrite)
plain JSON, not gzip."""
Transform = Callable[[Any], Any]


def _is_watch(target: str) -> bool:
    return bool(re.search(r"[?&]watch=(true|1)(&|$)", target))


class FaultProxy:
    """Forwards 127.0.0.1:port to `upstream` ("host:port" or a URL) or injects a fault."""

    def __init__(self, upstream: str) -> None:
        hostport = re.sub(r"^[a-z]+://", "", upstream).split("/", 1)[0]
        host, _, port = hostport.rpartition(":")
        self.upstream = (host or "127.0.0.1", int(port))
        self.port = 0
        self.mode = "forward"
        self.connections_total = 0
        self.faults_served = 0
        self._lock = threading.Lock()
        self._code = 503
        self._echo_auth = False
        self._stall_s = 0.0
        self._cut_s: float | None = None
        self._transform: Transform | None = None
        self._paths: re.Pattern[str] | None = None
        self._release = threading.Event()
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._open: set[socket.socket] = set()

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        self._listen()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._release.set()
        self._unlisten()
        self._drop_all()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _listen(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(128)
        sock.settimeout(0.05)
        self.port = int(sock.getsockname()[1])
        self._listener = sock
        thread = threading.Thread(target=self._accept_loop, args=(sock,),
                                  name=f"fault-proxy-{self.port}", daemon=True)
        self._accept_thread = thread
        thread.start()

    def _unlisten(self) -> None:
        sock, thread = self._listener, self._accept_thread
        self._listener = self._accept_thread = None
        if thread is not None:
            thread.join(timeout=5)  # it closes the socket when it sees it is no longer current
        elif sock is not None:
            sock.close()

    def _drop_all(self) -> None:
        with self._lock:
            conns, self._open = list(self._open), set()
        for conn in conns:
            _abort(conn)  # its own thread closes it: never close a socket another thread polls

    # --------------------------------------------------------------------- faults

    def _switch(self, mode: str, paths: str | None = None, **state: Any) -> None:
        with self._lock:
            self._release.set()  # let stalled requests go
            self._release = threading.Event()
            self.mode = mode
            self._paths = re.compile(paths) if paths else None
            self._cut_s = None
            self._transform = None
            for key, value in state.items():
                setattr(self, f"_{key}", value)
        self._drop_all()
        if mode == "refuse":
            self._unlisten()
        elif self._listener is None and not self._stopping.is_set():
            self._listen()

    def forward(self) -> None:
        self._switch("forward")

    def refuse(self) -> None:
        self._switch("refuse")

    def status(self, code: int, *, echo_auth: bool = False, paths: str | None = None) -> None:
        self._switch("status", paths, code=code, echo_auth=echo_auth)

    def reset(self, paths: str | None = None) -> None:
        self._switch("reset", paths)

    def stall(self, seconds: float, paths: str | None = None) -> None:
        self._switch("stall", paths, stall_s=min(seconds, MAX_STALL_S))

    def malformed(self, paths: str | None = None) -> None:
        self._switch("malformed", paths)

    def truncate(self, paths: str | None = None) -> None:
        self._switch("truncate", paths)

    def transform(self, fn: Transform, paths: str | None = None) -> None:
        self._switch("transform", paths, transform=fn)

    def cut_watches(self, seconds: float) -> None:
        self._switch("forward", cut_s=seconds)

    # ------------------------------------------------------------------- serving

    def _accept_loop(self, sock: socket.socket) -> None:
        try:
            while self._listener is sock and not self._stopping.is_set():
                try:
                    conn, _ = sock.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return
                conn.settimeout(IO_TIMEOUT_S)
                with self._lock:
                    self._open.add(conn)
                    self.connections_total += 1
                threading.Thread(target=self._serve, args=(conn,), daemon=True).start()
        finally:
            sock.close()

    def _serve(self, conn: socket.socket) -> None:
        try:
            with self._lock:
                mode = self.mode
                paths = self._paths
            if mode == "forward" and paths is None:
                self._pipe(conn)
                return
            self._requests(conn)
        except (OSError, ValueError):
            pass  # dropped by a switch, or the client went away
        finally:
            with self._lock:
                self._open.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()

    def _pipe(self, client: socket.socket) -> None:
        """Bytes both ways until either side closes; a watch is cut after `_cut_s`."""
        upstream = socket.create_connection(self.upstream, timeout=IO_TIMEOUT_S)
        with self._lock:
            self._open.add(upstream)
        deadline: float | None = None
        try:
            with selectors.DefaultSelector() as sel:
                sel.register(client, selectors.EVENT_READ, upstream)
                sel.register(upstream, selectors.EVENT_READ, client)
                while not self._stopping.is_set():
                    if deadline is not None and time.monotonic() >= deadline:
                        _hard_close(client)
                        return
                    for key, _ in sel.select(timeout=0.1):
                        src = key.fileobj
                        assert isinstance(src, socket.socket)
                        data = src.recv(65536)
                        if not data:
                            return
                        if src is client and deadline is None:
                            with self._lock:
                                cut = self._cut_s
                            if cut is not None and _is_watch(_request_target(data)):
                                deadline = time.monotonic() + cut
                        key.data.sendall(data)
        finally:
            with self._lock:
                self._open.discard(upstream)
            with contextlib.suppress(OSError):
                upstream.close()

    def _requests(self, conn: socket.socket) -> None:
        """Answer requests one by one (keep-alive) while the connection lasts."""
        with conn.makefile("rb") as reader:
            self._answer(conn, reader)

    def _answer(self, conn: socket.socket, reader: Any) -> None:
        while not self._stopping.is_set():
            request = _read_request(reader)
            if request is None:
                return
            method, target, headers, body = request
            with self._lock:
                mode, paths, release = self.mode, self._paths, self._release
                code, echo, stall_s, fn = (self._code, self._echo_auth, self._stall_s,
                                           self._transform)
            path = target.split("?", 1)[0]
            if mode == "refuse":
                return
            if mode == "forward" or (paths is not None and not paths.search(path)):
                if _is_watch(target):
                    self._pipe_watch(conn, method, target, headers)
                    return
                self._reply(conn, *self._fetch(method, target, headers, body))
                continue
            with self._lock:
                self.faults_served += 1
            if mode == "stall":
                release.wait(stall_s)
                _hard_close(conn)
                return
            if mode == "status":
                text = f"injected fault {code}"
                if echo:  # a careless server quoting the credentials back
                    text += f" for {headers.get('authorization', 'no credentials')}"
                payload: dict[str, Any] = {
                    "kind": "Status", "apiVersion": "v1", "status": "Failure",
                    "code": code, "message": text, "error": text, "errorType": "injected",
                }
                self._send(conn, code, json.dumps(payload).encode(), "application/json",
                           close=True)
                return
            if mode == "malformed":
                self._send(conn, 200, b"<html><body>502 Bad Gateway</body></html>",
                           "text/html", close=True)
                return
            if mode == "reset":
                head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b"Content-Length: 4096\r\n\r\n")
                conn.sendall(head + b'{"status":"success","data":{"resultType":"vec')
                time.sleep(0.05)
                _hard_close(conn)
                return
            if _is_watch(target):
                if mode == "truncate":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Transfer-Encoding: chunked\r\n\r\n")
                    line = b'{"type":"ADDED","object":{"metadata":{"name":"ai-gat'
                    conn.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(line), line))
                    return
                self._pipe_watch(conn, method, target, headers)
                return
            status, rheaders, data = self._fetch(method, target, headers, body)
            if mode == "truncate":
                data = data[: len(data) // 2]
            elif mode == "transform" and fn is not None and status == 200:
                with contextlib.suppress(ValueError):
                    data = json.dumps(fn(json.loads(data))).encode()
            self._reply(conn, status, rheaders, data)

    def _pipe_watch(self, conn: socket.socket, method: str, target: str,
                    headers: dict[str, str]) -> None:
        """A watch while other requests are rewritten: re-sent upstream, streamed back."""
        upstream = socket.create_connection(self.upstream, timeout=IO_TIMEOUT_S)
        with self._lock:
            self._open.add(upstream)
        try:
            lines = [f"{method} {target} HTTP/1.1"]
            lines += [f"{k}: {v}" for k, v in headers.items() if k != "connection"]
            lines.append("Connection: close")
            upstream.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            while not self._stopping.is_set():
                data = upstream.recv(65536)
                if not data:
                    return
                conn.sendall(data)
        finally:
            with self._lock:
                self._open.discard(upstream)
            _hard_close(upstream)
            _hard_close(conn)

    def _fetch(self, method: str, target: str, headers: dict[str, str],
               body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        upstream = http.client.HTTPConnection(*self.upstream, timeout=IO_TIMEOUT_S)
        try:
            upstream.request(method, target, body=body or None,
                             headers={k: v for k, v in headers.items() if k not in HOP_HEADERS})
            resp = upstream.getresponse()
            data = resp.read()
            kept = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_HEADERS]
            return resp.status, kept, data
        except (OSError, http.client.HTTPException) as exc:
            return 502, [("Content-Type", "text/plain")], f"upstream: {exc}".encode()
        finally:
            upstream.close()

    @staticmethod
    def _reply(conn: socket.socket, status: int, headers: list[tuple[str, str]],
               body: bytes) -> None:
        head = [f"HTTP/1.1 {status} {http.client.responses.get(status, 'Status')}"]
        head += [f"{k}: {v}" for k, v in headers]
        head.append(f"Content-Length: {len(body)}")
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)

    def _send(self, conn: socket.socket, status: int, body: bytes, ctype: str,
              close: bool = False) -> None:
        extra = [("Content-Type", ctype)] + ([("Connection", "close")] if close else [])
        self._reply(conn, status, extra, body)


def _request_target(data: bytes) -> str:
    first = data.split(b"\r\n", 1)[0].decode("latin-1", errors="replace")
    parts = first.split(" ")
    return parts[1] if len(parts) >= 2 else ""


def _read_request(reader: Any) -> tuple[str, str, dict[str, str], bytes] | None:
    """One HTTP/1.1 request (Content-Length bodies only: what these clients send)."""
    line = reader.readline(MAX_HEADER_BYTES)
    if not line or not line.strip():
        return None
    parts = line.decode("latin-1").split()
    if len(parts) < 2:
        return None
    headers: dict[str, str] = {}
    size = 0
    while True:
        raw = reader.readline(MAX_HEADER_BYTES)
        size += len(raw)
        if not raw or raw in (b"\r\n", b"\n") or size > MAX_HEADER_BYTES:
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length") or 0)
    body = reader.read(length) if length else b""
    return parts[0], parts[1], headers, body


def _abort(sock: socket.socket) -> None:
    """Tear the connection (SO_LINGER 0, so closing sends a reset) and wake its reader."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _hard_close(sock: socket.socket) -> None:
    """Close with a TCP reset: the peer sees the connection torn, not ended."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


# -- the campaign: one named fault per source ------------------------------------------------

PROMETHEUS_QUERIES = r"^/api/v1/query"
"""Prometheus faults hit the metrics queries only, so the alerts (read from Prometheus'
/api/v1/alerts by the alerts source) show what a single sick path does to one panel."""


def set_sample_values(raw: str) -> Transform:
    """Every sample value of a Prometheus answer becomes `raw` ("NaN", "+Inf")."""

    def change(payload: Any) -> Any:
        data = payload.get("data") if isinstance(payload, dict) else None
        for item in (data or {}).get("result") or []:
            if isinstance(item, dict) and isinstance(item.get("value"), list):
                item["value"] = [item["value"][0], raw]
        return payload

    return change


def apply_fault(proxy: FaultProxy, source: str, fault: str) -> None:
    """Switch `proxy` (in front of `source`) to the named fault of the campaign."""
    paths = PROMETHEUS_QUERIES if source == "prometheus" else None
    if fault == "refused":
        proxy.refuse()
    elif fault == "reset":
        proxy.reset(paths)
    elif fault.startswith("http_"):
        proxy.status(int(fault[5:]), echo_auth=True, paths=paths)
    elif fault == "stall":
        proxy.stall(10.0, paths)
    elif fault == "malformed":
        proxy.malformed(paths)
    elif fault == "truncated":
        proxy.truncate(paths)
    elif fault == "nan":
        proxy.transform(set_sample_values("NaN"), paths)
    elif fault == "inf":
        proxy.transform(set_sample_values("+Inf"), paths)
    elif fault == "watch_ends":
        proxy.cut_watches(2.0)
    else:
        raise ValueError(f"unknown fault {fault!r}")


FAULTS: dict[str, tuple[str, ...]] = {
    "prometheus": ("refused", "reset", "http_500", "http_503", "http_401", "http_403",
                   "stall", "malformed", "truncated", "nan", "inf"),
    "alertmanager": ("refused", "reset", "http_500", "http_503", "http_401", "http_403",
                     "stall", "malformed", "truncated"),
    "kubernetes": ("refused", "reset", "http_500", "http_503", "http_401", "http_403",
                   "stall", "malformed", "truncated", "watch_ends"),
}
"""NaN/Inf are Prometheus' own sample values; Alertmanager and Kubernetes JSON carries no
floats to poison (a literal NaN there is not JSON: the `malformed` case). A watch exists
only in the Kubernetes API."""


# -- the console under test, every source through its proxy -----------------------------------

PROM_TOKEN = "prom-tok-3c1e9b27-never-on-screen"
AM_TOKEN = "am-tok-8d0f42aa-never-on-screen"
KUBE_TOKEN = "kube-tok-51b7e0c9-never-on-screen"
TOKENS = (PROM_TOKEN, AM_TOKEN, KUBE_TOKEN)
"""Each source gets a credential; none may ever reach the screen, a notification or a log."""
CONTEXT = "fault-ctx"
SOURCES: tuple[SourceName, ...] = SOURCE_NAMES


def write_kubeconfig(path: Path, server: str) -> Path:
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": CONTEXT,
        "clusters": [{"name": "emu", "cluster": {"server": server}}],
        "users": [{"name": "oncall", "user": {"token": KUBE_TOKEN}}],
        "contexts": [{"name": CONTEXT, "context": {"cluster": "emu", "user": "oncall",
                                                    "namespace": "ai-services"}}],
    }))
    return path


def build_app(urls: dict[str, str], folder: Path, refresh: str = "400ms",
              timeout: str = "1s", window: str = "10s") -> GatewayConsole:
    """The console as the CLI builds it (settings, source set, runner with an audit log in
    `folder`), every source through its proxy (`urls`: source name -> proxy URL) and holding
    a token. A short timeout makes a 10-second stall a timeout within a refresh or two."""
    from console.actions.audit import AuditLog
    from console.actions.runner import ActionRunner
    from console.app import GatewayConsole
    from console.clock import system_clock
    from console.config.settings import build_settings
    from console.sources import build_source_set

    (folder / "prom.token").write_text(PROM_TOKEN)
    (folder / "am.token").write_text(AM_TOKEN)
    flags: dict[str, Any] = {
        "prometheus_url": urls["prometheus"],
        "alertmanager_url": urls["alertmanager"],
        "prometheus_token_file": str(folder / "prom.token"),
        "alertmanager_token_file": str(folder / "am.token"),
        "kubeconfig": str(write_kubeconfig(folder / "kubeconfig", urls["kubernetes"])),
        "context": CONTEXT,
        "refresh": refresh,
        "timeout": timeout,
        "window": window,
    }
    settings = build_settings(flags, env={"HOME": str(folder)})
    sources = build_source_set(settings, settings.target, system_clock)
    runner = ActionRunner(settings.target, sources,
                          AuditLog(folder / "audit.jsonl", system_clock),
                          read_only=settings.read_only, user="tester")
    return GatewayConsole(settings, sources, runner, system_clock, export_dir=folder)


def status_line(app: GatewayConsole) -> str:
    """The status line as the user reads it (plain text)."""
    from rich.text import Text

    rendered = app.query_one("#status").render()
    return rendered.plain if isinstance(rendered, Text) else str(rendered)


def rss_bytes() -> int:
    """Resident memory of this process (Linux /proc)."""
    with open(f"/proc/{os.getpid()}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
