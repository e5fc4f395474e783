"""A result table (a collected frame plus how to show each column) rendered as a
Rich table, CSV, JSON rows or Markdown. The CLI prints these; the TUI shows the
same `ResultTable` and formats cells with the same `format_value`."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from cxtui.render.text import MISSING, format_value, is_missing, safe_text

if TYPE_CHECKING:
    import polars as pl
    from rich.console import Console
    from rich.table import Table

TEXT_FLOOR = 16  # narrowest a text column is cut to before columns are dropped
NUMERIC_KINDS = frozenset({"int", "money", "pct", "score", "float"})
# Cells that a spreadsheet would evaluate as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class ColumnSpec:
    key: str
    kind: str = "text"
    title: str | None = None
    priority: int = 1  # lower = more important; narrow screens drop high numbers first
    wrap: bool = False  # long prose (details, signals): wrapped, never cut

    @property
    def header(self) -> str:
        return self.title or self.key

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS


@dataclass
class ResultTable:
    title: str
    frame: pl.DataFrame
    columns: list[ColumnSpec] = field(default_factory=list)
    footer: str | None = None
    currency: str = "$"

    def specs(self) -> list[ColumnSpec]:
        """The column specs, in order, for the columns the frame really has."""
        known = {c.key: c for c in self.columns}
        return [known.get(k, ColumnSpec(k, _infer_kind(self.frame, k))) for k in self.frame.columns]

    def cell(self, row: int, key: str) -> str:
        spec = next((c for c in self.specs() if c.key == key), ColumnSpec(key))
        return format_value(self.frame[key][row], spec.kind, self.currency)


def _infer_kind(frame: pl.DataFrame, key: str) -> str:
    dtype = frame.schema[key]
    if dtype.is_integer():
        return "int"
    if dtype.is_float():
        return "float"
    if dtype.is_temporal():
        return "date"
    return "text"


def formatted_columns(rt: ResultTable, max_cell: int | None = None) -> list[list[str]]:
    """Every column's cells as display strings (vectorised per column)."""
    out = []
    for spec in rt.specs():
        values = rt.frame[spec.key].to_list()
        cells = [format_value(v, spec.kind, rt.currency) for v in values]
        if max_cell and not spec.wrap:
            cells = [c if len(c) <= max_cell else c[: max_cell - 1] + "…" for c in cells]
        out.append(cells)
    return out


# ---------------------------------------------------------------- Rich


