"""Silence matchers that match exactly what the dialog shows, and nothing else.

Labels are cleaned for display (console/text/safe_text.py): a control character becomes
its picture, a long value is cut. An equality matcher on that cleaned text would match
the placeholder, not the alert, and the silence would silence nothing. So a matcher is
built from the value as the source sent it (`Alert.raw_labels`):

- a value every character of which is printable (and that neither starts nor ends
  with whitespace) is an equality matcher on the whole value, however long;
- any other value is a regex matcher (`isRegex`) whose pattern spells each character
  that cannot be shown as an escape RE2 reads (`\\x1B`, `\\x{202E}`), and escapes
  the regex syntax in the rest. Alertmanager anchors a regex at both ends, so the
  pattern matches that one string only. What the dialog lists is, character for
  character, the pattern sent.
- a value over `RAW_LIMIT` characters is not kept whole: no matcher can be shown for
  it, and `for_alert` refuses (ValueError) rather than silence something wider.

The editor's lines are `name=value`, `name!=value`, `name=~regex`, `name!~regex`: the
value is the rest of the line as written (no quoting), edges trimmed. No I/O, no Textual.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from console.model import Alert
from console.text.safe_text import is_clean

RAW_LIMIT = 65_536
"""Characters of a raw label value kept for matching; a longer one is refused."""
MAX_MATCHERS = 64
SYNTAX = "name=value, name!=value, name=~regex or name!~regex"
_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)(.*)", re.S)
_META = frozenset("\\.+*?()|[]{}^$")
_ESCAPE = re.compile(r"\\x\{([0-9A-Fa-f]{1,8})\}|\\(.)", re.S)
_NO_RE2 = frozenset("uUN")
"""Python's escapes that RE2 (Alertmanager) does not know: refused in typed regexes."""


@dataclass(frozen=True, slots=True)
class Matcher:
    name: str
    value: str
    regex: bool = False
    equal: bool = True

    @property
    def op(self) -> str:
        return ("=~" if self.regex else "=") if self.equal else ("!~" if self.regex else "!=")

    @property
    def text(self) -> str:
        """The line the editor and the dialog show: exactly what is sent."""
        return f"{self.name}{self.op}{self.value}"

    def body(self) -> dict[str, Any]:
        """Alertmanager's JSON form (`POST /api/v2/silences`)."""
        return {"name": self.name, "value": self.value, "isRegex": self.regex,
                "isEqual": self.equal}

    def amtool(self) -> str:
        """The argument amtool reads as this matcher. Its parser unescapes `\\\\` and `\\"`
        (and reads a bare `"` as quoting), so a value holding either is quoted with both
        escaped, and the pattern reaches Alertmanager intact."""
        if "\\" not in self.value and '"' not in self.value:
            return self.text
        quoted = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.name}{self.op}"{quoted}"'

    def matches(self, labels: Mapping[str, str]) -> bool:
        """As Alertmanager matches: a missing label is the empty string, a regex is
        anchored at both ends."""
        value = labels.get(self.name, "")
        hit = (re.fullmatch(python_pattern(self.value), value) is not None if self.regex
               else value == self.value)
        return hit == self.equal


def _shown_as_is(char: str, edge: bool) -> bool:
    return char.isprintable() and is_clean(char) and not (edge and char.isspace())


def needs_regex(raw: str) -> bool:
    """True when an equality matcher on `raw` could not be shown as it is sent (or its
    line, `name=~…`, would read as a regex)."""
    if raw.startswith("~"):
        return True
    if raw.isascii() and raw.isprintable() and raw == raw.strip():
        return False  # most labels: two C-speed checks
    last = len(raw) - 1
    return not all(_shown_as_is(c, i in (0, last)) for i, c in enumerate(raw))


def escape(raw: str) -> str:
    """An RE2 pattern, all printable, that matches exactly `raw` (anchored, as AM does)."""
    out = []
    last = len(raw) - 1
    for i, char in enumerate(raw):
        if char in _META:
            out.append("\\" + char)
        elif _shown_as_is(char, i in (0, last)):
            out.append(char)
        else:
            code = ord(char)
            out.append(f"\\x{code:02X}" if code < 0x100 else f"\\x{{{code:X}}}")
    return "".join(out)


def exact(name: str, raw: str) -> Matcher:
    """The matcher of one label that matches its raw value and only it."""
    if needs_regex(raw):
        return Matcher(name, escape(raw), regex=True)
    return Matcher(name, raw)


def python_pattern(pattern: str) -> str:
    """An RE2 pattern in Python's syntax (for the demo and the tests): `\\x{HHHH}` becomes
    `\\UHHHHHHHH`; every other escape means the same in both."""

    def unit(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return match.group()
        code = int(match.group(1), 16)
        if code > 0x10FFFF:
            raise ValueError(f"\\x{{{match.group(1)}}} is past the last Unicode character")
        return f"\\U{code:08X}"

    return _ESCAPE.sub(unit, pattern)


def for_alert(alert: Alert) -> tuple[Matcher, ...]:
    """One exact matcher per label (alertname included), sorted by name; ValueError when
    a label is too long to be kept whole."""
    labels = dict(alert.labels)
    labels.setdefault("alertname", alert.name)
    found = []
    for name, shown in sorted(labels.items()):
        raw = alert.raw_labels.get(name, shown)
        if len(raw) > RAW_LIMIT:
            raise ValueError(f"label {name} is longer than {RAW_LIMIT:,} characters: no "
                             "silence can be shown that matches it exactly")
        found.append(exact(name, raw))
    return tuple(found)


def _check_regex(pattern: str) -> None:
    for match in _ESCAPE.finditer(pattern):
        if match.group(2) in _NO_RE2:
            raise ValueError(f"Alertmanager's RE2 has no \\{match.group(2)} escape: "
                             "write \\x{202E} for U+202E")
    try:
        re.compile(python_pattern(pattern))
    except re.error as exc:
        raise ValueError(f"not a valid regular expression ({exc})") from None


def parse_line(line: str) -> Matcher:
    """One editor line as a matcher; ValueError says what is wrong with it."""
    text = line.strip()
    if not is_clean(text) or not text.isprintable():
        raise ValueError("holds a character that cannot be shown: in a regex write it as "
                         "\\xNN or \\x{NNNN}")
    found = _LINE.fullmatch(text)
    if found is None:
        raise ValueError(f"not a matcher: write {SYNTAX}")
    name, op, value = found.group(1), found.group(2), found.group(3).strip()
    matcher = Matcher(name, value, regex="~" in op, equal=not op.startswith("!"))
    if matcher.regex:
        _check_regex(value)
    return matcher


def parse(text: str) -> tuple[Matcher, ...]:
    """The editor's lines as a duplicate-free set, in their order; ValueError names the
    first bad line, or says why the set as a whole cannot be a silence."""
    found: list[Matcher] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            found.append(parse_line(line))
        except ValueError as exc:
            raise ValueError(f"line {number}: {exc}") from None
    unique = tuple(dict.fromkeys(found))
    if not unique:
        raise ValueError(f"at least one matcher: {SYNTAX}")
    if len(unique) > MAX_MATCHERS:
        raise ValueError(f"at most {MAX_MATCHERS} matchers")
    if all(m.matches({}) for m in unique):
        raise ValueError("every matcher also matches a missing label: the silence would "
                         "hold every alert (Alertmanager refuses it)")
    return unique
