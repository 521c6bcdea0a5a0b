"""Read recordings back: one or more files (FILE.1 then FILE) as one timeline of frames.

A recording comes from outside like any answer: a foreign, corrupt or future
file is a RecordError in one line, never a traceback, and a last line cut short
by a crash is dropped with everything before it kept. No Textual here.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from console.record.codec import decode
from console.record.frames import MAGIC, VERSION, Frame, Header, RecordError, decode_frame
from console.state.polling import Reading


@dataclass(frozen=True, slots=True)
class Recording:
    header: Header
    frames: tuple[Frame, ...]
    paths: tuple[str, ...]


def _lines(path: Path) -> Iterator[str]:
    with path.open("rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    if not gz:
        with path.open("r", encoding="utf-8") as text:
            yield from text
        return
    with gzip.open(path, "rt", encoding="utf-8") as zipped:
        try:
            yield from zipped
        except EOFError:  # the console was stopped mid-write: keep what is complete
            return


def load_recording(paths: Sequence[Path]) -> Recording:
    """Read one or more recordings (FILE.1 then FILE) in order; RecordError in one line."""
    header: Header | None = None
    frames: list[Frame] = []
    for path in paths:
        previous: dict[str, Reading | None] = {}
        reset = False
        seen_header = False
        try:
            lines = list(enumerate(_lines(path), 1))
        except OSError as exc:
            raise RecordError(f"cannot read {path}: {exc.strerror or exc}") from None
        except (UnicodeDecodeError, gzip.BadGzipFile, zlib.error):
            raise RecordError(f"{path} is not an ai-gateway-console recording") from None
        for number, text in lines:
            if not text.strip():
                continue
            try:
                data = json.loads(text)
                if isinstance(data, dict) and data.get("recording") == MAGIC:
                    if data.get("v") != VERSION:
                        raise RecordError(
                            f"{path} is a recording of version {data.get('v')}; "
                            f"this console reads version {VERSION}"
                        )
                    body = {k: v for k, v in data.items() if k not in ("recording", "v")}
                    head: Header = decode(Header, body)
                    header = header or head
                    seen_header = True
                    previous = {}
                    reset = True
                    continue
                if not seen_header:
                    raise RecordError(f"{path} is not an ai-gateway-console recording")
                frame = decode_frame(data, previous)
            except RecordError:
                raise
            except (ValueError, TypeError) as exc:
                if number == len(lines) and not text.endswith("\n"):
                    break  # a last line cut short by a crash: everything before it stands
                raise RecordError(f"{path} line {number}: not a recording frame ({exc})"
                                  ) from None
            if reset:
                frame = dataclasses.replace(frame, reset=True)
                reset = False
            frames.append(frame)
        if not seen_header:
            raise RecordError(f"{path} is not an ai-gateway-console recording")
    if header is None or not frames:
        raise RecordError(f"{', '.join(map(str, paths))}: no frames recorded")
    return Recording(header, tuple(frames), tuple(str(p) for p in paths))

