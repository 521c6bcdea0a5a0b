"""The rows a KeyedTable shows, kept by key, and what each sync changed.

Kept apart from the widget (and from Textual) because this is where a stale
figure would come from: which cells changed, which rows are waiting to be
built, how wide the columns must be. The widget only turns the answer into
repaints of the changed cells.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from rich.cells import cell_len
from rich.text import Text

from widgets.columns import Cell, Column, plain

H = TypeVar("H", bound=Hashable)


def cell_width(cell: Cell) -> int:
    return cell.cell_len if isinstance(cell, Text) else cell_len(plain(cell))


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What one sync did, for the widget to repaint just that."""

    cells: dict[str, tuple[int, ...]]
    """Rows that were there before and still are: the indexes of their changed columns."""
    rows_changed: bool
    """Rows were added, removed or reordered: every visible line may have moved."""
    widths_changed: bool
    count: int
    """Cells touched (added rows count all their cells, a removed row counts one)."""

    @property
    def nothing(self) -> bool:
        return not (self.cells or self.rows_changed or self.widths_changed)


class RowStore:
    """Cells by row key in display order, plus the inputs of rows built lazily.

    A row synced lazily is built (its cells made from its inputs) only when it
    is new, on screen, or read: with 1,000 models, formatting rows nobody sees
    was most of a refresh. Rows whose inputs changed off screen are `stale`
    until then; `make_current` builds them.
    """

    def __init__(self, columns: Sequence[Column]) -> None:
        self.columns = tuple(columns)
        self.order: tuple[str, ...] = ()
        self.index: dict[str, int] = {}
        self.cells: dict[str, tuple[Cell, ...]] = {}
        self._lengths: dict[str, tuple[int, ...]] = {}
        self._inputs: dict[str, Hashable] = {}
        self.stale: set[str] = set()
        self._build: Callable[[Any], Sequence[Cell]] | None = None
        self.room: int | None = None
        """Cells the table has for its columns' contents (None: as many as they want)."""
        self.natural: tuple[int, ...] = self._measure()
        """What each column wants; `widths` is that fitted into `room`."""
        self.widths: tuple[int, ...] = self._fit(self.natural)

    def __len__(self) -> int:
        return len(self.order)

    def cell(self, key: str, column: int) -> Cell:
        """The current cell, building the row first if it is stale."""
        if key in self.stale:
            self.make_current([key])
        return self.cells[key][column]

    def sync(self, rows: Mapping[str, Sequence[Cell]]) -> SyncResult:
        """Show exactly `rows`, in their order; cells given outright drop pending lazy rows."""
        self._inputs.clear()
        self.stale.clear()
        return self._apply({key: tuple(cells) for key, cells in rows.items()})

    def sync_lazy(self, rows: Mapping[str, H], build: Callable[[H], Sequence[Cell]],
                  visible: range) -> SyncResult:
        """`sync` from each row's inputs; only new rows and rows at `visible` indexes are built.

        Inputs are compared with ==, so they must be cheap immutable values.
        """
        self._build = build
        inputs, stale, shown = self._inputs, self.stale, self.cells
        cells: dict[str, tuple[Cell, ...]] = {}
        for index, (key, item) in enumerate(rows.items()):
            old = shown.get(key)
            if old is not None and key not in stale and inputs.get(key) == item:
                cells[key] = old
            elif old is None or index in visible:
                cells[key] = tuple(build(item))
                stale.discard(key)
            else:
                cells[key] = old
                stale.add(key)
            inputs[key] = item
        for key in [k for k in inputs if k not in rows]:
            del inputs[key]
            stale.discard(key)
        return self._apply(cells)

    def make_current(self, keys: Iterable[str]) -> SyncResult:
        """Build these stale rows from their latest inputs (the others are left alone)."""
        todo = [k for k in keys if k in self.stale]
        if not todo or self._build is None:
            return SyncResult({}, False, False, 0)
        cells = dict(self.cells)
        for key in todo:
            cells[key] = tuple(self._build(self._inputs[key]))
            self.stale.discard(key)
        return self._apply(cells)

    def _apply(self, rows: dict[str, tuple[Cell, ...]]) -> SyncResult:
        changed: dict[str, tuple[int, ...]] = {}
        count = sum(1 for key in self.cells if key not in rows)
        resize = count > 0
        auto = [i for i, c in enumerate(self.columns) if c.width is None]
        for key, new in rows.items():
            old = self.cells.get(key)
            if old is None:
                count += len(new)
                self._lengths[key] = tuple(cell_width(c) for c in new)
                resize = True
            elif old is not new and old != new:
                cols = tuple(i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b)
                changed[key] = cols
                count += len(cols)
                lengths = list(self._lengths[key])
                for i in cols:
                    lengths[i] = cell_width(new[i])
                    resize = resize or i in auto
                self._lengths[key] = tuple(lengths)
        for key in [k for k in self.cells if k not in rows]:
            del self._lengths[key]
        self.cells = rows
        order = tuple(rows)
        moved = order != self.order
        if moved:
            count += sum(1 for a, b in zip(self.order, order, strict=False) if a != b)
            self.order = order
            self.index = {key: i for i, key in enumerate(order)}
        natural = self._measure() if resize else self.natural
        widths = self._fit(natural)
        widths_changed = widths != self.widths or natural != self.natural
        self.natural, self.widths = natural, widths
        return SyncResult(changed, moved, widths_changed, count)

    def set_room(self, room: int | None) -> bool:
        """The table's room changed (a resize): True when the columns' widths did."""
        self.room = room
        widths = self._fit(self.natural)
        changed = widths != self.widths
        self.widths = widths
        return changed

    def _fit(self, natural: tuple[int, ...]) -> tuple[int, ...]:
        """Short of room, the columns with a `min_width` give up cells, the one with the most
        to spare first, down to their floors; what is still short is cut at the edge."""
        excess = sum(natural) - self.room if self.room is not None else 0
        if excess <= 0:
            return natural
        widths = list(natural)
        floors = [natural[i] if c.min_width is None else min(natural[i], c.min_width)
                  for i, c in enumerate(self.columns)]
        while excess > 0:
            spare, i = max((w - f, i) for i, (w, f) in enumerate(zip(widths, floors,
                                                                      strict=True)))
            if spare <= 0:
                break
            take = min(excess, spare)
            widths[i] -= take
            excess -= take
        return tuple(widths)

    def _measure(self) -> tuple[int, ...]:
        """Fixed columns keep their width; the others fit their label and longest cell, up to
        their `max_width` (the widget cuts longer cells with "…")."""
        widths = []
        for i, col in enumerate(self.columns):
            if col.width is not None:
                widths.append(col.width)
            else:
                longest = max([cell_len(col.label), *(ln[i] for ln in self._lengths.values())])
                widths.append(min(longest, max(col.max_width, cell_len(col.label))))
        return tuple(widths)
