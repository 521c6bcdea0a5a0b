"""Write only the dirty part of a line to the terminal (a fix for textual#5625).

Textual's `ChopsUpdate.render_segments` (what the driver writes for a partial
update) crops a line's dirty span at its right end only and writes it from the
left edge of the widget: one changed figure at column 60 costs the whole line
up to column 60, escape codes of every cell before it included. Over SSH that
was most of the bytes of a refresh (tests/perf, "bytes per refresh": 600 B per
changed table row where the changed cells are ~150 B).

`install()` replaces it with the same loop cropping both ends (and skipping
a chop that starts where the span ends). widgets/textual_patches installs it
only on a Textual whose ChopsUpdate is still what this mirrors (the fix landed,
or the internals moved: then the console is only as frugal as before, never
broken). The README's Performance notes hold the proposal to fix it upstream.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.cells import cell_len
from rich.color import ColorSystem
from rich.console import Console
from textual.strip import Strip


def render_segments(self: object, console: Console) -> str:
    """ChopsUpdate.render_segments, each span cropped to [x1, x2) instead of [chop, x2)."""
    chops = self.chops  # type: ignore[attr-defined]
    chop_ends = self.chop_ends  # type: ignore[attr-defined]
    spans: list[tuple[int, int, int]] = self.spans  # type: ignore[attr-defined]
    color_system = console._color_system or ColorSystem.TRUECOLOR
    last_y = spans[-1][0]
    sequences: list[str] = []
    append = sequences.append
    for y, x1, x2 in spans:
        line = chops[y]
        for end, (x, strip) in zip(chop_ends[y], line.items(), strict=False):
            # x2 is exclusive: Textual's `x > x2` wrote a bare cursor move for a chop
            # starting at x2, with nothing in it.
            if strip is None or x >= x2 or end <= x1:
                continue
            start = max(x, x1)
            append(_move_to(start, y))
            if start == x and end <= x2:
                append(strip.render(console))
            else:
                append(_render_cells(strip, start - x, min(end, x2) - x, color_system))
        if y != last_y:
            append("\n")
    return "".join(sequences)


def _render_cells(strip: Strip, start: int, end: int, color_system: ColorSystem) -> str:
    """What `strip.crop(start, end).render(...)` writes, without making the Strip.

    A crop makes a Strip (seven caches) that is written once and dropped; that
    was two thirds of the cost of writing a partial update.
    """
    render = Strip.render_style
    out: list[str] = []
    pos = 0
    for segment in strip:
        text, style, _ = segment
        width = cell_len(text)
        after = pos + width
        if after <= start:
            pos = after
            continue
        if pos >= end:
            break
        if pos < start or after > end:
            if after > end:
                segment = segment.split_cells(end - pos)[0]
            if pos < start:
                segment = segment.split_cells(start - pos)[1]
            text = segment.text
        out.append(text if style is None else render(style, text, color_system))
        pos = after
    return "".join(out)


def _move_to(x: int, y: int) -> str:
    """CUP, as rich's Control.move_to writes it (1-based row;column)."""
    return f"\x1b[{y + 1};{x + 1}H"


_textual_render_segments: Callable[..., str] | None = None
"""Textual's own writer while ours is in."""


def install() -> bool:
    """Put ours in place of Textual's partial-update writer, once; the caller checked the
    contract."""
    global _textual_render_segments
    from textual._compositor import ChopsUpdate

    if _textual_render_segments is None:
        _textual_render_segments = ChopsUpdate.render_segments
        ChopsUpdate.render_segments = render_segments  # type: ignore[method-assign]
    return True


def uninstall() -> None:
    """Give Textual its own writer back."""
    global _textual_render_segments
    from textual._compositor import ChopsUpdate

    if _textual_render_segments is not None:
        ChopsUpdate.render_segments = _textual_render_segments  # type: ignore[method-assign]
    _textual_render_segments = None


def installed() -> bool:
    """Whether a partial update is written cropped at both ends (KeyedTable then repaints
    each run of changed cells as its own region)."""
    return _textual_render_segments is not None
