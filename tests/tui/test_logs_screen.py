"""The logs screen: wrapped by default (`w` toggles), `/` searches with n/N, hostile lines
cleaned (issue 17). The fetcher is the screen's own parameter: the lines are the test's."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.widgets import RichLog

from console.screens.logs import LogsScreen
from tests.app_harness import demo_app, wait_for_data

LONG = "x" * 300 + " ERROR upstream key rejected"
LINES = [f"line {i} ok" for i in range(120)] + [LONG] + [f"tail {i}" for i in range(60)]


async def fetch_lines(pod: str, tail: int, previous: bool, container: str | None) -> str:
    return "\n".join(LINES[-tail:] if not previous else ["previous run: \x1b[31mboom\x07"])


async def open_logs(app: object, pilot: object) -> LogsScreen:
    screen = LogsScreen("pod-1", fetch_lines, refresh_s=3600)
    await app.push_screen(screen)  # type: ignore[attr-defined]
    for _ in range(100):
        await pilot.pause(0.02)  # type: ignore[attr-defined]
        if screen.lines:
            break
    await pilot.pause()  # type: ignore[attr-defined]
    return screen


async def test_long_lines_wrap_by_default_and_w_toggles(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_data(pilot)
        screen = await open_logs(app, pilot)
        body = screen.query_one("#logs-body", RichLog)
        assert screen.wrap and body.wrap
        assert len(body.lines) > len(LINES), "the 328-character line takes several rows"
        rows = [strip.text for strip in body.lines]
        shown = "".join(row.strip() for row in rows).replace(" ", "")
        assert "ERRORupstreamkeyrejected" in shown  # the end of the long line is on screen
        assert all(len(row.rstrip()) <= 100 for row in rows)
        await pilot.press("w")
        await pilot.pause()
        assert not screen.wrap and len(body.lines) == len(LINES)
        assert "not wrapped" in str(screen.query_one("#logs-title").render())


async def test_slash_finds_highlights_and_n_moves_between_matches(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_data(pilot)
        screen = await open_logs(app, pilot)
        body = screen.query_one("#logs-body", RichLog)
        await pilot.press("slash", *"line 1", "enter")
        await pilot.pause()
        # "line 1", "line 1x", "line 1xx": 1, 10-19, 100-119
        assert screen.matches == [1, *range(10, 20), *range(100, 120)]
        assert screen.current == 0
        start = screen._starts[1]
        assert body.scroll_y <= start < body.scroll_y + body.size.height
        await pilot.press("N")  # round the start: the last match
        await pilot.pause()
        assert screen.current == len(screen.matches) - 1
        start = screen._starts[119]
        assert body.scroll_y <= start < body.scroll_y + body.size.height
        await pilot.press("n")
        await pilot.pause()
        assert screen.current == 0
        # Every match is highlighted in its line, not only the current one.
        highlighted = [s for s in body.lines if any(seg.style and seg.style.bgcolor
                                                    for seg in s)]
        assert len(highlighted) >= len(screen.matches)
        title = str(screen.query_one("#logs-title").render())
        assert "1/31 matches of 'line 1'" in title, title


async def test_escape_closes_the_search_box_first_and_hostile_lines_are_cleaned(
        tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_data(pilot)
        screen = await open_logs(app, pilot)
        await pilot.press("slash", "n", "escape")  # `n` typed in the box is a letter
        await pilot.pause()
        assert app.screen is screen and screen.needle == ""
        await pilot.press("P")
        for _ in range(50):
            await pilot.pause(0.02)
            if screen.lines:
                break
        assert screen.lines and all("\x1b" not in ln and "\x07" not in ln
                                    for ln in screen.lines)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen


CONTAINER_LOGS = {
    ("init", False): ["init: copying config"],
    ("init", True): ["init: first try failed"],
    ("gateway", False): ["gw: listening", "gw: request ok"],
    ("gateway", True): ["gw: panic: key missing"],
    ("sidecar", False): ["otel: ready", "otel: scrape refused\x1b[2J"],
}


async def fetch_container(pod: str, tail: int, previous: bool, container: str | None) -> str:
    lines = CONTAINER_LOGS.get((container or "gateway", previous))
    if lines is None:
        raise RuntimeError(f'previous terminated container "{container}" not found')
    return "".join(f"{line}\n" for line in lines)


async def settled(pilot: object, screen: LogsScreen, *keys: str) -> list[str]:
    """Press the keys, then wait (bounded) until the lines stop changing."""
    await pilot.press(*keys)  # type: ignore[attr-defined]
    seen: list[str] = []
    for _ in range(100):
        await pilot.pause(0.02)  # type: ignore[attr-defined]
        if screen.lines and screen.lines == seen:
            break
        seen = list(screen.lines)
    return screen.lines


async def test_c_switches_container_a_shows_all_prefixed_and_p_is_per_container() -> None:
    app: App[None] = App()  # the screen alone: its fetcher is the test's
    async with app.run_test(size=(110, 30)) as pilot:
        screen = LogsScreen("pod-1", fetch_container, 3600,
                            ("init", "gateway", "sidecar"), "gateway")
        await app.push_screen(screen)
        assert await settled(pilot, screen) == ["gw: listening", "gw: request ok"]
        title = str(screen.query_one("#logs-title").render())
        assert "container gateway (2/3, c: next, a: all), current run" in title, title
        assert await settled(pilot, screen, "c") == ["otel: ready", "otel: scrape refused␛[2J"]
        assert await settled(pilot, screen, "c") == ["init: copying config"]  # round the end
        assert await settled(pilot, screen, "P") == ["init: first try failed"]
        assert await settled(pilot, screen, "a") == [
            "[init] init: first try failed", "[gateway] gw: panic: key missing",
            '[sidecar] ✗ cannot read logs: previous terminated container "sidecar" not found']
        assert await settled(pilot, screen, "P") == [
            "[init] init: copying config", "[gateway] gw: listening", "[gateway] gw: request ok",
            "[sidecar] otel: ready", "[sidecar] otel: scrape refused␛[2J"]
        assert "all 3 containers" in str(screen.query_one("#logs-title").render())
        assert await settled(pilot, screen, "a") == ["init: copying config"]  # back to one


async def test_the_demo_pod_shows_its_sidecar_with_c(tmp_path: Path) -> None:
    app = demo_app(tmp_path, "crashloop")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        app.overview.query_one("#pods").focus()
        await pilot.press("l")
        await pilot.pause(0.2)
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        assert screen.containers == ("gateway", "otel-agent")
        lines = await settled(pilot, screen, "c")
        assert screen.container == "otel-agent"
        assert lines and all("HOLYSHEEP_API_KEY" not in line for line in lines)
        assert "connection refused" in lines[-1]
        lines = await settled(pilot, screen, "a")
        assert any(line.startswith("[gateway] ") and "HOLYSHEEP_API_KEY" in line
                   for line in lines)
        assert lines[-1].startswith("[otel-agent] ")
