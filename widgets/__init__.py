"""Reusable Textual widgets that only render what they are given; they never fetch."""
