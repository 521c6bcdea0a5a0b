"""A table synchronised by key, never cleared, that repaints only changed cells.

Refreshing a live table by clearing and re-adding rows loses the user's cursor
and scroll position and repaints every cell. This widget is given the whole
table each refresh (`sync`, or `sync_lazy` with each row's inputs), diffs it
by row key (widgets/table_rows.py) and repaints only the cells that changed.

It draws its own lines rather than subclassing Textual's DataTable: DataTable
renders each changed row cell by cell through Rich's layout (about 0.8 ms a
line), which made one refresh of 50 models cost 20 ms of CPU. Here a row is a
cached Strip built from cached cell segments; a changed cell costs one
`Text.render`, and a line is only cropped and styled when it is drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import ClassVar, TypeVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from widgets import textual_patches
from widgets.columns import Cell, Column, Styled
from widgets.row_lines import PAD, CellParts, cell_parts, fit, join_line
from widgets.table_rows import RowStore, SyncResult

__all__ = ["Cell", "Column", "KeyedTable", "Styled"]

H = TypeVar("H", bound=Hashable)

LAZY_MARGIN = 2
"""Rows just beyond the edges are built too, so one step of the cursor finds them ready."""


class KeyedTable(ScrollView, can_focus=True):
    """Rows are addressed by a stable string key (series labels, object UID)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("left", "pan(-8)", "Left", show=False),
        Binding("right", "pan(8)", "Right", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home", "first", "First", show=False),
        Binding("end,ctrl+end", "last", "Last", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {"keyed-table--header", "keyed-table--cursor"}

    DEFAULT_CSS = """
    KeyedTable {
        height: 1fr;
        background: $surface;
        color: $foreground;
        &:focus {
            background-tint: $foreground 5%;
            & > .keyed-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .keyed-table--header {
                background-tint: $foreground 5%;
            }
        }
        & > .keyed-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .keyed-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .keyed-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    class RowSelected(Message):
        """Enter (or a click on the cursor's row) chose a row."""

        def __init__(self, table: KeyedTable, key: str, index: int) -> None:
            super().__init__()
            self.table = table
            self.key = key
            self.index = index

        @property
        def control(self) -> KeyedTable:
            return self.table

    def __init__(self, columns: Sequence[Column], **kwargs: str | bool | None) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        textual_patches.adopt_row_styles(self)  # when installed: a changed row skips restyling
        self._rows = RowStore(columns)
        self._cursor = 0
        self.cells_updated = 0
        """How many cells the last sync touched: the refresh benchmark reads it."""
        self._titles: tuple[str | Text | None, str | Text | None] = (None, None)
        self._parts: dict[str, list[CellParts | None]] = {}
        """Each row's cells, padded, in the table's base style."""
        self._strips: dict[str, Strip] = {}
        """Each row's line, base style applied, before scrolling and the cursor."""
        self._header: Strip | None = None
        self._width = 0
        """The view's width the cached lines were made for."""
        self._base: Style | None = None
        self._line_styles: tuple[Style, Style, Style] = (Style(), Style(), Style())
        """Base, cursor and cursor-override styles of the frame being drawn."""
        self._view_width = 0
        """The width of the frame being drawn (render_lines sets it for render_line)."""
        self._offsets = self._column_offsets()

    def on_mount(self) -> None:
        # The header shows before the first sync: an empty table still says what it lists.
        self.virtual_size = Size(self._offsets[-1], 1)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        """What the columns want (an auto-width table asks for it), not what they got."""
        return sum(self._rows.natural) + 2 * PAD * len(self._rows.columns)

    def on_resize(self) -> None:
        """Less room than the columns want: the columns that may shrink do (Column.min_width)."""
        room = self.scrollable_content_region.width - 2 * PAD * len(self._rows.columns)
        if self._rows.set_room(max(0, room)):
            self._new_widths()
            self.virtual_size = Size(self._offsets[-1], len(self._rows) + 1)
            self.refresh()

    def _new_widths(self) -> None:
        self._parts.clear()
        self._strips.clear()
        self._header = None
        self._offsets = self._column_offsets()

    # -- what the app and tests read ---------------------------------------------------

    @property
    def columns(self) -> tuple[Column, ...]:
        return self._rows.columns

    @property
    def row_keys(self) -> tuple[str, ...]:
        """The keys in display order."""
        return self._rows.order

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def selected_key(self) -> str | None:
        """The key of the row under the cursor, or None for an empty table."""
        order = self._rows.order
        return order[self._cursor] if 0 <= self._cursor < len(order) else None

    def get_row_index(self, key: str) -> int:
        return self._rows.index[key]

    def get_cell(self, key: str, column: str) -> Cell:
        """The cell's current content (built first if its row was waiting off screen)."""
        index = next(i for i, c in enumerate(self._rows.columns) if c.key == column)
        return self._rows.cell(key, index)

    def get_row(self, key: str) -> tuple[Cell, ...]:
        self._rows.make_current([key])
        return self._rows.cells[key]

    # -- what the app calls each refresh -------------------------------------------------

    def sync(self, rows: Mapping[str, Sequence[Cell]]) -> int:
        """Make the table show exactly `rows`, in their order; returns cells changed."""
        selected = self.selected_key
        return self._repaint(self._rows.sync(rows), selected)

    def sync_lazy(self, rows: Mapping[str, H], build: Callable[[H], Sequence[Cell]]) -> int:
        """`sync` from each row's inputs (`build(inputs)` makes its cells), in `rows`' order.

        Inputs are compared with ==, so they must be cheap immutable values. A row
        whose inputs did not change is not rebuilt; a changed row off screen keeps
        its old cells, marked stale, until it is drawn or read.
        """
        selected = self.selected_key
        return self._repaint(self._rows.sync_lazy(rows, build, self._near_screen()), selected)

    def set_titles(self, title: str | Text | None, subtitle: str | Text | None) -> None:
        """Set the border title and subtitle when they changed; a str is plain, never markup.

        Assigning `border_title` repaints the whole widget even with the same
        text, so a table whose rows did not change must not be touched.
        """
        if (title, subtitle) == self._titles:
            return
        if title != self._titles[0]:
            self.border_title = Text(title) if isinstance(title, str) else title
        if subtitle != self._titles[1]:
            self.border_subtitle = Text(subtitle) if isinstance(subtitle, str) else subtitle
        self._titles = (title, subtitle)

    def move_cursor(self, *, row: int) -> None:
        """Put the cursor on row index `row` (clamped) and scroll it into view."""
        self._set_cursor(row)

    # -- repainting ------------------------------------------------------------------------

    def _repaint(self, result: SyncResult, selected: str | None) -> int:
        self.cells_updated = result.count
        if result.nothing:
            return 0
        for key in result.cells:
            self._strips.pop(key, None)
            parts = self._parts.get(key)
            if parts is not None:
                for i in result.cells[key]:
                    parts[i] = None
        if result.rows_changed:
            alive = self._rows.cells
            for cache in (self._parts, self._strips):
                for key in [k for k in cache if k not in alive]:
                    del cache[key]
            self._follow(selected)
        if result.widths_changed:
            self._new_widths()
        if result.rows_changed or result.widths_changed:
            self.virtual_size = Size(self._offsets[-1], len(self._rows) + 1)
            # An auto-width table's want changed: its panel may widen or narrow.
            self.refresh(layout=result.widths_changed)
        else:
            self._refresh_cells(result.cells)
        return result.count

    def _follow(self, selected: str | None) -> None:
        """Keep the cursor on the row it was on (by key) when rows come, go or move.

        A destructive key acts on the selected row, so the selection must never
        silently become another pod because the list re-sorted under it.
        """
        index = self._rows.index.get(selected) if selected is not None else None
        if index is None:
            index = min(self._cursor, max(0, len(self._rows) - 1))
        if index != self._cursor:
            self._set_cursor(index)

    def _refresh_cells(self, cells: dict[str, tuple[int, ...]]) -> None:
        """Repaint only the changed cells on screen: one region per run of adjacent ones.

        With partial writes cropped at both ends (widgets/textual_patches) a
        region per run of changed cells writes just those cells; without it
        Textual writes each region from the widget's left edge (textual#5625),
        so then one region per row, first to last changed column.
        """
        per_run = textual_patches.cropped_writes()
        top, height = self._top_and_rows()
        scroll_x = int(self.scroll_x)
        offsets = self._offsets
        view = Region(0, 0, self.scrollable_content_region.width, height + 1)
        regions: list[Region] = []
        for key, columns in cells.items():
            y = self._rows.index[key] - top
            if not 0 <= y < height or not columns:
                continue
            runs: list[list[int]] = []
            for i in sorted(columns):
                if runs and (i == runs[-1][-1] + 1 or not per_run):
                    runs[-1].append(i)
                else:
                    runs.append([i])
            for run in runs:
                x0, x1 = offsets[run[0]], offsets[run[-1] + 1]
                # Clipped to the view: past it is the scrollbar, not this table's to paint.
                region = Region(x0 - scroll_x, y + 1, x1 - x0, 1).intersection(view)
                if region:
                    regions.append(region)
        if regions:
            self.refresh(*regions)

    def _column_offsets(self) -> tuple[int, ...]:
        offsets = [0]
        for width in self._rows.widths:
            offsets.append(offsets[-1] + width + 2 * PAD)
        return tuple(offsets)

    def _top_and_rows(self) -> tuple[int, int]:
        """The index of the first row on screen and how many rows fit under the header."""
        return int(self.scroll_y), max(0, self.scrollable_content_region.height - 1)

    def _near_screen(self) -> range:
        top, height = self._top_and_rows()
        return range(max(0, top - LAZY_MARGIN), top + height + LAZY_MARGIN)

    # -- drawing ---------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._parts.clear()
        self._strips.clear()
        self._header = None
        self._base = None

    def render_lines(self, crop: Region) -> list[Strip]:
        stale = self._rows.stale
        if stale:
            near = self._near_screen()
            order = self._rows.order
            keys = [order[i] for i in near if i < len(order) and order[i] in stale]
            if keys:
                self._repaint(self._rows.make_current(keys), self.selected_key)
        base = self.rich_style
        if base != self._base:
            self._base = base
            self._parts.clear()
            self._strips.clear()
            self._header = None
        cursor = self.get_component_rich_style("keyed-table--cursor")
        self._line_styles = (base, cursor, Style.from_color(cursor.color, cursor.bgcolor))
        # The content region's width, scrollbar included: the styles cache would otherwise
        # extend every line drawn by the scrollbar's width (a new Strip each); the
        # scrollbar is drawn over that part.
        self._view_width = self.content_region.width
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self._view_width
        scroll_x = int(self.scroll_x)
        base, cursor, over = self._line_styles
        if width != self._width:
            self._width = width
            self._strips.clear()
            self._header = None
        if y == 0:
            if self._header is None:
                self._header = self._render_header(base)
            return fit(self._header, scroll_x, width, self._header_style(base))
        index = int(self.scroll_y) + y - 1
        order = self._rows.order
        if index >= len(order):
            return Strip.blank(width, base)
        key = order[index]
        strip = self._strips.get(key)
        if strip is None:
            strip = self._strips[key] = self._render_row(key, base)
        line = fit(strip, scroll_x, width, base)
        if index == self._cursor:
            line = Strip(Segment.apply_style(line, cursor, over), line.cell_length)
        return line

    def _header_style(self, base: Style) -> Style:
        return base + self.get_component_rich_style("keyed-table--header")

    def _render_header(self, base: Style) -> Strip:
        style = self._header_style(base)
        console = self.app.console
        parts = [cell_parts(col.label, width, style, console)
                 for col, width in zip(self._rows.columns, self._rows.widths, strict=True)]
        return join_line(parts, style, self._offsets[-1], self._width)

    def _render_row(self, key: str, base: Style) -> Strip:
        cached = self._parts.get(key)
        if cached is None:
            cached = self._parts[key] = [None] * len(self._rows.columns)
        cells = self._rows.cells[key]
        console = self.app.console
        parts: list[CellParts] = []
        for i, width in enumerate(self._rows.widths):
            part = cached[i]
            if part is None:
                part = cached[i] = cell_parts(cells[i], width, base, console)
            parts.append(part)
        return join_line(parts, base, self._offsets[-1], self._width)

    # -- cursor and keys ----------------------------------------------------------------

    def _set_cursor(self, row: int) -> None:
        row = max(0, min(row, len(self._rows) - 1))
        old, self._cursor = self._cursor, row
        if old != row:
            top = int(self.scroll_y)
            for index in (old, row):
                self.refresh(Region(0, index - top + 1, self.scrollable_content_region.width, 1))
        self._scroll_to_cursor()

    def _scroll_to_cursor(self) -> None:
        top, height = self._top_and_rows()
        if height <= 0:
            return
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + height:
            self.scroll_to(y=self._cursor - height + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self._set_cursor(self._cursor - 1)

    def action_cursor_down(self) -> None:
        self._set_cursor(self._cursor + 1)

    def action_page_up(self) -> None:
        self._set_cursor(self._cursor - max(1, self._top_and_rows()[1]))

    def action_page_down(self) -> None:
        self._set_cursor(self._cursor + max(1, self._top_and_rows()[1]))

    def action_first(self) -> None:
        self._set_cursor(0)

    def action_last(self) -> None:
        self._set_cursor(len(self._rows) - 1)

    def action_pan(self, columns: int) -> None:
        self.scroll_to(x=self.scroll_x + columns, animate=False)

    def action_select_cursor(self) -> None:
        key = self.selected_key
        if key is not None:
            self.post_message(self.RowSelected(self, key, self._cursor))

    def on_click(self, event: events.Click) -> None:
        """A click moves the cursor; a click on the cursor's row selects it, like DataTable."""
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        index = int(self.scroll_y) + offset.y - 1
        if index >= len(self._rows):
            return
        if index == self._cursor:
            self.action_select_cursor()
        else:
            self._set_cursor(index)
