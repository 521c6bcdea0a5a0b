"""Which Textual the replacements of its private methods were written against.

widgets/partial_writes.py and widgets/partial_renders.py each mirror a
private Textual method. On another major version its internals may have
moved, so they stay out and the console is only slower, never broken.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

TESTED_MAJOR = "8."
"""The Textual major version whose compositor internals the replacements mirror."""


def tested_textual() -> bool:
    try:
        return version("textual").startswith(TESTED_MAJOR)
    except PackageNotFoundError:
        return False
