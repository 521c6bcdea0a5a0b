"""A corpus of hostile strings, and what each may and may not become on the way out.

Every source the console reads can be chosen by someone else (issue 12): these
are the payloads an attacker would try, each behind a marker (`HX01`…) so a test
can find it in a byte stream or on a screen. `raw` is what a source serves;
`shown` is what the console must show instead (console/text/safe_text.py's rule);
`forbidden` are the byte strings that must never reach a terminal.

Markup payloads (`[@click=…]`) hold no control character: they must be shown
literally, which is what proves that no data string is read as markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from console.text.safe_text import clean_line


@dataclass(frozen=True)
class Payload:
    marker: str
    kind: str
    body: str

    @property
    def raw(self) -> str:
        """The marker and the payload, as a source serves it."""
        return f"{self.marker}{self.body}"

    @property
    def shown(self) -> str:
        """What a single-line field holding `raw` must read as on screen and in exports."""
        return clean_line(self.raw)

    @property
    def forbidden(self) -> bytes:
        """The raw payload as a terminal would receive it; never in the app's output."""
        return self.raw.encode("utf-8", "surrogatepass")

    @property
    def has_controls(self) -> bool:
        return self.shown != self.raw


CORPUS: tuple[Payload, ...] = (
    Payload("HX01", "OSC 52 clipboard write", "\x1b]52;c;cm0gLXJmIH4K\x07"),
    Payload("HX02", "OSC 0 window title", "\x1b]0;owned\x07"),
    Payload("HX03", "OSC 8 hyperlink", "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\"),
    Payload("HX04", "clear screen", "\x1b[2J\x1b[H"),
    Payload("HX05", "cursor moves", "\x1b[5A\x1b[10;10H\x1b[s\x1b[u"),
    Payload("HX06", "8-bit CSI U+009B", "\x9b2J\x9b31m"),
    Payload("HX07", "8-bit OSC U+009D", "\x9d0;title\x9c"),
    Payload("HX08", "BEL", "ding\x07\x07"),
    Payload("HX09", "NUL", "nul\x00byte"),
    Payload("HX10", "DEL", "de\x7fl"),
    Payload("HX11", "CR overwrite", "shown\rHIDDEN"),
    Payload("HX12", "backspaces", "abc\x08\x08\x08XYZ"),
    Payload("HX13", "bidi override", "\u202eevil\u202c and \u2066isolate\u2069"),
    Payload("HX14", "click action", "[@click=app.quit]x[/]"),
    Payload("HX15", "link markup", "[link=file:///etc/passwd]x"),
    Payload("HX16", "unbalanced close tag", "[/]"),
    Payload("HX17", "open tag", "[bold"),
    Payload("HX18", "dialog answer", "[@click=screen.answer(True)]yes[/]"),
    Payload("HX19", "newline", "two\nlines"),
    Payload("HX20", "SGR colours", "\x1b[31;5mred\x1b[0m"),
    Payload("HX21", "DCS and APC strings", "\x1bP+q544e\x1b\\\x1b_apc\x1b\\"),
    Payload("HX22", "zero width and tags", "a\u200bb\ufeffc\U000e0041\U000e0042"),
    Payload("HX23", "Markdown and HTML", "| a | `b` **c** <b>d</b> [e](http://f.example) # g"),
    Payload("HX24", "Textual variables", "$accent [$warning]x[/] [on red]y"),
    Payload("HX25", "line separator", "one\u2028two\u2029three"),
)
"""Each payload as one single-line field; the markers are unique and appear in no fixture."""

LONG = "HX90" + "L" * 10_000
"""A 10,000-character label: it must not push the figures off-screen."""

MARKUP = tuple(p for p in CORPUS if not p.has_controls)
CONTROLS = tuple(p for p in CORPUS if p.has_controls)


def by_kind(kind: str) -> Payload:
    return next(p for p in CORPUS if p.kind == kind)


CLICK = by_kind("click action")
ANSWER = by_kind("dialog answer")
UNBALANCED = by_kind("unbalanced close tag")


def joined(payloads: tuple[Payload, ...] = CORPUS) -> str:
    """Every payload in one string (an event message, a log line, an annotation)."""
    return " ".join(p.raw for p in payloads)


FORBIDDEN_ANYWHERE: tuple[tuple[str, bytes], ...] = (
    ("OSC (ESC ])", b"\x1b]"),
    ("DCS (ESC P)", b"\x1bP"),
    ("APC (ESC _)", b"\x1b_"),
    ("PM (ESC ^)", b"\x1b^"),
    ("SOS (ESC X)", b"\x1bX"),
    ("BEL", b"\x07"),
    ("NUL", b"\x00"),
    ("DEL", b"\x7f"),
    ("backspace", b"\x08"),
    *((f"UTF-8 C1 U+{0x80 + i:04X}", bytes((0xC2, 0x80 + i))) for i in range(32)),
    *((f"bidi U+{c:04X}", chr(c).encode()) for c in (*range(0x202A, 0x202F),
                                                      *range(0x2066, 0x206A))),
)
"""Byte strings the console's own drawing never writes (Textual draws with CSI, plus the
one OSC below), so any of them in its output came from data."""

OWN_OSC = re.compile(rb"\x1b\]22;[a-z-]*\x07")
"""The one OSC Textual writes itself: the mouse pointer's shape (`ESC ] 22 ; default BEL`)."""


def leaks(output: bytes) -> list[str]:
    """What of the corpus reached the terminal raw: a forbidden byte string anywhere (but
    Textual's own pointer-shape OSC), or a payload verbatim behind its marker. Empty when
    the output is clean."""
    output = OWN_OSC.sub(b"", output)
    found = [name for name, needle in FORBIDDEN_ANYWHERE if needle in output]
    found += [f"{p.marker} {p.kind}" for p in CONTROLS if p.forbidden in output]
    return found


NOTE_CODE = ("ai-services/ai-gateway", "ai-gateway-hpa")
"""The code spans an incident note of the test stack has of its own: the object names."""


def markdown_problems(note: str, code: tuple[str, ...] = NOTE_CODE) -> list[str]:
    """What in a Markdown document does not render as written: a table whose rows do not
    keep its header's column count, data that became a link, HTML, an image or emphasis,
    a code span other than the note's own (`code`). Empty when there is none."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(note)
    found = []
    for tok in (t for t in tokens if t.type == "inline"):
        children = tok.children or []
        kinds = {c.type for c in children} & {"link_open", "html_inline", "image", "em_open"}
        found += [f"{kind} in {tok.content[:80]!r}" for kind in sorted(kinds)]
        found += [f"code span {c.content!r}" for c in children if c.type == "code_inline"
                  and c.content not in code]
    widths: list[set[int]] = []
    cells = 0
    for tok in tokens:
        if tok.type == "table_open":
            widths.append(set())
        elif tok.type == "tr_open":
            cells = 0
        elif tok.type in ("th_open", "td_open"):
            cells += 1
        elif tok.type == "tr_close":
            widths[-1].add(cells)
    found += [f"table {i} has rows of {sorted(w)} cells" for i, w in enumerate(widths)
              if len(w) != 1]
    return found if widths else [*found, "no table"]


def markdown_text(note: str) -> str:
    """The text a reader of the rendered Markdown sees (tags dropped, entities decoded)."""
    import html

    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark").enable("table").render(note)
    return html.unescape(re.sub(r"<[^>]+>", "", rendered))
