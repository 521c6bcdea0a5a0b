"""A fake OpenAI-compatible upstream on loopback, for the real LiteLLM proxy to call.

Each request carries its own script: the last message whose content starts with
`SCRIPT_PREFIX` holds a JSON `Reply` (HTTP status, latency, time to first token,
token counts). Scripting per request instead of per model lets one load mix hit
one model with successes and every error status at once, with concurrency, and
the answer still deterministic. A request without a script gets `Reply()`.

Every request received is recorded (deployment model, status answered, stream
or not) so a test can prove that LiteLLM sent each one exactly once: no retry,
no fallback, no request invented by a health check.

Streams follow OpenAI's SSE shape: the first chunk (role and first content) is
sent after `ttft_s`, the rest spread over the remaining latency, then the final
chunk with `finish_reason`, a usage chunk (`choices: []`) and `data: [DONE]`.
The usage chunk is always sent, whether or not `stream_options.include_usage`
was asked, so token counts never depend on a tokenizer.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SCRIPT_PREFIX = "agc-fake-upstream:"
MAX_BODY = 1 << 20
"""Requests above 1 MiB are refused: nothing in the tests sends that much."""

ERRORS: Mapping[int, tuple[str, str]] = {
    400: ("invalid_request_error", "The model `x` does not exist or you do not have access."),
    401: ("invalid_request_error", "Incorrect API key provided."),
    403: ("permission_error", "You are not allowed to use this model."),
    404: ("invalid_request_error", "Not found."),
    429: ("rate_limit_error", "Rate limit reached for requests."),
    500: ("server_error", "The server had an error while processing your request."),
    503: ("server_error", "The upstream is overloaded; try again later."),
}
"""OpenAI's error bodies per status, as its API returns them (`error.type`, `error.message`)."""


@dataclass(frozen=True)
class Reply:
    """What the upstream answers to one request."""

    status: int = 200
    latency_s: float = 0.05
    """Time to the last byte."""
    ttft_s: float = 0.02
    """Streams only: time to the first content chunk."""
    prompt_tokens: int = 20
    completion_tokens: int = 10
    chunks: int = 4
    """Streams only: content chunks before the final one."""

    def script(self) -> str:
        """The message content that makes the upstream answer with this reply."""
        return SCRIPT_PREFIX + json.dumps(asdict(self), separators=(",", ":"))

    @staticmethod
    def from_messages(messages: Any) -> Reply:
        if isinstance(messages, list):
            for message in reversed(messages):
                content = message.get("content") if isinstance(message, dict) else None
                if isinstance(content, str) and content.startswith(SCRIPT_PREFIX):
                    fields = json.loads(content[len(SCRIPT_PREFIX):])
                    return Reply(**{k: v for k, v in fields.items()
                                    if k in Reply.__dataclass_fields__})
        return Reply()


@dataclass(frozen=True)
class Received:
    """One request as the upstream saw it."""

    model: str
    status: int
    stream: bool
    authorization: str


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the tests read `received`, not a log."""

    def do_GET(self) -> None:
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            data = [{"id": m, "object": "model", "owned_by": "fake"} for m in self.server.models]
            self._json(200, {"object": "list", "data": data})
        else:
            self._json(404, _error_body(404))

    def do_POST(self) -> None:
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._json(404, _error_body(404))
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._json(413, _error_body(400))
            return
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
            reply = Reply.from_messages(body.get("messages"))
        except (ValueError, TypeError):
            self._json(400, _error_body(400))
            return
        model = str(body.get("model", ""))
        stream = bool(body.get("stream"))
        self.server.record(Received(model, reply.status, stream,
                                    self.headers.get("Authorization", "")))
        if reply.status != 200:
            time.sleep(reply.latency_s)
            self._json(reply.status, _error_body(reply.status))
        elif stream:
            self._stream(model, reply)
        else:
            time.sleep(reply.latency_s)
            self._json(200, _completion(model, reply))

    def _json(self, status: int, payload: Mapping[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, model: str, reply: Reply) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        started = time.monotonic()
        for delay, chunk in _stream_chunks(model, reply):
            pause = started + delay - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


def _error_body(status: int) -> dict[str, Any]:
    kind, message = ERRORS.get(status, ("server_error", f"HTTP {status}"))
    return {"error": {"message": message, "type": kind, "param": None, "code": str(status)}}


def _usage(reply: Reply) -> dict[str, int]:
    return {"prompt_tokens": reply.prompt_tokens, "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens}


def _completion(model: str, reply: Reply) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": "ok " * reply.completion_tokens}}],
        "usage": _usage(reply),
    }


def _stream_chunks(model: str, reply: Reply) -> Iterator[tuple[float, dict[str, Any]]]:
    """(seconds after the start, chunk) for every SSE event of a stream."""
    base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk",
            "created": int(time.time()), "model": model}
    chunks = max(1, reply.chunks)
    rest = max(0.0, reply.latency_s - reply.ttft_s)
    for i in range(chunks):
        delta: dict[str, str] = {"content": "ok "}
        if i == 0:
            delta["role"] = "assistant"
        at = reply.ttft_s + rest * i / chunks
        yield at, {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
    yield reply.latency_s, {**base, "choices": [{"index": 0, "delta": {},
                                                  "finish_reason": "stop"}]}
    yield reply.latency_s, {**base, "choices": [], "usage": _usage(reply)}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, models: tuple[str, ...]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.models = models
        self._lock = threading.Lock()
        self.received: list[Received] = []

    def record(self, request: Received) -> None:
        with self._lock:
            self.received.append(request)


class FakeOpenAI:
    """The upstream server; `start()` binds 127.0.0.1 on a free port."""

    def __init__(self, models: tuple[str, ...] = ()) -> None:
        self._server = _Server(models)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """What LiteLLM's `api_base` must be (OpenAI's `/v1` included)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> FakeOpenAI:
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self

    def received(self) -> list[Received]:
        with self._server._lock:
            return list(self._server.received)

    def counts(self) -> Counter[tuple[str, int, bool]]:
        """(deployment model, status, stream) -> requests received."""
        return Counter((r.model, r.status, r.stream) for r in self.received())

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
