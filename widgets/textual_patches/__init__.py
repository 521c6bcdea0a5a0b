"""Textual's private internals, replaced here and nowhere else, and only on request.

Three replacements make a refresh cheap (README, Performance): partial_renders
renders only the widgets and rows a partial update covers, partial_writes writes
only the dirty span of a line (textual#5625), row_styles puts a changed table row
between its borders without restyling it. Each mirrors private Textual code, so:

- nothing is patched on import: the CLI calls `install()` when the live console
  or a replay starts, and tests/conftest.py does for the test suite;
- `AI_GATEWAY_CONSOLE_TEXTUAL_PATCHES=0` leaves Textual as it is, to tell a
  drawing fault of ours from one of Textual's;
- a patch goes in only on the Textual it was read against (version.py) and
  only while every private name it touches is still there with the parameters
  it was written for (contract.py); otherwise the console is slower, not broken.

This module imports no Textual itself, so the CLI can name it before it knows
whether Textual will be needed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from textual.widget import Widget

ENV_SWITCH = "AI_GATEWAY_CONSOLE_TEXTUAL_PATCHES"
"""Set to 0 (or false, no, off) to run on Textual's own code."""

OFF = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True)
class Patches:
    """Which replacements are in place, and why the others are not."""

    partial_renders: bool = False
    partial_writes: bool = False
    row_styles: bool = False
    skipped: tuple[str, ...] = ()
    """One line per reason a patch stayed out (the switch, the version, a changed name)."""

    @property
    def any(self) -> bool:
        return self.partial_renders or self.partial_writes or self.row_styles


def switched_off(environ: Mapping[str, str]) -> bool:
    return environ.get(ENV_SWITCH, "").strip().lower() in OFF


def install(environ: Mapping[str, str] | None = None) -> Patches:
    """Install every replacement whose Textual checks out; idempotent. Returns what is in
    place afterwards (the switch installs nothing; it does not undo an earlier install).

    `environ` (by default the process's) is read for the switch only.
    """
    from widgets.textual_patches import contract, version

    environment = os.environ if environ is None else environ
    if switched_off(environment):
        return _state((f"{ENV_SWITCH}={environment[ENV_SWITCH]}",))
    if not version.tested_textual():
        found = version.textual_version() or "no Textual metadata"
        return _state((f"textual {found} is not {version.REQUIREMENT}",))
    skipped: list[str] = []
    for name, module in _modules().items():
        problems = contract.missing(name)
        if problems:
            skipped.extend(problems)
        else:
            module.install()
    return _state(tuple(skipped))


def uninstall() -> None:
    """Give Textual its own code back (for tests that compare with it)."""
    for module in _modules().values():
        module.uninstall()


def installed() -> Patches:
    """What is in place now."""
    return _state(())


def cropped_writes() -> bool:
    """Whether a partial update is written from the dirty span's start, not the widget's
    left edge: then a table repaints each run of changed cells as its own region."""
    from widgets.textual_patches import partial_writes

    return partial_writes.installed()


def adopt_row_styles(widget: Widget) -> None:
    """Give a table the styles cache that skips restyling a changed row, when that is on."""
    from widgets.textual_patches import row_styles

    row_styles.adopt(widget)


class _Patch(Protocol):
    """What install() and uninstall() need of each replacement's module."""

    def install(self) -> bool: ...

    def uninstall(self) -> None: ...

    def installed(self) -> bool: ...


def _modules() -> dict[str, _Patch]:
    from widgets.textual_patches import partial_renders, partial_writes, row_styles

    return {"partial_renders": partial_renders, "partial_writes": partial_writes,
            "row_styles": row_styles}


def _state(skipped: tuple[str, ...]) -> Patches:
    on = {name: module.installed() for name, module in _modules().items()}
    return Patches(partial_renders=on["partial_renders"], partial_writes=on["partial_writes"],
                   row_styles=on["row_styles"], skipped=skipped)
