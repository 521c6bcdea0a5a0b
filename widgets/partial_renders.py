"""Render only the rows a partial update covers, of only the widgets that show in it.

For a partial update Textual's `Compositor._get_renders` picks the widgets
whose *container's* clip overlaps the dirty area, and renders each of them
whole. Every child of the screen qualifies, so a refresh that changes a few
figures in the models table also renders the screen's 40 lines, the footer,
the title, the status line and every panel beside the table, and then cuts
them all into chops that are never written (tests/perf: about a tenth of
the CPU of one refresh with 50 models).

`install()` replaces it with the same loop that skips widgets whose visible
area misses the dirty area and renders the rest only for the dirty area's
rows. Rows are whole lines, so every chop the update writes is still made
exactly as before; only chops outside the update are left unmade, and the
writer skips those anyway. Lines left dirty in a widget's cache stay dirty
until they are drawn. A full update crops to the whole screen, so it draws
everything as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from textual.geometry import Region
from textual.strip import Strip

from widgets.textual_version import tested_textual

_installed = False


def _get_renders(
    self: object, crop: Region | None = None
) -> Iterable[tuple[Region, Region, list[Strip]]]:
    """Compositor._get_renders, cut to the rows of `crop` and the widgets that meet it."""
    if crop is None:
        if _textual_get_renders is not None:
            yield from _textual_get_renders(self, crop)
        return
    top, bottom = crop.y, crop.bottom
    visible_widgets = self.visible_widgets  # type: ignore[attr-defined]
    for widget, (region, clip) in list(visible_widgets.items()):
        visible = region.intersection(clip)
        if not visible.overlaps(crop):
            continue
        y = max(visible.y, top)
        rows = Region(visible.x, y, visible.width, min(visible.bottom, bottom) - y)
        # `rows` goes back as the clip: the caller zips its lines with the strips.
        yield region, rows, widget.render_lines(
            Region(rows.x - region.x, rows.y - region.y, rows.width, rows.height))


_textual_get_renders: Callable[..., Iterable[tuple[Region, Region, list[Strip]]]] | None = None
"""Textual's own method, for full updates."""


def install() -> bool:
    """Patch Textual's compositor once; returns whether it is in place."""
    global _installed, _textual_get_renders
    if _installed:
        return True
    try:
        from textual._compositor import Compositor
    except ImportError:
        return False
    original = getattr(Compositor, "_get_renders", None)
    if not callable(original) or not tested_textual():
        return False
    _textual_get_renders = original
    Compositor._get_renders = _get_renders  # type: ignore[method-assign]
    _installed = True
    return True
