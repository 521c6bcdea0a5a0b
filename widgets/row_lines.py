"""A KeyedTable line from its cells: padded to the columns, cut with an ellipsis, and
in as few Segments as its styles allow.

Kept apart from the widget because this is the costly half of a changed row
(every later step, from the styles cache to the terminal writer, costs per
Segment) and it needs only Rich: the widget decides which lines to make and
when; this makes them.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from widgets.columns import Cell

CellParts = tuple[str, tuple[Segment, ...], str]
"""A cell as drawn: base-style text before, its own styled segments, base-style text after."""

PAD = 1
"""Blank cells either side of each column, as DataTable draws them."""


def join_line(parts: list[CellParts], style: Style, length: int, view_width: int) -> Strip:
    """A whole line of cells (`length` cells of columns), at least `view_width` wide so that
    drawing it need not crop or extend it.

    Runs of text in the line's own `style` (padding, plain cells) become one
    Segment: every step after this (styles cache, colour filter, compositor cuts,
    the writer) costs per Segment, and a row had three per cell before.
    """
    segments: list[Segment] = []
    plain = ""
    for lead, body, trail in parts:
        if body:
            if plain or lead:
                segments.append(Segment(plain + lead, style))
            segments.extend(body)
            plain = trail
        else:
            plain += lead + trail
    if length < view_width:
        plain += " " * (view_width - length)
        length = view_width
    if plain:
        segments.append(Segment(plain, style))
    return Strip(segments, length)


def cell_parts(cell: Cell, width: int, base: Style, console: Console) -> CellParts:
    """One cell padded to its column: text in the line's `base` style before and after,
    and the segments in a style of their own between (none for a plain cell). Cropped
    with an ellipsis when too long.

    Most cells are a string or Styled, and Texts mostly have one style (no
    spans): those take no trip through Rich's layout, which was most of what a
    changed cell cost.
    """
    pad = " " * PAD
    if not isinstance(cell, Text):
        text, named = (cell, "") if isinstance(cell, str) else cell
        if cell_len(text) > width:
            cut = Text(text)
            cut.truncate(width, overflow="ellipsis")
            text = cut.plain
        space = " " * (width - cell_len(text))
        if not named:
            return pad + text + space + pad, (), ""
        return pad, (Segment(text, base + console.get_style(named)),), space + pad
    if cell.cell_len > width:
        cell = cell.copy()
        cell.truncate(width, overflow="ellipsis")
    space = " " * (width - cell.cell_len)
    right = cell.justify == "right"
    if not cell.style and not cell.spans:
        text = space + cell.plain if right else cell.plain + space
        return pad + text + pad, (), ""
    style = base + console.get_style(cell.style) if cell.style else base
    if cell.spans:
        body = tuple(Segment.apply_style(cell.render(console), style))
    else:
        body = (Segment(cell.plain, style),)
    if right:
        return pad + space, body, pad
    return pad, body, space + pad


def fit(strip: Strip, scroll_x: int, width: int, style: Style) -> Strip:
    """The visible part of a line: rows are made as wide as the view, so mostly itself."""
    if scroll_x == 0 and strip.cell_length == width:
        return strip
    return strip.crop_extend(scroll_x, scroll_x + width, style)
