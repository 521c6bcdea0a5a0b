"""What can be typed at the action prompts: refused in words, never a traceback (issue 12).

`str.isdigit()` accepts `²`, and `int("²")` then raised inside the prompt's
handler, which took the console down. Hypothesis drives any text through both
parsers; the prompt itself turns even a broken validator into a refusal.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from textual.app import App
from textual.widgets import Static

from console.actions.runner import (
    MAX_SILENCE_S,
    ActionRequest,
    error_of,
    parse_replicas,
    parse_silence_duration,
    silence_comment,
)
from console.config.settings import TargetSettings
from console.model import Alert
from console.screens.prompt import PromptScreen

REPLICAS_MESSAGE = "a whole number of replicas, 0 or more"


@pytest.mark.parametrize("typed", ["²", "\u0663", "\uff13", "1²", "¹0", "½", "-1", "+3", "3.0",
                                   "", " ", "0x10", "1_000", "३"])
def test_replica_counts_other_than_ascii_digits_are_refused_in_words(typed: str) -> None:
    assert error_of(parse_replicas, typed) == REPLICAS_MESSAGE


def test_replica_counts_that_are_fine_and_too_many() -> None:
    assert [parse_replicas(t) for t in ("0", "5", " 12 ", "1000", "007")] == [0, 5, 12, 1000, 7]
    assert error_of(parse_replicas, "1001") == "more than 1000 replicas is surely a typo"
    assert error_of(parse_replicas, "9" * 5000) == "more than 1000 replicas is surely a typo"


@given(st.text())
def test_any_text_at_the_replica_prompt_is_a_count_or_a_sentence(text: str) -> None:
    error = error_of(parse_replicas, text)
    digits = re.fullmatch(r"[0-9]+", text.strip())
    if digits and int(digits.group()) <= 1000:
        assert error is None and parse_replicas(text) == int(digits.group())
    else:
        assert isinstance(error, str) and error


@pytest.mark.parametrize(("typed", "message"), [
    ("²h", "a duration like 30m, 1h or 2d (digits 0-9)"),
    ("\u0661h", "a duration like 30m, 1h or 2d (digits 0-9)"),
    ("15d", "at most 14d"),
    ("9" * 400 + "d", "at most 14d"),  # float() of it is inf
    ("0.0001s", "at least 1s"),
    ("soon", "'soon' is not a duration (use e.g. 30s, 5m, 1h)"),
])
def test_silence_durations_refused_in_words(typed: str, message: str) -> None:
    assert error_of(parse_silence_duration, typed) == message


@given(st.text())
def test_any_text_at_the_duration_prompt_is_a_duration_or_a_sentence(text: str) -> None:
    error = error_of(parse_silence_duration, text)
    if error is None:
        seconds = parse_silence_duration(text)
        duration = text.split(None, 1)[0]  # a comment may follow it (issue 16)
        assert duration.isascii() and 1 <= seconds <= MAX_SILENCE_S
    else:
        assert isinstance(error, str) and error


def test_the_silence_command_lists_exactly_the_matchers_sent() -> None:
    """alertname is a matcher even when the alert's labels lack it, in the dialog too."""
    alert = Alert(name="HighLatency", state="firing", severity="warning", since=None,
                  summary=None, labels={"model": "gpt-4.1", "severity": "warning"})
    request = ActionRequest("silence", alert=alert, duration_s=600)
    assert [m.text for m in request.matchers] == [
        "alertname=HighLatency", "model=gpt-4.1", "severity=warning"]
    assert request.command(TargetSettings(name="t")) == (
        "amtool silence add --duration=10m '--comment=via ai-gateway-console' "
        "alertname=HighLatency model=gpt-4.1 severity=warning")


def test_a_comment_may_follow_the_duration_and_is_what_the_dialog_shows() -> None:
    assert parse_silence_duration("  90m deploy window, ticket 42 ") == 5400
    assert silence_comment("90m deploy window, ticket 42 ", "ann") == "deploy window, ticket 42"
    assert silence_comment("1h", "ann") == "silenced by ann via ai-gateway-console"
    assert silence_comment("1h \x1b[2Jwipe", "ann") == "␛[2Jwipe"
    assert len(silence_comment("1h " + "x" * 5000, "ann")) == 200
    alert = Alert(name="HighLatency", state="firing", severity=None, since=None, summary=None,
                  labels={"model": "gpt-4.1"})
    request = ActionRequest("silence", alert=alert, duration_s=600, comment="deploy window")
    assert "'--comment=deploy window'" in request.command(TargetSettings(name="t"))


class PromptHost(App[None]):
    def __init__(self, screen: PromptScreen) -> None:
        super().__init__()
        self.prompt = screen
        self.answers: list[str | None] = []

    def on_mount(self) -> None:
        self.push_screen(self.prompt, self.answers.append)


async def test_a_validator_that_raises_is_a_refusal_not_a_crash() -> None:
    def broken(value: str) -> str | None:
        raise RuntimeError("bug")

    app = PromptHost(PromptScreen("How many?", "²", broken))
    async with app.run_test() as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is app.prompt
        assert str(app.prompt.query_one("#prompt-error", Static).render()) == (
            "✗ not a valid value")
    assert app.answers == []


async def test_the_prompt_answers_once_and_shows_typed_markup_as_text() -> None:
    def validate(value: str) -> str | None:
        return error_of(parse_silence_duration, value)

    app = PromptHost(PromptScreen("How long?", "[/]", validate))
    async with app.run_test() as pilot:
        await pilot.press("enter")  # `[/]` is unbalanced markup: shown, not parsed
        await pilot.pause()
        error: Any = app.prompt.query_one("#prompt-error", Static).render()
        assert str(error) == "✗ '[/]' is not a duration (use e.g. 30s, 5m, 1h)"
        await pilot.press("ctrl+a", "ctrl+k", *"5m", "enter", "enter")
        await pilot.pause()
    assert app.answers == ["5m"]
