"""Plausible gateway log lines for `kubectl logs` in the demo.

Lines are drawn from the traffic the pod is serving at the moment (its share of
each model's rate, the current error mix and latency), so the logs of a pod in
the `provider-outage` scenario are full of 503s and those of a crash-looping
pod end in the panic that explains the crash. Each simulated second seeds its
own generator, so asking twice, or following, shows the same lines for the
same seconds.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence

from console.demo.pods import CONTAINER, PORT, Pod, agent
from console.demo.sidecar import SIDECAR, sidecar_logs
from console.demo.timefmt import rfc3339_ms
from console.demo.traffic import ERROR_KINDS, ModelConditions
from console.sources.base import ActionError
from console.sources.kube_mapping import termination_message as termination_message_lines

GATEWAY_VERSION = "1.8.2"
MAX_SECONDS_SCANNED = 900
"""A quiet pod's tail never makes us walk back further than this."""
ALL_LINES_CAP = 5000
"""What `--tail=-1` (everything) means for a log that is generated, not stored."""


def _line(t: float, level: str, msg: str, **fields: object) -> str:
    return json.dumps({"time": rfc3339_ms(t), "level": level, "msg": msg, **fields},
                      separators=(",", ":"))


def startup_lines(t: float) -> list[str]:
    return [
        _line(t, "info", "starting ai-gateway", version=GATEWAY_VERSION, listen=f":{PORT}"),
        _line(t + 0.004, "info", "configuration loaded", path="/etc/ai-gateway/config.yaml",
              providers=["holysheep", "openrouter"]),
        _line(t + 0.011, "info", "metrics listener started", path="/metrics"),
        _line(t + 0.013, "info", "listening", addr=f":{PORT}"),
    ]


def crash_lines(t: float) -> list[str]:
    """What a gateway whose Secret key is missing prints before it exits."""
    return [
        _line(t, "info", "starting ai-gateway", version=GATEWAY_VERSION, listen=f":{PORT}"),
        _line(t + 0.003, "info", "loading configuration", path="/etc/ai-gateway/config.yaml"),
        _line(t + 0.006, "error", "configuration invalid",
              error="providers.holysheep.api_key: environment variable HOLYSHEEP_API_KEY "
                    "is empty or not set (secret holysheep-secret, key api-key)"),
        "panic: config error: HOLYSHEEP_API_KEY is required but not set",
        "",
        "goroutine 1 [running]:",
        "main.mustLoadConfig({0xc00001a0f0, 0x1c})",
        "\t/src/cmd/gateway/main.go:64 +0x1d4",
        "main.main()",
        "\t/src/cmd/gateway/main.go:29 +0x65",
    ]


def termination_message(pod: Pod) -> tuple[str, ...]:
    """The kubelet's FallbackToLogsOnError message of the pod's last crash: its log's tail."""
    if pod.last_crash_at is None or not pod.rs.broken:
        return ()
    return termination_message_lines("\n".join(crash_lines(pod.last_crash_at - 0.8)))


def _request_line(rng: random.Random, t: float, c: ModelConditions) -> str:
    m = c.model
    pick = rng.random()
    kind_index: int | None = None
    for k, ratio in enumerate(c.error_ratios):
        if pick < ratio:
            kind_index = k
            break
        pick -= ratio
    request_id = f"req_{rng.getrandbits(64):016x}"
    common: dict[str, object] = {
        "method": "POST",
        "path": "/v1/chat/completions",
        "provider": m.provider,
        "model": m.model,
    }
    if kind_index is None:
        latency = rng.lognormvariate(math.log(c.latency_median_s), m.latency_sigma)
        ttft = min(latency, rng.lognormvariate(math.log(c.ttft_median_s), 0.45))
        return _line(
            t, "info", "request completed", **common, status=200,
            latency_ms=round(latency * 1000), ttft_ms=round(ttft * 1000),
            prompt_tokens=max(1, round(rng.gauss(m.input_tokens, m.input_tokens * 0.4))),
            completion_tokens=max(1, round(rng.gauss(m.output_tokens, m.output_tokens * 0.5))),
            request_id=request_id,
        )
    kind = ERROR_KINDS[kind_index]
    latency = rng.lognormvariate(math.log(kind.latency_median_s), kind.latency_sigma)
    return _line(
        t, "error" if kind.code.startswith("5") else "warn", "request failed", **common,
        status=int(kind.code), latency_ms=round(latency * 1000), error_type=kind.type,
        error=kind.message, request_id=request_id,
    )


