"""The whole suite runs on the Textual users run: with the console's Textual patches in.

The CLI installs widgets/textual_patches when the live console or a replay
starts; the pilot, snapshot and rendering tests build the App themselves, so
the patches are installed here, once, before any test. The switch works here
too: `AI_GATEWAY_CONSOLE_TEXTUAL_PATCHES=0 tests/run` runs the suite on
Textual's own code, except the tests that take `textual_patched` (they test
what the patches change, so they install them whatever the switch says).
"""

from collections.abc import Iterator

import pytest

from widgets import textual_patches

pytest_plugins = ["tests.stack.fixtures", "tests.stack.kube_fixtures", "tests.stack.hostile_stack"]

textual_patches.install()


@pytest.fixture
def textual_patched() -> Iterator[textual_patches.Patches]:
    """The patches in place for one test, the switch ignored; as they were afterwards."""
    before = textual_patches.installed()
    yield textual_patches.install(environ={})
    if not before.any:
        textual_patches.uninstall()
