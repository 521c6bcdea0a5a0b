"""The real LiteLLM proxy (PyPI, pinned) in front of `FakeOpenAI`, all on loopback.

Four public model names route to deployments whose model names differ, as in a
real setup (`deepseek-v3.2` -> `openai/deepseek-chat`), each with its own price
so LiteLLM exports spend. Retries, fallbacks and cooldowns are off, so each
client request reaches the upstream exactly once and a test can count it.

What LiteLLM 1.108.7 exports (litellm/integrations/prometheus.py and
litellm/types/integrations/prometheus.py of the installed package; pinned in
tests/fixtures/litellm-1.108.7.prom and proven by tests/integration/test_litellm_stack.py):

- Requests: `litellm_proxy_total_requests_metric_total`, one per client request,
  success or not, labels `requested_model` (the public name), `status_code`,
  `api_provider`, `route`, ... and no `model`. Failures:
  `litellm_proxy_failed_requests_metric_total` with `exception_status` (the HTTP
  code) and `exception_class` (`Openai.RateLimitError`, ...); it has no
  `status_code`.
- Latency: histograms `litellm_request_total_latency_metric` (whole request at
  the proxy) and `litellm_llm_api_latency_metric` (the upstream call), seconds,
  buckets LATENCY_BUCKETS (0.005 ... 600, +Inf), successes only: a failed
  request is in no latency histogram. They carry `model` = the deployment's
  model (`deepseek-chat`), `model_group` and `requested_model` = the public name.
- TTFT: `litellm_llm_api_time_to_first_token_metric`, streams only, same labels.
- Tokens: `litellm_input_tokens_metric_total`, `litellm_output_tokens_metric_total`,
  `litellm_total_tokens_metric_total`: one counter per direction, no direction
  label. Spend: `litellm_spend_metric_total` in USD, from the configured prices.
- `api_provider` is LiteLLM's provider key of the deployment (`openai` for
  `openai/...`), never the upstream vendor. A label value that is None is
  exported as the string "None" (`api_provider` of a request no deployment
  took, `exception_status` of a failed auth). A model name the router does not
  know is exported as `requested_model="other"` (`_bounded_requested_model_label`;
  the deprecated litellm_llm_api_failed_requests_metric keeps the raw name).
- Without a database a wrong key is answered 400 ("No connected db."), not 401.
- prometheus_client's defaults stay: every counter and histogram also exports
  a `<name>_created` gauge, plus python_* and process_* metrics.
- `/metrics` wants the master key (PrometheusAuthMiddleware, on by default) and
  answers 307 to `/metrics/`; a refused scrape is itself counted as a failed
  request with `route` = the path asked (`/metrics` or `/metrics/`),
  `requested_model=""`, `api_provider="None"`.
- Deployment counters (`litellm_deployment_*`) skip every 401, the upstream's
  too (`_should_skip_metrics_for_invalid_key`): use the proxy counters.

`prometheus_client` is only in litellm's `proxy-runtime` extra, not `proxy`.
Offline: LITELLM_LOCAL_MODEL_COST_MAP=True (no cost map download), HF_HUB_OFFLINE
and TRANSFORMERS_OFFLINE (no tokenizer download; tiktoken's files are bundled),
LITELLM_MODE=PRODUCTION (no .env read from the working folder), no database,
no proxy variables; tests/stack/offline_probe.py proves it starts with no network.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.stack import litellm_venv
from tests.stack.prometheus_stack import (
    DIRECT_OPENER,
    ScrapeJob,
    StackError,
    free_port,
    http_get,
    wait_until,
)

UPSTREAM_KEY = "sk-fake-upstream"
METRICS_PATH = "/metrics/"


@dataclass(frozen=True)
class Deployment:
    """One public model name and the deployment LiteLLM routes it to."""

    public: str
    deployment: str
    input_usd_per_mtok: float
    output_usd_per_mtok: float
    """Output prices are the gateway's price table (README, Configuration: `[prices]`);
    input prices are ours."""

    def cost_usd(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input_usd_per_mtok
                + completion_tokens * self.output_usd_per_mtok) / 1e6


DEPLOYMENTS: tuple[Deployment, ...] = (
    Deployment("gpt-4.1", "gpt-4.1-2025-04-14", 2.00, 8.00),
    Deployment("claude-sonnet-4.5", "claude-sonnet-4-5-20250929", 3.00, 15.00),
    Deployment("gemini-2.5-flash", "gemini-2.5-flash-001", 0.30, 2.50),
    Deployment("deepseek-v3.2", "deepseek-chat", 0.28, 0.42),
)


def deployment(public: str, deployments: Sequence[Deployment] = DEPLOYMENTS) -> Deployment:
    return next(d for d in deployments if d.public == public)


def proxy_config(upstream_url: str, master_key: str,
                 deployments: Sequence[Deployment] = DEPLOYMENTS) -> dict[str, Any]:
    """config.yaml of the proxy (written as JSON, which YAML reads)."""
    return {
        "model_list": [
            {"model_name": d.public,
             "litellm_params": {
                 "model": f"openai/{d.deployment}", "api_base": upstream_url,
                 "api_key": UPSTREAM_KEY, "max_retries": 0, "timeout": 30,
                 "input_cost_per_token": d.input_usd_per_mtok / 1e6,
                 "output_cost_per_token": d.output_usd_per_mtok / 1e6}}
            for d in deployments
        ],
        "litellm_settings": {"callbacks": ["prometheus"], "num_retries": 0,
                             "request_timeout": 30},
        "router_settings": {"num_retries": 0, "disable_cooldowns": True},
        "general_settings": {"master_key": master_key},
    }


OFFLINE_ENV: Mapping[str, str] = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "LITELLM_MODE": "PRODUCTION",
    "LITELLM_LOG": "ERROR",
    "NO_PROXY": "127.0.0.1,localhost",
}
DROPPED_ENV = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
               "all_proxy", "DATABASE_URL", "REDIS_HOST", "REDIS_URL", "OPENAI_API_KEY",
               "PROMETHEUS_MULTIPROC_DIR")


def proxy_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of the proxy: the caller's, minus proxies and stores, plus offline."""
    env = {k: v for k, v in (os.environ if base is None else base).items()
           if k not in DROPPED_ENV}
    env.update(OFFLINE_ENV)
    return env


