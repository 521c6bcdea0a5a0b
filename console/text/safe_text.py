"""Text from outside made safe to show: the one boundary every source's strings pass.

Every string a source returns can be chosen by someone else: a model name is
whatever a client sent, an alert summary whatever a rule author wrote, a log
line whatever the gateway printed, an error whatever a proxy answered. Written
to a terminal as they are, an ESC or an 8-bit CSI moves the cursor, clears the
screen, sets the clipboard (OSC 52) or the window title, or plants a link; a
bidi override makes a name read backwards; a NUL or a lone surrogate breaks the
writer. So the sources pass each string through these functions where it enters
the model, and nothing downstream has to think about it.

The rule, one for every field:

- C0 controls and DEL become their Unicode control picture, one cell wide, so a
  reader still sees what was sent: ESC reads ␛, BEL ␇, NUL ␀, CR ␍, DEL ␡.
- Every other code point that is invisible or rewrites what a reader sees
  becomes U+FFFD �: C1 controls (U+0080..U+009F, the 8-bit CSI U+009B among
  them), Unicode's format characters (bidi embeddings, overrides, isolates and
  marks, zero-width characters, tags; all of category Cf but the two joiners),
  line and paragraph separators, Hangul fillers, noncharacters and lone
  surrogates.
- A single-line field (a name, a label value, a reason, a message) shows a
  newline as ⏎ and is cut at `LINE_LIMIT` code points (free text at
  `NOTE_LIMIT`) with a final "…". Multi-line text (pod logs, ConfigMap data)
  keeps its newlines, reads CRLF as one newline, expands tabs to spaces, and
  cuts each line and the whole text.

The functions are idempotent (cleaning clean text changes nothing) and cost a
regular-expression search when there is nothing to replace. No Textual here:
`snapshot`, `doctor` and the exporters use them too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

LINE_LIMIT = 1000
"""Code points kept of a single-line field: a name, a label value, a reason."""
NOTE_LIMIT = 4000
"""Code points kept of free text shown on one line: an annotation, an event message."""
ERROR_LIMIT = 500
"""Code points kept of a server's error text in a SourceError or ActionError."""
TEXT_LINE_LIMIT = 4000
"""Code points kept of each line of multi-line text (a log line)."""
TEXT_LIMIT = 2_000_000
"""Code points kept of a whole multi-line text (all the log lines read at once)."""
TAB_SIZE = 8

ELLIPSIS = "…"
NEWLINE_MARK = "⏎"
REPLACEMENT = "\ufffd"

_INVISIBLE = (
    "\u0080-\u009f"  # C1 controls, the 8-bit CSI U+009B and OSC U+009D among them
    # Unicode's format characters (category Cf) but the joiners U+200C/U+200D that scripts
    # and emoji need: bidi embeddings, overrides, isolates and marks (U+202A..U+202E,
    # U+2066..U+2069, U+200E/F, U+061C), zero-width characters, the soft hyphen,
    # invisible operators, interlinear annotations, the BOM and the tag characters.
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
    "\u2028\u2029"  # line and paragraph separators
    "\u115f\u1160\u3164\uffa0"  # Hangul fillers: blank, used for names that look empty
    "\ufffe\uffff"  # noncharacters
    "\ud800-\udfff"  # lone surrogates: unencodable, a writer would raise
)
_UNSAFE = re.compile(f"\r\n|[\x00-\x1f\x7f{_INVISIBLE}]")
"""What single-line cleaning replaces; CRLF is one match so that it becomes one ⏎."""
_UNSAFE_IN_TEXT = re.compile(f"[\x00-\x08\x0b-\x1f\x7f{_INVISIBLE}]")
"""What multi-line cleaning replaces in a line (tabs are expanded, newlines kept)."""
_JSON_UNSAFE = re.compile(f"[\x7f{_INVISIBLE}]")
"""What JSON text still holds raw after json.dumps (which escapes C0 itself)."""


def _placeholder(char: str) -> str:
    code = ord(char[0])
    if char == "\n" or char == "\r\n":
        return NEWLINE_MARK
    if code < 0x20:
        return chr(0x2400 + code)  # the control pictures block: ␀ ␇ ␈ ␛ ...
    if code == 0x7F:
        return "\u2421"  # ␡
    return REPLACEMENT


def _replace(match: re.Match[str]) -> str:
    return _placeholder(match.group())


def is_clean(text: str) -> bool:
    """True when `text` holds nothing single-line cleaning would replace."""
    return (text.isascii() and text.isprintable()) or _UNSAFE.search(text) is None


def clean_line(text: str, limit: int = LINE_LIMIT) -> str:
    """A single-line field fit to show: controls as placeholders, ⏎ for a newline, capped."""
    if len(text) > limit:
        text = text[: limit - 1] + ELLIPSIS
    elif text.isascii() and text.isprintable():
        return text  # most labels: two C-speed checks, a tenth of the regular expression's
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_replace, text)


def clean_note(text: str) -> str:
    """Free text shown on one line (an annotation, a message): as clean_line, longer cap."""
    return clean_line(text, NOTE_LIMIT)


def one_line(text: str, limit: int = ERROR_LIMIT) -> str:
    """An error text as the one line a status bar shows: whitespace runs (newlines
    included) become one space, then it is cleaned and capped like any field."""
    return clean_line(" ".join(text[: limit * 4].split()), limit)


def clean_map(values: Mapping[object, object], limit: int = LINE_LIMIT) -> dict[str, str]:
    """A string map from outside (labels, annotations) with clean keys and values."""
    try:
        # Every series of every answer comes through here: when all of it is short
        # printable ASCII (as labels mostly are) one check of the whole map does.
        joined = "".join(values) + "".join(values.values())  # type: ignore[arg-type]
    except TypeError:
        joined = None
    if joined is not None and len(joined) <= LINE_LIMIT <= limit and joined.isascii() \
            and joined.isprintable():
        return dict(values)  # type: ignore[arg-type]
    return {clean_line(str(k)): clean_line(str(v), limit) for k, v in values.items()}


def clean_text(
    text: str, *, line_limit: int = TEXT_LINE_LIMIT, limit: int = TEXT_LIMIT, tail: bool = False
) -> str:
    """Multi-line text fit to show: newlines kept, tabs expanded, each line and the whole cut.

    With `tail` the end is kept and the beginning dropped (a log's last lines are
    the ones that matter); a "…" line marks what was cut.
    """
    if len(text) > limit:
        if tail:
            kept = text[len(text) - limit + 2 :]
            text = ELLIPSIS + "\n" + kept.partition("\n")[2]
        else:
            text = text[: limit - 1] + ELLIPSIS
    text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    out = []
    for line in lines:
        if "\t" in line:
            line = line.expandtabs(TAB_SIZE)
        if len(line) > line_limit:
            line = line[: line_limit - 1] + ELLIPSIS
        if _UNSAFE_IN_TEXT.search(line) is not None:
            line = _UNSAFE_IN_TEXT.sub(_replace, line)
        out.append(line)
    return "\n".join(out)


def json_escape(dumped: str) -> str:
    """JSON text (from json.dumps) with every code point of the rule above as a \\u escape.

    json.dumps escapes C0 but leaves DEL, C1 (U+009B), bidi controls and lone
    surrogates raw; they can only stand inside strings, where the escape means the
    same, so the document is unchanged for a parser and inert for a terminal.
    """
    if _JSON_UNSAFE.search(dumped) is None:
        return dumped
    return _JSON_UNSAFE.sub(_json_unit, dumped)


def _json_unit(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # a tag character: a UTF-16 surrogate pair, as JSON spells it
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"