def to_rich_table(rt: ResultTable, width: int | None = None, max_cell: int = 40) -> Table:
    """A Rich table made only of `Text` cells (markup in the data is never parsed).

    When the natural width exceeds `width`: minor columns (priority ≥ 2) are
    dropped, highest number first and rightmost first among equals; then long
    text is cut with "…" to TEXT_FLOOR; then priority-1 columns are dropped.
    Priority 0 is never dropped. The caption lists what was hidden, so a narrow
    terminal shows fewer columns rather than wrapped cells.
    """
    from rich import box
    from rich.table import Table
    from rich.text import Text

    specs = rt.specs()
    cells = formatted_columns(rt, max_cell)
    natural = [
        min(max([len(s.header)] + [len(c) for c in col]), 30 if s.wrap else 10**6)
        for s, col in zip(specs, cells, strict=True)
    ]
    # Columns with no value at all (e.g. revenue without an orders table) say
    # nothing in a table; they are listed in the caption instead.
    empty = [
        i
        for i, col in enumerate(cells)
        if rt.frame.height and specs[i].priority > 0 and all(c == MISSING for c in col)
    ]
    keep = [i for i in range(len(specs)) if i not in empty]
    hidden: list[str] = []
    if width:
        # a column costs its width plus 3 for padding and the separator
        def total(idx: list[int]) -> int:
            return sum(natural[i] + 3 for i in idx) + 1

        def drop(min_priority: int) -> None:
            for i in sorted(keep, key=lambda i: (-specs[i].priority, -i)):
                if total(keep) <= width or len(keep) <= 1:
                    return
                if specs[i].priority >= min_priority:
                    keep.remove(i)
                    hidden.append(specs[i].key)

        drop(2)  # minor columns go first
        # then long text (names, owners) is cut with "…" down to TEXT_FLOOR
        excess = total(keep) - width
        for i in sorted(keep, key=lambda i: -natural[i]):
            spec = specs[i]
            if excess <= 0:
                break
            if spec.numeric or spec.wrap or spec.kind in ("id", "date"):
                continue
            cut = min(excess, max(natural[i] - TEXT_FLOOR, 0))
            natural[i] -= cut
            excess -= cut
        drop(1)  # and only then the important ones
    caption_parts = []
    if rt.footer:
        caption_parts.append(safe_text(rt.footer))
    if hidden:
        caption_parts.append("hidden to fit: " + ", ".join(reversed(hidden)))
    if empty:
        caption_parts.append("no data: " + ", ".join(specs[i].key for i in empty))
    table = Table(
        title=Text(safe_text(rt.title)) if rt.title else None,
        caption=Text("\n".join(caption_parts)) if caption_parts else None,
        box=box.SIMPLE_HEAD,
        header_style="bold",
        caption_justify="left",
    )
    for i in keep:
        spec = specs[i]
        table.add_column(
            Text(safe_text(spec.header)),
            justify="right" if spec.numeric else "left",
            no_wrap=not spec.wrap,
            overflow="fold" if spec.wrap else "ellipsis",
            min_width=min(natural[i], 12),
            max_width=None if spec.wrap else natural[i],
            ratio=1 if spec.wrap else None,
        )
    for r in range(rt.frame.height):
        table.add_row(
            *(Text(cells[i][r], style="dim" if cells[i][r] == MISSING else "") for i in keep)
        )
    if rt.frame.height == 0:
        table.caption = Text("\n".join([*caption_parts, "no rows"]))
    return table


# ---------------------------------------------------------------- CSV / JSON / Markdown


def _csv_cell(value: Any, safe: bool) -> Any:
    if is_missing(value):
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        text = safe_text(value) if safe else value
        if safe and text.startswith(_FORMULA_START):
            text = "'" + text
        return text
    return value


