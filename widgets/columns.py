"""Column specs and cells for KeyedTable, kept free of Textual so views can name columns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from rich.text import Text


class Styled(NamedTuple):
    """A cell of one style, named as Rich parses it ("bold red").

    Most cells are: a figure in its level's colour, a sparkline. A refresh of
    the overview built a hundred `Text`s and compared each with the last
    (tests/perf); this is a tuple, made and compared at C speed. `Text` stays
    for cells of several styles.
    """

    plain: str
    style: str = ""

    def as_text(self) -> Text:
        return Text(self.plain, style=self.style)


Cell = str | Text | Styled


def plain(cell: Cell) -> str:
    """A cell's text without its styling."""
    return cell if isinstance(cell, str) else cell.plain


@dataclass(frozen=True, slots=True)
class Column:
    """`width` fixes the column's width; without it the column fits its longest cell, up to
    `max_width` (a longer cell is cut with "…"): one 10,000-character label must not push
    every figure off-screen. `min_width`: when the table has less room than its columns
    want, this column gives up cells down to it (cut with "…") before any column without
    one is cut at the table's edge, so a long status never hides the node beside it."""

    key: str
    label: str
    width: int | None = None
    max_width: int = 120
    min_width: int | None = None
