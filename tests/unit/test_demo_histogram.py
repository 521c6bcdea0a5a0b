"""Quantiles from the demo's histograms follow Prometheus' histogram_quantile."""

from __future__ import annotations

import math

import pytest

from console.demo.histogram import DURATION_BOUNDS_S, histogram_quantile, lognormal_fractions


def test_fractions_cover_the_whole_population() -> None:
    shares = lognormal_fractions(0.8, 0.3, DURATION_BOUNDS_S)
    assert len(shares) == len(DURATION_BOUNDS_S) + 1
    assert math.fsum(shares) == pytest.approx(1.0)
    assert all(s >= 0 for s in shares)


@pytest.mark.parametrize("median", [0.3, 0.8, 1.5, 3.0])
def test_quantiles_land_near_the_true_ones(median: float) -> None:
    sigma = 0.35
    counts = [1000 * s for s in lognormal_fractions(median, sigma, DURATION_BOUNDS_S)]
    p50 = histogram_quantile(0.5, DURATION_BOUNDS_S, counts)
    p95 = histogram_quantile(0.95, DURATION_BOUNDS_S, counts)
    assert p50 is not None and p95 is not None
    true_p95 = median * math.exp(1.645 * sigma)
    # Linear interpolation inside a bucket: right bucket, not the exact value.
    assert p50 == pytest.approx(median, rel=0.2)
    assert p95 == pytest.approx(true_p95, rel=0.2)


def test_interpolation_inside_a_bucket() -> None:
    bounds = (1.0, 2.0)
    assert histogram_quantile(0.5, bounds, [0.0, 10.0, 0.0]) == pytest.approx(1.5)
    assert histogram_quantile(0.25, bounds, [10.0, 0.0, 0.0]) == pytest.approx(0.25)


def test_empty_is_unknown_and_inf_reads_as_the_top_bound() -> None:
    assert histogram_quantile(0.95, DURATION_BOUNDS_S, [0.0] * 18) is None
    counts = [0.0] * 17 + [5.0]
    assert histogram_quantile(0.95, DURATION_BOUNDS_S, counts) == DURATION_BOUNDS_S[-1]
