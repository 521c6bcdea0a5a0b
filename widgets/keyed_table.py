"""A DataTable that is synchronised by key, never cleared.

Refreshing a live table by `clear()` and re-adding rows loses the user's
cursor and scroll position and repaints every cell. This widget instead diffs
the new rows against what it shows: it updates only the cells whose content
changed, adds new keys and removes vanished ones, all inside one batch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence

from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

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
                for col, before, after in zip(column_keys, old, new, strict=True):
                    if before != after:
                        self.update_cell(key, col, after)
                        changed += 1
            self._shown[key] = new
        changed += self._reorder(tuple(rows))
        self.cells_updated = changed
        return changed

    def _reorder(self, order: tuple[str, ...]) -> int:
        """Put rows in `order` by re-adding only the tail that is out of place.

        New keys usually arrive in order at the end, so this is rare and cheap;
        rows before the first misplaced one keep their identity and the cursor.
        """
        current = tuple(str(row.key.value) for row in self.ordered_rows)
        if current == order:
            return 0
        first = next((i for i, (a, b) in enumerate(zip(current, order, strict=False)) if a != b),
                     min(len(current), len(order)))
        for key in current[first:]:
            self.remove_row(key)
        for key in order[first:]:
            self.add_row(*self._shown[key], key=key)
        return len(order) - first
