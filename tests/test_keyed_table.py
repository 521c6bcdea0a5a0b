"""KeyedTable's cheap refresh paths show the same thing as a full redraw would.

`sync` keeps DataTable's render caches and drops only the changed cells'
entries, and `sync_lazy` makes cells only for rows on screen; both would be
wrong in the worst way (a stale figure on screen) if an entry survived that
should not, so these tests read what is actually rendered.
"""

from __future__ import annotations

from textual._compositor import ChopsUpdate
from textual.app import App, ComposeResult

from widgets.columns import Column
from widgets.keyed_table import LAZY_MIN_ROWS, KeyedTable

COLUMNS = (Column("name", "Name", 10), Column("value", "Value", 8))


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield KeyedTable(COLUMNS, id="t")


def rendered(table: KeyedTable) -> str:
    """The text of the table's visible lines as the compositor would draw them now."""
    return "\n".join(strip.text for strip in table.render_lines(table.size.region))


def shown_value(table: KeyedTable, name: str) -> str:
    line = next(ln for ln in rendered(table).splitlines() if name in ln.split())
    return line.split()[1]


def build(value: int) -> tuple[str, str]:
    return (f"row-{value // 1000:04d}", str(value % 1000))


async def test_a_changed_cell_is_redrawn_and_the_others_come_from_cache() -> None:
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(KeyedTable)
        table.sync({f"k{i}": (f"row-{i}", str(i)) for i in range(5)})
        await pilot.pause()
        assert shown_value(table, "row-3") == "3"
        changed = table.sync({f"k{i}": (f"row-{i}", str(i * (10 if i == 3 else 1)))
                              for i in range(5)})
        await pilot.pause()
        assert changed == 1
        assert shown_value(table, "row-3") == "30"
        assert shown_value(table, "row-4") == "4"


async def test_sync_lazy_builds_off_screen_rows_when_they_scroll_in() -> None:
    app = TableApp()
    n = LAZY_MIN_ROWS + 50
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(KeyedTable)
        built: list[int] = []

        def counted(value: int) -> tuple[str, str]:
            built.append(value)
            return build(value)

        table.sync_lazy({f"k{i}": i * 1000 for i in range(n)}, counted)
        await pilot.pause()
        assert len(built) == n  # new rows always get cells
        built.clear()
        # Every row's input changes: only the rows on screen are rebuilt now.
        table.sync_lazy({f"k{i}": i * 1000 + 7 for i in range(n)}, counted)
        await pilot.pause()
        assert 0 < len(built) < 30
        assert table.get_cell("k0", "value") == "7"
        assert table.get_cell(f"k{n - 1}", "value") == "0"  # stale until seen
        # Scrolling to the end shows the current figures, never the stale ones.
        table.move_cursor(row=n - 1)
        await pilot.pause()
        await pilot.pause()
        assert table.get_cell(f"k{n - 1}", "value") == "7"
        assert f"row-{n - 1:04d}" in rendered(table)
        lines = [ln for ln in rendered(table).splitlines() if "row-" in ln]
        assert lines and all(ln.split()[1] == "7" for ln in lines)
        # Unchanged inputs build nothing.
        built.clear()
        table.sync_lazy({f"k{i}": i * 1000 + 7 for i in range(n)}, counted)
        await pilot.pause()
        assert built == []


async def test_cells_given_outright_replace_pending_lazy_rows() -> None:
    app = TableApp()
    n = LAZY_MIN_ROWS + 50
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(KeyedTable)
        table.sync_lazy({f"k{i}": i * 1000 for i in range(n)}, build)
        table.sync_lazy({f"k{i}": i * 1000 + 1 for i in range(n)}, build)  # off-screen: stale
        table.sync({f"k{i}": build(i * 1000 + 2) for i in range(n)})
        table.move_cursor(row=n - 1)
        await pilot.pause()
        await pilot.pause()
        assert table.get_cell(f"k{n - 1}", "value") == "2"  # not rebuilt from older inputs


async def test_one_changed_cell_is_all_that_is_written_to_the_terminal() -> None:
    """textual#5625: a partial update used to be written from the widget's left edge."""
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(KeyedTable)
        rows = {f"k{i}": (f"row-{i}", str(i)) for i in range(5)}
        table.sync(rows)
        await pilot.pause()
        await pilot.pause()
        compositor = app.screen._compositor
        render = compositor.render_partial_update
        written: list[str] = []

        def capture() -> ChopsUpdate | None:
            update = render()
            if update is not None:
                written.append(update.render_segments(app.console))
            return update

        compositor.render_partial_update = capture  # type: ignore[method-assign]
        table.sync({**rows, "k2": ("row-2", "CHANGED")})
        await pilot.pause()
        await pilot.pause()
        out = "".join(written)
        assert "CHANGED" in out
        assert "row-2" not in out  # the unchanged first column is not sent again
