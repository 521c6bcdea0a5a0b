"""How the overview's stacked panels share the terminal's rows: by need.

A fixed split (Models 1fr, the pods at most 14 rows) left 16 blank rows in Models at
120x40 while ten pods scrolled. Here each panel asks for the rows its content needs;
when all fit, each gets its need and the first panel (Models) the rest; when they do
not, each gets its floor and the rows left are shared in proportion to what each
still lacks. Pure arithmetic, no Textual.
"""

from __future__ import annotations

from collections.abc import Sequence


def share_rows(available: int, needs: Sequence[int], floors: Sequence[int]) -> list[int]:
    """Rows per panel, summing to `available` whenever the floors fit in it."""
    needs = [max(n, f) for n, f in zip(needs, floors, strict=True)]
    if sum(needs) <= available:
        rows = list(needs)
        rows[0] += available - sum(needs)
        return rows
    rows = list(floors)
    left = available - sum(floors)
    if left <= 0:
        return rows
    lacking = [n - f for n, f in zip(needs, floors, strict=True)]
    total = sum(lacking)
    given = [left * lack // total for lack in lacking]
    # What integer division left over goes to the panels lacking most.
    for i in sorted(range(len(rows)), key=lambda i: -(lacking[i] - given[i]))[:left - sum(given)]:
        given[i] += 1
    return [r + g for r, g in zip(rows, given, strict=True)]
