"""A DataTable that is synchronised by key, never cleared.

Refreshing a live table by `clear()` and re-adding rows loses the user's
cursor and scroll position and repaints every cell. This widget instead diffs
the new rows against what it shows: it updates only the cells whose content
changed, adds new keys and removes vanished ones, all inside one batch.

For long tables (`sync_lazy`) it is given each row's inputs instead of its
cells, and makes cells only for the rows on screen: with 1,000 models,
formatting rows nobody can see was most of a refresh's CPU.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar

from textual._two_way_dict import TwoWayDict
from textual.coordinate import Coordinate
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, ColumnKey, RowDoesNotExist, RowKey

from widgets.columns import Cell, Column
from widgets.partial_writes import install as _install_partial_writes

__all__ = ["Cell", "Column", "KeyedTable"]

H = TypeVar("H", bound=Hashable)

CELL_REGIONS = _install_partial_writes()
"""True when Textual writes only the dirty span of a line (widgets/partial_writes.py):
then each run of changed cells is its own region, else one region per row."""

LAZY_MIN_ROWS = 100
"""Below this many rows `sync_lazy` makes every row's cells: it costs little, and every
row's cells are then current for whoever reads them (tests, a narrow terminal)."""


class KeyedTable(DataTable[Cell]):
    """Rows are addressed by a stable string key (series labels, object UID)."""

    DEFAULT_CSS = """
    KeyedTable { height: 1fr; }
    """

    def __init__(self, columns: Sequence[Column], **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)  # type: ignore[arg-type]
        self._columns_spec = tuple(columns)
        self._shown: dict[str, tuple[Cell, ...]] = {}
        self.cells_updated = 0
        """How many cells the last sync touched: the refresh benchmark reads it."""
        self._titles: tuple[str | None, str | None] = (None, None)
        self._inputs: dict[str, Hashable] = {}
        self._stale: set[str] = set()
        """Rows off screen whose inputs changed: their cells are made when they scroll in."""
        self._build: Callable[[Any], Sequence[Cell]] | None = None

    def on_mount(self) -> None:
        for col in self._columns_spec:
            self.add_column(col.label, key=col.key, width=col.width)

    @property
    def selected_key(self) -> str | None:
        """The key of the row under the cursor, or None for an empty table."""
        if not self._shown or self.cursor_row < 0:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except CellDoesNotExist:
            return None
        return row_key.value

    def sync(self, rows: Mapping[str, Sequence[Cell]]) -> int:
        """Make the table show exactly `rows`, in their order; returns cells changed."""
        # Cells given outright replace whatever `sync_lazy` had pending.
        self._inputs.clear()
        self._stale.clear()
        return self._sync(rows)

    def _sync(self, rows: Mapping[str, Sequence[Cell]]) -> int:
        changed = 0
        dirty: list[tuple[str, list[str]]] = []
        changed_cells: dict[RowKey, set[ColumnKey]] = {}
        column_keys = [c.key for c in self._columns_spec]
        for key in [k for k in self._shown if k not in rows]:
            with contextlib.suppress(RowDoesNotExist):
                self.remove_row(key)
            del self._shown[key]
            changed += 1
        for key, cells in rows.items():
            new = tuple(cells)
            old = self._shown.get(key)
            if old is None:
                self.add_row(*new, key=key)
                changed += len(new)
            elif old is not new and old != new:
                cols = [col for col, before, after in zip(column_keys, old, new, strict=True)
                        if before != after]
                for col in cols:
                    self._set_cell(key, col, new[column_keys.index(col)])
                changed_cells[RowKey(key)] = {ColumnKey(c) for c in cols}
                dirty.append((key, cols))
                changed += len(cols)
            self._shown[key] = new
        if dirty:
            self._forget_renders(changed_cells)
            self._refresh_rows(dirty)
        changed += self._reorder(tuple(rows))
        self.cells_updated = changed
        return changed

    def sync_lazy(self, rows: Mapping[str, H], build: Callable[[H], Sequence[Cell]]) -> int:
        """`sync` from each row's inputs (`build(inputs)` makes its cells), in `rows`' order.

        Inputs are compared with ==, so they must be cheap immutable values. A row
        whose inputs did not change is not rebuilt; a changed row off screen keeps
        its old cells, marked stale, until it scrolls into view (`render_lines`).
        """
        self._build = build
        lazy = len(rows) >= LAZY_MIN_ROWS
        top = self.scroll_offset.y
        on_screen = range(max(0, top - 2), top + self.size.height + 2)
        cells: dict[str, Sequence[Cell]] = {}
        inputs, stale, shown = self._inputs, self._stale, self._shown
        for index, (key, item) in enumerate(rows.items()):
            old = shown.get(key)
            same = old is not None and key not in stale and inputs.get(key) == item
            if same:
                assert old is not None
                cells[key] = old
            elif old is None or not lazy or index in on_screen:
                cells[key] = build(item)
                stale.discard(key)
            else:
                cells[key] = old
                stale.add(key)
            inputs[key] = item
        for key in [k for k in inputs if k not in rows]:
            del inputs[key]
            stale.discard(key)
        return self._sync(cells)

    def render_lines(self, crop: Region) -> list[Strip]:
        if self._stale:
            self._make_stale_rows()
        return super().render_lines(crop)

    def _make_stale_rows(self) -> None:
        """Give the stale rows now on screen their cells, before they are drawn."""
        if self._build is None:
            return
        top = self.scroll_offset.y
        rows = [self._row_locations.get_key(i)
                for i in range(max(0, top - 2), top + self.size.height + 2)]
        keys = [str(r.value) for r in rows if r is not None and r.value in self._stale]
        if not keys:
            return
        cells = dict(self._shown)
        for key in keys:
            cells[key] = tuple(self._build(self._inputs[key]))
            self._stale.discard(key)
        self._sync(cells)
        self.refresh()

    def _set_cell(self, key: str, col: str, value: Cell) -> None:
        """`update_cell` without its repaint of the whole table (see `_refresh_rows`)."""
        row_key, column_key = RowKey(key), ColumnKey(col)
        if row_key not in self._row_locations or column_key not in self._column_locations:
            raise CellDoesNotExist(f"no cell {key!r}/{col!r}")
        self._data[row_key][column_key] = value

    def _forget_renders(self, changed: dict[RowKey, set[ColumnKey]]) -> None:
        """Drop DataTable's cached renders of the changed cells, and only of them.

        DataTable keys all four of its render caches on `_update_count`, so
        `update_cell` (which bumps it) throws away every cached cell: the next
        frame renders every visible cell of the table again through Rich, which
        was 85 % of a refresh's CPU. Changed cells are few; their rows' line
        caches are dropped and the rest of the table is drawn from cache.
        """
        # Textual's LRUCache has keys() but no __iter__, hence the noqa below.
        cells = self._cell_render_cache
        for ck in [k for k in cells.keys() if k[1] in changed.get(k[0], ())]:  # noqa: SIM118
            cells.discard(ck)
        rows = self._row_render_cache
        for rk in [k for k in rows.keys() if k[0] in changed]:  # noqa: SIM118
            rows.discard(rk)
        indexes = {self._row_locations.get(key) for key in changed}
        renderables = self._row_renderable_cache
        for ik in [k for k in renderables.keys() if k[1] in indexes]:  # noqa: SIM118
            renderables.discard(ik)
        # The line cache is keyed by y; rows are one line high, after the header.
        offset = self.header_height if self.show_header else 0
        ys = {index + offset for index in indexes if index is not None}
        lines = self._line_cache
        for lk in [k for k in lines.keys() if k[0] in ys]:  # noqa: SIM118
            lines.discard(lk)

    def _refresh_rows(self, dirty: list[tuple[str, list[str]]]) -> None:
        """Repaint only the changed cells on screen: one region per run of adjacent ones.

        DataTable.update_cell calls `refresh()`, so Textual rewrites every line of
        the table, borders and header included, for one changed figure. With
        partial writes cropped at both ends (widgets/partial_writes.py) a region
        per run of changed cells writes just those cells; without it Textual
        writes each region from the widget's left edge (textual#5625), so then
        one region per row, first to last changed column. Rows off screen cost
        nothing.
        """
        top = self.scroll_offset.y
        visible = range(max(0, top - 1), top + self.size.height + 1)
        for key, cols in dirty:
            row = self._row_locations.get(RowKey(key))
            if row is None or row not in visible:
                continue
            indexes = sorted(i for i in (self._column_locations.get(ColumnKey(c)) for c in cols)
                             if i is not None)
            runs: list[list[int]] = []
            for i in indexes:
                if runs and (i == runs[-1][-1] + 1 or not CELL_REGIONS):
                    runs[-1].append(i)
                else:
                    runs.append([i])
            for run in runs:
                first, last = Coordinate(row, run[0]), Coordinate(row, run[-1])
                if self.is_valid_coordinate(first) and self.is_valid_coordinate(last):
                    self._refresh_region(
                        self._get_cell_region(first).union(self._get_cell_region(last)))

    def set_titles(self, title: str | None, subtitle: str | None) -> None:
        """Set the border title and subtitle, only when they changed.

        Assigning `border_title` repaints the whole widget even with the same
        text, so a table whose rows did not change must not be touched.
        """
        if (title, subtitle) == self._titles:
            return
        if title != self._titles[0]:
            self.border_title = title
        if subtitle != self._titles[1]:
            self.border_subtitle = subtitle
        self._titles = (title, subtitle)

    def _reorder(self, order: tuple[str, ...]) -> int:
        """Put rows in `order` by renumbering them, as DataTable.sort does: O(rows).

        Rows keep their identity and data; the cursor stays on its row index.
        Returns how many rows moved.
        """
        current = tuple(str(row.key.value) for row in self.ordered_rows)
        if current == order:
            return 0
        moved = sum(1 for a, b in zip(current, order, strict=False) if a != b)
        self._row_locations = TwoWayDict({RowKey(k): i for i, k in enumerate(order)})
        self._update_count += 1
        self.refresh()
        return moved
