"""The crash's own words and its ReplicaSet, read by the official client from the emulator,
reach the `Likely cause` whole: the analyzers read what the API serves, not a mirror of it."""

from __future__ import annotations

from datetime import UTC, datetime

from console.analysis import analyze
from console.model import Snapshot, SourceStatus
from console.sources.kubernetes import KubernetesSource
from console.views.likely_cause import likely_cause_text
from tests.stack import kube_objects as k

OK = SourceStatus(True, None, 1.0, last_ok_at=0.0)


async def test_the_crash_message_and_owner_from_the_api(kube_source: KubernetesSource) -> None:
    reading = await kube_source.fetch()
    crash = next(p for p in reading.pods if p.name == k.POD_CRASH)
    assert crash.owner == k.REPLICASET
    (container,) = crash.containers
    assert container.last_termination_message == (
        '{"level":"info","msg":"loading configuration"}', k.CRASH_LINE, "",
        "goroutine 1 [running]:", "main.main()", "        /src/cmd/gateway/main.go:29")
    snapshot = Snapshot(datetime(2026, 11, 26, tzinfo=UTC), "5m", "seed",
                        {"prometheus": OK, "kubernetes": OK, "alertmanager": OK},
                        deployment=reading.deployment, pods=reading.pods, hpa=reading.hpa,
                        events=reading.events)
    analysis = analyze(snapshot)
    crashing = next(f for f in analysis.findings if f.kind in ("pods-crashing", "bad-rollout"))
    # One ReplicaSet for every pod: a crash, not a bad revision to roll back.
    assert crashing.kind == "pods-crashing" and crashing.key == "l"
    assert crashing.quote == k.CRASH_LINE
    assert "gateway exit code 1 (Error)" in crashing.evidence
    assert f"log: {k.CRASH_LINE}" in likely_cause_text(analysis, 80).plain
