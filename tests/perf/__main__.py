"""`python -m tests.perf [--quick]`: the console's performance figures next to their targets.

Process-level where that is what a user feels (start-up, CPU, memory, bytes
to the terminal: the real `ai-gateway-console` under a pseudo-terminal, read
from /proc and the pty master), in process for the refresh cost at a scale no
demo produces. Medians of several runs; the machine is shared, so the table
also prints the load average it ran under. Not part of the default test run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import time
from dataclasses import dataclass

from tests.perf.inproc import refresh_cost
from tests.perf.ptyproc import PtyProcess, console_command

MARK = b"gpt-4.1"
REFRESH_S = 2.0


@dataclass
class Row:
    what: str
    value: str
    target: str
    met: bool | None


def _median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def startup(runs: int) -> list[float]:
    """Spawn to the first model name on the pty: the first frame that shows data."""
    times = []
    for _ in range(runs):
        with PtyProcess(console_command("--demo"), 120, 40, keep_output=False) as proc:
            proc.start([MARK])
            t = proc.found_at(MARK, 20)
            if t is not None:
                times.append(t)
    return times


@dataclass
class Live:
    cpu_pct: float
    rss_mb: float
    growth_pct: float
    bytes_per_refresh: float
    full_redraw: float


def live(seconds: float, growth_s: float, *args: str) -> Live:
    """One console on the demo at 120x40: CPU, memory and bytes at the default refresh."""
    with PtyProcess(console_command("--demo", *args), 120, 40, keep_output=False) as proc:
        proc.start([MARK])
        if proc.found_at(MARK, 20) is None:
            raise RuntimeError("no data within 20 s")
        time.sleep(4.0)  # history loaded, first refreshes done
        rss0 = proc.rss_bytes()
        c0, t0 = proc.cpu_seconds(), time.perf_counter()
        time.sleep(seconds)
        c1, t1 = proc.cpu_seconds(), time.perf_counter()
        sent = proc.bytes_since(t0) - proc.bytes_since(t1)
        rss1 = proc.rss_bytes()
        if growth_s > seconds:
            time.sleep(growth_s - seconds)
            rss1 = proc.rss_bytes()
        # A full redraw of the same view: the first frame with data is drawn whole (no
        # earlier frame to update), so its burst of bytes around the first model name.
        first = proc.started + (proc.found_at(MARK, 0.1) or 0.0)
        full = sum(n for t, n in proc.chunks if first - 0.1 <= t <= first + 0.1)
    return Live(100 * (c1 - c0) / (t1 - t0), rss1 / 1e6, 100 * (rss1 - rss0) / rss0,
                sent / ((t1 - t0) / REFRESH_S), float(full))


def machine() -> str:
    model = "?"
    try:
        with open("/proc/cpuinfo") as fh:
            model = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")),
                         "?")
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, "
            f"load average {load}")


def run(quick: bool) -> list[Row]:
    rows: list[Row] = []
    runs = 3 if quick else 7
    t = startup(runs)
    rows.append(Row(f"start-up to first data, --demo (median of {len(t)})",
                    f"{_median(t):.2f} s", "≤ 1.0 s", _median(t) <= 1.0))

    secs, growth = (20.0, 40.0) if quick else (60.0, 600.0)
    lives = [live(secs, growth if i == 0 else 0.0) for i in range(1 if quick else 3)]
    cpu = _median([x.cpu_pct for x in lives])
    rows.append(Row(f"idle CPU, demo, 120x40, refresh 2 s ({secs:.0f} s)", f"{cpu:.2f} %",
                    "≤ 2 % of a core", cpu <= 2.0))
    rss = max(x.rss_mb for x in lives)
    rows.append(Row("resident memory", f"{rss:.0f} MB", "≤ 120 MB", rss <= 120))
    g = lives[0].growth_pct
    rows.append(Row(f"memory growth over {growth / 60:.1f} min"
                    + (" (--quick: not the 10 min)" if quick else ""),
                    f"{g:+.1f} %", "≤ 5 % over 10 min", g <= 5.0))
    b = _median([x.bytes_per_refresh for x in lives])
    full = _median([x.full_redraw for x in lives])
    rows.append(Row("bytes per refresh, demo (7 models), 120x40",
                    f"{b / 1024:.1f} KB ({100 * b / full:.0f} % of a full redraw "
                    f"of {full / 1024:.1f} KB)", "≤ 4 KB", b <= 4096))
    low = live(secs, 0.0, "--low-bandwidth")
    rows.append(Row("bytes per refresh, --low-bandwidth",
                    f"{low.bytes_per_refresh / 1024:.1f} KB "
                    f"({100 * low.bytes_per_refresh / low.full_redraw:.0f} % of a full redraw)",
                    "(lower)", None))

    for models, pods, target in ((50, 10, 5.0), (1000, 200, 40.0)):
        r = asyncio.run(refresh_cost(models, pods, 5 if quick else 15))
        rows.append(Row(f"refresh CPU, {models} models + {pods} pods (median)",
                        f"{r.median_ms:.1f} ms ({r.cells_changed} cells changed)",
                        f"≤ {target:.0f} ms", r.median_ms <= target))
        rows.append(Row(f"  cursor and scroll kept ({models} models)",
                        "yes" if r.cursor_kept and r.scroll_kept else "NO", "yes",
                        r.cursor_kept and r.scroll_kept))
    return rows


def render(rows: list[Row], header: str, elapsed: float) -> str:
    width = max(len(r.what) for r in rows)
    vwidth = max(len(r.value) for r in rows)
    lines = [header, ""]
    lines.append(f"| {'figure':<{width}} | {'measured':<{vwidth}} | target | met |")
    lines.append(f"|{'-' * (width + 2)}|{'-' * (vwidth + 2)}|---|---|")

    def mark(met: bool | None) -> str:
        return "—" if met is None else ("yes" if met else "NO")

    for r in rows:
        lines.append(f"| {r.what:<{width}} | {r.value:<{vwidth}} | {r.target} | {mark(r.met)} |")
    lines.append(f"\n({elapsed:.0f} s)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.perf", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="fewer runs and shorter windows (about 2 minutes)")
    args = parser.parse_args()
    started = time.perf_counter()
    header = machine()
    rows = run(args.quick)
    print(render(rows, f"{'quick' if args.quick else 'full'} run on {header}",
                 time.perf_counter() - started))


if __name__ == "__main__":
    main()
