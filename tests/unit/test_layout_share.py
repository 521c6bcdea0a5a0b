"""The overview's panels share rows by need (console/views/layout.py)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from console.views.layout import share_rows


def test_all_fit_each_gets_its_need_and_models_the_rest() -> None:
    assert share_rows(30, [10, 8], [5, 4]) == [22, 8]


def test_short_of_rows_the_lack_is_shared() -> None:
    # 7 models need 10, 10 pods need 13: 18 rows -> floors 5 + 4, 9 left shared 5:9.
    rows = share_rows(18, [10, 13], [5, 4])
    assert sum(rows) == 18 and rows[0] < 10 and rows[1] < 13 and rows[1] > rows[0]


@settings(max_examples=50)
@given(st.integers(0, 200), st.lists(st.tuples(st.integers(0, 300), st.integers(1, 8)),
                                     min_size=1, max_size=4))
def test_rows_sum_to_what_is_there_and_no_panel_gets_less_than_its_floor(
        available: int, panels: list[tuple[int, int]]) -> None:
    needs, floors = [n for n, _ in panels], [f for _, f in panels]
    rows = share_rows(available, needs, floors)
    assert all(r >= f for r, f in zip(rows, floors, strict=True))
    if sum(floors) <= available:
        assert sum(rows) == available
        # Nobody gets more than it needs unless everybody has what they need.
        if sum(max(n, f) for n, f in panels) > available:
            assert all(r <= max(n, f) for r, (n, f) in zip(rows, panels, strict=True))
