"""How much one answer from a source may cost, and how such a cost is named in a message.

A proxy gone wrong can answer forever, and httpx's read timeout never fires while bytes
keep coming; a gateway whose clients invent model names can have 100,000 series. Each
source reads under these limits, so a hostile or broken answer costs at most a few
megabytes and a few seconds, and says so in one line. No Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """The limits of every read (one set for all sources, from flags, config or defaults)."""

    max_body_bytes: int = 8 * MB
    deadline_s: float | None = None
    """Connect, headers and the whole body of one request; None: the request timeout."""
    max_series: int = 2000
    """Models (series of the request rate) per refresh; beyond it the busiest are shown."""
    exec_timeout_s: float = 10.0
    """How long a kubeconfig exec credential plugin may take to answer."""


def format_size(size: int) -> str:
    """`8 MB`, `512 KB`, `1.5 MB`: a limit as a person would write it in the config."""
    for unit, name in ((MB, "MB"), (1024, "KB")):
        if size >= unit:
            return f"{size // unit} {name}" if size % unit == 0 else f"{size / unit:.1f} {name}"
    return f"{size} bytes"


class TooLarge(Exception):
    """An answer went past the body cap; reading stopped there. (Not a ValueError: a
    handler of malformed JSON must not take it for one.)"""

    def __init__(self, limit: int) -> None:
        super().__init__(f"answer over {format_size(limit)}, stopped reading")
        self.limit = limit


class TooSlow(Exception):
    """An answer was still coming when the request's deadline passed."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"answer not complete within {seconds:g} s")
        self.seconds = seconds
