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
from typing import TYPE_CHECKING, TextIO

from console.clock import Clock, system_clock
from console.config.settings import ConfigError, Settings, TargetSettings
from console.doctor.alertmanager import alertmanager_checks
from console.doctor.checks import Check
from console.doctor.demo import demo_checks
from console.doctor.kubernetes import kubernetes_checks
from console.doctor.prometheus import prometheus_checks
from console.doctor.report import report

if TYPE_CHECKING:
    from console.sources.service_proxy import ServiceProxy


async def _bounded(name: str, work: Awaitable[list[Check]], deadline_s: float) -> list[Check]:
    try:
        return await asyncio.wait_for(work, deadline_s)
    except TimeoutError:
        return [Check(name, "fail", f"no answer within {deadline_s:g} s",
                      "check the network path, or raise --timeout")]


async def run_checks(settings: Settings, clock: Clock = system_clock,
                     target: TargetSettings | None = None) -> list[Check]:
    """Every check of one target (the first by default), in report order."""
    target = target or settings.target
    if settings.demo is not None:
        return await demo_checks(settings, target, clock)
    timeout_s = target.prometheus.timeout_s if target.prometheus else 5.0
    # A backstop only: every request has its own timeout. It leaves room for the first use
    # of the kubernetes client, which builds its models (about 2 s of CPU), and for an
    # exec plugin that hangs until its own deadline.
    deadline_s = timeout_s * 3 + 10.0 + settings.limits.exec_timeout_s
    # The cluster's checks start at once: finding the Services may wait for an exec plugin
    # (its own deadline), and the cluster's own connection must not wait behind it.
    kube = asyncio.ensure_future(_bounded(
        "kubernetes", kubernetes_checks(target, clock, settings.read_only, timeout_s),
        deadline_s))
    proxy: ServiceProxy | None = None
    try:
        proxy, found = await _discovered(target, timeout_s, deadline_s)
        groups: Sequence[tuple[str, Callable[[], Awaitable[list[Check]]]]] = (
            ("prometheus", lambda: prometheus_checks(settings, target, clock, proxy)),
            ("alertmanager", lambda: alertmanager_checks(target, proxy)),
        )
        results = await asyncio.gather(*(_bounded(n, make(), deadline_s) for n, make in groups),
                                       kube)
    finally:
        kube.cancel()  # done by now, unless something above failed
        if proxy is not None:
            await proxy.aclose()  # the doctor's hold; the checks released theirs
    return found + [check for group in results for check in group]


async def _discovered(target: TargetSettings, timeout_s: float, deadline_s: float
                      ) -> tuple[ServiceProxy | None, list[Check]]:
    """The service proxy and its candidates' lines, when a Service is read through it."""
    kinds = tuple(k for k, url, pin in (
        ("prometheus", target.prometheus, target.prometheus_service),
        ("alertmanager", target.alertmanager, target.alertmanager_service))
        if url is None and (pin is not None or target.prometheus is None))
    if not kinds:
        return None, []
    from console.doctor.discovery import discovery_checks
    from console.sources.service_proxy import ServiceProxy

    proxy = ServiceProxy(target, timeout_s)
    proxy.retain()  # the doctor's own hold: its checks' clients come and go
    return proxy, await _bounded("service discovery", discovery_checks(proxy, kinds),
                                 deadline_s)



def run_doctor(settings: Settings, clock: Clock = system_clock, out: TextIO | None = None,
               target_name: str | None = None) -> int:
    """Print the report of every target (or the one named), all checked at once; 0 when
    nothing failed (warnings allowed), 1 otherwise, 2 for an unknown target."""
    from console.export.fleet_snapshot import chosen_targets

    stream = out or sys.stdout
    try:
        targets = chosen_targets(settings, target_name)
    except ConfigError as exc:
        print(f"ai-gateway-console: {exc}", file=sys.stderr)
        return 2

    async def every() -> list[list[Check]]:
        return list(await asyncio.gather(*(run_checks(settings, clock, t) for t in targets)))

    reports = asyncio.run(every())
    colour = stream.isatty() and not os.environ.get("NO_COLOR")
    for index, (target, checks) in enumerate(zip(targets, reports, strict=True)):
        head = (f"ai-gateway-console doctor: target {target.name}, namespace "
                f"{target.namespace}, deployment {target.deployment}, profile {settings.profile}"
                + (f" ({settings.profile_note})" if settings.profile_note else ""))
        print(("\n" if index else "") + head, file=stream)
        print(report(checks, colour), file=stream)
    return 1 if any(c.status == "fail" for checks in reports for c in checks) else 0
