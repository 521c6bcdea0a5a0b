"""What each panel shows, as cells and styled lines (Rich, never Textual)."""
