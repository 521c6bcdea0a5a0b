"""Simulated gateway traffic kept as Prometheus-style cumulative counters.

Every figure the console shows is derived the way the Prometheus source derives
it: a rate is the increase of a counter over the window divided by the
window, a P95 is `histogram_quantile` over the increase of bucket counters. So
the demo exercises the same arithmetic (and the same None cases) as the real
thing, and a change of window really changes the figures.

Counters advance in steps of `STEP_S`; each step's increment is drawn when the
step begins and spread linearly across it, so a reading between two steps is
still smooth and depends only on the simulated time, not on when it was asked.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from console.demo.catalog import MODELS, SimulatedModel, price_for
from console.demo.histogram import (
    DURATION_BOUNDS_S,
    TTFT_BOUNDS_S,
    histogram_quantile,
    lognormal_fractions,
)
from console.demo.scenarios import Scenario
from console.model import ModelFigures, ModelKey

STEP_S = 5
"""Seconds per traffic step: about a scrape interval."""

RETENTION_S = 2 * 3600 + 300
"""Counter records kept: the longest window (1h) plus the longest trend span, with room."""

MAX_HISTORY_POINTS = 120


@dataclass(frozen=True, slots=True)
class ErrorKind:
    """One kind of failed request, as the gateway labels it (`type`, `code`)."""

    code: str
    type: str
    message: str
    ratio: float
    """Share of requests failing this way on an ordinary day (429 is per model instead)."""
    latency_median_s: float
    latency_sigma: float


ERROR_KINDS: tuple[ErrorKind, ...] = (
    ErrorKind("401", "invalid_request_error", "invalid api key", 0.0008, 0.02, 0.4),
    ErrorKind("429", "rate_limit_error", "rate limit exceeded", 0.0, 0.05, 0.5),
    ErrorKind("503", "upstream_error", "upstream unavailable", 0.002, 0.6, 0.5),
    ErrorKind("400", "invalid_request_error", "model not found", 0.0006, 0.015, 0.4),
)
RATE_LIMIT_INDEX = 1
UPSTREAM_ERROR_INDEX = 2

# Layout of one model's counters inside a record.
REQ = 0
IN_TOK = 1
OUT_TOK = 2
ERR = 3
DUR = ERR + len(ERROR_KINDS)
TTFT = DUR + len(DURATION_BOUNDS_S) + 1
WIDTH = TTFT + len(TTFT_BOUNDS_S) + 1

TTFT_SIGMA = 0.45

_ERROR_FRACTIONS: tuple[list[float], ...] = tuple(
    lognormal_fractions(k.latency_median_s, k.latency_sigma, DURATION_BOUNDS_S)
    for k in ERROR_KINDS
)


def daily_factor(t: float) -> float:
    """Traffic follows the working day (UTC): lowest around 02:00, highest around 14:00."""
    hours = (t % 86400.0) / 3600.0
    return 1.0 + 0.25 * math.sin(2.0 * math.pi * (hours - 8.0) / 24.0)


@dataclass(frozen=True, slots=True)
class ModelConditions:
    """What one model's traffic looks like right now: the logs sample their lines from it."""

    model: SimulatedModel
    rate: float
    error_ratios: tuple[float, ...]
    """Per entry of ERROR_KINDS."""
    latency_median_s: float
    ttft_median_s: float


