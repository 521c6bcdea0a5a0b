"""The embedded demo: an in-process simulated gateway behind the real source interfaces.

`--demo [SCENARIO]` shows the console working with no cluster at all, and the
tests use it for deterministic snapshots. Nothing here imports Textual or the
kubernetes client, so the demo starts as fast as the data layer allows.

Entry point: `console.demo.sources.demo_source_set`.
"""
