"""The one rule for text from outside (console/text/safe_text.py), and its neighbours: the
Markdown exporter's escaping and the tables' capped columns.

The rule is checked against Unicode's own categories (an oracle independent of
the code), and the table is read back as drawn: one 10,000-character name must
leave every figure on an 80-column screen.
"""

from __future__ import annotations

import json
import sys
import unicodedata

import pytest
from markdown_it import MarkdownIt
from textual.app import App, ComposeResult

from console.export.markdown import cell, code
from console.text.safe_text import (
    LINE_LIMIT,
    clean_line,
    clean_text,
    is_clean,
    json_escape,
    one_line,
)
from console.views.overview import MODEL_COLUMNS
from tests.stack.hostile import CORPUS, markdown_text
from widgets.columns import Column
from widgets.keyed_table import KeyedTable
from widgets.table_rows import RowStore


@pytest.mark.parametrize(("raw", "shown"), [
    ("\x1b[2J", "␛[2J"),
    ("\x1b]52;c;Zm9v\x07", "␛]52;c;Zm9v␇"),
    ("nul\x00del\x7f", "nul␀del␡"),
    ("a\rb\x08", "a␍b␈"),
    ("two\nlines", "two⏎lines"),
    ("crlf\r\nend", "crlf⏎end"),
    ("tab\there", "tab␉here"),
    ("\x9b31m", "�31m"),
    ("\u202eevil\u202c", "�evil�"),
    ("a\u200bb\ufeffc\U000e0041", "a�b�c�"),
    ("\ud800lone", "�lone"),
    ("[@click=app.quit]x[/]", "[@click=app.quit]x[/]"),  # markup is not a control
    ("emoji 👩\u200d💻 and ZWNJ \u200c", "emoji 👩\u200d💻 and ZWNJ \u200c"),
    ("模型-名 café", "模型-名 café"),
])
def test_the_rule(raw: str, shown: str) -> None:
    assert clean_line(raw) == shown
    assert clean_line(shown) == shown  # idempotent


def test_every_control_and_format_character_is_replaced() -> None:
    """Judged by unicodedata: Cc, Cf (but the joiners), Cs, Zl and Zp, all of them."""
    missed = [f"U+{c:04X}" for c in range(sys.maxunicode + 1)
              if unicodedata.category(chr(c)) in ("Cc", "Cf", "Cs", "Zl", "Zp")
              and chr(c) not in "\u200c\u200d" and is_clean(chr(c))]
    assert missed == []


def test_caps() -> None:
    long = "x" * 10_000
    assert clean_line(long) == "x" * (LINE_LIMIT - 1) + "…"
    assert clean_line(long, 10) == "xxxxxxxxx…" and clean_line("x" * 10, 10) == "x" * 10
    assert one_line("a\n\n  b\tc" + "d" * 1000, 20) == "a b c" + "d" * 14 + "…"


def test_multi_line_text_keeps_lines_and_cuts_the_head_of_a_log() -> None:
    log = "first\r\n\tindented\x1b[2J\nlast"
    assert clean_text(log) == "first\n        indented␛[2J\nlast"
    lines = "\n".join(f"line {i}" for i in range(1000))
    tail = clean_text(lines, limit=100, tail=True)
    assert tail.startswith("…\n") and tail.endswith("line 999") and len(tail) <= 100
    assert clean_text("a" * 50 + "\nb", line_limit=10) == "a" * 9 + "…\nb"
    assert clean_text(tail, limit=100, tail=True) == tail


def test_json_escape_keeps_the_document_and_escapes_what_a_terminal_obeys() -> None:
    value = {"m": "x\x9by\u202e\x7f\ud800\U000e0041 ok ✓"}
    text = json_escape(json.dumps(value, ensure_ascii=False))
    assert json.loads(text) == value
    assert text == '{"m": "x\\u009by\\u202e\\u007f\\ud800\\udb40\\udc41 ok ✓"}'
    text.encode("utf-8")  # no lone surrogate left to break a writer


def test_markdown_cell_renders_as_written_in_one_cell() -> None:
    for payload in CORPUS:
        row = f"| h | k |\n|---|---|\n| {cell(payload.raw)} | z |\n"
        md = MarkdownIt("commonmark").enable("table")
        tokens = md.parse(row)
        assert sum(t.type == "td_open" for t in tokens) == 2, payload.kind
        kinds = {c.type for t in tokens if t.type == "inline" for c in t.children or ()}
        assert not kinds & {"link_open", "html_inline", "code_inline", "em_open",
                            "strong_open", "image"}, payload.kind
        # A cell is one line: its whitespace runs (CR, newline) are one space first.
        assert clean_line(" ".join(payload.raw.split())) in markdown_text(row), payload.kind
    assert cell("# not a heading").startswith("\\#")
    assert "https\\://" in cell("https://evil.example") and "www\\." in cell("www.e.x")


def test_markdown_code_span_cannot_be_closed_by_its_content() -> None:
    for text in ("a`b", "``x``", "`", "plain"):
        spans = [c for t in MarkdownIt().parse(f"see {code(text)} here")
                 if t.type == "inline" for c in t.children or () if c.type == "code_inline"]
        assert [s.content for s in spans] == [text]


# ----------------------------------------------------------------------------- widths


def test_auto_columns_fit_their_cells_up_to_their_cap() -> None:
    rows = RowStore((Column("name", "Name", max_width=12), Column("n", "N", 3)))
    rows.sync({"a": ("short", "1")})
    assert rows.widths == (5, 3)
    rows.sync({"a": ("short", "1"), "b": ("L" * 10_000, "2")})
    assert rows.widths == (12, 3)
    assert RowStore((Column("x", "A long label", max_width=4),)).widths == (12,)


class Models(App[None]):
    def compose(self) -> ComposeResult:
        yield KeyedTable(MODEL_COLUMNS, id="models")


async def test_a_10000_character_name_leaves_the_figures_on_an_80_column_screen() -> None:
    app = Models()
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(KeyedTable)
        name = clean_line("HX90" + "L" * 10_000 + "\nsecond line")
        cells = ("holysheep", name, "20.0", "1.0 %", "850 ms", "", "", "—", "8.0k", "$1.00")
        table.sync({"a": cells, "b": ("holysheep", "gpt-4.1", "3.0", "0.5 %", "1.62 s",
                                      "", "", "—", "1.0k", "$2.00")})
        await pilot.pause()
        lines = [strip.text for strip in table.render_lines(table.size.region)]
        row = next(line for line in lines if "HX90" in line)
        assert "L…" in row and "20.0" in row and "1.0 %" in row, row
        assert sum("HX90" in line for line in lines) == 1  # one line per row
        assert any("gpt-4.1" in line and "3.0" in line for line in lines)
