"""Histogram buckets and quantiles computed the way Prometheus computes them.

The demo fills bucket counters and reads quantiles back with the same linear
interpolation as `histogram_quantile`, so its P50/P95/P99 carry the same
bucket-edge artefacts as a real dashboard instead of being exact constants.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

DURATION_BOUNDS_S: tuple[float, ...] = (
    0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 7.5, 10.0, 15.0, 30.0, 60.0,
)
"""Upper bounds (`le`) of the request duration histogram; a +Inf bucket follows."""

TTFT_BOUNDS_S: tuple[float, ...] = (
    0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0,
)
"""Upper bounds of the time-to-first-token histogram; a +Inf bucket follows."""

_SQRT2 = math.sqrt(2.0)


def lognormal_fractions(median_s: float, sigma: float, bounds: Sequence[float]) -> list[float]:
    """Share of a log-normal population in each bucket, +Inf bucket last.

    Expected shares rather than sampled durations keep a step O(buckets) however
    many requests it stands for.
    """
    log_median = math.log(median_s)
    scale = 1.0 / (sigma * _SQRT2)
    erf = math.erf
    cdfs = [0.5 * (1.0 + erf((lb - log_median) * scale)) for lb in _log_bounds(bounds)]
    out = [cdfs[0]]
    out.extend(b - a for a, b in pairwise(cdfs))
    out.append(1.0 - cdfs[-1])
    return out


_LOG_BOUNDS: dict[tuple[float, ...], tuple[float, ...]] = {}


def _log_bounds(bounds: Sequence[float]) -> tuple[float, ...]:
    key = tuple(bounds)
    cached = _LOG_BOUNDS.get(key)
    if cached is None:
        cached = _LOG_BOUNDS[key] = tuple(math.log(b) for b in key)
    return cached


def histogram_quantile(q: float, bounds: Sequence[float], counts: Sequence[float]) -> float | None:
    """Prometheus' `histogram_quantile` over per-bucket counts (not cumulative), +Inf last.

    None when the histogram is empty: an unknown latency, not a zero one.
    """
    total = math.fsum(counts)
    if total <= 0.0:
        return None
    rank = q * total
    cumulative = 0.0
    for i, count in enumerate(counts):
        below = cumulative
        cumulative += count
        if cumulative >= rank and count > 0.0:
            if i == len(bounds):
                # Like Prometheus: a quantile in the +Inf bucket reads as the highest bound.
                return bounds[-1]
            lower = bounds[i - 1] if i > 0 else 0.0
            upper = bounds[i]
            return lower + (upper - lower) * (rank - below) / count
    return bounds[-1]
