"""The pods panel beside the HPA at 120x40 while a new pod is ContainerCreating (issue 17):
the status gave the table ten more cells, the HPA was pushed past the screen's edge and
(with longer node names) the Node column was cut to its header. Now the pods never take
the HPA's min-width and a long status gives up cells before a node is cut."""

from __future__ import annotations

from pathlib import Path

from console.clock import FixedClock
from console.model import PodState
from console.views.overview import POD_COLUMNS, pod_cells
from tests.app_harness import demo_app, wait_for_data
from widgets.columns import plain
from widgets.keyed_table import KeyedTable
from widgets.table_rows import RowStore


def rendered(table: KeyedTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.row_count + 1)]


async def test_a_container_creating_pod_keeps_the_nodes_whole_and_the_hpa_on_screen(
        tmp_path: Path) -> None:
    clock = FixedClock()
    app = demo_app(tmp_path, clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await app.sources.cluster.restart()
        clock.advance(1.0)
        await wait_for_data(pilot, polls=max(app.state.polls.values()) + 1)
        await pilot.pause(0.2)
        cluster = app.latest.cluster
        assert cluster is not None
        assert "ContainerCreating" in {p.reason for p in cluster.pods}
        pods, hpa = app.overview.query_one("#pods", KeyedTable), app.overview.query_one("#hpa")
        assert hpa.region.right <= 120 and pods.region.right <= hpa.region.x
        lines = rendered(pods)
        assert lines[0].split() == ["Pod", "Status", "Rst", "Age", "Node"]
        for pod in cluster.pods:
            row = next(line for line in lines if line.strip().startswith(pod.name))
            assert row.rstrip().endswith(f"  {pod.node}"), row  # the node whole, at the end
        assert any("◌ ContainerCrea" in line for line in lines)


def test_short_of_room_the_status_gives_up_cells_not_the_node() -> None:
    store = RowStore(POD_COLUMNS)
    long_node = "ip-10-0-12-34.eu-west-1.compute.internal"
    rows = {"a": pod_cells(PodState("gw-1", "Pending", False, 0, 1.0, long_node,
                                    "ContainerCreating")),
            "b": pod_cells(PodState("gw-2", "Pending", False, 0, 1.0, None, None)),
            "c": pod_cells(PodState("gw-3", "Running", False, 0, 1.0, None, None))}
    store.sync(rows)
    node, status = store.natural[4], store.natural[1]
    assert node == len(long_node) and status == len("◌ ContainerCreating")
    assert [plain(store.cells[k][4]) for k in "bc"] == ["pending", "—"], "never empty"
    assert not store.set_room(sum(store.natural))  # room enough: nothing changes
    assert store.set_room(sum(store.natural) - 6)
    assert store.widths[4] == node and store.widths[1] == status - 6
    store.set_room(10)  # far too little: the status stops at its floor, the rest is cut
    assert store.widths[1] == 10 and store.widths[4] == node
    store.set_room(None)
    assert store.widths == store.natural
