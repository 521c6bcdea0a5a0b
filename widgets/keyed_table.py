"""A DataTable that is synchronised by key, never cleared.

Refreshing a live table by `clear()` and re-adding rows loses the user's
cursor and scroll position and repaints every cell. This widget instead diffs
the new rows against what it shows: it updates only the cells whose content
changed, adds new keys and removes vanished ones, all inside one batch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence

from textual._two_way_dict import TwoWayDict
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, ColumnKey, RowDoesNotExist, RowKey

from widgets.columns import Cell, Column

__all__ = ["Cell", "Column", "KeyedTable"]


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
        changed = 0
        dirty: list[tuple[str, str, str]] = []
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
            elif old != new:
                cols = [col for col, before, after in zip(column_keys, old, new, strict=True)
                        if before != after]
                for col in cols:
                    self._set_cell(key, col, new[column_keys.index(col)])
                dirty.append((key, cols[0], cols[-1]))
                changed += len(cols)
            self._shown[key] = new
        if dirty:
            self._update_count += 1  # part of DataTable's render cache keys: once per sync
            self._refresh_rows(dirty)
        changed += self._reorder(tuple(rows))
        self.cells_updated = changed
        return changed

    def _set_cell(self, key: str, col: str, value: Cell) -> None:
        """`update_cell` without its repaint of the whole table (see `_refresh_rows`)."""
        row_key, column_key = RowKey(key), ColumnKey(col)
        if row_key not in self._row_locations or column_key not in self._column_locations:
            raise CellDoesNotExist(f"no cell {key!r}/{col!r}")
        self._data[row_key][column_key] = value

    def _refresh_rows(self, dirty: list[tuple[str, str, str]]) -> None:
        """Repaint each changed row from its first to its last changed column, one region.

        DataTable.update_cell calls `refresh()`, so Textual rewrites every line of
        the table for one changed figure. And Textual writes each dirty region
        from the left edge of the widget (textual#5625), so one region per row,
        not one per cell, keeps a refresh to at most one line per changed row.
        Rows outside the visible window cost nothing; past half a screen of
        changed rows one whole repaint is as many bytes and less CPU.
        """
        top = self.scroll_offset.y
        visible = range(max(0, top - 1), top + self.size.height + 1)
        shown = [(row, c1, c2) for row, c1, c2 in (
            (self._row_locations.get(RowKey(k)), self._column_locations.get(ColumnKey(a)),
             self._column_locations.get(ColumnKey(b))) for k, a, b in dirty)
            if row is not None and c1 is not None and c2 is not None and row in visible]
        if len(shown) > max(4, self.size.height // 2):
            self.refresh()
            return
        for row, c1, c2 in shown:
            first, last = Coordinate(row, c1), Coordinate(row, c2)
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
