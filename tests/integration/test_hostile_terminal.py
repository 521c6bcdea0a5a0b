"""Hostile data on the real stack, through the real console process, read from its pty.

The hostile stack (tests/stack/hostile_stack.py) serves the corpus of
tests/stack/hostile.py from a real Prometheus (labels), a real Alertmanager
(alerts) and the Kubernetes emulator (conditions, reasons, events, logs, the
ConfigMap). The console runs under a pseudo-terminal; every screen is visited
with the keys a user presses, and the proof is taken from the bytes the console
wrote (no OSC, BEL, NUL, C1 or payload verbatim: `leaks`) and from the screen a
terminal emulator (pyte) draws from them: markup from data shows literally, a
click on it does nothing, and `q` still exits 0.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.text.safe_text import clean_line
from tests.stack import kube_objects as ko
from tests.stack.hostile import ANSWER, CLICK, CORPUS, LONG, MARKUP, leaks, markdown_problems
from tests.stack.hostile_stack import LONG_POD, PROVIDER, HostileStack
from tests.stack.pty_screen import PtyScreen

pytestmark = [pytest.mark.stack, pytest.mark.timing]


@pytest.fixture
def console(hostile_stack: HostileStack, tmp_path: Path) -> Iterator[PtyScreen]:
    screen = PtyScreen(hostile_stack.console_args(refresh="1s"), hostile_stack.env(tmp_path),
                       tmp_path)
    screen.start()
    yield screen
    screen.stop()


def shown(raw: str) -> str:
    return clean_line(raw)


def test_every_screen_on_hostile_data(console: PtyScreen, hostile_stack: HostileStack,
                                      tmp_path: Path) -> None:
    overview(console)
    model_drill_down(console)
    pod_drill_down_and_its_logs(console)
    events_and_logs(console)
    silence_dialog(console, hostile_stack)
    help_and_export(console, tmp_path)
    assert console.quit() == 0, console.text()
    assert leaks(console.output) == []


def overview(console: PtyScreen) -> None:
    text = console.wait_for(CLICK.raw, "HostileDialog", "HX90", "✓ kubernetes", timeout=40)
    # The worst row is the model named `[@click=app.quit]x[/]`, literally.
    assert f"{PROVIDER}" in text and CLICK.raw in text
    # A 10,000-character name is cut, and its row still shows its figures.
    row = next(line for line in console.lines() if "HX90" in line)
    assert "HX90LLL" in row and "L…" in row and "L" * 40 not in row
    assert " %" in row.split("L…", 1)[1] and " ms" in row.split("L…", 1)[1], row
    # Pods: the cut 240-character name, the waiting reason with its controls as symbols.
    assert LONG_POD[:40] in text and LONG_POD not in text
    assert shown("HX04\x1b[2J\x1b[H") in text
    # The HPA (the right-hand panel): a condition reason that is markup, shown as written.
    assert any(line.find(CLICK.raw) > 100 for line in console.lines()), text


def model_drill_down(console: PtyScreen) -> None:
    console.press("enter")
    title = f"{PROVIDER} / {CLICK.raw}"
    console.wait_for(title, "errors by HTTP code", timeout=20)
    # The known exploit: `[@click=app.quit]x[/]` made the title's "x" a quit button.
    # The text after "HX14" is the literal markup now; click every cell of it.
    x, y = console.find(title)
    start = x + len(f"{PROVIDER} / HX14")
    for dx in range(len(CLICK.raw) - 4):
        console.click(start + dx, y)
    time.sleep(1.0)
    assert console.alive, "a click on the drill-down title quit the console"
    console.wait_for(title)
    # The hints quote the ConfigMap: its YAML escapes made controls, shown as symbols.
    console.press("end")
    console.wait_for("now:", shown("HX04\x1b[2J\x1b[H"), "HX15[link=file:///etc/passwd]x",
                     shown("HX06\x9b2J\x9b31m"), timeout=20)
    console.press("escape")


def pod_drill_down_and_its_logs(console: PtyScreen) -> None:
    console.press("tab", "tab", "enter")  # models -> alerts -> pods; the crashing pod first
    console.wait_for(f"pod {ko.POD_CRASH}", timeout=20)
    # Its events (reasons `[/]`, `[@click=screen.answer(True)]…`) and the container's
    # waiting reason with its controls as symbols.
    clear = shown("HX04\x1b[2J\x1b[H")
    console.wait_for(f"waiting ({clear})")
    # The crash's triage hint comes first; the events are at the foot of the detail.
    console.press("end")
    console.wait_for("HX16[/]", "HX18[@click=screen.")
    console.press("l")
    console.wait_for(shown(CORPUS[0].raw), shown(CORPUS[3].raw), timeout=20)
    console.press("escape", "escape")


def events_and_logs(console: PtyScreen) -> None:
    console.press("e")  # the pods table still has the focus: the crashing pod's events
    console.wait_for(f"events of pod/{ko.POD_CRASH}", "HX16[/]", "HX18[@click=screen.",
                     shown("HX13\u202eevil\u202c and"), shown("HX09nul\x00byte"))
    console.press("escape")  # `l` only once the events are gone: under load both keys
    console.wait_until(lambda t: "events of pod/" not in t, what="events closed")  # land there
    console.press("l")
    # The logs screen's title first: the overview (its Likely cause quotes the pod's
    # reason) may show some of the payloads too.
    text = console.wait_for(f"logs {ko.POD_CRASH}",
                            *(shown(p.raw).split("⏎")[0] for p in CORPUS[:12]))
    for payload in MARKUP:
        assert payload.raw in text, payload.kind
    assert "HX90" + "L" * 100 in text  # a log line is as wide as the screen lets it be
    console.press("escape")


def silence_dialog(console: PtyScreen, stack: HostileStack) -> None:
    stack.expire_active_silences()  # the stack is the session's: start unsilenced
    before = len(stack.silences())
    console.press("shift+tab", "S")  # pods -> alerts; HostileDialog (critical) heads them
    console.wait_for("Silence HostileDialog for how long?")
    console.press("enter")
    console.wait_for("what it matches", ANSWER.raw[:20], timeout=20)  # the matcher editor
    console.press("enter")
    text = console.wait_for("same as", "amtool silence add", timeout=20)
    assert ANSWER.raw in text.replace("\n", ""), text
    # The known exploit: the label `[@click=screen.answer(True)]yes[/]` made a click confirm.
    x, y = console.find("yes[/]")
    for dx in range(-20, 6):
        console.click(x + dx, y)
    time.sleep(1.5)
    assert len(stack.silences()) == before, "a click on a label created a silence"
    assert "same as" in console.text()
    console.press("y")
    deadline = time.monotonic() + 15
    while len(stack.silences()) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    created = stack.silences()
    assert len(created) == before + 1
    matchers = {m["name"]: m["value"] for m in created[-1]["matchers"]}
    # The silence matches the literal text the dialog showed, label by label.
    assert sorted(matchers.values()) == sorted(
        [*(p.raw for p in MARKUP), "HostileDialog", "critical"])


def help_and_export(console: PtyScreen, folder: Path) -> None:
    console.press("?")
    console.wait_for("ai-gateway-console — keys")
    console.press("escape", "x")
    console.wait_for("incident.md", timeout=10)
    notes = list(folder.glob("incident-*/incident.md"))
    assert len(notes) == 1
    note = notes[0].read_bytes()
    assert leaks(note) == []
    data = json.loads((notes[0].parent / "snapshot.json").read_text())
    assert shown(CLICK.raw) in {m["model"] for m in data["models"]}
    assert LONG not in json.dumps(data)
    assert markdown_problems(note.decode()) == []
