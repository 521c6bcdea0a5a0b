"""Regenerates screenshots/ from the app itself: `.venv/bin/python -m tests.screenshots`.

Each picture is the seeded demo on a fixed clock, so a diff of the SVGs shows a
real change of the screen and nothing else.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from tests.app_harness import demo_app, demo_fleet_app, wait_for_data, wait_for_fleet
from widgets import textual_patches

OUT = Path(__file__).resolve().parent.parent / "screenshots"

SHOTS: tuple[tuple[str, str, tuple[int, int], tuple[str, ...]], ...] = (
    ("overview-120x40", "provider-outage", (120, 40), ()),
    ("overview-80x24", "crashloop", (80, 24), ()),
    ("hpa-maxed-160x50", "hpa-maxed", (160, 50), ()),
    ("help", "steady", (120, 40), ("question_mark",)),
    ("confirm-restart", "steady", (80, 24), ("r",)),
    ("fleet-120x40", "fleet", (120, 40), ()),
)


async def shoot(name: str, scenario: str, size: tuple[int, int], keys: tuple[str, ...],
                workdir: Path) -> Path:
    # "fleet": three simulated clusters (`--demo --demo-clusters 3`), the fleet view first.
    app = demo_fleet_app(workdir) if scenario == "fleet" else demo_app(workdir, scenario)
    async with app.run_test(size=size) as pilot:
        await (wait_for_fleet(pilot) if scenario == "fleet" else wait_for_data(pilot))
        for key in keys:
            await pilot.press(key)
        await pilot.pause(0.3)
        path = app.save_screenshot(f"{name}.svg", str(OUT))
    return Path(path)


async def main() -> None:
    textual_patches.install()  # the screen as the CLI starts it
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, scenario, size, keys in SHOTS:
            print(await shoot(name, scenario, size, keys, Path(tmp)))


if __name__ == "__main__":
    asyncio.run(main())
