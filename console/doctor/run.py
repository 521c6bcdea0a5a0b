"""`ai-gateway-console doctor`: run the three groups of checks at once and print the report.

The groups (Prometheus, Alertmanager, Kubernetes) run concurrently, each request with the
configured timeout and each group under a deadline, so the doctor answers within a few
seconds even when everything is down. Exit 1 when a check failed, 0 otherwise (warnings
allowed). No Textual here.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TextIO

from console.clock import Clock, system_clock
from console.config.settings import Settings
from console.doctor.alertmanager import alertmanager_checks
from console.doctor.checks import Check
from console.doctor.demo import demo_checks
from console.doctor.kubernetes import kubernetes_checks
from console.doctor.prometheus import prometheus_checks
from console.doctor.report import report


async def _bounded(name: str, work: Awaitable[list[Check]], deadline_s: float) -> list[Check]:
    try:
        return await asyncio.wait_for(work, deadline_s)
    except TimeoutError:
        return [Check(name, "fail", f"no answer within {deadline_s:g} s",
                      "check the network path, or raise --timeout")]


async def run_checks(settings: Settings, clock: Clock = system_clock) -> list[Check]:
    """Every check of the first target, in report order."""
    target = settings.target
    if settings.demo is not None:
        return await demo_checks(settings, target, clock)
    timeout_s = target.prometheus.timeout_s if target.prometheus else 5.0
    # A backstop only: every request has its own timeout. It leaves room for the first use
    # of the kubernetes client, which builds its models (about 2 s of CPU).
    deadline_s = timeout_s * 3 + 10.0
    groups: Sequence[tuple[str, Callable[[], Awaitable[list[Check]]]]] = (
        ("prometheus", lambda: prometheus_checks(settings, target, clock)),
        ("alertmanager", lambda: alertmanager_checks(target)),
        ("kubernetes", lambda: kubernetes_checks(target, clock, settings.read_only, timeout_s)),
    )
    results = await asyncio.gather(*(_bounded(n, make(), deadline_s) for n, make in groups))
    return [check for group in results for check in group]



def run_doctor(settings: Settings, clock: Clock = system_clock, out: TextIO | None = None) -> int:
    """Print the report; 0 when nothing failed (warnings allowed), 1 otherwise."""
    stream = out or sys.stdout
    target = settings.target
    checks = asyncio.run(run_checks(settings, clock))
    colour = stream.isatty() and not os.environ.get("NO_COLOR")
    head = (f"ai-gateway-console doctor: target {target.name}, namespace {target.namespace}, "
            f"deployment {target.deployment}, profile {settings.profile}"
            + (f" ({settings.profile_note})" if settings.profile_note else ""))
    print(head, file=stream)
    print(report(checks, colour), file=stream)
    return 1 if any(c.status == "fail" for c in checks) else 0