def to_csv(rt: ResultTable, safe: bool = True) -> str:
    """Raw values (numbers unformatted, dates ISO, missing empty). With `safe`,
    control characters are made visible and text that a spreadsheet would run as
    a formula gets a leading apostrophe."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([_csv_cell(c, safe) for c in rt.frame.columns])
    for row in rt.frame.iter_rows():
        writer.writerow([_csv_cell(v, safe) for v in row])
    return buf.getvalue()


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def to_json_rows(rt: ResultTable) -> list[dict[str, Any]]:
    return [jsonable(r) for r in rt.frame.to_dicts()]


# Characters JSON may carry raw but a terminal must not see raw: DEL and C1
# controls (U+009B is a CSI on many terminals), format characters (bidi
# overrides, zero-width characters, soft hyphen, tag characters), line/paragraph
# separators and lone surrogates. Outside strings JSON text is ASCII, so escaping
# them as \uXXXX keeps the document valid and every value identical.
_NON_ASCII = re.compile(r"[^\x00-\x7e]|\x7f")
_JSON_ESCAPED = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co"}


def _json_char(match: re.Match[str]) -> str:
    ch = match.group()
    if unicodedata.category(ch) not in _JSON_ESCAPED:
        return ch  # readable non-ASCII text stays as it is
    if ord(ch) > 0xFFFF:  # a surrogate pair, as JSON writes characters beyond the BMP
        high, low = divmod(ord(ch) - 0x10000, 0x400)
        return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"
    return f"\\u{ord(ch):04x}"


def json_dumps(obj: Any) -> str:
    """JSON text (non-ASCII kept readable) that is inert on a terminal."""
    text = json.dumps(jsonable(obj), ensure_ascii=False, indent=2)
    return _NON_ASCII.sub(_json_char, text)


def to_json(rt: ResultTable) -> str:
    return json_dumps(to_json_rows(rt)) + "\n"


# Backslash-escaped (CommonMark escapes any ASCII punctuation): code, emphasis,
# strikethrough, links, HTML, entities, headings and cell separators. `_` only
# where it could open or close emphasis: intraword `_` is not emphasis in
# CommonMark, so snake_case keys stay readable.
_MD_SPECIAL = re.compile(r"([\\`*~\[\]<>|&#!]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


def md_escape(text: str, max_len: int | None = None) -> str:
    """Literal text in a Markdown table: no links, emphasis, HTML or extra cells."""
    return _MD_SPECIAL.sub(r"\\\1", safe_text(text, max_len))


MARKDOWN_MAX_CELL = 80


def to_markdown(rt: ResultTable) -> str:
    specs = rt.specs()
    cells = formatted_columns(rt, MARKDOWN_MAX_CELL)  # long text cut, as in every table
    lines = []
    if rt.title:
        lines += [f"### {md_escape(rt.title)}", ""]
    lines.append("| " + " | ".join(md_escape(s.header) for s in specs) + " |")
    lines.append("|" + "|".join("---:" if s.numeric else "---" for s in specs) + "|")
    for r in range(rt.frame.height):
        lines.append("| " + " | ".join(md_escape(col[r]) for col in cells) + " |")
    if rt.footer:
        lines += ["", md_escape(rt.footer)]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- key/value objects


def render_object(
    obj: dict[str, Any],
    kinds: dict[str, str],
    fmt: str,
    title: str | None = None,
    currency: str = "$",
) -> Any:
    """A flat metrics object (overview, retention) as a two-column table
    (a Rich renderable for `table`, a string for csv/markdown/json)."""
    if fmt == "json":
        return json_dumps(obj)
    if fmt in ("csv", "csv-raw"):
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["metric", "value"])
        for k, v in obj.items():
            writer.writerow([k, _csv_cell(v, fmt == "csv")])
        return buf.getvalue()
    rows = [(k, format_value(v, kinds.get(k, "text"), currency)) for k, v in obj.items()]
    if fmt == "markdown":
        lines = [f"### {md_escape(title)}", ""] if title else []
        lines += ["| Metric | Value |", "|---|---:|"]
        lines += [f"| {md_escape(k)} | {md_escape(v)} |" for k, v in rows]
        return "\n".join(lines) + "\n"
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=Text(safe_text(title)) if title else None,
        box=box.SIMPLE_HEAD,
        show_header=False,
        min_width=len(title) + 2 if title else None,
    )
    table.add_column("metric", style="dim")
    table.add_column("value", justify="right")
    for k, v in rows:
        table.add_row(Text(safe_text(k)), Text(v))
    return table


# ---------------------------------------------------------------- console


def make_console(color: str = "auto") -> Console:
    """A console that never parses markup or highlights data; no colour or
    escape codes on a pipe or with NO_COLOR, unless `color == "always"`."""
    import os
    import sys

    from rich.console import Console

    kwargs: dict[str, Any] = {
        "markup": False,
        "highlight": False,
        "emoji": False,
        "soft_wrap": False,
    }
    if color == "always":
        kwargs["force_terminal"] = True
    elif color == "never":
        kwargs["no_color"] = True
        kwargs["force_terminal"] = False
    if not sys.stdout.isatty() and color != "always":
        kwargs["force_terminal"] = False
        kwargs.setdefault("width", int(os.environ.get("COLUMNS", 0) or 120))
    return Console(file=sys.stdout, **kwargs)


def print_result(rt: ResultTable, fmt: str, console: Console | None = None) -> None:
    import sys

    if fmt == "csv":
        sys.stdout.write(to_csv(rt))
    elif fmt == "csv-raw":  # the data as it is: no formula guard, controls kept
        sys.stdout.write(to_csv(rt, safe=False))
    elif fmt == "json":
        sys.stdout.write(to_json(rt))
    elif fmt == "markdown":
        sys.stdout.write(to_markdown(rt))
    else:
        console = console or make_console()
        console.print(to_rich_table(rt, width=console.width))
