"""The overview's `Likely cause`: the analysis of what the screen shows, and its panel.

Kept beside the overview rather than in it: the screen calls `render` after every
poll, and the export (`x`) writes the same analysis the panel shows, trends and all,
so the incident note and the screen name the same cause.
"""

from __future__ import annotations

from console.analysis import Analysis, analyze
from console.hints import Hint, HintsError, finding_hint, load_hints
from console.screens.host import OverviewHost
from console.views.likely_cause import likely_cause_text
from widgets.text_panel import TextPanel

TALL = 32
"""From this many rows the panel shows up to `TALL_LINES` lines, below it two."""
TALL_LINES = 4


def current_analysis(host: OverviewHost) -> Analysis:
    """The analysis of the target shown: its snapshot and the overview's trends."""
    state = host.state
    return analyze(host.snapshot(), state.trends, state.trend_step_s)


def render(panel: TextPanel, host: OverviewHost, width: int, height: int) -> None:
    """Draw the panel for a terminal of `width` x `height` (it repaints only on change)."""
    lines = TALL_LINES if height >= TALL else 2
    panel.show(likely_cause_text(current_analysis(host), max(20, width), lines))


def pod_hints(host: OverviewHost, pod: str) -> tuple[Hint, ...]:
    """The hints of the likely causes about `pod` (its crash), for the pod drill-down."""
    try:
        book = load_hints()
    except HintsError:
        return ()  # the model drill-down says why; the pod's facts still show
    target = host.runner.target
    found = (finding_hint(book, f, namespace=target.namespace, deployment=target.deployment)
             for f in current_analysis(host).findings if pod in f.about)
    return tuple(h for h in found if h is not None)
