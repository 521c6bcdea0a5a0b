"""Silence matchers (issue 16): what the editor shows is what is sent, and it matches the
alert's raw label value and nothing else. Alertmanager's own RE2 is held to the same
patterns in tests/integration/test_silence_matchers_stack.py."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from console.actions.runner import ActionRequest
from console.config.settings import TargetSettings
from console.demo.alerts import Silence
from console.model import Alert
from console.sources.alertmanager import merge, parse_prometheus_alerts
from console.sources.matchers import (
    RAW_LIMIT,
    Matcher,
    exact,
    for_alert,
    parse,
    parse_line,
    python_pattern,
)
from console.text.safe_text import clean_line, is_clean

HOSTILE = st.sampled_from(list("\x1b\x07\x00\x7f\x9b\x9d\u202e\u2066\u200b\ufeff\n\r\t "
                               "[]@=!~.*+?()|{}^$\\\"'#é中\U000e0041\u00a0\u2028\ud800"))
VALUES = st.one_of(
    st.text(max_size=40),
    st.text(HOSTILE, max_size=40),
    st.builds(lambda a, b, n: a + "L" * n + b, st.text(HOSTILE, max_size=4),
              st.text(HOSTILE, max_size=4), st.integers(990, 1200)),
)


@settings(max_examples=60, deadline=None)
@given(VALUES, st.lists(VALUES, max_size=5))
@example("HX04\x1b[2J\x1b[H", ["HX04␛[2J␛[H", "HX04\x1b[2J\x1b[", "hx04\x1b[2J\x1b[H"])
@example("[@click=app.quit]x[/]", ["[@click=app.quit]x[/]x", ""])
@example("x" * 5000, ["x" * 999 + "…", "x" * 4999])
def test_the_line_shown_is_the_matcher_sent_and_matches_only_the_raw_value(
        raw: str, others: list[str]) -> None:
    matcher = exact("model", raw)
    line = matcher.text
    assert line.isprintable() and is_clean(line), line  # nothing a terminal would obey
    assert parse_line(line) == matcher  # the line shown reads back as the matcher sent
    body = matcher.body()
    assert (body["name"], body["value"], body["isRegex"]) == ("model", matcher.value,
                                                               matcher.regex)
    assert line == f"model{'=~' if matcher.regex else '='}{body['value']}"
    if matcher.regex:
        assert re.fullmatch(python_pattern(matcher.value), raw) is not None
    else:
        assert matcher.value == raw and clean_line(raw) in (raw, raw[:999] + "…")
    assert matcher.matches({"model": raw})
    for other in [*others, clean_line(raw), raw + "x", raw[:-1]]:
        assert matcher.matches({"model": other}) == (other == raw), (raw, other)


def test_a_clean_value_stays_an_equality_and_a_control_becomes_an_escape() -> None:
    assert exact("model", "gpt-4.1") == Matcher("model", "gpt-4.1")
    assert exact("m", "HX04\x1b[2J").text == "m=~HX04\\x1B\\[2J"
    assert exact("m", "a\u202eb\U000e0041").text == "m=~a\\x{202E}b\\x{E0041}"
    assert exact("m", " pad ").text == "m=~\\x20pad\\x20"  # an edge space is not visible
    assert exact("m", "~x").text == "m=~~x"  # `m=~x` would read as a regex
    assert exact("m", "x" * 5000) == Matcher("m", "x" * 5000)  # cut for display only


def test_the_default_matchers_use_the_raw_values_prometheus_sent() -> None:
    payload = {"status": "success", "data": {"alerts": [{
        "state": "firing", "activeAt": "2026-11-26T10:00:00Z", "annotations": {},
        "labels": {"alertname": "A", "model": "HX04\x1b[2J", "long": "L" * 2000}}]}}
    (alert,) = merge(parse_prometheus_alerts(payload), None)
    assert alert.labels["model"] == "HX04␛[2J" and len(alert.labels["long"]) == 1000
    assert [m.text for m in for_alert(alert)] == [
        "alertname=A", "long=" + "L" * 2000, "model=~HX04\\x1B\\[2J"]
    assert not hasattr(alert, "__dict__")  # frozen, slotted: raw_labels is a field
    from console.model import to_json
    assert "raw_labels" not in to_json(alert)  # never exported


def test_a_label_too_long_to_keep_is_refused() -> None:
    alert = Alert(name="A", state="firing", severity=None, since=None, summary=None,
                  labels={"m": "L" * 999 + "…"}, raw_labels={"m": "L" * (RAW_LIMIT + 1)})
    with pytest.raises(ValueError, match="longer than 65,536 characters"):
        for_alert(alert)


@pytest.mark.parametrize(("text", "error"), [
    ("", "at least one matcher"),
    ("model~~x", "line 1: not a matcher"),
    ("a=b\n9x=1", "line 2: not a matcher"),
    ("a=~(", "line 1: not a valid regular expression"),
    ("a=~\\u202e", "RE2 has no \\u escape"),
    ("a=b\tc", "line 1: holds a character that cannot be shown"),
    ("a=\nb!=x", "every matcher also matches a missing label"),
])
def test_bad_editor_lines_are_named(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=re.escape(error)):
        parse(text)


def test_editor_lines_parse_to_a_duplicate_free_set() -> None:
    assert parse(" a = b \n\na!=c\nb=~x.*\nb!~y|z\na = b\n") == (
        Matcher("a", "b"), Matcher("a", "c", equal=False), Matcher("b", "x.*", regex=True),
        Matcher("b", "y|z", regex=True, equal=False))


def test_the_amtool_command_quotes_what_amtool_would_unescape() -> None:
    alert = Alert(name="A", state="firing", severity=None, since=None, summary=None,
                  labels={"m": "x"})
    request = ActionRequest("silence", alert=alert, duration_s=60, silence_matchers=(
        Matcher("m", "HX04\\x1B\\[2J", regex=True), Matcher("q", 'say "hi"', equal=False)))
    assert request.command(TargetSettings(name="t")).endswith(
        """'m=~"HX04\\\\x1B\\\\[2J"' 'q!="say \\"hi\\""'""")


def test_the_demo_silence_matches_as_alertmanager_does() -> None:
    def silence(*matchers: Matcher) -> Silence:
        return Silence("s", matchers, 0.0, 60.0, "me", "c")

    labels = {"alertname": "HighLatency", "model": "gpt-4.1", "provider": "holysheep"}
    assert silence(Matcher("model", "gpt-.*", regex=True)).matches(labels)
    assert not silence(Matcher("model", "gpt", regex=True)).matches(labels)  # anchored
    assert not silence(Matcher("model", "gpt-4.1", equal=False)).matches(labels)
    assert silence(Matcher("model", "claude.*", regex=True, equal=False)).matches(labels)
    assert silence(Matcher("pod", "")).matches(labels)  # a missing label is empty
    assert not silence(Matcher("alertname", "HighLatency"),
                       Matcher("provider", "openrouter")).matches(labels)
