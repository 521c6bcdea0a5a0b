"""Put a table's changed row between its borders without restyling it.

Textual's styles cache draws every line of a widget the general way: read
the border, padding, outline, hatch, tint and opacity rules, build the two
border segments, post-process the line. For a table row that changed, with
none of those effects, the result is always the row's own segments between
the same two border segments; doing it the general way was about a third of
what drawing a changed row cost (tests/perf, 50 models).

`RowStylesCache` keeps that general way for border lines and for any widget
with padding, an outline, hatch, tint or opacity, and for the first content
line of each frame. That line also checks the shortcut: its segments must be
exactly the left border, the row and the right border, or the shortcut is
off for the frame. So a Textual that styles lines differently gets its own
result, only slower.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rich.segment import Segment
from rich.terminal_theme import TerminalTheme
from textual._ansi_theme import DEFAULT_TERMINAL_THEME
from textual._styles_cache import StylesCache
from textual.color import Color
from textual.content import Content
from textual.css.styles import StylesBase
from textual.filter import LineFilter
from textual.geometry import Region, Size, Spacing
from textual.strip import Strip
from textual.style import Style
from textual.widget import Widget

Label = tuple[Content, Color, Color, Style]
"""A border title or subtitle as the styles cache takes it."""


class RowStylesCache(StylesCache):
    """A StylesCache whose content lines skip the general styling when it would not
    change them (see the module's docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: range = range(0)
        """Widget lines that are content lines this frame, when the shortcut may apply."""
        self._edges: tuple[Segment, Segment] | None = None
        """The left and right border segments, once the frame's first content line
        confirmed them."""

    def render(self, styles: StylesBase, size: Size, base_background: Color,
               background: Color, render_content_line: Callable[[int], Strip],
               filters: Sequence[LineFilter], border_title: Label | None,
               border_subtitle: Label | None, content_size: Size | None = None,
               padding: Spacing | None = None, crop: Region | None = None,
               opacity: float = 1.0, ansi_theme: TerminalTheme = DEFAULT_TERMINAL_THEME,
               native_ansi: bool = False) -> list[Strip]:
        self._edges = None
        self._rows = range(0)
        if _plain(styles, padding, opacity) and content_size is not None:
            gutter = styles.gutter
            self._rows = range(gutter.top, min(gutter.top + content_size.height,
                                               size.height - gutter.bottom))
        return super().render(styles, size, base_background, background, render_content_line,
                              filters, border_title, border_subtitle, content_size, padding,
                              crop, opacity, ansi_theme, native_ansi)

    def render_line(self, styles: StylesBase, y: int, size: Size, content_size: Size,
                    padding: Spacing, base_background: Color, background: Color,
                    render_content_line: Callable[[int], Strip], *rest: Any) -> Strip:
        if y not in self._rows:
            return super().render_line(styles, y, size, content_size, padding, base_background,
                                       background, render_content_line, *rest)
        edges = self._edges
        row = render_content_line(y - self._rows.start)
        if edges is None or row.cell_length != content_size.width:
            strip = super().render_line(styles, y, size, content_size, padding, base_background,
                                        background, render_content_line, *rest)
            if edges is None:
                self._edges = _confirmed_edges(strip, row, content_size.width)
                if self._edges is None:
                    self._rows = range(0)  # not as expected: the general way, all frame
            return strip
        return Strip([edges[0], *row, edges[1]], size.width)


def _plain(styles: StylesBase, padding: Spacing | None, opacity: float) -> bool:
    """No effect that changes a content line beyond putting borders either side."""
    left, right = styles.border_left[0], styles.border_right[0]
    return (opacity == 1.0 and styles.text_opacity == 1.0 and not styles.tint.a
            and (padding is None or not any(padding)) and not any(styles.padding)
            and bool(left) and bool(right)
            and not styles.outline_left[0] and not styles.outline_right[0]
            and not styles.outline_top[0] and not styles.outline_bottom[0]
            and (not styles.has_rule("hatch") or styles.hatch == "none"))


def _confirmed_edges(strip: Strip, row: Strip, width: int) -> tuple[Segment, Segment] | None:
    """The border segments of a line Textual drew, if the line is exactly them around
    `row` (drawn at the content width)."""
    if row.cell_length != width:
        return None
    segments = list(strip)
    if len(segments) < 2 or segments[1:-1] != list(row):
        return None
    return segments[0], segments[-1]


_enabled = False
"""Whether tables made from now on get a RowStylesCache (install() turns it on)."""


def install() -> bool:
    """Let tables made from now on use the shortcut; the caller checked the contract."""
    global _enabled
    _enabled = True
    return True


def uninstall() -> None:
    """Tables made from now on style every line Textual's way; tables already made keep
    the cache they have."""
    global _enabled
    _enabled = False


def installed() -> bool:
    return _enabled


def adopt(widget: Widget) -> None:
    """Give `widget` the shortcut styles cache, when it is on.

    `Widget._styles_cache` is private: Textual makes a StylesCache for each widget
    and has no hook to make another kind, so it is replaced right after.
    """
    if _enabled:
        widget._styles_cache = RowStylesCache()
