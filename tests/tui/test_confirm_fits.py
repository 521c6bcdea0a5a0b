"""The confirmation keeps its title and keys on an 80x24 screen however long what it
quotes: a silence of a 10,000-character label made the amtool line push `y confirm`
off the screen."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from console.screens.confirm import ConfirmScreen


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("behind")


async def test_a_huge_command_scrolls_between_the_title_and_the_keys() -> None:
    app = Host()
    command = "amtool silence add " + "'model=" + "x" * 10_000 + "'"
    async with app.run_test(size=(80, 24)) as pilot:
        answers: list[bool | None] = []
        app.push_screen(ConfirmScreen("Silence HostileLabel for 1h?", "alert HostileLabel",
                                      command), answers.append)
        await pilot.pause()
        screen = app.screen
        keys = screen.query_one("#confirm-keys")
        title = screen.query_one("#confirm-title")
        assert title.region.y >= 0 and keys.region.bottom <= 24, (title.region, keys.region)
        assert "confirm" in str(keys.render())
        body = screen.query_one("#confirm-body")
        assert body.max_scroll_y > 0  # the command is all there, scrolled to
        await pilot.press("end")
        assert body.scroll_y == body.max_scroll_y
        await pilot.press("y")
        await pilot.pause()
        assert answers == [True]