@dataclass
class LiteLLMProxy:
    """The proxy process; `start()` returns once `/health/liveliness` answers."""

    upstream_url: str
    deployments: Sequence[Deployment] = DEPLOYMENTS
    master_key: str = field(default_factory=lambda: "sk-agc-" + secrets.token_hex(12))
    executable: Path | None = None
    port: int = 0
    startup_s: float | None = None
    """Seconds from spawn to the first healthy answer, measured."""
    _process: subprocess.Popen[bytes] | None = None
    _tmp: tempfile.TemporaryDirectory[str] | None = None
    _log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 120.0) -> LiteLLMProxy:
        exe = self.executable = (self.executable or litellm_venv.ensure()).resolve()
        self._tmp = tempfile.TemporaryDirectory(prefix="agc-litellm-")
        work = Path(self._tmp.name)
        config = work / "config.yaml"
        config.write_text(json.dumps(proxy_config(self.upstream_url, self.master_key,
                                                  self.deployments), indent=1))
        self.port = self.port or free_port()
        self._log = work / "litellm.log"
        started = time.monotonic()
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                [str(exe), "--config", str(config), "--host", "127.0.0.1",
                 "--port", str(self.port), "--num_workers", "1"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                cwd=work, env=proxy_env(), start_new_session=True)
        try:
            wait_until(self._healthy, timeout_s, "LiteLLM proxy", interval_s=0.25)
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.monotonic() - started
        return self

    def _healthy(self) -> bool:
        if self._process is not None and self._process.poll() is not None:
            raise StackError(f"litellm exited with {self._process.returncode}: {self.log_tail()}")
        status, _ = http_get(self.url + "/health/liveliness", timeout=1.0)
        return status == 200

    def log_tail(self, chars: int = 800) -> str:
        """The end of the proxy's log, with the master key masked."""
        if self._log is None or not self._log.exists():
            return ""
        return self._log.read_text(errors="replace")[-chars:].replace(self.master_key, "***")

    def metrics_text(self, path: str = METRICS_PATH, key: str | None = None) -> tuple[int, str]:
        """GET the exposition as Prometheus does (bearer master key unless `key`)."""
        request = urllib.request.Request(
            self.url + path, headers={"Authorization": f"Bearer {key or self.master_key}"})
        try:
            with DIRECT_OPENER.open(request, timeout=10) as resp:
                return int(resp.status), resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def scrape_job(self, name: str = "litellm", interval_s: float = 1.0) -> ScrapeJob:
        """The usual job (BerriAI/litellm prometheus.yml names it "litellm"), with the key."""
        return ScrapeJob(name, [self.target], interval_s=interval_s, extra={
            "metrics_path": METRICS_PATH,
            "authorization": {"type": "Bearer", "credentials": self.master_key}})

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> LiteLLMProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
