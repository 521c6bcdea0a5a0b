"""A Textual driver that tells which Textual patches are in when the console's App starts.

Whether the CLI installed widgets/textual_patches can only be seen inside the
process it starts. Textual picks its driver from `TEXTUAL_DRIVER`
(`tests.stack.patch_probe:PatchProbe`), so the real command line, settings and
App run unchanged; when the App starts its application mode, this writes what
is in place to the file `AGC_PATCH_PROBE` names and ends the process at once
(there is no terminal to restore: it is headless).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from textual._compositor import ChopsUpdate, Compositor
from textual.drivers.headless_driver import HeadlessDriver

from widgets import textual_patches
from widgets.textual_patches import partial_renders, partial_writes

PROBE_FILE = "AGC_PATCH_PROBE"


def report() -> dict[str, object]:
    """What is installed, read both from the package and from Textual's classes."""
    state = textual_patches.installed()
    return {
        "partial_renders": state.partial_renders,
        "partial_writes": state.partial_writes,
        "row_styles": state.row_styles,
        "compositor_is_ours": Compositor._get_renders is partial_renders._get_renders,
        "writer_is_ours": ChopsUpdate.render_segments is partial_writes.render_segments,
    }


class PatchProbe(HeadlessDriver):
    def start_application_mode(self) -> None:
        Path(os.environ[PROBE_FILE]).write_text(json.dumps(report()))
        os._exit(0)
