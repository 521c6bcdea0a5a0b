"""Our replacements of Textual internals draw and write what Textual would.

widgets/textual_patches/partial_renders.py renders fewer widgets and rows for a
partial update; partial_writes.py writes only the dirty span of each chop,
without making a Strip for it; row_styles.py puts a table row between its
borders without restyling it. Each would leave a stale or torn figure on
a user's terminal if it were wrong, so these compare them with Textual's own
code on the live console, byte for byte or segment for segment.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate, Compositor
from textual._styles_cache import StylesCache
from textual.strip import Strip

from console.clock import FixedClock
from tests.app_harness import demo_app, wait_for_data
from widgets.keyed_table import KeyedTable
from widgets.textual_patches import Patches, partial_renders
from widgets.textual_patches.partial_writes import _render_cells
from widgets.textual_patches.row_styles import RowStylesCache


async def test_partial_renders_write_the_same_bytes_as_textual(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, textual_patched: Patches) -> None:
    """Every partial update of a live demo, on every screen (overview, drill-down, help,
    filter, confirmation, a toast), drawn our way and then Textual's way from the same dirty
    regions: the bytes for the terminal must be equal."""
    assert textual_patched.partial_renders
    ours = (Compositor._get_renders, Compositor._render_chops)
    textuals = partial_renders.textual_methods()
    assert textuals is not None and ours[0] is not textuals[0] and ours[1] is not textuals[1]
    render = Compositor.render_partial_update
    compared: list[int] = []
    app = None

    def both_ways(compositor: Compositor) -> ChopsUpdate | None:
        assert app is not None
        dirty = set(compositor._dirty_regions)
        update = render(compositor)
        if update is None:
            return None
        written = update.render_segments(app.console)
        compositor._dirty_regions.update(dirty)
        Compositor._get_renders, Compositor._render_chops = textuals
        try:
            reference = render(compositor)
        finally:
            Compositor._get_renders, Compositor._render_chops = ours
        assert reference is not None
        assert written == reference.render_segments(app.console)
        compared.append(len(written))
        return update

    monkeypatch.setattr(Compositor, "render_partial_update", both_ways)
    clock = FixedClock()
    app = demo_app(tmp_path, "provider-outage", refresh="1s", clock=clock)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_for_data(pilot)
        app.query_one("#models").focus()
        for keys in (("down", "down", "down"), ("end",), ("home", "enter"), ("escape", "tab"),
                     ("question_mark",), ("escape", "slash", "o", "p"), ("escape",),
                     ("r",), ("n", "down"), ("x",), ("up",)):  # x: a toast over the tables
            await pilot.press(*keys)
            await pilot.pause(0.4)
            clock.advance(5)
        assert app.query("Toast"), "the export's toast is up, over the tables"
        for _ in range(3):  # the demo moves on: figures, ages, trends and pods change
            clock.advance(15)
            await pilot.pause(1.1)
    assert len(compared) >= 20, compared
    assert sum(compared) > 2000


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_table_rows_are_styled_as_textual_would(tmp_path: Path, size: tuple[int, int],
                                                      textual_patched: Patches) -> None:
    """Every KeyedTable's lines, drawn with the row shortcut and with Textual's own styles
    cache: focused and not, cursor row, scrolled down and sideways."""
    assert textual_patched.row_styles
    app = demo_app(tmp_path, "provider-outage")
    async with app.run_test(size=size) as pilot:
        await wait_for_data(pilot)
        models = app.query_one("#models", KeyedTable)
        compared = 0

        async def compare_all() -> None:
            nonlocal compared
            await pilot.pause()
            for table in app.query(KeyedTable):
                shortcut = table._styles_cache
                assert isinstance(shortcut, RowStylesCache)
                region = table.region.reset_offset
                shortcut.clear()
                ours = table.render_lines(region)
                table._styles_cache = StylesCache()
                try:
                    theirs = table.render_lines(region)
                finally:
                    table._styles_cache = shortcut
                assert [list(s) for s in ours] == [list(s) for s in theirs], table.id
                compared += len(ours)

        await compare_all()
        models.focus()
        await pilot.press("down", "down")
        await compare_all()
        await pilot.press("end", "right")
        await compare_all()
        app.set_focus(None)
        await compare_all()
    assert compared > 4 * (size[1] - 8), compared  # the tables fill all but a few lines


def test_a_cut_chop_is_written_as_its_cropped_strip_would_be() -> None:
    """_render_cells against Strip.crop + render at every cut, wide characters included."""
    console = Console(color_system="truecolor", force_terminal=True)
    strip = Strip([
        Segment("ab", Style(color="red")),
        Segment("日本", Style(bold=True)),
        Segment(" c ", None),
        Segment("xyz", Style(bgcolor="blue")),
    ])
    color_system = console._color_system
    assert color_system is not None
    length = strip.cell_length
    for start, end in itertools.combinations(range(length + 1), 2):
        expected = strip.crop(start, end).render(console)
        assert _render_cells(strip, start, end, color_system) == expected, (start, end)
