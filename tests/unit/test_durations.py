"""Durations and sizes as people type them, and the exact forms --print-config writes back."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.config.settings import WINDOWS
from console.text.durations import format_age, format_duration, parse_duration
from console.text.sizes import format_size, parse_size


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("2s", 2.0), ("5m", 300.0), ("1h30m", 5400.0), ("1.5h", 5400.0), ("250ms", 0.25),
     (" 5M ", 300.0), ("1d", 86400.0), ("1m30s", 90.0)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "empty duration"), ("   ", "empty duration"), ("5", "'5' has no unit (write e.g. 5s"),
     ("m", "is not a duration"), ("5x", "is not a duration"),
     ("-5m", "'-5m' is negative: a duration must be longer than zero"),
     ("-1s", "is negative"), ("--1s", "is not a duration"), ("-", "is not a duration"),
     ("5m5", "is not a duration"), ("5 m", "is not a duration"), ("five", "is not a duration"),
     ("0s", "longer than zero"), ("0m0s", "longer than zero"), ("0", "longer than zero"),
     ("0.0", "longer than zero"), ("1" * 400 + "s", "is too long to be a duration"),
     ("inf", "is not a duration"), ("nan", "is not a duration"), ("1e3s", "is not a duration"),
     # Unicode digits are digits to \d and to float(): not to a duration.
     ("\u0665s", "is not a duration"), ("\uff15m", "is not a duration"),
     ("5\x1b[2Jm", "'5\\x1b[2Jm' is not a duration")],
)
def test_parse_duration_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(300.0, "5m"), (90.0, "90s"), (3600.0, "1h"), (86400.0, "1d"), (5400.0, "90m"),
     (0.25, "250ms"), (2.0, "2s"), (1.5, "1500ms")],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize("window", WINDOWS)
def test_windows_round_trip(window: str) -> None:
    assert format_duration(parse_duration(window)) == window


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "—"), (math.nan, "—"), (math.inf, "—"), (-5.0, "0s"), (42.9, "42s"),
     (119.0, "119s"), (120.0, "2m"), (7199.0, "119m"), (7200.0, "2h"), (172799.0, "47h"),
     (172800.0, "2d")],
)
def test_format_age(seconds: float | None, text: str) -> None:
    assert format_age(seconds) == text


def test_a_long_bad_duration_is_quoted_short() -> None:
    with pytest.raises(ValueError) as caught:
        parse_duration("x" * 10_000)
    assert len(str(caught.value)) < 120


@given(st.text(max_size=30))
def test_parse_duration_returns_finite_positive_or_raises_value_error(text: str) -> None:
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        assert "\n" not in str(exc)
    else:
        assert math.isfinite(seconds) and seconds > 0


@given(st.integers(min_value=1, max_value=10**9))
def test_format_duration_of_whole_seconds_reads_back(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


@pytest.mark.parametrize(
    ("text", "size"),
    [("20MB", 20 * 1024**2), ("20mb", 20 * 1024**2), ("512KiB", 512 * 1024), ("512k", 512 * 1024),
     ("1048576", 1048576), ("1.5GB", 1536 * 1024**2), (" 2 MB ", 2 * 1024**2), ("100B", 100)],
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(
    ("text", "message"),
    [("1e400MB", "is not a size"), ("9" * 400 + "GB", "is too large"), ("2TB", "is not a size"),
     ("-5MB", "is not a size"), ("nan", "is not a size"), ("inf", "is not a size"),
     ("", "is not a size"), ("MB", "is not a size"), ("2048GB", "is too large (at most 1TB)")],
)
def test_parse_size_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_size(text)


@pytest.mark.parametrize(
    ("size", "text"),
    [(20 * 1024**2, "20MB"), (512 * 1024, "512KB"), (3 * 1024**3, "3GB"), (1000, "1000B"),
     (64 * 1024 + 1, "65537B")],
)
def test_format_size(size: int, text: str) -> None:
    assert format_size(size) == text


@given(st.integers(min_value=1, max_value=1024**4))
def test_format_size_reads_back(size: int) -> None:
    assert parse_size(format_size(size)) == size
