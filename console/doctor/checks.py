"""One line of the doctor's report, and the one way its groups ask several things at once.

A check is a mark and a word (`✓ PASS`, `! WARN`, `✗ FAIL`, `- SKIP`, so it reads
without colour and greps well), what was found, and for a warning or failure what to do
about it. No Textual here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Status = Literal["pass", "warn", "fail", "skip"]

MARKS: Mapping[Status, str] = {
    "pass": "✓ PASS", "warn": "! WARN", "fail": "✗ FAIL", "skip": "- SKIP",
}
COLOURS: Mapping[Status, str] = {"pass": "32", "warn": "33", "fail": "31", "skip": "2"}


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report."""

    name: str
    status: Status
    detail: str
    fix: str = ""


async def gather_named(calls: Mapping[str, Awaitable[Any]]) -> dict[str, Any]:
    """Run all at once; each value is the answer or the exception it raised."""
    names = list(calls)
    answers = await asyncio.gather(*calls.values(), return_exceptions=True)
    for answer in answers:
        if isinstance(answer, BaseException) and not isinstance(answer, Exception):
            raise answer  # cancellation
    return dict(zip(names, answers, strict=True))
