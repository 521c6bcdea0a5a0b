"""`H`: the HPA's bounds as typed (`MIN MAX`), and what the prompt and dialog warn about.

A pinned HPA is fixed by raising its max, not by a manual scale it would undo; the
prompt is prefilled with the current bounds so the fix is one edit away.
"""

from __future__ import annotations

from console.model import HpaState

MAX_BOUND = 1000


def _count(text: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise ValueError("two whole numbers, MIN MAX (for example 3 20)")
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(MAX_BOUND)) or int(digits) > MAX_BOUND:
        raise ValueError(f"more than {MAX_BOUND} replicas is surely a typo")
    return int(digits)


def parse_bounds(text: str) -> tuple[int, int]:
    """`MIN MAX`, ASCII digits, 1 <= MIN <= MAX <= 1000; ValueError says what is wrong."""
    parts = text.split()
    if len(parts) != 2:
        raise ValueError("two whole numbers, MIN MAX (for example 3 20)")
    low, high = _count(parts[0]), _count(parts[1])
    if low < 1:
        raise ValueError("min must be at least 1")
    if low > high:
        raise ValueError(f"min {low} is above max {high}")
    return low, high


def prefill(hpa: HpaState | None) -> str:
    """The current `MIN MAX`; when the HPA is pinned at its max, that max doubled (the
    hint says so), so that the fix is `enter` away and any other value one edit."""
    if hpa is None:
        return ""
    high = hpa.max_replicas
    if hpa.pinned_at_max:
        high = min(MAX_BOUND, max(high * 2, high + 1))
    return f"{hpa.min_replicas} {high}"


def hint(hpa: HpaState | None) -> str:
    if hpa is None:
        return "The HPA's state is not known yet."
    pinned = (" It is pinned at its max: the max is prefilled doubled."
              if hpa.pinned_at_max else "")
    return (f"Now min {hpa.min_replicas}, max {hpa.max_replicas}, "
            f"{hpa.current_replicas} replicas running, {hpa.desired_replicas} desired.{pinned}")


def warning(hpa: HpaState | None, bounds: tuple[int, int]) -> str | None:
    """Said in the dialog when the new max is below what runs now: the HPA scales down."""
    if hpa is not None and bounds[1] < hpa.current_replicas:
        return (f"max {bounds[1]} is below the {hpa.current_replicas} replicas running now: "
                "the HPA will scale the gateway down")
    return None
