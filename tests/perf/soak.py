"""One-hour soak: the live console on the real stack with a fault every minute.

    .venv/bin/python -m tests.perf.soak [--minutes 60] [--fault-every 60] [--fault-for 20]

Starts the stand-in gateway exporter, the real Prometheus and Alertmanager, the
Kubernetes API emulator and a `FaultProxy` in front of each, then runs the
console headless (Textual's test driver) for `--minutes`, switching one
source to the next fault of the campaign every `--fault-every` seconds for
`--fault-for` seconds. Passes (exit 0) when the console never crashed, no
worker ended in error, no token reached the status line, every source is
healthy at the end and resident memory grew at most `--max-growth` (10 %)
from the end of the warm-up (a sixth of the run, at most 10 minutes: the time
Textual's bounded render caches take to fill). Not part of the default test run (tests/perf is
excluded by pyproject's norecursedirs): an hour does not fit a suite.

The stack, the emulator and the proxies run in a child process, so the memory
measured (this process's RSS) is the console's own, not the harness's thread
per proxied connection or the emulator's request log.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import multiprocessing
import sys
import tempfile
import time
import tracemalloc
from multiprocessing.connection import Connection
from pathlib import Path

from console.app import GatewayConsole
from tests.stack.fault_proxy import (
    FAULTS,
    KUBE_TOKEN,
    SOURCES,
    TOKENS,
    FaultProxy,
    apply_fault,
    build_app,
    rss_bytes,
    status_line,
)
from tests.stack.gateway_exporter import GatewayExporter, seed_models
from tests.stack.kube_fixtures import loaded_emulator
from tests.stack.prometheus_stack import PrometheusStack, ScrapeJob
from widgets import textual_patches


def healthy(app: GatewayConsole) -> bool:
    statuses = (app.latest.metrics_status, app.latest.cluster_status, app.latest.alerts_status)
    return all(s is not None and s.ok for s in statuses)


def rotation() -> list[tuple[str, str]]:
    """Faults interleaved across sources, so consecutive minutes hit different sources."""
    per_source = {s: list(FAULTS[s]) for s in SOURCES}
    out: list[tuple[str, str]] = []
    while any(per_source.values()):
        for source in SOURCES:
            if per_source[source]:
                out.append((source, per_source[source].pop(0)))
    return out


class Failed(Exception):
    """The soak found a problem; the message is the one line printed."""


class Harness:
    """The stack, the emulator and the proxies in a child process, driven over a pipe."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_harness, args=(child,), daemon=True)
        self._process.start()
        if not self._conn.poll(120):
            raise Failed("the stack did not start within 120 s")
        answer = self._conn.recv()
        if isinstance(answer, str):
            raise Failed(answer)
        self.urls: dict[str, str] = answer

    def _ask(self, *command: str) -> None:
        self._conn.send(command)
        if not self._conn.poll(30):
            raise Failed(f"the harness did not answer {command}")
        self._conn.recv()

    def fault(self, source: str, fault: str) -> None:
        self._ask("fault", source, fault)

    def forward(self, source: str) -> None:
        self._ask("forward", source)

    def stop(self) -> None:
        with contextlib.suppress(OSError, Failed):
            self._ask("stop")
        self._process.join(30)
        if self._process.is_alive():
            self._process.terminate()


def _harness(conn: Connection) -> None:
    """Child process: start everything, send the proxy URLs, then obey until "stop"."""
    exporter = GatewayExporter(seed_models()).start()
    stack = PrometheusStack([ScrapeJob("ai-gateway", [exporter.target])])
    emulator = loaded_emulator(KUBE_TOKEN, bookmark_interval_s=5.0)
    proxies: dict[str, FaultProxy] = {}
    try:
        try:
            stack.start()
            stack.wait_for_samples("ai-gateway", samples=3)
            emulator.start()
            assert stack.alertmanager_url is not None
            proxies = {
                "prometheus": FaultProxy(stack.prometheus_url).start(),
                "alertmanager": FaultProxy(stack.alertmanager_url).start(),
                "kubernetes": FaultProxy(emulator.url).start(),
            }
        except Exception as exc:  # told to the parent in one line, which exits 1
            conn.send(f"the stack did not start: {type(exc).__name__}: {exc}")
            return
        conn.send({name: p.url for name, p in proxies.items()})
        while True:
            command = conn.recv()
            if command[0] == "fault":
                apply_fault(proxies[command[1]], command[1], command[2])
            elif command[0] == "forward":
                proxies[command[1]].forward()
            with emulator._cond:
                emulator.requests.clear()  # a test log: unbounded over an hour
            conn.send("ok")
            if command[0] == "stop":
                return
    finally:
        for proxy in proxies.values():
            proxy.stop()
        emulator.stop()
        stack.stop()
        exporter.stop()


