"""The Acquisition pane: the row of every new customer in one line, the table per
channel (or dimension), and under it CAC, LTV and LTV:CAC per row as bars of
block characters (readable without colour). It only displays what the view
computed (`cxtui.viewdefs.acquisition.run`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from cxtui.measures import render_kind
from cxtui.render import format_value, safe_text
from cxtui.tui.pane import TablePane
from cxtui.tui.widgets.data_view import DataView

if TYPE_CHECKING:
    from cxtui.registry import Output

BARS = (("CAC", "cac"), ("LTV", "ltv"), ("LTV:CAC", "ltv_to_cac"))
BAR_ROWS = 8  # the bars of the first rows (the table has them all)
LABEL_WIDTH = 16
EIGHTHS = " ▏▎▍▌▋▊▉"


def block_bar(value: float | None, longest: float | None, width: int) -> str:
    """`value` as a bar `width` cells long at `longest` (eighths of a cell)."""
    if value is None or not longest or longest <= 0 or value <= 0:
        return ""
    full, part = divmod(round(value / longest * width * 8), 8)
    return "█" * full + (EIGHTHS[part] if part else "")


def _value(key: str, value: Any, currency: str) -> str:
    if key == "ltv_to_cac":
        return "—" if value is None else f"{value:,.1f}:1"
    return format_value(value, render_kind(key), currency)


def total_text(title: str, total: dict[str, Any], currency: str) -> Text:
    """`All new customers, …: 867 new · average CAC $1,461 · LTV $79,369 · LTV:CAC 54.3:1`."""
    text = Text(f"{safe_text(title)}: ", style="bold")
    text.append(f"{format_value(total.get('new_customers'), 'int')} new")
    for label, key in BARS:
        lead = "average CAC" if key == "cac" else label
        text.append(f" · {lead} {_value(key, total.get(key), currency)}")
    return text


def bars_table(rows: list[dict[str, Any]], by: str, currency: str, width: int) -> Table:
    """One line per row: its label, then each measure's bar and value; every bar
    is scaled to the largest value of its measure."""
    value_width = 9
    bar_width = max(4, (width - LABEL_WIDTH - 2 - len(BARS) * (value_width + 3)) // len(BARS))
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    table.add_column(safe_text(by, LABEL_WIDTH), no_wrap=True, max_width=LABEL_WIDTH)
    for label, _ in BARS:
        table.add_column(label, no_wrap=True, min_width=bar_width + value_width + 1)
    longest = {
        key: max((r[key] for r in rows if r.get(key) is not None), default=None) for _, key in BARS
    }
    for row in rows[:BAR_ROWS]:
        label = row.get(by)
        cells: list[Text] = [Text(safe_text(label) if label is not None else "(none)")]
        for _, key in BARS:
            cell = Text(block_bar(row.get(key), longest[key], bar_width).ljust(bar_width))
            cell.stylize("cyan")
            cell.append(" " + _value(key, row.get(key), currency).rjust(value_width))
            cells.append(cell)
        table.add_row(*cells)
    return table


class AcquisitionPane(TablePane):
    DEFAULT_CSS = """
    AcquisitionPane DataView { height: 1fr; }
    AcquisitionPane .acquisition-bars { height: auto; max-height: 10; padding: 0 1; }
    """

    currency = "$"

    def compose(self) -> ComposeResult:
        vid = self.view.id
        yield Static("", id=f"{vid}-summary", classes="pane-summary")
        yield Static("", id=f"{vid}-title", classes="pane-title")
        yield DataView(id=vid)
        yield Static("", id=f"{vid}-bars", classes="acquisition-bars")
        yield Static("", id=f"{vid}-footer", classes="pane-footer")

    def _display(self, output: Output | None) -> None:
        pass

    def show(self, output: Output, currency: str) -> None:
        self.output = output
        self.currency = currency
        vid = self.view.id
        total = output.extras.get("total") or {}
        self.query_one(f"#{vid}-summary", Static).update(total_text(output.title, total, currency))
        view = self.main
        view.set_table(output.tables[0], view.cursor_row)
        self.table_shown(view)
        self._draw_bars()

    def _draw_bars(self) -> None:
        if self.output is None or not self.output.tables:
            return
        rows = self.output.tables[0].frame.to_dicts()
        by = self.output.extras.get("by") or self.output.tables[0].frame.columns[0]
        width = max(self.size.width - 2, 60)
        bars = self.query_one(f"#{self.view.id}-bars", Static)
        bars.update(bars_table(rows, by, self.currency, width) if rows else Text(""))

    def on_resize(self) -> None:
        self._draw_bars()
