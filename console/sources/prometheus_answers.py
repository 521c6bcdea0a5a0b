"""The Prometheus API's JSON turned into the console's figures: pure functions, no I/O.

Parsing is strict about the shape (a wrong answer is a SourceError, never an empty
table) and lenient about values: NaN, ±Inf and garbage become unknown (None), never a
made-up number. Labels are cleaned where they enter, since a model name is whatever a
client sent. Tested on recorded responses (tests/recorded/prometheus).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from console.config.profiles import Profile
from console.model import ModelFigures, ModelKey, ScrapeTarget
from console.sources.base import SourceError
from console.sources.promql import QUANTILE_LABEL, UNLABELLED
from console.text.safe_text import clean_map

Labels = Mapping[str, str]
Samples = list[tuple[dict[str, str], float | None]]
"""(labels, value) per series of one instant query."""

def to_float(raw: Any) -> float | None:
    """A sample value; NaN, ±Inf and garbage are unknown (None), never a made-up number."""
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _data(payload: Any, kinds: tuple[str, ...]) -> list[Any]:
    if not isinstance(payload, Mapping) or "status" not in payload:
        raise SourceError("malformed answer from Prometheus: no status field")
    if payload["status"] != "success":
        kind = payload.get("errorType") or "error"
        raise SourceError(f"Prometheus {kind}: {payload.get('error') or 'no details'}")
    data = payload.get("data")
    if not isinstance(data, Mapping) or data.get("resultType") not in kinds:
        raise SourceError(f"unexpected answer from Prometheus: expected a {' or '.join(kinds)}")
    result = data.get("result")
    if not isinstance(result, list):
        raise SourceError("malformed answer from Prometheus: result is not a list")
    return result


def _labels(item: Mapping[str, Any]) -> dict[str, str]:
    """A series' labels, cleaned (text/safe_text.py): a model name is whatever a client sent."""
    metric = item.get("metric")
    return clean_map(metric) if isinstance(metric, Mapping) else {}


def parse_vector(payload: Any) -> Samples:
    """(labels, value) per series of an instant-query answer; SourceError if it is not one."""
    out: Samples = []
    for item in _data(payload, ("vector",)):
        if not isinstance(item, Mapping):
            continue
        value = item.get("value")
        raw = value[1] if isinstance(value, list) and len(value) == 2 else None
        out.append((_labels(item), to_float(raw)))
    return out


def parse_matrix(payload: Any) -> list[tuple[dict[str, str], tuple[float, ...]]]:
    """(labels, finite values oldest first) per series of a range-query answer."""
    out: list[tuple[dict[str, str], tuple[float, ...]]] = []
    for item in _data(payload, ("matrix",)):
        if not isinstance(item, Mapping) or not isinstance(item.get("values"), list):
            continue
        values = tuple(
            v
            for point in item["values"]
            if isinstance(point, list) and len(point) == 2
            for v in (to_float(point[1]),)
            if v is not None
        )
        out.append((_labels(item), values))
    return out


def model_key(labels: Labels, profile: Profile) -> ModelKey:
    return (
        labels.get(profile.provider_label) or UNLABELLED,
        labels.get(profile.model_label) or UNLABELLED,
    )


def per_model(
    samples: Iterable[tuple[Labels, float | None]], profile: Profile
) -> dict[ModelKey, float | None]:
    """Value per (provider, model). `sum by` makes keys unique; if a broken upstream sends two
    series for one key anyway, which one is right cannot be known, so the value is None."""
    out: dict[ModelKey, float | None] = {}
    for labels, value in samples:
        key = model_key(labels, profile)
        out[key] = None if key in out else value
    return out


def per_model_by(
    samples: Iterable[tuple[Labels, float | None]], profile: Profile, label: str
) -> dict[ModelKey, dict[str, float | None]]:
    """Value per (provider, model) and value of `label`; duplicates are None as in per_model."""
    out: dict[ModelKey, dict[str, float | None]] = {}
    for labels, value in samples:
        inner = out.setdefault(model_key(labels, profile), {})
        name = labels.get(label, "")
        inner[name] = None if name in inner else value
    return out


def _scaled(value: float | None, unit_s: float) -> float | None:
    return None if value is None else value * unit_s


