"""A load generator for the LiteLLM stack that returns exactly what it sent.

A `ModelMix` per public model name says how many successes, how many of each
error status and how many streams; every request carries its `Reply` script
for `FakeOpenAI`, so the outcome of each one is chosen, not sampled. The
requests run on a bounded thread pool (the proxy sees concurrency, as in
production) and `send_mix` returns one `Sent` per request: what the upstream
was told to answer and what the client received. Tests hold the proxy's
metrics against these records, never against the mix they asked for.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from tests.stack.fake_openai import Reply

ERROR_STATUSES: tuple[int, ...] = (400, 401, 429, 503)


@dataclass(frozen=True)
class ModelMix:
    """The requests to send to one public model name."""

    successes: int = 0
    errors: Mapping[int, int] = field(default_factory=dict)
    """HTTP status the upstream answers -> how many requests."""
    streams: int = 0
    success: Reply = field(default_factory=Reply)
    stream: Reply = field(default_factory=lambda: Reply(latency_s=0.65, ttft_s=0.55))
    error_latency_s: float = 0.02

    def requests(self) -> list[tuple[Reply, bool]]:
        out = [(self.success, False)] * self.successes + [(self.stream, True)] * self.streams
        for status, count in self.errors.items():
            out += [(Reply(status=status, latency_s=self.error_latency_s), False)] * count
        return out


@dataclass(frozen=True)
class Sent:
    """One request as sent and as answered."""

    model: str
    reply: Reply
    stream: bool
    received: int
    """HTTP status the client got from the proxy (0: no answer)."""

    @property
    def ok(self) -> bool:
        return self.reply.status == 200


@dataclass(frozen=True)
class Load:
    sent: tuple[Sent, ...]
    started: float
    finished: float
    """Wall-clock (epoch seconds) of the first send and the last answer."""

    def of(self, model: str, *, status: int | None = None,
           stream: bool | None = None) -> list[Sent]:
        return [s for s in self.sent if s.model == model
                and (status is None or s.reply.status == status)
                and (stream is None or s.stream == stream)]

    def count(self, model: str, *, status: int | None = None, stream: bool | None = None) -> int:
        return len(self.of(model, status=status, stream=stream))

    def tokens(self, model: str, kind: str) -> int:
        """Prompt ("input") or completion ("output") tokens of the successes of `model`."""
        attr = {"input": "prompt_tokens", "output": "completion_tokens"}[kind]
        return sum(getattr(s.reply, attr) for s in self.of(model, status=200))

    def models(self) -> list[str]:
        return sorted({s.model for s in self.sent})

    def __add__(self, other: Load) -> Load:
        return Load(self.sent + other.sent, min(self.started, other.started),
                    max(self.finished, other.finished))


def _send(client: httpx.Client, key: str, model: str, reply: Reply, stream: bool) -> Sent:
    body = {"model": model, "stream": stream,
            "messages": [{"role": "user", "content": reply.script()}]}
    headers = {"Authorization": f"Bearer {key}"}
    try:
        if stream:
            with client.stream("POST", "/v1/chat/completions", json=body,
                               headers=headers) as resp:
                for _ in resp.iter_bytes():
                    pass
                return Sent(model, reply, stream, resp.status_code)
        resp = client.post("/v1/chat/completions", json=body, headers=headers)
        return Sent(model, reply, stream, resp.status_code)
    except httpx.HTTPError:
        return Sent(model, reply, stream, 0)


def send_mix(proxy_url: str, key: str, mix: Mapping[str, ModelMix], *, concurrency: int = 8,
             timeout_s: float = 60.0, seed: int = 14) -> Load:
    """Send every request of `mix` (shuffled, `concurrency` at a time) and wait for all."""
    jobs = [(model, reply, stream) for model, m in mix.items() for reply, stream in m.requests()]
    random.Random(seed).shuffle(jobs)
    started = time.time()
    with httpx.Client(base_url=proxy_url, timeout=timeout_s, trust_env=False) as client, \
            ThreadPoolExecutor(max_workers=concurrency) as pool:
        sent = tuple(pool.map(lambda job: _send(client, key, *job), jobs))
    return Load(sent, started, time.time())


def statuses(sent: Iterable[Sent]) -> dict[int, int]:
    out: dict[int, int] = {}
    for s in sent:
        out[s.received] = out.get(s.received, 0) + 1
    return out


def standard_mix() -> dict[str, ModelMix]:
    """The load of tests/integration/test_litellm_stack.py and of the recorded exposition.

    Each public model gets its own success latency, in a LATENCY_BUCKETS bucket
    of its own with at least 0.2 s to spare below the bucket's upper bound, so
    the proxy's overhead on a loaded machine cannot move an observation into the
    next bucket; streams take 0.65 s with the first token at 0.55 s. M of each
    error status per model: 3, 2, 1, and 0 for deepseek-v3.2 (all success).
    """
    def mix(successes: int, each_error: int, latency_s: float, prompt: int,
            completion: int) -> ModelMix:
        return ModelMix(
            successes=successes, streams=4,
            errors={status: each_error for status in ERROR_STATUSES if each_error},
            success=Reply(latency_s=latency_s, prompt_tokens=prompt, completion_tokens=completion),
            stream=Reply(latency_s=0.65, ttft_s=0.55, prompt_tokens=prompt,
                         completion_tokens=completion, chunks=5))

    return {
        "gpt-4.1": mix(12, 3, 2.6, 120, 300),
        "claude-sonnet-4.5": mix(10, 2, 1.3, 250, 500),
        "gemini-2.5-flash": mix(16, 1, 0.6, 80, 160),
        "deepseek-v3.2": mix(20, 0, 0.3, 40, 90),
    }


def warm_up_mix() -> dict[str, ModelMix]:
    """One quick success per model: the first call of a deployment builds its client."""
    return {model: ModelMix(successes=1) for model in standard_mix()}
