"""Which Textual the replacements were written against, and whether this is it.

Each module here mirrors a private Textual method as Textual 8.2.7 and 8.2.8 have
it (the same source in both; 8.2.7 added the `native_ansi` parameter that
row_styles passes on, so 8.2.0-8.2.6 would fail there). Another release may have
moved any of it, so outside the range nothing is installed: the console is then
only slower, never broken. The pin in pyproject.toml is this same requirement
(tests/unit/test_textual_patches.py checks that the two agree), so an install
never picks a Textual the patches were not read against.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from packaging.requirements import Requirement
from packaging.version import InvalidVersion, Version

REQUIREMENT = "textual>=8.2.7,<8.3"
"""The Textual releases whose compositor and styles cache the replacements mirror."""


def textual_version() -> str | None:
    """The installed Textual's version, or None when it has no distribution metadata."""
    try:
        return version("textual")
    except PackageNotFoundError:
        return None


def tested_textual(installed: str | None = None) -> bool:
    """Whether `installed` (by default the installed Textual) is one the patches mirror."""
    found = textual_version() if installed is None else installed
    if found is None:
        return False
    try:
        return Requirement(REQUIREMENT).specifier.contains(Version(found), prereleases=True)
    except InvalidVersion:
        return False
