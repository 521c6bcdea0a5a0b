"""Render only the rows a partial update covers, of only the widgets that show in it.

For a partial update Textual's `Compositor._get_renders` picks the widgets
whose *container's* clip overlaps the dirty area, and renders each of them
whole. Every child of the screen qualifies, so a refresh that changes a few
figures in the models table also renders the screen's 40 lines, the footer,
the title, the status line and every panel beside the table, and then cuts
them all into chops that are never written (tests/perf: about a tenth of
the CPU of one refresh with 50 models; the cut-short chops below, 7 %).

Then `_render_chops` divides each rendered line of each widget at every cut
of the screen, making a Strip per piece, though the update writes only the
pieces in the dirty area that no widget in front already covers.

`install()` replaces both with the same loops, cut short: `_get_renders`
skips widgets whose visible area misses the dirty area and renders the rest
only for the dirty area's rows; `_render_chops` makes only the pieces that
are still empty and meet the dirty area's columns, each by one crop. Every
chop the update writes is made exactly as before; chops outside the update
are left empty, and the writer skips those anyway. Lines left dirty in a
widget's cache stay dirty until they are drawn. A full update crops to the
whole screen, so it draws everything as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import pairwise

from textual.geometry import Region
from textual.strip import Strip


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


def _render_chops(self: object, crop: Region,
                  is_rendered_line: Callable[[int], bool]) -> list[dict[int, Strip | None]]:
    """Compositor._render_chops, making only the chops the update can write."""
    cuts: list[list[int]] = self.cuts  # type: ignore[attr-defined]
    chops: list[dict[int, Strip | None]] = [dict.fromkeys(line[:-1]) for line in cuts]
    left, right = crop.x, crop.right
    renders = self._get_renders(crop)  # type: ignore[attr-defined]
    for region, clip, strips in renders:
        render_region = region.intersection(clip)
        render_x = render_region.x
        first_cut, last_cut = render_region.column_span
        for y, strip in zip(render_region.line_range, strips, strict=False):
            if not is_rendered_line(y):
                continue
            line = chops[y]
            ends = [cut for cut in cuts[y] if last_cut >= cut >= first_cut]
            # Front to back: the first widget to cover a chop wins it, as in Textual.
            length = strip.cell_length
            for start, end in pairwise(ends):
                # Past the strip's end Textual's divide makes no piece either.
                if (end > left and start < right and line[start] is None
                        and start - render_x < length):
                    line[start] = strip.crop(start - render_x, end - render_x)
    return chops


_textual_get_renders: Callable[..., Iterable[tuple[Region, Region, list[Strip]]]] | None = None
"""Textual's own method, for a render without a crop."""
_textual_render_chops: Callable[..., object] | None = None


def textual_methods() -> tuple[Callable[..., object], Callable[..., object]] | None:
    """Textual's own `_get_renders` and `_render_chops` while ours are in, for the tests
    that draw each update both ways."""
    if _textual_get_renders is None or _textual_render_chops is None:
        return None
    return _textual_get_renders, _textual_render_chops


def install() -> bool:
    """Put ours in place of Textual's two methods, once; the caller checked the contract."""
    global _textual_get_renders, _textual_render_chops
    from textual._compositor import Compositor

    if _textual_get_renders is None:
        _textual_get_renders = Compositor._get_renders
        _textual_render_chops = Compositor._render_chops
        Compositor._get_renders = _get_renders  # type: ignore[method-assign]
        Compositor._render_chops = _render_chops  # type: ignore[method-assign,assignment]
    return True


def uninstall() -> None:
    """Give Textual its own methods back (for the tests that compare with them)."""
    global _textual_get_renders, _textual_render_chops
    from textual._compositor import Compositor

    if _textual_get_renders is not None and _textual_render_chops is not None:
        Compositor._get_renders = _textual_get_renders  # type: ignore[method-assign]
        Compositor._render_chops = _textual_render_chops  # type: ignore[method-assign,assignment]
    _textual_get_renders = _textual_render_chops = None


def installed() -> bool:
    return _textual_get_renders is not None
