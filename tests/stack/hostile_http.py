"""A loopback HTTP server that answers as a broken proxy or a careless server would.

One mode at a time, for every path:

- `endless()`   200 (or `status`) and a body that never ends (JSON-looking bytes, one
                endless line, chunked or close-delimited), until the client hangs up or
                `max_s` passes
- `huge(n)`     200 and `n` bytes of body, chunked (no Content-Length to refuse it by)
- `trickle()`   200 and a body of a few bytes a second, never finished within `max_s`
- `echo(code)`  `code` with a body quoting the request's Authorization, X-Api-Key and
                Cookie headers raw, base64-decoded and percent-encoded, and a Location
                header carrying the token percent-encoded
- `redirect(url)` 307 to `url` + the request's path and query
- `json(obj)`   200 with that JSON

Every request's path and headers are kept (bounded), so a test can check what a client
sent where. Binds 127.0.0.1 only; every loop is bounded in time.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote

CHUNK = b'{"metric":{"model":"m","provider":"p"},"value":[0,"1"]},' * 1024
"""About 56 KB of what a Prometheus vector's items look like."""


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client hanging up mid-answer is what these tests provoke


class HostileServer:
    def __init__(self, max_s: float = 60.0) -> None:
        self.max_s = max_s
        self.requests: deque[Seen] = deque(maxlen=500)
        self.bytes_sent = 0
        self._mode = "json"
        self._arg: Any = {"status": "success", "data": {"resultType": "vector", "result": []}}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _handler(self))
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> HostileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _set(self, mode: str, arg: Any = None) -> None:
        with self._lock:
            self._mode, self._arg = mode, arg

    def endless(self, chunked: bool = True, status: int = 200) -> None:
        self._set("endless", (chunked, status))

    def huge(self, size: int) -> None:
        self._set("huge", size)

    def trickle(self) -> None:
        self._set("trickle")

    def echo(self, code: int = 500) -> None:
        self._set("echo", code)

    def redirect(self, url: str) -> None:
        self._set("redirect", url.rstrip("/"))

    def json(self, payload: Any) -> None:
        self._set("json", payload)

    def mode(self) -> tuple[str, Any]:
        with self._lock:
            return self._mode, self._arg

    def sent(self, n: int) -> None:
        with self._lock:
            self.bytes_sent += n


def _echo_body(headers: dict[str, str]) -> tuple[str, str]:
    """(body, Location) quoting every credential header in every form it could take."""
    parts = []
    token = ""
    for name in ("authorization", "x-api-key", "cookie"):
        value = headers.get(name)
        if not value:
            continue
        parts.append(f"{name}: {value}")
        scheme, _, rest = value.partition(" ")
        token = token or (rest or value)
        if scheme.lower() == "basic":
            with contextlib.suppress(ValueError, UnicodeDecodeError):
                parts.append("decoded " + base64.b64decode(rest).decode())
        parts.append("encoded " + quote(value, safe=""))
    text = "; ".join(parts)
    said = f"upstream refused the request ({text})"
    # Shaped as Prometheus' error and as a Kubernetes Status at once: each client quotes it.
    body = json.dumps({"status": "error", "errorType": "internal", "error": said,
                       "kind": "Status", "message": said})
    return body, f"/login?next=%2Fapi&token={quote(token, safe='')}"


def _handler(server: HostileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            self.rfile.read(min(length, 1 << 20))
            self._answer()

        def _answer(self) -> None:
            self.connection.settimeout(10)
            headers = {k.lower(): v for k, v in self.headers.items()}
            server.requests.append(Seen(self.command, self.path, headers))
            mode, arg = server.mode()
            if mode == "endless":
                self._stream(None, chunked=arg[0], status=arg[1])
            elif mode == "huge":
                self._stream(int(arg), chunked=True)
            elif mode == "trickle":
                self._trickle()
            elif mode == "echo":
                body, location = _echo_body(headers)
                self._send(int(arg), body.encode(), [("Location", location)])
            elif mode == "redirect":
                self._send(307, b"", [("Location", f"{arg}{self.path}")])
            else:
                self._send(200, json.dumps(arg).encode())

        def _send(self, code: int, body: bytes, extra: Sequence[tuple[str, str]] = ()) -> None:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in extra:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _stream(self, size: int | None, chunked: bool, status: int = 200) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            ends = time.monotonic() + server.max_s
            left = size
            head = b'{"status":"success","data":{"resultType":"vector","result":['
            data = head
            with contextlib.suppress(OSError):
                while time.monotonic() < ends and not server._stop.is_set():
                    if left is not None:
                        data = data[:left]
                        left -= len(data)
                    if chunked:
                        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                    else:
                        self.wfile.write(data)
                    server.sent(len(data))
                    if left is not None and left <= 0:
                        break
                    data = CHUNK
                if chunked:
                    self.wfile.write(b"0\r\n\r\n")

        def _trickle(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            ends = time.monotonic() + server.max_s
            with contextlib.suppress(OSError):
                self.wfile.write(b'{"status":"success",')
                while time.monotonic() < ends and not server._stop.is_set():
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.2)

    return Handler
