"""A fault-injecting HTTP proxy on loopback, put between a source and the real Prometheus.

By default it forwards every request to `upstream` untouched; a test switches
it to one fault at a time and back:

- `refuse()`      closes the listening socket (connection refused), `forward()` reopens it
- `fail(503)`     answers every request with that status
- `stall(s)`      holds every request for `s` seconds (past the client's timeout)
- `delay(s)`      forwards every request, answering `s` seconds late (a slow server)
- `malformed()`   answers 200 with a body that is not JSON
- `transform(f)`  forwards, then rewrites the JSON of /api/v1/query answers with `f`
                  (see `nan_values`, `inf_values`, `empty_results`, `drop_label`)

Every request's method, path, query and headers are recorded (bounded), so a
test can check what a client sent. Bounded waits only; binds 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import copy
import json
import socket
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Transform = Callable[[Any], Any]

_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""Loopback upstreams must not go through an HTTP(S)_PROXY of the environment."""

MAX_STALL_S = 30.0
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host",
               "accept-encoding"}


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # a refresh opens 8+ connections at once; 5 would drop SYNs (1 s)


class FaultServer:
    """Forwards to `upstream` (a base URL) or injects the current fault."""

    def __init__(
        self,
        upstream: str | None = None,
        certfile: str | None = None,
        keyfile: str | None = None,
    ) -> None:
        self.upstream = upstream.rstrip("/") if upstream else None
        self.port = 0
        self.requests: deque[Recorded] = deque(maxlen=2000)
        self._mode = "forward"
        self._status = 503
        self._body = b""
        self._content_type = "text/plain"
        self._stall_s = 0.0
        self._delay_s = 0.0
        self._transform: Transform | None = None
        self._match: str | None = None
        self._release = threading.Event()
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._tls: ssl.SSLContext | None = None
        self._connections: set[socket.socket] = set()
        if certfile:
            self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._tls.load_cert_chain(certfile, keyfile)

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        scheme = "https" if self._tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def start(self) -> FaultServer:
        self._listen()
        return self

    def _listen(self) -> None:
        server = _Server(("127.0.0.1", self.port), _handler_for(self))
        if self._tls is not None:
            server.socket = self._tls.wrap_socket(server.socket, server_side=True)
        self.port = int(server.server_address[1])
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def _close(self) -> None:
        """Stop listening and drop open keep-alive connections, as a dying server would."""
        self._release.set()
        with self._lock:
            connections, self._connections = self._connections, set()
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def stop(self) -> None:
        self._close()

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- faults --------------------------------------------------------------------------------

    def _set(self, mode: str, match: str | None = None, **state: Any) -> None:
        """Switch to `mode`; with `match`, only requests whose PromQL contains it get the fault
        and the others are forwarded (e.g. fail the tokens query alone)."""
        with self._lock:
            self._match = match
            self._release.set()  # let stalled requests go
            self._release = threading.Event()
            self._mode = mode
            for key, value in state.items():
                setattr(self, f"_{key}", value)
        if mode != "refuse" and self._server is None:
            self._listen()

    def forward(self, upstream: str | None = None) -> None:
        if upstream:
            self.upstream = upstream.rstrip("/")
        self._set("forward", transform=None)

    def refuse(self) -> None:
        """Stop listening: connections are refused until another mode is set."""
        self._set("refuse")
        self._close()

    def fail(self, status: int, body: bytes | str = b"", content_type: str = "text/plain",
             match: str | None = None) -> None:
        raw = body.encode() if isinstance(body, str) else body
        self._set("fail", match, status=status, body=raw, content_type=content_type)

    def fail_json(self, status: int, payload: Any, match: str | None = None) -> None:
        self.fail(status, json.dumps(payload), "application/json", match)

    def stall(self, seconds: float, match: str | None = None) -> None:
        self._set("stall", match, stall_s=min(seconds, MAX_STALL_S))

    def delay(self, seconds: float, match: str | None = None) -> None:
        """Forward, but answer `seconds` late (each request, concurrently: a slow server)."""
        self._set("delay", match, delay_s=min(seconds, MAX_STALL_S))

    def malformed(self, body: bytes = b"<html><body>Bad Gateway</body></html>",
                  match: str | None = None) -> None:
        self._set("fail", match, status=200, body=body, content_type="text/html")

    def transform(self, fn: Transform, match: str | None = None) -> None:
        self._set("transform", match, transform=fn)

    def queries(self, path: str = "/api/v1/query") -> list[Recorded]:
        return [r for r in list(self.requests) if r.path.endswith(path)]

    # -- handling ------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parsed = urllib.parse.urlsplit(handler.path)
        self.requests.append(
            Recorded(handler.command, parsed.path, urllib.parse.parse_qs(parsed.query),
                     {k.lower(): v for k, v in handler.headers.items()})
        )
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        with self._lock:
            mode, release, match = self._mode, self._release, self._match
            status, payload, ctype = self._status, self._body, self._content_type
            stall_s, fn = self._stall_s, self._transform
            delay_s = self._delay_s
        form = urllib.parse.parse_qs(parsed.query)
        if body and "form-urlencoded" in handler.headers.get("Content-Type", ""):
            form.update(urllib.parse.parse_qs(body.decode()))
        if match is not None and not any(match in q for q in form.get("query", [])):
            mode, fn = "forward", None
        if mode == "refuse":
            handler.close_connection = True  # raced with refuse(): hang up, answer nothing
            return
        if mode == "stall":
            release.wait(stall_s)
            status, payload, ctype = 504, b"stalled", "text/plain"
        elif mode == "delay":
            release.wait(delay_s)
            status, payload, ctype = self._forward(handler, body)
        elif mode in ("forward", "transform"):
            status, payload, ctype = self._forward(handler, body)
            if fn is not None and parsed.path.startswith("/api/v1/query") and status == 200:
                payload = json.dumps(fn(json.loads(payload))).encode()
        self._reply(handler, status, payload, ctype)

    def _forward(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes, str]:
        if self.upstream is None:
            return 502, b"no upstream", "text/plain"
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_HEADERS}
        request = urllib.request.Request(
            self.upstream + handler.path, data=body or None, headers=headers,
            method=handler.command,
        )
        try:
            with _DIRECT.open(request, timeout=10) as resp:
                return int(resp.status), resp.read(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(), exc.headers.get("Content-Type", "")
        except OSError as exc:
            return 502, f"upstream unreachable: {exc}".encode(), "text/plain"

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", ctype or "application/octet-stream")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except OSError:
            pass  # the client gave up (timeout): nothing to tell it


def _handler_for(server: FaultServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            with server._lock:
                server._connections.add(self.connection)

        def finish(self) -> None:
            with server._lock:
                server._connections.discard(self.connection)
            super().finish()

        def do_GET(self) -> None:
            server._handle(self)

        do_POST = do_GET
        do_DELETE = do_GET

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


# -- transforms of Prometheus answers ---------------------------------------------------------


def _map_results(payload: Any, fn: Callable[[dict[str, Any]], dict[str, Any] | None]) -> Any:
    out = copy.deepcopy(payload)
    data = out.get("data") if isinstance(out, dict) else None
    if isinstance(data, dict) and isinstance(data.get("result"), list):
        data["result"] = [r for r in (fn(item) for item in data["result"]) if r is not None]
    return out


def set_values(raw: str) -> Transform:
    """Every sample value becomes `raw` ("NaN", "+Inf", "-Inf", ...)."""

    def change(item: dict[str, Any]) -> dict[str, Any]:
        if "value" in item:
            item["value"] = [item["value"][0], raw]
        if "values" in item:
            item["values"] = [[t, raw] for t, _ in item["values"]]
        return item

    return lambda payload: _map_results(payload, change)


nan_values = set_values("NaN")
inf_values = set_values("+Inf")


def empty_results(payload: Any) -> Any:
    return _map_results(payload, lambda item: None)


def drop_label(label: str) -> Transform:
    """Series lose `label`, as from a gateway that does not set it."""

    def change(item: dict[str, Any]) -> dict[str, Any]:
        item.get("metric", {}).pop(label, None)
        return item

    return lambda payload: _map_results(payload, change)


def status_error(error_type: str, error: str) -> dict[str, str]:
    """The body Prometheus sends with a failed query."""
    return {"status": "error", "errorType": error_type, "error": error}
