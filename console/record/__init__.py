"""--record and replay's files: what a recording holds, and what it never holds."""
