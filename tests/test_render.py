"""cxtui.render: one formatter, inert text, and each output form (Rich, CSV, JSON,
Markdown). Every expected string below is written out by hand."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import date, datetime

import polars as pl
import pytest
from rich.console import Console

from cxtui.render import (
    ColumnSpec,
    ResultTable,
    format_value,
    make_console,
    render_object,
    safe_text,
    to_csv,
    to_json,
    to_json_rows,
    to_markdown,
    to_rich_table,
)

NAN = float("nan")
INF = float("inf")


def rendered(renderable, width: int = 100) -> str:
    """What a reader sees: render on a recording console with markup *enabled*,
    so a cell that were parsed as markup would lose its brackets."""
    console = Console(record=True, width=width, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.export_text()


# ---------------------------------------------------------------- format_value


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (12458, "int", "12,458"),
        (12458.0, "int", "12,458"),
        (0, "int", "0"),
        (1234, "money", "$1,234"),
        (1234.0, "money", "$1,234"),
        (1_234_567.4, "money", "$1,234,567"),
        (12.5, "money", "$12.50"),
        (-12.5, "money", "-$12.50"),
        (-1234, "money", "-$1,234"),
        (0.5, "money", "$0.50"),
        (99.999, "money", "$100"),  # rounds to a whole amount: no ".00"
        (-0.001, "money", "$0"),  # no "-$0"
        (0.1234, "pct", "12.3%"),
        (1.0, "pct", "100.0%"),
        (-0.5, "pct", "-50.0%"),
        (0, "pct", "0.0%"),
        (72.4, "score", "72"),
        (1234.56, "score", "1,235"),
        (3.14159, "float", "3.1"),
        (-1234.56, "float", "-1,234.6"),
        (date(2025, 1, 31), "date", "2025-01-31"),
        (datetime(2025, 1, 31, 9, 5, 7), "date", "2025-01-31 09:05:07"),
        (None, "int", "—"),
        (None, "money", "—"),
        (None, "text", "—"),
        (NAN, "money", "—"),
        (NAN, "pct", "—"),
        (NAN, "float", "—"),
        (INF, "money", "∞"),
        (-INF, "int", "-∞"),
        (True, "text", "yes"),
        (False, "text", "no"),
        ("007", "id", "007"),
        ("plain", "text", "plain"),
    ],
)
def test_format_value_every_kind(value, kind, expected) -> None:
    assert format_value(value, kind) == expected


def test_format_value_other_currency_symbol() -> None:
    assert format_value(1234, "money", "€") == "€1,234"
    assert format_value(-12.5, "money", "€") == "-€12.50"
    assert format_value(8, "money", "CHF ") == "CHF 8"


def test_format_value_text_from_the_data_is_made_safe() -> None:
    # a string in a numeric column is still text: shown safely, never formatted
    assert format_value("12.50 USD\x1b[2J", "money") == "12.50 USD\\x1b[2J"


# ---------------------------------------------------------------- safe_text


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("Acme\x1b[31mRed", "Acme\\x1b[31mRed"),  # ESC / CSI colour
        ("clear\x1b[2J\x1b[H", "clear\\x1b[2J\\x1b[H"),  # screen clear + home
        (
            "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\",  # OSC 8 hyperlink
            "\\x1b]8;;http://evil.example\\x1b\\click\\x1b]8;;\\x1b\\",
        ),
        ("\x1b]52;c;ZWNobyBoaQ==\x07", "\\x1b]52;c;ZWNobyBoaQ==\\x07"),  # OSC 52 clipboard
        ("ding\x07", "ding\\x07"),  # BEL
        ("C1\x9b31mX", "C1\\x9b31mX"),  # 8-bit CSI
        ("nul\x00del\x7f", "nul\\x00del\\x7f"),
        ("cr\rback", "cr\\x0dback"),
        ("two\nlines", "two\\nlines"),
        ("crlf\r\nend", "crlf\\nend"),
        ("a\tb", "a\\tb"),
        ("Bidi\u202eevil\u202c", "Bidievil"),  # RLO / PDF removed
        ("iso\u2066late\u2069", "isolate"),
        ("zero\u200bwidth\u200d\ufeff", "zerowidth"),
        ("line\u2028para\u2029end", "line\\npara\\nend"),  # Unicode line separators
        ("A\u061cB", "AB"),  # Arabic letter mark (a bidi control)
        ("tag\U000e0041\U000e007fs", "tags"),  # tag characters hide text
        ("soft\u00adhyphen", "softhyphen"),
        ("no\u00a0break", "no\u00a0break"),  # spaces are harmless: kept
        ("日本語株式会社🚀", "日本語株式会社🚀"),  # printable non-Latin text untouched
        ("[bold]x[/bold]", "[bold]x[/bold]"),  # markup is not safe_text's business
        ("", ""),
    ],
)
def test_safe_text_makes_controls_visible_and_drops_invisibles(raw: str, shown: str) -> None:
    assert safe_text(raw) == shown
    assert "\x1b" not in safe_text(raw) and "\x9b" not in safe_text(raw)


def test_safe_text_non_strings_and_truncation() -> None:
    assert safe_text(42) == "42"
    assert safe_text(None) == "None"
    assert safe_text("abcdefghij", max_len=5) == "abcd…"
    assert len(safe_text("x" * 500, max_len=40)) == 40
    assert safe_text("abcde", max_len=5) == "abcde"  # at the limit: not cut
    # cut after escaping: the visible form is what is measured
    assert safe_text("\x1b\x1b", max_len=6) == "\\x1b\\…"


# ---------------------------------------------------------------- Rich tables


def sample() -> ResultTable:
    frame = pl.DataFrame(
        {
            "id": ["a", "b"],
            "name": ["[bold]x[/bold]", "Bob"],
            "revenue": [1234.0, 12.5],
            "segment": ["Enterprise", "SMB"],
            "notes": pl.Series([None, None], dtype=pl.String),
        }
    )
    return ResultTable(
        title="[red]Title[/red]",
        frame=frame,
        columns=[
            ColumnSpec("id", "id", priority=0),
            ColumnSpec("name", priority=1),
            ColumnSpec("revenue", "money", priority=2),
            ColumnSpec("segment", priority=3),
            ColumnSpec("notes", priority=3),
        ],
        footer="[i]footer[/i]",
    )


def test_rich_table_shows_markup_literally_and_right_aligns_numbers() -> None:
    text = rendered(to_rich_table(sample(), width=100), width=100)
    assert "[bold]x[/bold]" in text
    assert "[red]Title[/red]" in text and "[i]footer[/i]" in text
    lines = text.splitlines()
    row_a = next(line for line in lines if "[bold]x[/bold]" in line)
    row_b = next(line for line in lines if "Bob" in line)
    # numbers: right edges line up; text: left edges line up
    assert row_a.index("$1,234") + len("$1,234") == row_b.index("$12.50") + len("$12.50")
    assert row_a.index("[bold]x[/bold]") == row_b.index("Bob")
    header = next(line for line in lines if "revenue" in line and "name" in line)
    assert header.index("revenue") + len("revenue") == row_a.index("$1,234") + len("$1,234")


def test_rich_table_all_missing_column_is_listed_not_shown() -> None:
    text = rendered(to_rich_table(sample(), width=100), width=100)
    assert "no data: notes" in text
    header = next(line for line in text.splitlines() if "revenue" in line)
    assert "notes" not in header


def test_rich_table_hostile_cells_never_emit_escapes() -> None:
    rt = ResultTable(
        "t",
        pl.DataFrame({"name": ["\x1b[2J\x1b]52;c;AAAA\x07", "\x9b1m", "Bidi\u202eevil"]}),
        [ColumnSpec("name", priority=0)],
    )
    console = Console(file=io.StringIO(), width=80, force_terminal=True, color_system="truecolor")
    console.print(to_rich_table(rt, width=80))
    out = console.file.getvalue()
    assert "\\x1b[2J\\x1b]52;c;AAAA\\x07" in out and "\\x9b1m" in out and "Bidievil" in out
    assert "\x1b[2J" not in out and "\x1b]52" not in out and "\x9b" not in out
    assert "\u202e" not in out


def test_rich_table_cuts_long_cells_with_an_ellipsis() -> None:
    rt = ResultTable("t", pl.DataFrame({"name": ["N" * 500]}), [ColumnSpec("name")])
    text = rendered(to_rich_table(rt, width=100, max_cell=40), width=100)
    assert "N" * 39 + "…" in text and "N" * 40 not in text


# Natural widths of sample(): id 2, name 14 ("[bold]x[/bold]"), revenue 7,
# segment 10; each costs width + 3, plus 1: all four = 5 + 17 + 10 + 13 + 1 = 46.
@pytest.mark.parametrize(
    ("width", "shown", "hidden"),
    [
        (100, ["id", "name", "revenue", "segment"], []),
        (46, ["id", "name", "revenue", "segment"], []),
        (45, ["id", "name", "revenue"], ["segment"]),  # 33 fits
        (32, ["id", "name"], ["revenue", "segment"]),  # 23 fits
        (10, ["id"], ["name", "revenue", "segment"]),  # id has priority 0: kept
    ],
)
def test_narrow_width_drops_highest_priority_numbers_first(width, shown, hidden) -> None:
    table = to_rich_table(sample(), width=width)
    headers = [str(c.header) for c in table.columns]
    assert headers == shown
    caption = str(table.caption)
    if hidden:
        assert f"hidden to fit: {', '.join(hidden)}" in caption
    else:
        assert "hidden to fit" not in caption
    assert "no data: notes" in caption


def test_priority_zero_columns_are_never_dropped() -> None:
    rt = ResultTable(
        "t",
        pl.DataFrame({"a": ["x" * 30], "b": ["y" * 30], "c": ["z"]}),
        [ColumnSpec("a", priority=0), ColumnSpec("b", priority=0), ColumnSpec("c", priority=5)],
    )
    table = to_rich_table(rt, width=20)
    assert [str(c.header) for c in table.columns] == ["a", "b"]
    assert "hidden to fit: c" in str(table.caption)


def test_empty_result_says_no_rows() -> None:
    rt = ResultTable(
        "t", pl.DataFrame(schema={"id": pl.String, "n": pl.Int64}), [ColumnSpec("id", "id")]
    )
    text = rendered(to_rich_table(rt, width=80))
    assert "no rows" in text and "id" in text and "n" in text
    assert "no data" not in text  # 0 rows is not "a column without data"


# ---------------------------------------------------------------- CSV


def csv_table() -> ResultTable:
    frame = pl.DataFrame(
        {
            "name": [
                '=HYPERLINK("http://e.vil","x")',
                "+1",
                "-2+3",
                "@SUM(A1)",
                'Comma, "quoted"',
                "two\nlines\x1b[31m",
            ],
            "amount": [1234.5, -12.5, None, NAN, 0.0, 7.0],
            "n": [12458, -3, None, 1, 2, 3],
            "day": [date(2025, 1, 31), None, date(2024, 2, 29), None, None, None],
            "ts": [datetime(2025, 1, 31, 9, 5, 7), None, None, None, None, None],
        }
    )
    return ResultTable("t", frame, [ColumnSpec("amount", "money"), ColumnSpec("n", "int")])


def test_csv_raw_values_and_formula_guard() -> None:
    rows = list(csv.reader(io.StringIO(to_csv(csv_table()))))
    assert rows == [
        ["name", "amount", "n", "day", "ts"],
        [
            '\'=HYPERLINK("http://e.vil","x")',
            "1234.5",
            "12458",
            "2025-01-31",
            "2025-01-31T09:05:07",
        ],
        ["'+1", "-12.5", "-3", "", ""],  # a negative *number* gets no apostrophe
        ["'-2+3", "", "", "2024-02-29", ""],
        ["'@SUM(A1)", "", "1", "", ""],  # NaN is missing: empty
        ['Comma, "quoted"', "0.0", "2", "", ""],
        ["two\\nlines\\x1b[31m", "7.0", "3", "", ""],
    ]


def test_csv_raw_mode_round_trips_the_exact_strings() -> None:
    rt = csv_table()
    rows = list(csv.reader(io.StringIO(to_csv(rt, safe=False))))
    assert [r[0] for r in rows[1:]] == rt.frame["name"].to_list()


def test_csv_header_from_the_data_is_guarded_too() -> None:
    rt = ResultTable("t", pl.DataFrame({"=cmd|' /C calc'!A0": ["x"], "ok\x1b": ["y"]}))
    header = next(csv.reader(io.StringIO(to_csv(rt))))
    assert header == ["'=cmd|' /C calc'!A0", "ok\\x1b"]


# ---------------------------------------------------------------- JSON


def test_json_rows_keep_raw_values_and_null_non_finite() -> None:
    rt = csv_table()
    rows = to_json_rows(rt)
    assert rows[0] == {
        "name": '=HYPERLINK("http://e.vil","x")',  # JSON is data: no apostrophe
        "amount": 1234.5,
        "n": 12458,
        "day": "2025-01-31",
        "ts": "2025-01-31T09:05:07",
    }
    assert rows[3]["amount"] is None  # NaN
    assert json.loads(to_json(rt)) == rows


def test_json_text_is_inert_on_a_terminal_but_values_survive() -> None:
    names = ["Esc\x1b[2J", "C1\x9b31m", "Bidi\u202eevil", "zw\u200b", "日本🚀"]
    text = to_json(ResultTable("t", pl.DataFrame({"name": names})))
    for raw in ("\x1b", "\x9b", "\u202e", "\u200b"):
        assert raw not in text
    assert "日本🚀" in text  # readable text stays readable
    assert [r["name"] for r in json.loads(text)] == names


# ---------------------------------------------------------------- Markdown


def test_markdown_escapes_pipes_and_right_aligns_numbers() -> None:
    rt = ResultTable(
        "Top | [b]x[/b]",
        pl.DataFrame({"name": ["a|b", "back\\slash", "\x1b[1m"], "revenue": [1234.0, 12.5, None]}),
        [ColumnSpec("name"), ColumnSpec("revenue", "money")],
        footer="2 rows",
    )
    assert to_markdown(rt) == (
        "### Top \\| \\[b\\]x\\[/b\\]\n"
        "\n"
        "| name | revenue |\n"
        "|---|---:|\n"
        "| a\\|b | $1,234 |\n"
        "| back\\\\slash | $12.50 |\n"
        "| \\\\x1b\\[1m | — |\n"
        "\n"
        "2 rows\n"
    )


# ---------------------------------------------------------------- render_object


OBJ = {
    "as_of": date(2025, 5, 30),
    "customers_total": 12458,
    "revenue_12m": 1234.4,
    "growth_rate_mom": 0.1234,
    "nps_90d": NAN,
    "mrr": None,
    "owner": "[bold]Ann[/bold]\x1b[2J",
}
KINDS = {
    "as_of": "date",
    "customers_total": "int",
    "revenue_12m": "money",
    "growth_rate_mom": "pct",
    "nps_90d": "float",
    "mrr": "money",
}


def test_render_object_json() -> None:
    out = json.loads(render_object(OBJ, KINDS, "json"))
    assert out == {
        "as_of": "2025-05-30",
        "customers_total": 12458,
        "revenue_12m": 1234.4,
        "growth_rate_mom": 0.1234,
        "nps_90d": None,
        "mrr": None,
        "owner": "[bold]Ann[/bold]\x1b[2J",
    }
    assert "\x1b" not in render_object(OBJ, KINDS, "json")


def test_render_object_csv() -> None:
    rows = list(csv.reader(io.StringIO(render_object(OBJ, KINDS, "csv"))))
    assert rows == [
        ["metric", "value"],
        ["as_of", "2025-05-30"],
        ["customers_total", "12458"],
        ["revenue_12m", "1234.4"],
        ["growth_rate_mom", "0.1234"],
        ["nps_90d", ""],
        ["mrr", ""],
        ["owner", "[bold]Ann[/bold]\\x1b[2J"],
    ]


def test_render_object_markdown() -> None:
    assert render_object(OBJ, KINDS, "markdown", title="Overview", currency="€") == (
        "### Overview\n"
        "\n"
        "| Metric | Value |\n"
        "|---|---:|\n"
        "| as_of | 2025-05-30 |\n"
        "| customers_total | 12,458 |\n"
        "| revenue_12m | €1,234 |\n"
        "| growth_rate_mom | 12.3% |\n"
        "| nps_90d | — |\n"
        "| mrr | — |\n"
        "| owner | \\[bold\\]Ann\\[/bold\\]\\\\x1b\\[2J |\n"
    )


def test_render_object_table() -> None:
    text = rendered(render_object(OBJ, KINDS, "table", title="Overview [b]x[/b]"), width=80)
    lines = text.splitlines()
    assert "Overview [b]x[/b]" in text
    values = {
        "customers_total": "12,458",
        "revenue_12m": "$1,234",
        "growth_rate_mom": "12.3%",
        "nps_90d": "—",
        "owner": "[bold]Ann[/bold]\\x1b[2J",
    }
    ends = set()
    for key, value in values.items():
        line = next(line for line in lines if key in line)
        assert value in line
        ends.add(line.index(value) + len(value))
    assert len(ends) == 1  # values right-aligned in one column


# ---------------------------------------------------------------- console


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("color", "escapes"), [("auto", False), ("never", False), ("always", True)]
)
def test_make_console_on_a_pipe(monkeypatch, color: str, escapes: bool) -> None:
    from rich.text import Text

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    console = make_console(color)
    console.print(Text("styled", style="bold red"))
    console.print("[bold]kept[/bold] 12345 http://x.example")  # no markup, no highlighting
    text = out.getvalue()
    assert ("\x1b[" in text) is escapes
    assert "[bold]kept[/bold] 12345 http://x.example" in text


def test_make_console_always_does_not_highlight_plain_strings(monkeypatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    make_console("always").print("12345 True None [red]x[/red]")
    assert out.getvalue() == "12345 True None [red]x[/red]\n"


def test_make_console_pipe_width_follows_columns(monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setenv("COLUMNS", "57")
    assert make_console("auto").width == 57
    monkeypatch.delenv("COLUMNS")
    assert make_console("auto").width == 120


def test_make_console_respects_no_color_on_a_terminal(monkeypatch) -> None:
    from rich.text import Text

    out = FakeTTY()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    make_console("auto").print(Text("styled", style="red"))
    assert "\x1b[31m" not in out.getvalue() and "styled" in out.getvalue()


def test_json_escapes_every_invisible_or_control_character_and_round_trips() -> None:
    from cxtui.render import json_dumps

    value = "a\u2028b\u061cc\U000e0041d\x9be\x7ff\u202eg café 中文"
    text = json_dumps({"name": value})
    assert all(ch.isprintable() or ch in "\n " for ch in text)
    assert json.loads(text) == {"name": value}  # escaped, not changed
    assert "café 中文" in text  # readable text stays readable
