"""Column specs for KeyedTable, kept free of Textual so views can name columns."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

Cell = str | Text


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int | None = None
