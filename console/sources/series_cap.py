"""At most `max_series` models per refresh, the busiest, and a line saying how many there are.

A model name is whatever a gateway's client sent, so a gateway can carry 100,000 of them:
read in full that was about 1 GB and 9.5 s per refresh. Below the cap nothing changes
(the refresh's queries stay exactly as `build_queries` makes them). When one refresh finds
more models than the cap, or an answer is too large to read, the next refreshes ask
Prometheus itself for the busiest models only: every query of the plan is narrowed with
`and on (provider, model) topk(M, <request rate>)`, and the request-rate query carries one
extra series, `count(<request rate>)`, so "N series, showing the busiest M" stays true
without a query more. When the count drops to the cap, the plain queries come back.
No Textual here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

COUNT_LABEL = "agc_series_total"
"""Label of the one extra series of the narrowed request-rate query: the models' count."""

Rows = list[tuple[dict[str, str], float | None]]
Results = Mapping[str, Rows | None]
KeyOf = Callable[[Mapping[str, str]], tuple[str, ...]]


def narrowed(queries: Mapping[str, str], by: tuple[str, ...], limit: int,
             count: bool = True) -> dict[str, str]:
    """The plan's queries restricted to the `limit` busiest models by request rate."""
    rate = queries["request_rate"]
    top = f"topk({limit}, {rate})"
    on = f"on ({', '.join(by)})"
    out: dict[str, str] = {}
    for name, promql in queries.items():
        if name == "up":
            out[name] = promql
        elif name == "request_rate":
            out[name] = (f'{top} or label_replace(count({rate}), "{COUNT_LABEL}", "all", "", "")'
                         if count else top)
        else:
            out[name] = f"({promql}) and {on} {top}"
    return out


@dataclass(frozen=True, slots=True)
class Capped:
    """The answers to show, and how many models there were in all."""

    results: dict[str, Rows | None]
    total: int
    limit: int

    @property
    def note(self) -> str | None:
        """`5,000 series, showing the busiest 1,000` when the cap cut anything."""
        if self.total <= self.limit:
            return None
        return f"{self.total:,} series, showing the busiest {self.limit:,}"


def take_count(results: Results, limit: int) -> Capped:
    """Answers of the narrowed plan: the count series taken out of the request rates."""
    rates = results.get("request_rate") or []
    total = 0
    kept: Rows = []
    for labels, value in rates:
        if COUNT_LABEL in labels:
            total = int(value) if value is not None and math.isfinite(value) else 0
        else:
            kept.append((labels, value))
    out = dict(results)
    out["request_rate"] = kept if results.get("request_rate") is not None else None
    return Capped(out, max(total, len({tuple(sorted(r[0].items())) for r in kept})), limit)


def keep_busiest(results: Results, key_of: KeyOf, limit: int) -> Capped:
    """Answers of the plain plan cut to the `limit` busiest models (the refresh that first
    finds too many: the answers are here already, so it is cut on this side)."""
    rates = results.get("request_rate") or []
    keys = {key_of(labels) for labels, _ in rates}
    if len(keys) <= limit:
        return Capped(dict(results), len(keys), limit)
    ranked = sorted(rates, key=lambda r: -(r[1] if r[1] is not None else -math.inf))
    keep: set[tuple[str, ...]] = set()
    for labels, _ in ranked:
        if len(keep) >= limit:
            break
        keep.add(key_of(labels))
    out: dict[str, Rows | None] = {
        name: rows if rows is None or name == "up"
        else [r for r in rows if key_of(r[0]) in keep]
        for name, rows in results.items()
    }
    return Capped(out, len(keys), limit)
