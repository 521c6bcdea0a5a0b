"""The events table: the message gets the width, no object column under one object,
times as "2m ago" from the console's clock (issue 17)."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console

from console.model import KubeEvent
from console.views.events import ago, event_rows, events_table
from widgets.columns import plain

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC).timestamp()
MESSAGE = ("Back-off restarting failed container gateway in pod ai-gateway-7d9-abcde_"
           "ai-services(0b5e3c)")


def event(name: str = "ai-gateway-7d9-abcde", kind: str = "Pod",
          seen: str | None = "2026-03-01T11:58:00Z") -> KubeEvent:
    return KubeEvent("Warning", "BackOff", MESSAGE, kind, name, 14, seen)


def drawn(table: object, width: int) -> list[str]:
    console = Console(width=width, record=True, color_system=None)
    console.print(table)
    return console.export_text().splitlines()


def test_times_read_relative_to_the_consoles_clock() -> None:
    assert ago("2026-03-01T11:58:00Z", NOW) == "2m ago"
    assert ago("2026-03-01T09:00:00+00:00", NOW) == "3h ago"
    assert ago(None, NOW) == "—" and ago("yesterday", NOW) == "—"
    assert ago("2026-03-01T11:58:00", NOW) == "—"  # no zone: unknown, not a guess


def test_one_pods_events_have_no_object_column_and_the_message_is_whole() -> None:
    lines = drawn(events_table((event(), event()), NOW), 140)
    assert lines[0].split() == ["type", "reason", "count", "last", "seen", "message"]
    assert "Pod/" not in "\n".join(lines)
    assert "2m ago" in lines[1]
    assert MESSAGE in lines[1], lines  # on one line: the message took the free width


def test_several_objects_are_named() -> None:
    rows = (event("ai-gateway", "Deployment"), event("ai-gateway", "HorizontalPodAutoscaler"))
    text = "\n".join(drawn(events_table(rows, NOW), 160))
    assert "Deployment/ai-gateway" in text and "HorizontalPodAutoscaler/ai-gateway" in text


def test_a_narrow_screen_wraps_the_message_instead_of_cutting_it() -> None:
    text = "".join(line.split("ago", 1)[-1].strip() for line in
                   drawn(events_table((event(),), NOW), 80)[1:])
    assert MESSAGE.replace(" ", "") in text.replace(" ", "")


def test_overview_rows_put_warnings_first_and_cut_the_message_at_the_panels_edge() -> None:
    normal = KubeEvent("Normal", "ScalingReplicaSet", "Scaled up replica set ai-gateway-7d9 "
                       "from 0 to 1", "Deployment", "ai-gateway", 1, "2026-03-01T11:00:00Z")
    rows = event_rows((normal, event()), NOW, 100)
    (warning, scaling) = rows.values()
    assert [plain(c) for c in warning[:4]] == [
        "Warning", "BackOff", "pod/ai-gateway-7d9-abcde", "2m x14"]
    assert [plain(c) for c in scaling[:4]] == [
        "Normal", "ScalingReplicaSet", "deploy/ai-gateway", "60m"]
    # Type 7, reason 17, object 24, seen 6, each +2, and the message's own 2: 100 - 64.
    assert plain(warning[4]) == MESSAGE[:35] + "…"
    assert plain(scaling[4]) == "Scaled up replica set ai-gateway-7d9 from 0 to 1"[:35] + "…"
    wide = event_rows((event(),), NOW, 200)
    assert [plain(c) for c in next(iter(wide.values()))][4] == MESSAGE  # whole when it fits


def test_overview_rows_are_newest_first_whatever_order_they_come_in() -> None:
    old, new = (KubeEvent("Normal", "SuccessfulRescale", f"New size: {n}",
                          "HorizontalPodAutoscaler", "ai-gateway-hpa", 1, seen)
                for n, seen in ((4, "2026-03-01T11:00:00Z"), (10, "2026-03-01T11:50:00Z")))
    unknown = KubeEvent("Normal", "Pulled", "image present", "Pod", "p", 1, None)
    rows = event_rows((unknown, old, new, event()), NOW, 160)
    assert [plain(cells[4]) for cells in rows.values()] == [
        MESSAGE, "New size: 10", "New size: 4", "image present"]
