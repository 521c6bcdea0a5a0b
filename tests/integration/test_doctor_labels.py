"""`doctor` checks labels, not only names: on the products' own exposition, through a real
Prometheus (issue 14).

The recorded LiteLLM 1.108.7 exposition and the Kong 3.9 / Envoy AI Gateway 1.1 fixtures
(tests/fixtures, cited in their headers) are served by `StaticExporter`; each mismatch is a
`[metrics]` override a user could write (or the profile this console shipped before),
and the check must fail naming the labels that are there and the line that fixes it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from console.clock import FixedClock
from console.config.types import HttpEndpoint, Settings, TargetSettings
from console.doctor.checks import Check
from console.doctor.prometheus import prometheus_checks
from console.sources.profile_detect import detect
from tests.stack.litellm_record import FIXTURE as LITELLM
from tests.stack.prometheus_stack import PrometheusStack
from tests.stack.static_stack import static_products
from tests.stack.write_fixtures import FIXTURES

pytestmark = pytest.mark.stack

FILES = {"litellm": LITELLM, "kong": FIXTURES / "kong-3.9.prom",
         "envoy-gateway-pods": FIXTURES / "envoy-ai-gateway-1.1.prom"}


@pytest.fixture(scope="module")
def products() -> Iterator[PrometheusStack]:
    with static_products(FILES, samples=2) as stack:
        yield stack


async def checks(stack: PrometheusStack, profile: str,
                 overrides: Mapping[str, str] | None = None) -> dict[str, Check]:
    endpoint = HttpEndpoint(stack.prometheus_url, timeout_s=10.0)
    settings = Settings(targets=(TargetSettings("t", prometheus=endpoint),), profile=profile,
                        metrics_overrides=dict(overrides or {}))
    got = await prometheus_checks(settings, settings.target, FixedClock(time.time()))
    return {c.name: c for c in got}


@pytest.mark.parametrize("profile", ["litellm", "kong", "envoy-ai-gateway"])
async def test_each_profile_finds_every_label_it_groups_by(
        products: PrometheusStack, profile: str) -> None:
    got = await checks(products, profile)
    labels = {name: c for name, c in got.items() if name.startswith("labels ")}
    assert "labels requests" in labels and "labels duration" in labels
    assert {name: c.status for name, c in labels.items()} == dict.fromkeys(labels, "pass")


async def test_litellm_grouped_by_model_fails_with_requested_model(
        products: PrometheusStack) -> None:
    """The profile this console shipped before issue 14: `model` is not on the counters."""
    got = await checks(products, "litellm", {"model_label": "model"})
    requests = got["labels requests"]
    assert requests.status == "fail"
    assert "no series has model (labels there: " in requests.detail
    assert "requested_model" in requests.detail and "api_provider" in requests.detail
    assert requests.fix == 'in the config\'s [metrics] table: model_label = "requested_model"'
    assert got["labels errors"].status == "fail"
    # `model` is on latency, tokens and spend (the deployment's name): those pass.
    assert got["labels duration"].status == "pass" and got["labels tokens"].status == "pass"


async def test_litellm_errors_by_status_code_fails_with_exception_status(
        products: PrometheusStack) -> None:
    got = await checks(products, "litellm", {"code_label": "status_code"})
    errors = got["labels errors"]
    assert errors.status == "fail" and "no series has status_code" in errors.detail
    assert errors.fix == 'in the config\'s [metrics] table: code_label = "exception_status"'
    assert got["labels requests"].status == "pass"


async def test_kong_with_wrong_provider_and_direction_labels(products: PrometheusStack) -> None:
    got = await checks(products, "kong", {"provider_label": "provider",
                                          "token_direction_label": "direction"})
    tokens = got["labels tokens"]
    assert tokens.status == "fail"
    assert "no series has provider, direction" in tokens.detail
    assert tokens.fix == ('in the config\'s [metrics] table: provider_label = "ai_provider"; '
                          'in the config\'s [metrics] table: token_direction_label = "token_type"')
    assert got["labels requests"].fix == (
        'in the config\'s [metrics] table: provider_label = "ai_provider"')


async def test_envoy_grouped_by_request_model_passes_but_by_a_made_up_label_fails(
        products: PrometheusStack) -> None:
    got = await checks(products, "envoy-ai-gateway", {"model_label": "model"})
    requests = got["labels requests"]
    assert requests.status == "fail" and "gen_ai_original_model" in requests.detail
    # Several labels hold a model; the first one there by name is offered.
    assert requests.fix.startswith("in the config's [metrics] table: model_label = \"gen_ai_")


async def test_auto_detects_from_the_names_present_and_says_what_else_is_there(
        products: PrometheusStack) -> None:
    """All three products in one Prometheus: the first profile wins, the others are named."""
    found = await detect(HttpEndpoint(products.prometheus_url, timeout_s=10.0))
    assert (found.profile, found.found) == ("litellm", True)
    assert found.note == ("auto: litellm_proxy_total_requests_metric_total found; also "
                          "envoy-ai-gateway, kong (give --profile to choose)")


def test_doctor_says_which_profile_auto_chose_and_the_explicit_one_wins(
        products: PrometheusStack, tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "KUBECONFIG": str(tmp_path / "no")}
    env = {k: v for k, v in env.items() if not k.startswith("AI_GATEWAY_CONSOLE_")}

    def doctor(*extra: str) -> str:
        done = subprocess.run([sys.executable, "-m", "console", "doctor", "--prometheus-url",
                               products.prometheus_url, *extra], capture_output=True,
                              text=True, env=env, timeout=60, check=False)
        assert "Traceback" not in done.stderr
        return done.stdout

    auto = doctor()
    assert "profile litellm (auto: litellm_proxy_total_requests_metric_total found" in (
        auto.splitlines()[0])
    assert any(ln.startswith("✓ PASS  profile") for ln in auto.splitlines())
    kong = doctor("--profile", "kong")
    assert kong.splitlines()[0].endswith("profile kong")
    assert not any(ln[8:].startswith("profile") for ln in kong.splitlines())
    assert "not recorded by Kong: error ratios unknown" in kong