class Traffic:
    """Cumulative counters per model, advanced one step at a time by the Simulation."""

    def __init__(self, rng: random.Random, scenario: Scenario, prices: Mapping[str, float]) -> None:
        self._rng = rng
        self._scenario = scenario
        self.models: tuple[SimulatedModel, ...] = tuple(
            sorted(MODELS, key=lambda m: (m.provider, m.model))
        )
        self._prices = {m.model: price_for(m.model, prices) for m in self.models}
        self._noise = [0.0] * len(self.models)
        self._times: list[int] = []
        self._records: list[list[float]] = []
        self._increment = [0.0] * (WIDTH * len(self.models))
        self.conditions: tuple[ModelConditions, ...] = ()
        self.total_rate = 0.0
        """Requests per second planned for the step in progress, over all models."""
        self.routes: dict[str, str] = {}
        """Provider -> the provider that serves its models now (the ConfigMap's `route_to`,
        taken up by a restart): an outage of the first no longer reaches them."""

    # ------------------------------------------------------------- stepping
    def idle_step(self, t: int) -> None:
        """A step in which nothing was counted (the simulation skipped a long gap)."""
        self._close_step(t)
        self._increment = [0.0] * len(self._increment)
        self.total_rate = 0.0

    def step(self, t: int, ready_pods: int, elapsed_s: float) -> None:
        """Close the step that ends at t and draw the increment of the one that begins.

        With no ready pod nothing reaches the gateway's processes, so its own
        counters stand still, as a real gateway's would.
        """
        self._close_step(t)
        rng = self._rng
        scenario = self._scenario
        load = scenario.load_multiplier(elapsed_s) * daily_factor(t)
        increment: list[float] = []
        conditions: list[ModelConditions] = []
        total = 0.0
        for i, m in enumerate(self.models):
            self._noise[i] = 0.85 * self._noise[i] + rng.gauss(0.0, 0.05)
            rate = m.base_rate * load * math.exp(self._noise[i]) if ready_pods > 0 else 0.0
            ratios = [k.ratio for k in ERROR_KINDS]
            ratios[RATE_LIMIT_INDEX] = m.rate_limit_ratio
            served_by = self.routes.get(m.provider, m.provider)
            ratios[UPSTREAM_ERROR_INDEX] += scenario.upstream_error_ratio(served_by, elapsed_s)
            # The slowdown is upstream, at the model's own provider: routed elsewhere,
            # the model is served at that provider's usual speed.
            upstream = (scenario.latency_multiplier(m.model, elapsed_s)
                        if served_by == m.provider else 1.0)
            slowdown = upstream * math.exp(rng.gauss(0.0, 0.04))
            median = m.latency_median_s * slowdown
            ttft_median = m.ttft_median_s * slowdown
            conditions.append(ModelConditions(m, rate, tuple(ratios), median, ttft_median))
            total += rate
            increment.extend(self._draw(m, rate, ratios, median, ttft_median))
        self._increment = increment
        self.conditions = tuple(conditions)
        self.total_rate = total

    def _draw(
        self,
        m: SimulatedModel,
        rate: float,
        ratios: Sequence[float],
        median_s: float,
        ttft_median_s: float,
    ) -> list[float]:
        rng = self._rng
        row = [0.0] * WIDTH
        mean = rate * STEP_S
        if mean <= 0.0:
            return row
        n = max(0, round(rng.gauss(mean, math.sqrt(mean))))
        left = n
        for k, ratio in enumerate(ratios):
            expected = n * ratio
            drawn = round(rng.gauss(expected, math.sqrt(max(expected * (1.0 - ratio), 0.0))))
            errors = min(left, max(0, drawn))
            left -= errors
            row[ERR + k] = float(errors)
            if errors:
                row[DUR:TTFT] = [
                    c + errors * s
                    for c, s in zip(row[DUR:TTFT], _ERROR_FRACTIONS[k], strict=True)
                ]
        ok = left
        row[REQ] = float(n)
        if ok:
            shares = lognormal_fractions(median_s, m.latency_sigma, DURATION_BOUNDS_S)
            row[DUR:TTFT] = [c + ok * s for c, s in zip(row[DUR:TTFT], shares, strict=True)]
            shares = lognormal_fractions(ttft_median_s, TTFT_SIGMA, TTFT_BOUNDS_S)
            row[TTFT:WIDTH] = [ok * s for s in shares]
            row[IN_TOK] = ok * m.input_tokens * math.exp(rng.gauss(0.0, 0.08))
            row[OUT_TOK] = ok * m.output_tokens * math.exp(rng.gauss(0.0, 0.08))
        return row

    def _close_step(self, t: int) -> None:
        if self._records:
            last = self._records[-1]
            self._records.append([a + b for a, b in zip(last, self._increment, strict=True)])
        else:
            self._records.append([0.0] * len(self._increment))
        self._times.append(t)
        keep = RETENTION_S // STEP_S + 2
        if len(self._records) > 2 * keep:
            del self._records[:-keep]
            del self._times[:-keep]

    # -------------------------------------------------------------- reading
    @property
    def first_time(self) -> int | None:
        return self._times[0] if self._times else None

    def counters_at(self, t: float) -> list[float]:
        """All counters at simulated time t, interpolated inside a step."""
        times = self._times
        if not times:
            return [0.0] * len(self._increment)
        first, last = times[0], times[-1]
        if t >= last:
            frac = min(1.0, (t - last) / STEP_S)
            return [a + frac * b for a, b in zip(self._records[-1], self._increment, strict=True)]
        if t <= first:
            return list(self._records[0])
        i = int((t - first) // STEP_S)
        frac = (t - times[i]) / STEP_S
        lo, hi = self._records[i], self._records[i + 1]
        return [a + frac * (b - a) for a, b in zip(lo, hi, strict=True)]

    def delta(self, end: float, window_s: float) -> tuple[list[float], float]:
        """Increase of every counter over (end - window, end], and the seconds it covers.

        A window reaching before the first record is cut to what exists, as
        `rate()` does with a series younger than its range.
        """
        first = self.first_time
        if first is None:
            return [0.0] * len(self._increment), 0.0
        start = max(float(first), end - window_s)
        if end <= start:
            return [0.0] * len(self._increment), 0.0
        a, b = self.counters_at(start), self.counters_at(end)
        return [y - x for x, y in zip(a, b, strict=True)], end - start

    def row(self, counters: Sequence[float], index: int) -> Sequence[float]:
        return counters[index * WIDTH:(index + 1) * WIDTH]

    def figures(self, now: float, window_s: float) -> tuple[ModelFigures, ...]:
        delta, seconds = self.delta(now, window_s)
        return tuple(
            self._figures(m, self.row(delta, i), seconds) for i, m in enumerate(self.models)
        )

    def _figures(self, m: SimulatedModel, d: Sequence[float], seconds: float) -> ModelFigures:
        if seconds <= 0.0:
            return ModelFigures(m.provider, m.model, None, None, None)
        requests = d[REQ]
        errors = [d[ERR + k] for k in range(len(ERROR_KINDS))]
        by_type: dict[str, float] = {}
        by_code: dict[str, float] = {}
        for kind, count in zip(ERROR_KINDS, errors, strict=True):
            if count > 0.0:
                by_type[kind.type] = by_type.get(kind.type, 0.0) + count / seconds
                by_code[kind.code] = by_code.get(kind.code, 0.0) + count / seconds
        durations = d[DUR:TTFT]
        ttfts = d[TTFT:WIDTH]
        output_rate = d[OUT_TOK] / seconds
        price = self._prices[m.model]
        return ModelFigures(
            provider=m.provider,
            model=m.model,
            request_rate=requests / seconds,
            error_ratio=math.fsum(errors) / requests if requests > 0.0 else None,
            p95_latency_s=histogram_quantile(0.95, DURATION_BOUNDS_S, durations),
            ttft_p95_s=histogram_quantile(0.95, TTFT_BOUNDS_S, ttfts),
            output_tokens_per_s=output_rate,
            cost_per_hour_usd=None if price is None else output_rate * 3600.0 * price / 1e6,
            p50_latency_s=histogram_quantile(0.50, DURATION_BOUNDS_S, durations),
            p99_latency_s=histogram_quantile(0.99, DURATION_BOUNDS_S, durations),
            errors_by_type=by_type,
            errors_by_code=by_code,
            input_tokens_per_s=d[IN_TOK] / seconds,
        )

    def p95(self, delta: Sequence[float], index: int) -> float | None:
        d = self.row(delta, index)
        return histogram_quantile(0.95, DURATION_BOUNDS_S, d[DUR:TTFT])

    def error_ratio_total(self, delta: Sequence[float]) -> float | None:
        """sum(rate(errors)) / sum(rate(requests)), the HighErrorRate expression."""
        requests = 0.0
        errors = 0.0
        for i in range(len(self.models)):
            d = self.row(delta, i)
            requests += d[REQ]
            errors += math.fsum(d[ERR:DUR])
        return errors / requests if requests > 0.0 else None

    def history(
        self, now: float, window_s: float, span_s: float, step_s: float
    ) -> dict[str, dict[ModelKey, tuple[float, ...]]]:
        """Rate and P95 per model at evenly spaced past instants, oldest first.

        Instants before the first record are left out rather than reported as
        zero traffic; an unknown P95 is NaN, which sparklines draw as a gap.
        """
        first = self.first_time
        rates: dict[ModelKey, list[float]] = {m.key: [] for m in self.models}
        p95s: dict[ModelKey, list[float]] = {m.key: [] for m in self.models}
        if first is not None and step_s > 0.0 and span_s > 0.0:
            points = max(1, min(MAX_HISTORY_POINTS, int(span_s // step_s)))
            for j in range(points):
                t = now - (points - 1 - j) * step_s
                if t <= first:
                    continue
                delta, seconds = self.delta(t, window_s)
                for i, m in enumerate(self.models):
                    d = self.row(delta, i)
                    rates[m.key].append(d[REQ] / seconds)
                    q = histogram_quantile(0.95, DURATION_BOUNDS_S, d[DUR:TTFT])
                    p95s[m.key].append(math.nan if q is None else q)
        return {
            "request_rate": {k: tuple(v) for k, v in rates.items()},
            "p95_latency_s": {k: tuple(v) for k, v in p95s.items()},
        }

    def model_history(
        self, now: float, key: ModelKey, window_s: float, span_s: float, step_s: float
    ) -> tuple[float, float, dict[str, tuple[float, ...]]]:
        """One model's drill-down trends on a grid: (start, step, figure -> values).

        Each instant is read like the refresh reads `now` (increase over the
        window), so the last point equals the overview's figure. Instants before
        the first record, and quantiles of an empty histogram, are NaN gaps.
        """
        index = next((i for i, m in enumerate(self.models) if m.key == key), None)
        step = max(step_s, span_s / MAX_HISTORY_POINTS, 1e-3)
        points = round(span_s / step) + 1
        start = now - (points - 1) * step
        if index is None:
            return start, step, {}
        names = ("request_rate", "error_ratio", "p50_latency_s", "p95_latency_s",
                 "p99_latency_s", "ttft_p95_s")
        out: dict[str, list[float]] = {n: [] for n in names}
        first = self.first_time
        for j in range(points):
            t = start + j * step
            if first is None or t <= first:
                for values in out.values():
                    values.append(math.nan)
                continue
            delta, seconds = self.delta(t, window_s)
            d = self.row(delta, index)
            requests = d[REQ]
            out["request_rate"].append(requests / seconds)
            errors = math.fsum(d[ERR:DUR])
            out["error_ratio"].append(errors / requests if requests > 0.0 else math.nan)
            for q, name in ((0.5, "p50_latency_s"), (0.95, "p95_latency_s"),
                            (0.99, "p99_latency_s")):
                v = histogram_quantile(q, DURATION_BOUNDS_S, d[DUR:TTFT])
                out[name].append(math.nan if v is None else v)
            v = histogram_quantile(0.95, TTFT_BOUNDS_S, d[TTFT:WIDTH])
            out["ttft_p95_s"].append(math.nan if v is None else v)
        return start, step, {n: tuple(v) for n, v in out.items()}
