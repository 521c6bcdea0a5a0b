"""Exporters of a Snapshot: JSON for tools, plain text for chat, Markdown for tickets.

They read only `console.model` values (which carry no credentials) and never
the settings, so nothing secret can reach a pasted snapshot. No Textual here:
`snapshot` on a jump host must not pay for, or depend on, the TUI.
"""

from console.export.json_export import snapshot_json
from console.export.markdown import snapshot_markdown
from console.export.text import snapshot_text

__all__ = ["snapshot_json", "snapshot_markdown", "snapshot_text"]
