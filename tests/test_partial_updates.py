"""Our replacements of Textual's partial-update internals write what Textual would.

widgets/partial_renders.py renders fewer widgets and rows for a partial
update; widgets/partial_writes.py writes only the dirty span of each chop,
without making a Strip for it. Either would leave a stale or torn figure on a
user's terminal if it were wrong, so these compare them, byte for byte, with
Textual's own code on the same updates of the live console.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate, Compositor
from textual.strip import Strip

import widgets.partial_renders as partial_renders
from console.clock import FixedClock
from tests.app_harness import demo_app, wait_for_data
from widgets.partial_writes import _render_cells


async def test_partial_renders_write_the_same_bytes_as_textual(tmp_path: Path) -> None:
    """Every partial update of a live demo, drawn our way and then Textual's way, from the
    same dirty regions: the bytes for the terminal must be equal."""
    assert partial_renders.install()
    ours = Compositor._get_renders
    textuals = partial_renders._textual_get_renders
    assert textuals is not None and ours is not textuals
    clock = FixedClock()
    app = demo_app(tmp_path, "provider-outage", refresh="1s", clock=clock)
    compared: list[int] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        compositor = app.screen._compositor
        render = compositor.render_partial_update

        def both_ways() -> ChopsUpdate | None:
            dirty = set(compositor._dirty_regions)
            update = render()
            if update is None:
                return None
            written = update.render_segments(app.console)
            compositor._dirty_regions.update(dirty)
            Compositor._get_renders = textuals  # type: ignore[method-assign]
            try:
                reference = render()
            finally:
                Compositor._get_renders = ours  # type: ignore[method-assign]
            assert reference is not None
            assert written == reference.render_segments(app.console)
            compared.append(len(written))
            return update

        compositor.render_partial_update = both_ways  # type: ignore[method-assign]
        table = app.query_one("#models")
        table.focus()
        for keys in (("down", "down", "down"), ("end",), ("home", "tab"), ("question_mark",),
                     ("escape",), ("down",)):
            await pilot.press(*keys)
            await pilot.pause(0.4)
        for _ in range(3):  # the demo moves on: figures, ages, trends and pods change
            clock.advance(15)
            await pilot.pause(1.1)
    assert len(compared) >= 10, compared
    assert sum(compared) > 1000


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