def access_lines(
    pod: Pod,
    conditions: Sequence[ModelConditions],
    share: float,
    now: float,
    tail: int,
    seed: int,
) -> list[str]:
    """The last `tail` lines of a serving pod: startup (if recent), requests, shutdown."""
    assert pod.started_at is not None
    wanted = tail if tail > 0 else ALL_LINES_CAP
    weights = [c.rate * share for c in conditions]
    per_second = sum(weights)
    end = now if pod.deleting_at is None else min(now, pod.deleting_at + 1.0)
    seconds: list[list[str]] = []
    count = 0
    second = math.floor(end)
    while (
        second >= pod.started_at
        and count < wanted
        and math.floor(end) - second < MAX_SECONDS_SCANNED
    ):
        rng = random.Random(f"{seed}:{pod.name}:{second}")
        n = 0 if per_second <= 0 else max(0, round(rng.gauss(per_second, math.sqrt(per_second))))
        stamps = sorted(second + rng.random() for _ in range(n))
        lines = [
            _request_line(rng, ts, rng.choices(conditions, weights)[0])
            for ts in stamps
            if pod.ready_at is not None and pod.ready_at <= ts <= end
        ]
        seconds.append(lines)
        count += len(lines)
        second -= 1
    out: list[str] = []
    if second < pod.started_at:
        out.extend(startup_lines(pod.started_at + 0.2))
    for lines in reversed(seconds):
        out.extend(lines)
    if pod.deleting_at is not None and now >= pod.deleting_at:
        out.append(_line(pod.deleting_at + 0.001, "info", "received SIGTERM, draining connections"))
        if now >= pod.deleting_at + 1.0:
            out.append(_line(pod.deleting_at + 1.0, "info", "shutdown complete"))
    return out[-wanted:]


def pod_logs(
    pod: Pod,
    conditions: Sequence[ModelConditions],
    share: float,
    now: float,
    tail: int,
    previous: bool,
    seed: int,
    container: str | None = None,
) -> str:
    """`kubectl logs [--previous] --tail [-c container]` for one pod, with the API's refusals
    as ActionError; no container: the gateway's (the pod's first, as kubectl picks it)."""
    if container == SIDECAR:
        return _sidecar_logs(pod, now, tail, previous)
    if container not in (None, CONTAINER):
        raise ActionError(f"container {container} is not valid for pod {pod.name}")
    if previous:
        if pod.last_crash_at is None:
            raise ActionError(
                f'previous terminated container "{CONTAINER}" in pod "{pod.name}" not found'
            )
        lines = crash_lines(pod.last_crash_at - 0.8)
    elif pod.started_at is None:
        if pod.last_crash_at is None:
            raise ActionError(
                f'container "{CONTAINER}" in pod "{pod.name}" is waiting to start: '
                "ContainerCreating"
            )
        # Between restarts the kubelet serves the last attempt's output.
        lines = crash_lines(pod.last_crash_at - 0.8)
    elif pod.rs.broken:
        lines = crash_lines(pod.started_at + 0.2)[: 3 if now - pod.started_at < 1 else None]
    else:
        lines = access_lines(pod, conditions, share, now, tail, seed)
    if tail == 0:
        lines = []
    elif tail > 0:
        lines = lines[-tail:]
    return "\n".join(lines) + ("\n" if lines else "")


def _sidecar_logs(pod: Pod, now: float, tail: int, previous: bool) -> str:
    """The agent never restarts, so it has no previous run; before it starts, the API's 400."""
    if previous:
        raise ActionError(
            f'previous terminated container "{SIDECAR}" in pod "{pod.name}" not found')
    a = agent(pod)
    if a.started_at is None or now < a.started_at:
        raise ActionError(f'container "{SIDECAR}" in pod "{pod.name}" is waiting to start: '
                          "ContainerCreating")
    lines = sidecar_logs(a, now, tail) if tail != 0 else []
    return "\n".join(lines) + ("\n" if lines else "")
