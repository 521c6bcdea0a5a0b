"""Reading a raw urllib3 answer of the `kubernetes` client without trusting its size.

`resp.data` reads a body whole, and `stream(amt=None)` reads one HTTP chunk whole however
big the server declares it: an endless or huge answer then costs whatever the server
sends. These read at most 64 KB at a time, stop at the body cap (`console/config/limits.py`)
and, outside watches, at the request's deadline. No Textual here.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

from console.config.limits import ReadLimits, TooLarge, TooSlow

DEFAULT_MAX_BYTES = ReadLimits().max_body_bytes
CHUNK = 64 * 1024


def _chunks(resp: Any, decode: bool = True) -> Iterator[bytes]:
    """The body as it arrives, at most CHUNK bytes at a time (also of a huge HTTP chunk,
    which `stream(amt=None)` would read whole), never waiting for more than is there."""
    read1 = getattr(resp, "read1", None)
    while True:
        data = read1(CHUNK, decode_content=decode) if read1 else resp.read(CHUNK, decode)
        if not data:
            return
        yield data


def read_body(resp: Any, max_bytes: int, deadline_s: float | None = None,
              *, truncate: bool = False) -> bytes:
    """The whole body of a raw (`_preload_content=False`) response, read as a stream:
    TooLarge past `max_bytes` (or the first `max_bytes` with `truncate`), TooSlow when
    still coming after `deadline_s`. The connection goes back to the pool only when the
    body was read to its end."""
    ends = None if deadline_s is None else time.monotonic() + deadline_s
    body = bytearray()
    complete = False
    try:
        for chunk in _chunks(resp):
            body += chunk
            if len(body) > max_bytes:
                if truncate:
                    return bytes(body[:max_bytes])
                body.clear()  # a failure kept by a watch must not keep megabytes with it
                raise TooLarge(max_bytes)
            if ends is not None and deadline_s is not None and time.monotonic() > ends:
                body.clear()
                raise TooSlow(deadline_s)
        complete = True
    finally:
        with contextlib.suppress(Exception):
            if not complete:
                resp.close()
            resp.release_conn()
    return bytes(body)


def read_json(resp: Any, max_bytes: int = DEFAULT_MAX_BYTES,
              deadline_s: float | None = None) -> Any:
    """The body of a raw response as JSON, read under the body cap and the deadline."""
    return json.loads(read_body(resp, max_bytes, deadline_s) or b"null")


def iter_lines(resp: Any, max_line: int = DEFAULT_MAX_BYTES) -> Iterator[bytes]:
    """Complete lines of a streamed response (a watch: one event a line), as they arrive;
    TooLarge when one line grows past `max_line` (a stream that never ends its event)."""
    pending = b""
    for chunk in _chunks(resp, decode=False):
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            if line.strip():
                yield line
        if len(pending) > max_line:
            pending = b""
            raise TooLarge(max_line)
    if pending.strip():
        yield pending
