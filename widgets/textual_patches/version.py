"""Which Textual the replacements were written against, and whether this is it.

Each module here mirrors a private Textual method as Textual 8.2.7 and 8.2.8 have
it (the same source in both; 8.2.7 added the `native_ansi` parameter that
row_styles passes on, so 8.2.0-8.2.6 would fail there). Another release may have
moved any of it, so outside the range nothing is installed: the console is then
only slower, never broken. The pin in pyproject.toml is this same requirement
(tests/unit/test_textual_patches.py checks that the two agree, and that the
range below reads versions as pip's specifier does), so an install never picks
a Textual the patches were not read against.

The range is compared here by hand rather than with `packaging`: importing it
cost 15 ms of the console's start-up, for three numbers.
"""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version

REQUIREMENT = "textual>=8.2.7,<8.3"
"""The Textual releases whose compositor and styles cache the replacements mirror."""

OLDEST = (8, 2, 7)
BEYOND = (8, 3, 0)
"""REQUIREMENT's bounds: from OLDEST, up to but not including BEYOND or its pre-releases."""

_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?(.*)")


def textual_version() -> str | None:
    """The installed Textual's version, or None when it has no distribution metadata."""
    try:
        return version("textual")
    except PackageNotFoundError:
        return None


def tested_textual(installed: str | None = None) -> bool:
    """Whether `installed` (by default the installed Textual) is one the patches mirror."""
    found = textual_version() if installed is None else installed
    match = _VERSION.fullmatch(found or "")
    if match is None:
        return False
    major, minor, micro, suffix = match.groups()
    release = (int(major), int(minor), int(micro or 0))
    pre = bool(suffix) and not suffix.startswith((".post", "post", "+"))
    # A pre-release comes before its release: 8.2.7rc1 is older than 8.2.7.
    return (release > OLDEST if pre else release >= OLDEST) and release < BEYOND
