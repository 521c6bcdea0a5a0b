"""KeyedTable's cheap refresh paths show the same thing as a full redraw would.

`sync` keeps each row's rendered line and drops only the changed rows' (and
within them, the changed cells'), and `sync_lazy` makes cells only for rows on
screen; both would be wrong in the worst way (a stale figure on screen) if an
entry survived that should not, so these tests read what is actually rendered.
"""

from __future__ import annotations

from textual._compositor import ChopsUpdate
from textual.app import App, ComposeResult

from widgets.columns import Column
from widgets.keyed_table import KeyedTable
from widgets.textual_patches import Patches

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
    n = 150
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
        assert f"k{n - 1}" in table._rows.stale
        # Reading a waiting row builds it: nobody ever reads an old figure.
        assert table.get_cell(f"k{n - 2}", "value") == "7"
        assert built == [*built[:-1], (n - 2) * 1000 + 7]
        # Scrolling to the end shows the current figures, never the stale ones.
        table.move_cursor(row=n - 1)
        await pilot.pause()
        await pilot.pause()
        assert f"k{n - 1}" not in table._rows.stale  # built because it was drawn
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
    n = 150
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(KeyedTable)
        table.sync_lazy({f"k{i}": i * 1000 for i in range(n)}, build)
        table.sync_lazy({f"k{i}": i * 1000 + 1 for i in range(n)}, build)  # off-screen: stale
        table.sync({f"k{i}": build(i * 1000 + 2) for i in range(n)})
        table.move_cursor(row=n - 1)
        await pilot.pause()
        await pilot.pause()
        assert table.get_cell(f"k{n - 1}", "value") == "2"  # not rebuilt from older inputs


async def test_one_changed_cell_is_all_that_is_written_to_the_terminal(
        textual_patched: Patches) -> None:
    """textual#5625: a partial update used to be written from the widget's left edge
    (widgets/textual_patches/partial_writes.py writes from the dirty span's start)."""
    assert textual_patched.partial_writes
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


async def test_the_cursor_follows_its_row_when_the_order_changes() -> None:
    """The key under the cursor is what a destructive action acts on: re-sorting must not
    hand the cursor to another row."""
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(KeyedTable)
        table.sync({f"k{i}": (f"row-{i}", str(i)) for i in range(5)})
        table.focus()
        await pilot.press("down", "down")
        assert table.selected_key == "k2"
        table.sync({f"k{i}": (f"row-{i}", str(i)) for i in (2, 0, 1, 3, 4)})
        await pilot.pause()
        assert (table.cursor_row, table.selected_key) == (0, "k2")
        table.sync({f"k{i}": (f"row-{i}", str(i)) for i in (0, 1, 3, 4)})  # k2 went away
        await pilot.pause()
        assert table.cursor_row == 0 and table.selected_key == "k0"


async def test_keys_move_the_cursor_and_enter_selects() -> None:
    selected: list[str] = []

    class Selecting(TableApp):
        def on_keyed_table_row_selected(self, event: KeyedTable.RowSelected) -> None:
            selected.append(event.key)

    app = Selecting()
    async with app.run_test(size=(40, 8)) as pilot:
        table = app.query_one(KeyedTable)
        table.sync({f"k{i}": (f"row-{i}", str(i)) for i in range(30)})
        table.focus()
        await pilot.pause()
        await pilot.press("pagedown")
        page = table.cursor_row
        assert page > 0 and table.scroll_offset.y > 0
        await pilot.press("end")
        assert table.cursor_row == 29 and "row-29" in rendered(table)
        await pilot.press("home", "down", "enter")
        await pilot.pause()
        assert selected == ["k1"]
        assert table.scroll_offset.y == 0


async def test_a_long_cell_is_cut_with_an_ellipsis_and_auto_columns_grow() -> None:
    app = TableApp()
    async with app.run_test(size=(40, 8)) as pilot:
        table = app.query_one(KeyedTable)
        table.sync({"a": ("a-very-long-name", "123456789012")})
        await pilot.pause()
        line = rendered(table).splitlines()[1]
        assert line.startswith(" a-very-lo…  1234567… ")

    class AutoApp(App[None]):
        def compose(self) -> ComposeResult:
            yield KeyedTable((Column("name", "Name"), Column("value", "Value", 8)), id="t")

    app2 = AutoApp()
    async with app2.run_test(size=(60, 8)) as pilot:
        table = app2.query_one(KeyedTable)
        table.sync({"a": ("short", "1")})
        await pilot.pause()
        assert rendered(table).splitlines()[1].startswith(" short  1 ")
        table.sync({"a": ("short", "1"), "b": ("a-much-longer-name", "2")})
        await pilot.pause()
        lines = rendered(table).splitlines()
        assert lines[1].startswith(" short               1 ")  # the whole column widened
        assert lines[2].startswith(" a-much-longer-name  2 ")


async def test_right_and_left_scroll_a_wide_table_sideways() -> None:
    class Wide(App[None]):
        def compose(self) -> ComposeResult:
            yield KeyedTable([Column(f"c{i}", f"col{i}", 6) for i in range(10)], id="t")

    app = Wide()
    async with app.run_test(size=(40, 8)) as pilot:
        table = app.query_one(KeyedTable)
        table.sync({"a": tuple(f"v{i}" for i in range(10))})
        table.focus()
        await pilot.pause()
        assert rendered(table).splitlines()[0].split()[0] == "col0"
        await pilot.press("right", "right")
        await pilot.pause()
        assert table.scroll_offset.x == 16
        header, row = rendered(table).splitlines()[:2]
        assert header.split()[0] == "col2" and row.split()[0] == "v2"  # columns are 8 wide
        await pilot.press("left", "left")
        await pilot.pause()
        assert rendered(table).splitlines()[1].split()[0] == "v0"
