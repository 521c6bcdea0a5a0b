"""The silence's matchers and comment, editable, before the confirmation.

`S` asks the duration first; this screen then lists the matchers the silence will use,
one a line, exactly as they are sent (console/sources/matchers.py: a label that had to
be cleaned for display is a regex spelling its characters), and its comment. `enter`
reads the lines: a bad one is named and nothing moves on; `escape` cancels, nothing is
sent. `ctrl+n` breaks a line, to add a matcher. Every line is text in a TextArea, never
markup. Like the prompt, it answers once, can be withdrawn when the target changes,
takes the keys typed before it showed, and holds the keys typed after its answer for
the confirmation (screens/type_ahead.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static, TextArea

from console.actions.runner import MAX_COMMENT
from console.screens.dialog import DialogInput, DialogScreen
from console.screens.type_ahead import TypeAhead
from console.sources.matchers import Matcher, parse
from console.text.safe_text import clean_line

HINT = ("name=value  name!=value  name=~regex  name!~regex, one a line; a regex matches "
        "the whole value, \\x1B and \\x{202E} stand for characters that cannot be shown")
KEYS = "[b]enter[/b] next  [b]esc[/b] cancel  ctrl+n new line  ctrl+k cut  tab comment"


@dataclass(frozen=True, slots=True)
class SilenceEdit:
    """What the editor answers: the matchers to send and the comment."""

    matchers: tuple[Matcher, ...]
    comment: str


class MatcherLines(TextArea):
    """`enter` answers the editor rather than breaking the line; after the answer a key
    was typed for the confirmation and goes back to wait for it."""

    def __init__(self, editor: MatcherEditor, text: str) -> None:
        super().__init__(text, id="matchers-text", soft_wrap=False, show_line_numbers=True)
        self.cursor_blink = False  # a steady cursor: no redraw twice a second, same picture
        self.editor = editor

    async def on_key(self, event: events.Key) -> None:
        # Subclass handlers run before TextArea's own: prevent_default skips its insert.
        if self.editor.answered or event.key in ("enter", "ctrl+n"):
            event.stop()
            event.prevent_default()
        if self.editor.answered:
            if self.editor.type_ahead is not None:
                self.editor.type_ahead.give_back(event)
        elif event.key == "enter":
            self.editor.submit()
        elif event.key == "ctrl+n":
            self.insert("\n")


class CommentInput(DialogInput):
    """The silence's comment: `enter` answers the editor, as in the matcher lines."""

    def __init__(self, editor: MatcherEditor, value: str) -> None:
        super().__init__(editor, value, lambda _: editor.submit(), id="matchers-comment")


class MatcherEditor(DialogScreen[SilenceEdit | None]):
    """One step of S (screens/dialog.py keeps its promises: one answer, withdrawn on a
    target switch, the keys typed ahead handed to it)."""

    CSS_PATH = Path(__file__).with_name("matcher_editor.tcss")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, matchers: tuple[Matcher, ...], comment: str,
                 default_comment: str, type_ahead: TypeAhead | None = None) -> None:
        super().__init__(None, type_ahead)
        self.title_text = title
        self.lines = "\n".join(m.text for m in matchers)
        self.comment = comment
        self.default_comment = default_comment
        """The comment sent when the field is left empty: Alertmanager wants one."""

    def compose(self) -> ComposeResult:
        with Vertical(id="matchers-box"):
            yield Static(self.title_text, id="matchers-title", markup=False)
            yield Static(HINT, id="matchers-hint", markup=False)
            yield MatcherLines(self, self.lines)
            yield Static("", id="matchers-error", markup=False)  # under the lines it names
            yield Static("comment", id="matchers-comment-label", markup=False)
            yield CommentInput(self, self.comment)
            yield Static(KEYS, id="matchers-keys")

    def on_mount(self) -> None:
        # Focused before the base hands over the keys typed ahead (after a refresh).
        self.query_one(MatcherLines).focus()

    def submit(self) -> None:
        if self.answered:
            return
        try:
            matchers = parse(self.query_one(MatcherLines).text)
        except ValueError as exc:
            self.query_one("#matchers-error", Static).update(f"✗ {exc}")
            return
        typed = clean_line(self.query_one(CommentInput).value.strip())[:MAX_COMMENT]
        # What follows is for the confirmation.
        self.answer_with(SilenceEdit(matchers, typed or self.default_comment), then_more=True)