def assemble_models(
    results: Mapping[str, Samples | None],
    profile: Profile,
    prices: Mapping[str, float],
) -> tuple[ModelFigures, ...]:
    """ModelFigures per model from the parsed answer of each query (None: query failed).

    A model present in no answer of a figure gets None for it; a figure whose
    metric does not exist at all is therefore None for every model, never 0.
    """

    def get(name: str) -> Samples:
        return results.get(name) or []

    rates = per_model(get("request_rate"), profile)
    ratios = per_model(get("error_ratio"), profile)
    latency = per_model_by(get("latency"), profile, QUANTILE_LABEL)
    ttft = per_model(get("ttft_p95"), profile)
    tokens_in: dict[ModelKey, float | None] = {}
    tokens_out: dict[ModelKey, float | None] = {}
    if profile.token_direction_label:
        for key, by_dir in per_model_by(get("tokens"), profile,
                                        profile.token_direction_label).items():
            if profile.output_token_value in by_dir:
                tokens_out[key] = by_dir[profile.output_token_value]
            if profile.input_token_value in by_dir:
                tokens_in[key] = by_dir[profile.input_token_value]
    else:
        tokens_out = per_model(get("tokens"), profile)
    if profile.input_tokens:
        tokens_in = per_model(get("input_tokens"), profile)
    spend = per_model(get("spend"), profile)
    unrecorded = profile.not_recorded_notes()
    by_type = per_model_by(get("errors_by_type"), profile, profile.error_type_label)
    by_code = per_model_by(get("errors_by_code"), profile, profile.code_label)

    keys = set(rates) | set(ratios) | set(latency) | set(ttft) | set(tokens_out)
    unit = profile.duration_unit_s
    models = []
    for key in sorted(keys):
        provider, model = key
        quantiles = latency.get(key, {})
        out_tps = tokens_out.get(key)
        cost = spend[key] if key in spend else _priced(out_tps, prices.get(model))
        models.append(
            ModelFigures(
                provider=provider,
                model=model,
                request_rate=rates.get(key),
                error_ratio=ratios.get(key),
                p95_latency_s=_scaled(quantiles.get("0.95"), unit),
                ttft_p95_s=_scaled(ttft.get(key), unit),
                output_tokens_per_s=out_tps,
                cost_per_hour_usd=cost,
                p50_latency_s=_scaled(quantiles.get("0.5"), unit),
                p99_latency_s=_scaled(quantiles.get("0.99"), unit),
                errors_by_type=_finite(by_type.get(key, {})),
                errors_by_code=_finite(by_code.get(key, {})),
                input_tokens_per_s=tokens_in.get(key),
                not_recorded=unrecorded,
            )
        )
    return tuple(models)


def _priced(tokens_per_s: float | None, price: float | None) -> float | None:
    """Cost per hour from the price table: the fallback when the gateway exports no spend."""
    return None if tokens_per_s is None or price is None else tokens_per_s * 3600 * price / 1e6


def _finite(values: Mapping[str, float | None]) -> dict[str, float]:
    return {k: v for k, v in sorted(values.items()) if k and v is not None}


def assemble_targets(samples: Iterable[tuple[Labels, float | None]]) -> tuple[ScrapeTarget, ...]:
    targets = {
        labels.get("instance") or UNLABELLED: value == 1.0 for labels, value in samples
    }
    return tuple(ScrapeTarget(instance=i, up=u) for i, u in sorted(targets.items()))


def grid_values(
    payload: Any, start: float, step: float, points: int, unit: float = 1.0
) -> tuple[float, ...]:
    """A range answer of (at most) one series as values on the query's grid, NaN where absent.

    Keeping the gaps (instead of dropping them as the sparklines do) lets the
    charts of one model line up instant by instant.
    """
    out = [math.nan] * points
    for item in _data(payload, ("matrix",)):
        if not isinstance(item, Mapping) or not isinstance(item.get("values"), list):
            continue
        for point in item["values"]:
            if not isinstance(point, list) or len(point) != 2:
                continue
            at, value = to_float(point[0]), to_float(point[1])
            if at is None or value is None:
                continue
            index = round((at - start) / step)
            if 0 <= index < points:
                out[index] = value * unit
    return tuple(out)
