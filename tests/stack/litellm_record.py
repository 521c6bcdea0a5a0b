"""Record the real LiteLLM proxy's /metrics/ after a known load, for the unit tests.

Run: `python -m tests.stack.litellm_record`.

Starts `FakeOpenAI` and the pinned proxy (tests/stack/litellm_stack.py), sends
`warm_up_mix()` and `standard_mix()`, then the three requests that make
LiteLLM's odd series appear: a scrape with no key, one with a wrong key, and a
chat for a model the router does not know. Once the proxy has counted them all
it saves the exposition, byte for byte after a header, as
tests/fixtures/litellm-<version>.prom: recorded API data for the unit tests
(tests/integration/test_product_fixtures.py holds it against the same mix). The master key
is random per run and never appears in the exposition; the recorder checks.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import httpx

from tests.stack.fake_openai import FakeOpenAI
from tests.stack.litellm_load import Load, send_mix, standard_mix, warm_up_mix
from tests.stack.litellm_stack import DEPLOYMENTS, LiteLLMProxy
from tests.stack.litellm_venv import LITELLM_VERSION
from tests.stack.prometheus_stack import wait_until

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / f"litellm-{LITELLM_VERSION}.prom"
UNKNOWN_MODEL = "no-such-model"
WRONG_KEY = "sk-agc-wrong-key-for-the-recording"


def _odd_requests(proxy: LiteLLMProxy) -> None:
    with httpx.Client(base_url=proxy.url, trust_env=False, timeout=30) as client:
        client.get("/metrics/")
        client.get("/metrics/", headers={"Authorization": f"Bearer {WRONG_KEY}"})
        client.post("/v1/chat/completions",
                    headers={"Authorization": f"Bearer {proxy.master_key}"},
                    json={"model": UNKNOWN_MODEL, "messages": [{"role": "user", "content": "hi"}]})


def _counted_everything(text: str, load: Load) -> bool:
    total = 0.0
    for line in text.splitlines():
        if (line.startswith("litellm_proxy_total_requests_metric_total{")
                and 'route="/v1/chat/completions"' in line):
            total += float(line.rsplit(" ", 1)[1])
    return total >= len(load.sent) + 1 and "ProxyModelNotFoundError" in text


def record() -> str:
    """The exposition after the load (the caller writes it)."""
    with FakeOpenAI(tuple(d.deployment for d in DEPLOYMENTS)) as upstream, \
            LiteLLMProxy(upstream.base_url) as proxy:
        load = send_mix(proxy.url, proxy.master_key, warm_up_mix(), concurrency=4)
        load += send_mix(proxy.url, proxy.master_key, standard_mix())
        _odd_requests(proxy)
        text = ""

        def ready() -> bool:
            nonlocal text
            text = proxy.metrics_text()[1]
            return _counted_everything(text, load)

        wait_until(ready, 30, "the proxy to count the whole load")
        if proxy.master_key in text:
            raise AssertionError("the master key appears in the exposition")
        return text


def main() -> None:
    text = record()
    today = datetime.date.today().isoformat()
    header = (
        f"# Recorded {today} from the real LiteLLM proxy {LITELLM_VERSION} (PyPI litellm[proxy],"
        " tests/stack/litellm-requirements.txt) by python -m tests.stack.litellm_record:\n"
        "# GET /metrics/ with the master key after warm_up_mix() + standard_mix() of"
        " tests/stack/litellm_load.py,\n"
        f"# one scrape with no key, one with a wrong key, one chat for {UNKNOWN_MODEL!r}."
        " Upstream: tests/stack/fake_openai.py.\n"
        "# What each series means, from litellm/integrations/prometheus.py and"
        " litellm/types/integrations/prometheus.py: tests/stack/litellm_stack.py.\n")
    FIXTURE.parent.mkdir(exist_ok=True)
    FIXTURE.write_text(header + text)
    print(f"recorded {FIXTURE} ({len(text)} bytes)")


if __name__ == "__main__":
    main()