async def soak(args: argparse.Namespace, harness: Harness, folder: Path) -> None:
    from textual.worker import WorkerState

    app = build_app(harness.urls, folder, refresh=args.refresh)
    total_s = args.minutes * 60.0
    # Textual keeps bounded caches (rendered lines per widget, strips' crops, the compositor's
    # chops) whose keys change with every update: they fill for minutes and then stay.
    # Growth is measured after that, so what it catches is memory that keeps growing.
    warmup_s = min(600.0, total_s / 6)
    faults = rotation()
    async with app.run_test(size=(160, 50)) as pilot:

        async def check(what: str) -> None:
            await pilot.pause()
            if not app.is_running or app._exception is not None:
                raise Failed(f"console stopped during {what}: {app._exception!r}")
            broken = [w.name for w in app.workers if w.state == WorkerState.ERROR]
            if broken:
                raise Failed(f"worker(s) {broken} ended in error during {what}")
            line = status_line(app)
            if "\n" in line or any(t in line for t in TOKENS):
                raise Failed(f"status line not one clean line during {what}: {line!r}")

        started = time.monotonic()
        while not healthy(app):
            await check("start-up")
            if time.monotonic() - started > 60:
                raise Failed(f"sources not healthy after 60 s: {status_line(app)!r}")
            await pilot.pause(0.2)
        print(f"warming up {warmup_s:.0f} s", flush=True)
        await pilot.pause(warmup_s)
        gc.collect()
        baseline = rss_bytes()
        peak = baseline
        traced = None
        if args.tracemalloc:  # from here on only: tracing the start-up would take minutes
            tracemalloc.start(1)
            traced = tracemalloc.take_snapshot()
        print(f"baseline RSS {baseline / 1e6:.1f} MB", flush=True)
        end = started + total_s
        i = 0
        while time.monotonic() + args.fault_every <= end + 1:
            source, fault = faults[i % len(faults)]
            minute_start = time.monotonic()
            harness.fault(source, fault)
            while time.monotonic() - minute_start < args.fault_for:
                await pilot.pause(1.0)
                await check(f"{source} {fault}")
            harness.forward(source)
            while time.monotonic() - minute_start < args.fault_every:
                await pilot.pause(1.0)
                await check(f"after {source} {fault}")
            ok = healthy(app)
            rss = rss_bytes()
            peak = max(peak, rss)
            print(f"{i + 1:3d} {source:12s} {fault:10s} recovered={ok} "
                  f"RSS {rss / 1e6:.1f} MB polls={app.polls}", flush=True)
            if not ok:
                raise Failed(f"{source} not healthy {args.fault_every - args.fault_for:g} s "
                             f"after {fault} ended: {status_line(app)!r}")
            i += 1
        for name in SOURCES:
            harness.forward(name)
        settle = time.monotonic()
        while not healthy(app):
            if time.monotonic() - settle > 30:
                raise Failed(f"not all healthy at the end: {status_line(app)!r}")
            await pilot.pause(0.5)
        gc.collect()
        final = rss_bytes()
        growth = (final - baseline) / baseline
        print(f"{i} faults; RSS {baseline / 1e6:.1f} -> {final / 1e6:.1f} MB "
              f"({growth:+.1%}, peak {peak / 1e6:.1f} MB)", flush=True)
        if traced is not None:
            top = tracemalloc.take_snapshot().compare_to(traced, "lineno")[:15]
            for stat in top:
                print(f"  {stat}", flush=True)
        if growth > args.max_growth:
            raise Failed(f"memory grew {growth:.1%} (> {args.max_growth:.0%})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--fault-every", type=float, default=60.0,
                        help="seconds between faults (default 60)")
    parser.add_argument("--fault-for", type=float, default=20.0,
                        help="seconds each fault lasts (default 20)")
    parser.add_argument("--refresh", default="2s", help="the console's refresh (default 2s)")
    parser.add_argument("--max-growth", type=float, default=0.10,
                        help="allowed RSS growth after warm-up (default 0.10)")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="trace allocations and print the 15 biggest growths (slower)")
    args = parser.parse_args(argv)
    textual_patches.install()  # the console as the CLI starts it
    if args.fault_for >= args.fault_every:
        parser.error("--fault-for must be shorter than --fault-every")
    harness: Harness | None = None
    try:
        harness = Harness()
        with tempfile.TemporaryDirectory(prefix="agc-soak-") as folder:
            asyncio.run(soak(args, harness, Path(folder)))
    except Failed as exc:
        print(f"SOAK FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if harness is not None:
            harness.stop()
    print("SOAK PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
