"""Likely causes: pure analyzers over the snapshot, for the overview's `Likely cause` panel.

No Textual (the data layer); console/views/likely_cause.py renders what `analyze` returns.
"""

from console.analysis.analyze import analyze
from console.analysis.finding import Analysis, Finding

__all__ = ["Analysis", "Finding", "analyze"]
