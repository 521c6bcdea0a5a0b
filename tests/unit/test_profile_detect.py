"""`--profile auto`'s choice from the names a Prometheus answered (the query itself meets a
real Prometheus in tests/integration/test_doctor_labels.py and test_litellm_stack.py)."""

from __future__ import annotations

import pytest

from console.cli import main
from console.config.settings import build_settings
from console.sources.profile_detect import choose, detection_query


def test_nothing_known_keeps_the_default_and_says_so() -> None:
    found = choose({"up", "go_goroutines"})
    assert (found.profile, found.found) == ("seed", False)
    assert found.note == "auto: no known gateway metric found, using seed (give --profile)"


def test_a_product_wins_over_the_seed_gateway_beside_it() -> None:
    found = choose({"ai_gateway_requests_total", "kong_ai_llm_requests_total"})
    assert found.profile == "kong"
    assert found.note.endswith("; also seed (give --profile to choose)")


def test_the_query_asks_for_each_request_counter_without_its_selector() -> None:
    query = detection_query()
    assert "litellm_proxy_total_requests_metric_total|" in query and "{requested" not in query
    assert query.startswith('group by (__name__) ({__name__=~"')


def test_auto_is_the_default_outside_the_demo_and_explicit_profiles_stay() -> None:
    assert build_settings({"prometheus_url": "http://127.0.0.1:9"}).profile == "auto"
    assert build_settings({"demo": "steady"}).profile == "seed"
    assert build_settings({"prometheus_url": "http://p:9", "profile": "kong"}).profile == "kong"


def test_an_unknown_profile_names_auto_among_the_choices(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["snapshot", "--prometheus-url", "http://127.0.0.1:9", "--profile", "kong2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "choose from auto, seed, litellm" in err


def test_the_title_names_the_detected_profile_and_the_demo_none() -> None:
    from console.config.types import TargetSettings
    from console.views.titles import TitleInputs, overview_title

    def title(profile: str) -> str:
        return overview_title(TitleInputs(
            target=TargetSettings("t", context="prod"), demo=None, fleet=("t",), window_s=300,
            refresh_s=2, read_only=False, paused=False, filter_text="", profile=profile)).plain

    assert title("litellm (auto)").endswith("window 5m  every 2s  litellm (auto)")
    assert "every 2s" in title("") and not title("").endswith(" ")
